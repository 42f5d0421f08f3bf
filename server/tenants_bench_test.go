package server

import (
	"context"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/stretchr/testify/require"

	"github.com/jwtgate/jwtgate/core"
	"github.com/jwtgate/jwtgate/internal/jwttest"
	"github.com/jwtgate/jwtgate/store"
)

// BenchmarkTenants measures jwtgate serve with many tenants' integrations
// stored through the admin API, on PostgreSQL (a third each: a shared
// secret, a PEM public key, an inline JWK set): the start-up of an
// instance and its heap, the cost of one verification (which must not
// grow with the number of integrations: the issuer is routed by a map),
// and, for the largest set, how long a change made through one instance
// takes to be in force on a second (100 changes, p50 and p99).
//
//	make bench-tenants   # go test -run '^$' -bench '^BenchmarkTenants$' -benchtime 1x -count 3 ./server/
func BenchmarkTenants(b *testing.B) {
	for _, n := range []int{100, 1_000, 10_000} {
		b.Run(fmt.Sprintf("n=%d", n), func(b *testing.B) {
			e := newAdminEnv(b, envOptions{dsn: testPostgres(b)})
			seedTenants(b, e, n)
			b.Run("startup", func(b *testing.B) { benchStartup(b, e) })
			b.Run("verify", func(b *testing.B) { benchRoutedVerify(b, e, n) })
			if n == 10_000 {
				b.Run("propagation", func(b *testing.B) { benchPropagation(b, e) })
			}
		})
	}
}

// seedTenants stores n integrations, one per tenant, through the store
// (as the API would, sealed), then has the env's server load them.
func seedTenants(b *testing.B, e *env, n int) {
	b.Helper()
	c := e.srv.cur.Load()
	var wg sync.WaitGroup
	next := make(chan int)
	for range 8 {
		wg.Go(func() {
			for i := range next {
				tenant, name := fmt.Sprintf("t%05d", i), "sso"
				ctx := context.Background()
				require.NoError(b, e.srv.admin.CreateTenant(ctx, store.Tenant{ID: tenant, CreatedAt: time.Now()}))
				plain := []byte(tenantDoc(b, i))
				public := plain // the benchmark reads no view
				_, err := e.srv.admin.PutRevision(ctx, store.Revision{Tenant: tenant, Name: name, Kind: "create",
					Doc: c.secrets.seal(tenant, name, plain), Public: public, Author: "bench", CreatedAt: time.Now()}, 0, false)
				require.NoError(b, err)
			}
		})
	}
	for i := range n {
		next <- i
	}
	close(next)
	wg.Wait()
	require.NoError(b, e.srv.refreshStored(context.Background()))
	require.Len(b, e.srv.cur.Load().stored.live, n)
	require.Empty(b, e.srv.cur.Load().quarantined)
}

// tenantDoc is integration i's document: a secret, a PEM key or a JWK
// set, by i mod 3.
func tenantDoc(b testing.TB, i int) string {
	iss := fmt.Sprintf("https://idp%05d.example", i)
	var keys string
	switch i % 3 {
	case 0:
		keys = `[{"secret":"` + tenantSecret(i) + `"}]`
	case 1:
		der, err := x509.MarshalPKIXPublicKey(&jwttest.Keys().RSA.PublicKey)
		require.NoError(b, err)
		p, _ := json.Marshal(string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})))
		keys = `[{"pem":` + string(p) + `,"algorithm":"RS256"}]`
	default:
		set := jwttest.JWKS(b, jose.JSONWebKey{Key: jwttest.Keys().EC.Public(), KeyID: "k1", Algorithm: "ES256", Use: "sig"})
		keys = `[{"jwks":` + set + `}]`
	}
	alg := [...]string{"HS256", "RS256", "ES256"}[i%3]
	return `{"policy":{"issuer":"` + iss + `","algorithms":["` + alg + `"],"keys":` + keys + `,"max_age":"1h"}}`
}

func tenantSecret(i int) string { return fmt.Sprintf("secret-of-tenant-%05d-at-least-32-bytes", i) }

// benchStartup builds an instance on the seeded store, b.N times: the
// time to New, and the heap the instance holds once built (the live heap
// with it less the live heap before it, so that the env's own instance
// and the benchmark's leftovers are not counted).
func benchStartup(b *testing.B, e *env) {
	var held uint64
	live := func() uint64 {
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		return ms.HeapAlloc
	}
	for b.Loop() {
		b.StopTimer()
		before := live()
		b.StartTimer()
		srv := e.start(filepath.Join(e.dir, "data-startup"))
		b.StopTimer()
		if after := live(); after > before {
			held = max(held, after-before)
		}
		srv.Close()
		b.StartTimer()
	}
	b.ReportMetric(float64(held)/(1<<20), "heap-MiB")
}

// benchRoutedVerify verifies an HS256 token of the middle integration
// with the tester engine (no decision cache: every call routes the
// issuer and checks the signature).
func benchRoutedVerify(b *testing.B, e *env, n int) {
	i := n / 2
	i -= i % 3 // a secret's integration
	now := time.Now()
	tok := mint(b, []byte(tenantSecret(i)), "", claims(now, fmt.Sprintf("https://idp%05d.example", i), map[string]any{"sub": "u"}))
	c := e.srv.cur.Load()
	req := core.Request{Token: tok, Now: now}
	require.True(b, c.tester.Verify(context.Background(), req).Valid)
	// Many verifications an iteration, so that -benchtime 1x (what the
	// start-up and propagation need) still times thousands.
	const per = 20_000
	for b.Loop() {
		for range per {
			c.tester.Verify(context.Background(), req)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*per), "ns/verify")
}

// benchPropagation makes 100 changes through the env's instance and
// times each until a second instance on the same store serves it.
func benchPropagation(b *testing.B, e *env) {
	other := e.start(filepath.Join(e.dir, "data-b"))
	h := httptest.NewServer(e.srv.Handler())
	b.Cleanup(h.Close)
	var lags, writes []time.Duration
	for b.Loop() {
		lags, writes = lags[:0], writes[:0]
		for k := range 100 {
			path := "/v1/admin/tenants/t00000/integrations/sso"
			g := send(b, nil, http.MethodGet, h.URL+path, nil, "Authorization", "Bearer "+adminToken)
			doc := strings.Replace(tenantDoc(b, 0), `"1h"`, fmt.Sprintf(`"%dm"`, 10+k%30+1), 1)
			start := time.Now()
			r := send(b, nil, http.MethodPut, h.URL+path, strings.NewReader(doc), "Authorization", "Bearer "+adminToken, "If-Match", g.header.Get("ETag"))
			require.Equal(b, http.StatusOK, r.status, r.body)
			writes = append(writes, time.Since(start))
			want := e.srv.cur.Load().stored.version
			for other.cur.Load().stored.version < want {
				time.Sleep(time.Millisecond)
			}
			lags = append(lags, time.Since(start))
		}
	}
	slices.Sort(lags)
	slices.Sort(writes)
	b.ReportMetric(float64(lags[49].Milliseconds()), "p50-ms")
	b.ReportMetric(float64(lags[98].Milliseconds()), "p99-ms")
	b.ReportMetric(float64(writes[49].Milliseconds()), "write-p50-ms")
}

package server

import (
	"context"
	"crypto/rsa"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/jwtgate/jwtgate/core"
)

// BenchmarkAuthzHandler measures what the handler of /v1/authz (and
// /v1/verify) adds to the core's verification of the same token, in
// process (the real http.Handler, an httptest.ResponseRecorder, no network:
// BenchmarkAuthz is the loopback server's req/s), so that the
// ratio of authz to core is the handler's overhead (issue 11: at most
// 25%). "fresh" runs with the decision cache off, so every request is a
// full verification as for a token never seen; "repeated" with the cache
// on, the same token each time. Logs go, as in production, to a JSON
// handler at INFO (one line a decision), here to io.Discard.
func BenchmarkAuthzHandler(b *testing.B) {
	now := time.Now()
	extra := map[string]any{"sub": "bench-user", "permissions": []string{"reports:read:tenant"}, "exp": now.Add(2 * time.Hour).Unix()}
	tokens := []struct{ alg, tok string }{
		{"HS256", mint(b, []byte(oktoSecret), "", claims(now, "https://hs.bench.example", extra))},
		{"RS256", mint(b, rsaKey(b, 0), "bench-rs", claims(now, "https://rs.bench.example", extra))},
	}
	fresh := benchServer(b, false)
	repeated := benchServer(b, true)
	verifier, err := core.NewVerifier(fresh.cur.Load().policy, core.Config{})
	require.NoError(b, err)
	for _, tc := range tokens {
		b.Run(tc.alg+"/core-verify", func(b *testing.B) {
			req := core.Request{Token: tc.tok, Now: now}
			for b.Loop() {
				if d := verifier.Verify(context.Background(), req); !d.Valid {
					b.Fatal(d.Code, d.Reason)
				}
			}
		})
		for _, sc := range []struct {
			name, method, path string
			srv                *Server
		}{
			{"authz-fresh", http.MethodGet, "/v1/authz/reports/q3", fresh},
			{"authz-repeated", http.MethodGet, "/v1/authz/reports/q3", repeated},
			{"verify-fresh", http.MethodPost, "/v1/verify", fresh},
		} {
			b.Run(tc.alg+"/"+sc.name, func(b *testing.B) {
				h := sc.srv.Handler()
				r := httptest.NewRequest(sc.method, sc.path, nil)
				r.RemoteAddr = "127.0.0.1:40000"
				r.Header.Set("Authorization", "Bearer "+tc.tok)
				for b.Loop() {
					w := httptest.NewRecorder()
					h.ServeHTTP(w, r)
					if w.Code != http.StatusOK {
						b.Fatal(w.Code, w.Body.String())
					}
				}
			})
		}
	}
}

// benchServer is a server of two integrations (HS256 and RS256 keys
// inline) and one route, its decision cache on or off, logging at INFO to
// nowhere.
func benchServer(b testing.TB, cache bool) *Server {
	dir := b.TempDir()
	config := filepath.Join(dir, "bench.yaml")
	rsaJWKS := jwksBody(b, map[string]*rsa.PrivateKey{"bench-rs": rsaKey(b, 0)})
	enabled := "false"
	if cache {
		enabled = "true"
	}
	require.NoError(b, os.WriteFile(config, []byte(`integrations:
  - name: hs
    tenant: bench-hs
    issuer: https://hs.bench.example
    algorithms: [HS256]
    keys: [{secret: `+oktoSecret+`}]
    headers: {X-User: sub}
  - name: rs
    tenant: bench-rs
    issuer: https://rs.bench.example
    algorithms: [RS256]
    keys: [{jwks: '`+rsaJWKS+`'}]
    headers: {X-User: sub}
service:
  decision_cache: {enabled: `+enabled+`}
  routes:
    - {prefix: /reports, methods: [GET], require_permissions: ["reports:read:team"]}
`), 0o600))
	srv, err := New(context.Background(), Options{ConfigFile: config, DataDir: filepath.Join(dir, "data"),
		Logger: slog.New(slog.NewJSONHandler(io.Discard, nil))})
	require.NoError(b, err)
	b.Cleanup(func() { srv.Close() })
	return srv
}

// The handler of /v1/authz allocates a bounded amount beyond the core's
// verification of the same token (a fresh one: the decision cache is
// off): the second parse of the payload for the own tokens, the identity's
// map of the claims, the answer built from a map and the log line's
// arguments came to 88 allocations a request; now at most 45 (the
// recorder's own included).
func TestAuthzHandlerAllocations(t *testing.T) {
	if raceEnabled {
		t.Skip("allocation counts under the race detector are not the build's")
	}
	now := time.Now()
	tok := mint(t, []byte(oktoSecret), "", claims(now, "https://hs.bench.example",
		map[string]any{"sub": "bench-user", "permissions": []string{"reports:read:tenant"}}))
	srv := benchServer(t, false)
	verifier, err := core.NewVerifier(srv.cur.Load().policy, core.Config{})
	require.NoError(t, err)
	coreAllocs := testing.AllocsPerRun(100, func() {
		require.True(t, verifier.Verify(context.Background(), core.Request{Token: tok, Now: now}).Valid)
	})
	h := srv.Handler()
	r := httptest.NewRequest(http.MethodGet, "/v1/authz/reports/q3", nil)
	r.Header.Set("Authorization", "Bearer "+tok)
	handlerAllocs := testing.AllocsPerRun(100, func() {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		require.Equal(t, http.StatusOK, w.Code, w.Body.String())
	})
	t.Logf("core %.0f, handler %.0f allocations", coreAllocs, handlerAllocs)
	require.LessOrEqual(t, handlerAllocs-coreAllocs, 45.0)
}

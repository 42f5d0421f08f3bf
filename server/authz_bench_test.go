package server

import (
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// authzClients is how many clients per GOMAXPROCS send requests at once:
// enough to keep the server busy while others wait on the loopback.
const authzClients = 8

// BenchmarkAuthz is jwtgate serve's /v1/authz over loopback HTTP, the
// real server (Run on a real listener) with the load test's
// configuration, in the shape BenchmarkAuthz/ALG/TOKENS/cache-on|off:
//
//	ALG      HS256 or RS256
//	TOKENS   repeated: one token, again and again (an nginx auth_request
//	         behind a single-page app); rotating: 1,000 tokens (each its
//	         own jti) in turn, as many users' would be
//	cache    service.decision_cache on (the default) or off; or
//	         baseline: the same requests to a plain net/http handler
//	         verifying with golang-jwt (baselineServer), the yardstick
//
// It reports req/s; ns/op is the wall time per request over all clients.
func BenchmarkAuthz(b *testing.B) {
	dir := b.TempDir()
	bases := map[string]string{}
	for name, service := range map[string]string{"on": "", "off": "  decision_cache: {enabled: false}\n"} {
		sub := filepath.Join(dir, name)
		require.NoError(b, os.MkdirAll(sub, 0o700))
		bases[name] = serveLoopback(b, Options{ConfigFile: writeLoadConfig(b, sub, service),
			DataDir: filepath.Join(sub, "data"), Logger: slog.New(slog.NewJSONHandler(io.Discard, nil))})
	}
	bases["baseline"] = baselineServer(b, &rsaKey(b, 0).PublicKey)
	now := time.Now()
	mintN := func(key any, kid, iss string, n int) []string {
		out := make([]string, n)
		for i := range out {
			out[i] = mint(b, key, kid, claims(now, iss, map[string]any{"sub": "load-user", "jti": fmt.Sprintf("load-%d", i),
				"permissions": []string{"reports:read:tenant"}, "exp": now.Add(2 * time.Hour).Unix()}))
		}
		return out
	}
	tokens := []struct {
		alg  string
		toks []string
	}{
		{"HS256", mintN([]byte(oktoSecret), "", "https://hs.load.example", 1000)},
		{"RS256", mintN(rsaKey(b, 0), "load-rs", "https://rs.load.example", 1000)},
	}
	conns := 2 * authzClients * runtime.GOMAXPROCS(0)
	client := &http.Client{Transport: &http.Transport{MaxIdleConns: conns, MaxIdleConnsPerHost: conns, IdleConnTimeout: time.Minute}}
	b.Cleanup(client.CloseIdleConnections)
	for _, tc := range tokens {
		for _, mode := range []struct {
			name string
			toks []string
		}{{"repeated", tc.toks[:1]}, {"rotating", tc.toks}} {
			for _, cache := range []string{"on", "off", "baseline"} {
				name := tc.alg + "/" + mode.name + "/cache-" + cache
				if cache == "baseline" {
					name = tc.alg + "/" + mode.name + "/baseline"
				}
				b.Run(name, func(b *testing.B) {
					benchAuthz(b, client, bases[cache]+"/v1/authz/reports/q3", mode.toks)
				})
			}
		}
	}
}

// benchAuthz sends b.N requests, the tokens in turn, from authzClients
// clients per GOMAXPROCS; every answer must be a 200.
func benchAuthz(b *testing.B, client *http.Client, url string, toks []string) {
	var next atomic.Uint64
	var failed atomic.Int64
	var firstErr atomic.Value
	b.SetParallelism(authzClients)
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			req, _ := http.NewRequest(http.MethodGet, url, nil)
			req.Header.Set("Authorization", "Bearer "+toks[next.Add(1)%uint64(len(toks))])
			resp, err := client.Do(req)
			if err == nil {
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != http.StatusOK {
					err = fmt.Errorf("status %d", resp.StatusCode)
				}
			}
			if err != nil {
				failed.Add(1)
				firstErr.CompareAndSwap(nil, err)
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "req/s")
	if n := failed.Load(); n > 0 {
		b.Fatalf("%d of %d requests failed, the first: %v", n, b.N, firstErr.Load())
	}
}

package server

import (
	"context"
	"crypto/rsa"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestLoad is the load test of /v1/verify and /v1/authz with HS256 and
// RS256 tokens, over loopback HTTP against the real server (Run on a real
// listener), with the native engine, and of /v1/verify with the wasm
// engine (the policy plugin in wazero, as serve --engine wasm runs it). It runs only with JWTGATE_LOAD=1 (make loadtest): each
// scenario runs for JWTGATE_LOAD_DURATION (default 10s) with
// JWTGATE_LOAD_WORKERS concurrent clients (default 16). It reports
// requests per second, p50 and p99 latency, errors (which must be zero)
// and the heap in use after the run.
func TestLoad(t *testing.T) {
	if os.Getenv("JWTGATE_LOAD") != "1" {
		t.Skip("the load test runs only with JWTGATE_LOAD=1 (make loadtest)")
	}
	duration := 10 * time.Second
	if d, err := time.ParseDuration(os.Getenv("JWTGATE_LOAD_DURATION")); err == nil && d > 0 {
		duration = d
	}
	workers := 16
	if n, err := fmt.Sscan(os.Getenv("JWTGATE_LOAD_WORKERS"), &workers); n != 1 || err != nil || workers < 1 {
		workers = 16
	}

	dir := t.TempDir()
	config := writeLoadConfig(t, dir, "")
	// One server per engine, on one store (the wasm one as serve --engine
	// wasm runs it: the module built from the source tree). Logs as in production (JSON,
	// one line per decision), to nowhere.
	start := func(engine string, factory EngineFactory) string {
		return serveLoopback(t, Options{ConfigFile: config, DataDir: filepath.Join(dir, "data"),
			Logger: slog.New(slog.NewJSONHandler(io.Discard, nil)), NewEngine: factory})
	}
	// Started when their first scenario comes, so that the heap figures of
	// the native scenarios do not include the plugin's instances.
	factories := map[string]func() EngineFactory{"native": func() EngineFactory { return nil }, "wasm": func() EngineFactory { return wasmFactory(t) }}
	bases := map[string]string{}

	now := time.Now()
	extra := map[string]any{"sub": "load-user", "permissions": []string{"reports:read:tenant"}, "exp": now.Add(2 * time.Hour).Unix()}
	hs := mint(t, []byte(oktoSecret), "", claims(now, "https://hs.load.example", extra))
	rs := mint(t, rsaKey(t, 0), "load-rs", claims(now, "https://rs.load.example", extra))

	client := &http.Client{Transport: &http.Transport{MaxIdleConns: workers * 2, MaxIdleConnsPerHost: workers * 2, IdleConnTimeout: time.Minute}}
	type scenario struct {
		name, engine, method, path, token string
		header                            [2]string
	}
	scenarios := []scenario{
		{"verify HS256", "native", http.MethodPost, "/v1/verify", hs, [2]string{}},
		{"verify RS256", "native", http.MethodPost, "/v1/verify", rs, [2]string{}},
		{"authz  HS256", "native", http.MethodGet, "/v1/authz/reports/q3", hs, [2]string{}},
		{"authz  RS256", "native", http.MethodGet, "/v1/authz/reports/q3", rs, [2]string{}},
		{"verify HS256", "wasm", http.MethodPost, "/v1/verify", hs, [2]string{}},
		{"verify RS256", "wasm", http.MethodPost, "/v1/verify", rs, [2]string{}},
	}
	var table strings.Builder
	fmt.Fprintf(&table, "\n%d workers, %v per scenario, GOMAXPROCS %d, loopback\n", workers, duration, runtime.GOMAXPROCS(0))
	fmt.Fprintf(&table, "%-14s %-7s %10s %10s %10s %10s %8s %12s\n", "scenario", "engine", "requests", "req/s", "p50", "p99", "errors", "heap in use")
	for _, sc := range scenarios {
		base, ok := bases[sc.engine]
		if !ok {
			base = start(sc.engine, factories[sc.engine]())
			bases[sc.engine] = base
		}
		var errs atomic.Int64
		lat := make([][]time.Duration, workers)
		var wg sync.WaitGroup
		deadline := time.Now().Add(duration)
		start := time.Now()
		for w := 0; w < workers; w++ {
			wg.Go(func() {
				local := make([]time.Duration, 0, 1<<16)
				for time.Now().Before(deadline) {
					req, _ := http.NewRequest(sc.method, base+sc.path, nil)
					req.Header.Set("Authorization", "Bearer "+sc.token)
					if sc.header[0] != "" {
						req.Header.Set(sc.header[0], sc.header[1])
					}
					began := time.Now()
					resp, err := client.Do(req)
					if err != nil {
						errs.Add(1)
						continue
					}
					io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					local = append(local, time.Since(began))
					if resp.StatusCode != http.StatusOK {
						errs.Add(1)
					}
				}
				lat[w] = local
			})
		}
		wg.Wait()
		elapsed := time.Since(start)
		all := slices.Concat(lat...)
		slices.Sort(all)
		require.NotEmpty(t, all, sc.name, sc.engine)
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		p := func(q float64) time.Duration { return all[min(len(all)-1, int(q*float64(len(all))))] }
		fmt.Fprintf(&table, "%-14s %-7s %10d %10.0f %10s %10s %8d %9.1f MiB\n", sc.name, sc.engine, len(all), float64(len(all))/elapsed.Seconds(),
			p(0.50).Round(time.Microsecond), p(0.99).Round(time.Microsecond), errs.Load(), float64(ms.HeapInuse)/(1<<20))
		require.Zero(t, errs.Load(), "%s %s: errors", sc.name, sc.engine)
	}
	t.Log(table.String())
}

// writeLoadConfig writes the load tests' configuration into dir: an HS256
// and an RS256 integration and a route that needs a permission, and
// service, more of the service section (indented two spaces).
func writeLoadConfig(tb testing.TB, dir, service string) string {
	config := filepath.Join(dir, "load.yaml")
	rsaJWKS := jwksBody(tb, map[string]*rsa.PrivateKey{"load-rs": rsaKey(tb, 0)})
	require.NoError(tb, os.WriteFile(config, []byte(`integrations:
  - name: hs
    tenant: load-hs
    issuer: https://hs.load.example
    algorithms: [HS256]
    keys: [{secret: `+oktoSecret+`}]
    headers: {X-User: sub}
  - name: rs
    tenant: load-rs
    issuer: https://rs.load.example
    algorithms: [RS256]
    keys: [{jwks: '`+rsaJWKS+`'}]
    headers: {X-User: sub}
service:
  routes:
    - {prefix: /reports, methods: [GET], require_permissions: ["reports:read:team"]}
`+service), 0o600))
	return config
}

// serveLoopback runs a server (Run on a real listener, as jwtgate serve
// does) until the test ends and returns its base URL.
func serveLoopback(tb testing.TB, opts Options) string {
	srv, err := New(context.Background(), opts)
	require.NoError(tb, err)
	tb.Cleanup(func() { srv.Close() })
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(tb, err)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Run(ctx, ln) }()
	tb.Cleanup(func() {
		cancel()
		require.NoError(tb, <-done)
	})
	return "http://" + ln.Addr().String()
}

package proxytest_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/jwtgate/jwtgate/core"
	"github.com/jwtgate/jwtgate/internal/testcorpus"
)

// BenchmarkFilter measures whole requests through the test host: context
// create, proxy_on_request_headers (read the headers, verify, add the
// identity headers, remove Authorization), done, log, delete.
// "skip" is the same request on a path the filter does not verify: what
// the filter costs around the verification. Compare with BenchmarkNative:
//
//	go test -run '^$' -bench . -benchtime 2000x ./examples/proxy-wasm/proxytest/
func BenchmarkFilter(b *testing.B) {
	clk := newClock(testcorpus.Now)
	vm := newVM(b, newHost(b, clk), pluginConfig(testPolicy(), map[string]any{"skip": []string{"/healthz"}}))
	now := clk.now()
	for _, bc := range []struct {
		name, path, token string
	}{
		{"HS256", "/api", hsToken(now, nil)},
		{"RS256", "/api", rsToken(now, "rs-1")},
		{"skip", "/healthz", hsToken(now, nil)},
	} {
		headers := request(bc.path, "Bearer "+bc.token, [2]string{"user-agent", "bench"}, [2]string{"accept", "*/*"})
		b.Run(bc.name, func(b *testing.B) {
			for b.Loop() {
				s, err := vm.Request(context.Background(), headers)
				require.False(b, err != nil || !s.Continued())
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "decisions/s")
		})
	}
}

// BenchmarkNative is core.Verify on the same tokens, natively.
func BenchmarkNative(b *testing.B) {
	p, err := core.ParsePolicy("policy", []byte(testPolicy()), core.LoadOptions{})
	require.NoError(b, err)
	v, err := core.NewVerifier(p, core.Config{Replay: core.NewMemoryReplayStore(0)})
	require.NoError(b, err)
	now := testcorpus.Now
	for _, bc := range []struct{ name, token string }{{"HS256", hsToken(now, nil)}, {"RS256", rsToken(now, "rs-1")}} {
		b.Run(bc.name, func(b *testing.B) {
			for b.Loop() {
				if d := v.Verify(context.Background(), core.Request{Token: bc.token, Now: now}); !d.Valid {
					b.Fatal(d.Reason)
				}
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "decisions/s")
		})
	}
}

// TestModuleSize reports the filter's size, raw and gzipped.
func TestModuleSize(t *testing.T) {
	m := filterModule(t)
	var z bytes.Buffer
	w, _ := gzip.NewWriterLevel(&z, gzip.BestCompression)
	w.Write(m)
	w.Close()
	t.Logf("filter module: %d bytes (%.2f MiB), gzip -9 %d bytes (%.2f MiB)", len(m), float64(len(m))/(1<<20), z.Len(), float64(z.Len())/(1<<20))
	assert.LessOrEqual(t, len(m), 32<<20, "the module's size")
}

package host

import (
	"bytes"
	"compress/gzip"
	"context"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tetratelabs/wazero"

	"github.com/jwtgate/jwtgate/core"
	"github.com/jwtgate/jwtgate/internal/jwttest"
	"github.com/jwtgate/jwtgate/internal/testcorpus"
	"github.com/jwtgate/jwtgate/internal/wasmtest"
)

// The benchmarks put the plugin beside the native core in the same run:
//
//	BenchmarkVerify/native/ALG           core.Verifier.Verify
//	BenchmarkVerify/native-json/ALG      the same and Decision.JSON
//	BenchmarkVerify/wasm/ALG             Host.decide (default options: no deadline)
//	BenchmarkVerify/wasm-json/ALG        Host.Call, no decoding on the host
//	BenchmarkVerify/wasm-deadline/ALG    Host.decide with CallTimeout: 1s
//	BenchmarkCompile/cold, /cached       wazero compilation, empty and warm disk cache
//	BenchmarkInstanceStart               instantiate + _initialize + load the policy
//	BenchmarkModuleSize                  raw and gzip bytes of the module
//	BenchmarkPluginEngines               resident memory of a plugin's first engine and of each further one

// benchPolicy and benchTokens mirror core's own benchmarks: one
// integration per algorithm, the same claims.
func benchTokens() (policy []byte, toks []struct{ alg, token string }) {
	k := jwttest.Keys()
	extra := map[string]any{
		"name": "John Doe", "roles": []string{"user"}, "groups": nil,
		"jti": "token-unique-id",
	}
	hs := []byte(testcorpus.HSSecret)
	toks = []struct{ alg, token string }{
		{"HS256", jwttest.Sign("HS256", hs, nil, testcorpus.Claims(testcorpus.IssPerm, nil))},
		{"RS256", jwttest.Sign("RS256", k.RSA, map[string]any{"kid": "rs-1"}, testcorpus.Claims(testcorpus.IssRS, extra))},
		{"ES256", jwttest.Sign("ES256", k.EC, map[string]any{"kid": "es-1"}, testcorpus.Claims(testcorpus.IssES, extra))},
		{"EdDSA", jwttest.Sign("EdDSA", k.Ed25519, map[string]any{"kid": "ed-1"}, testcorpus.Claims(testcorpus.IssEd, extra))},
	}
	// The HS256 case uses the plain hs integration (its required claims and
	// headers); re-sign it for that issuer.
	toks[0].token = jwttest.Sign("HS256", hs, nil, testcorpus.Claims(testcorpus.IssHS, extra))
	return testcorpus.Policy(), toks
}

// loop runs f b.N times and reports CPU ns/op.
func loop(b *testing.B, f func()) {
	b.ReportAllocs()
	c0 := time.Duration(0)
	first := true
	for b.Loop() {
		if first {
			c0, first = cpuTime(), false
		}
		f()
	}
	b.ReportMetric(float64(cpuTime()-c0)/float64(b.N), "cpu-ns/op")
}

func BenchmarkVerify(b *testing.B) {
	policy, toks := benchTokens()
	native := nativeVerifier(b, policy)
	module := guestModule(b)
	h := mustLoad(b, module, policy, Options{PoolSize: 1})
	hDeadline := mustLoad(b, module, policy, Options{PoolSize: 1, CallTimeout: time.Second})
	ctx := context.Background()
	for _, tc := range toks {
		req := core.Request{Token: tc.token, Now: testcorpus.Now}
		if d := native.Verify(ctx, req); !d.Valid {
			b.Fatalf("%s: benchmark token refused: %s", tc.alg, d.Reason)
		}
		b.Run("native/"+tc.alg, func(b *testing.B) {
			loop(b, func() { native.Verify(ctx, req) })
		})
		b.Run("native-json/"+tc.alg, func(b *testing.B) {
			loop(b, func() { native.Verify(ctx, req).JSON() })
		})
		b.Run("wasm/"+tc.alg, func(b *testing.B) {
			loop(b, func() {
				if _, err := h.decide(ctx, req); err != nil {
					b.Fatal(err)
				}
			})
		})
		b.Run("wasm-json/"+tc.alg, func(b *testing.B) {
			loop(b, func() {
				if _, err := h.Call(ctx, req); err != nil {
					b.Fatal(err)
				}
			})
		})
		b.Run("wasm-deadline/"+tc.alg, func(b *testing.B) {
			loop(b, func() {
				if _, err := hDeadline.decide(ctx, req); err != nil {
					b.Fatal(err)
				}
			})
		})
	}
}

// BenchmarkVerifyParallel is the pool under load: GOMAXPROCS instances.
func BenchmarkVerifyParallel(b *testing.B) {
	policy, toks := benchTokens()
	h := mustLoad(b, guestModule(b), policy, Options{})
	req := core.Request{Token: toks[1].token, Now: testcorpus.Now}
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := h.decide(context.Background(), req); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func compileOnce(b *testing.B, module []byte, cacheDir string) time.Duration {
	ctx := context.Background()
	cache, err := wazero.NewCompilationCacheWithDir(cacheDir)
	if err != nil {
		b.Fatal(err)
	}
	defer cache.Close(ctx)
	rt := wazero.NewRuntimeWithConfig(ctx, wazero.NewRuntimeConfigCompiler().WithCompilationCache(cache).WithCloseOnContextDone(true))
	defer rt.Close(ctx)
	start := time.Now()
	if _, err := rt.CompileModule(ctx, module); err != nil {
		b.Fatal(err)
	}
	return time.Since(start)
}

// BenchmarkCompile uses a counted loop, not b.Loop, so that it can refuse
// large fixed counts: a cold compilation takes seconds.
func BenchmarkCompile(b *testing.B) {
	module := guestModule(b)
	b.Run("cold", func(b *testing.B) {
		if b.N > 10 {
			b.Skip("a cold compilation takes seconds: run with -benchtime 3x or the default 1s")
		}
		for range b.N {
			compileOnce(b, module, b.TempDir())
		}
	})
	b.Run("cached", func(b *testing.B) {
		if b.N > 100 {
			b.Skip("run with -benchtime 3x or the default 1s")
		}
		dir := b.TempDir()
		b.StopTimer()
		compileOnce(b, module, dir)
		b.StartTimer()
		for range b.N {
			compileOnce(b, module, dir)
		}
	})
}

// BenchmarkInstanceStart measures starting one more instance of a compiled
// module (instantiate, _initialize, ABI check, policy load), and reports
// its linear memory and the host heap it takes.
func BenchmarkInstanceStart(b *testing.B) {
	policy, toks := benchTokens()
	h := mustLoad(b, guestModule(b), policy, Options{})
	ctx := context.Background()
	g := h.cur.Load()
	var ms0, ms1 runtime.MemStats
	var linear uint32
	for b.Loop() {
		in, _, err := h.newInstance(ctx, g.code, "policy", policy)
		if err != nil {
			b.Fatal(err)
		}
		in.close()
	}
	b.StopTimer()
	// Memory of instances kept alive, after a verification each.
	const n = 8
	runtime.GC()
	runtime.ReadMemStats(&ms0)
	var keep []*instance
	for range n {
		in, _, err := h.newInstance(ctx, g.code, "policy", policy)
		if err != nil {
			b.Fatal(err)
		}
		if _, _, err := in.verify(ctx, h, &core.Request{Token: toks[1].token, Now: testcorpus.Now}, false); err != nil {
			b.Fatal(err)
		}
		linear = in.mem.Size()
		keep = append(keep, in)
	}
	runtime.GC()
	runtime.ReadMemStats(&ms1)
	for _, in := range keep {
		in.close()
	}
	b.ReportMetric(float64(linear)/(1<<20), "MiB-linear/instance")
	b.ReportMetric(float64(int64(ms1.HeapAlloc)-int64(ms0.HeapAlloc))/n/(1<<20), "MiB-hostheap/instance")
}

func BenchmarkModuleSize(b *testing.B) {
	module := guestModule(b)
	var z bytes.Buffer
	w, _ := gzip.NewWriterLevel(&z, gzip.BestCompression)
	w.Write(module)
	w.Close()
	for b.Loop() {
	}
	b.ReportMetric(float64(len(module))/(1<<20), "MiB-raw")
	b.ReportMetric(float64(z.Len())/(1<<20), "MiB-gzip")
}

// BenchmarkPluginEngines reports the anonymous resident memory (Linux) of
// the first engine loaded from a plugin and of each further one, which
// shares the first one's runtime and compiled module: jwtgate serve loads
// two a configuration, and a third while a reload overlaps.
func BenchmarkPluginEngines(b *testing.B) {
	path, _ := wasmtest.Module(b, wasmtest.Plugin)
	policy, _ := benchTokens()
	file := filepath.Join(b.TempDir(), "policy.yaml")
	if err := os.WriteFile(file, policy, 0o600); err != nil {
		b.Fatal(err)
	}
	const more = 3
	var first, next float64
	for b.Loop() {
		p, err := OpenPlugin(path, false, Options{PoolSize: 1, CacheDir: compileCache(b)})
		if err != nil {
			b.Fatal(err)
		}
		r0 := rssAnon(b)
		var es []*Engine
		for i := range 1 + more {
			e, err := p.Load(context.Background(), file, policy, core.Config{})
			if err != nil {
				b.Fatal(err)
			}
			es = append(es, e)
			if i == 0 {
				first = rssAnon(b) - r0
			}
		}
		next = (rssAnon(b) - r0 - first) / more
		for _, e := range es {
			e.Close()
		}
	}
	b.ReportMetric(first, "MiB-rss/first-engine")
	b.ReportMetric(next, "MiB-rss/next-engine")
}

// rssAnon is the process's anonymous resident memory in MiB, after the
// garbage is handed back.
func rssAnon(b *testing.B) float64 {
	debug.FreeOSMemory()
	status, err := os.ReadFile("/proc/self/status")
	if err != nil {
		b.Skip("no /proc/self/status: resident memory is measured on Linux")
	}
	for line := range strings.Lines(string(status)) {
		if f := strings.Fields(line); len(f) == 3 && f[0] == "RssAnon:" {
			kb, err := strconv.ParseFloat(f[1], 64)
			if err != nil {
				b.Fatal(err)
			}
			return kb / 1024
		}
	}
	b.Skip("no RssAnon in /proc/self/status")
	return 0
}

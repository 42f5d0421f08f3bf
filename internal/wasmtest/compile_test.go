package wasmtest

import (
	"context"
	"testing"
	"time"

	"github.com/tetratelabs/wazero"

	"github.com/jwtgate/jwtgate/wasm"
)

// compiled are the modules the tests of the other packages compile, each
// with the setting that is part of wazero's cache key: whether the host
// can stop a running guest (host.Options.CallTimeout > 0). A pair missing
// here is still compiled by the test that needs it, under the race
// detector, ten times slower.
var compiled = []struct {
	name      string
	opts      wasm.BuildOptions
	terminate bool
}{
	{"plugin", Plugin, false},                          // host, wasm, the server's --engine wasm
	{"plugin with faults", Faulty, true},               // host's TestFaults (CallTimeout)
	{"plugin with faults, no deadline", Faulty, false}, // host's TestReloadAndSwap (Swap)
	{"proxy-wasm filter", Filter, false},               // examples/proxy-wasm/proxytest
}

// TestCompileModules builds every module the tests run and compiles it
// into CompileCache. `make test` runs it alone, without the race detector,
// before the whole suite.
func TestCompileModules(t *testing.T) {
	dir := CompileCache(t)
	for _, c := range compiled {
		t.Run(c.name, func(t *testing.T) {
			bin := Bytes(t, c.opts)
			ctx := context.Background()
			cache, err := wazero.NewCompilationCacheWithDir(dir)
			if err != nil {
				t.Fatal(err)
			}
			defer cache.Close(ctx)
			rt := wazero.NewRuntimeWithConfig(ctx, wazero.NewRuntimeConfigCompiler().
				WithCompilationCache(cache).WithCloseOnContextDone(c.terminate))
			defer rt.Close(ctx)
			start := time.Now()
			cm, err := rt.CompileModule(ctx, bin)
			if err != nil {
				t.Fatalf("compiling %s: %v", c.name, err)
			}
			if len(cm.ExportedFunctions()) == 0 {
				t.Errorf("%s exports no function", c.name)
			}
			t.Logf("%s: %d bytes, compiled or found in %v", c.name, len(bin), time.Since(start).Round(time.Millisecond))
		})
	}
}

package wasmtest

import (
	"context"
	"runtime"
	"testing"
	"time"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/experimental"

	"github.com/jwtgate/jwtgate/internal/wasmbuild"
)

// Compile builds the module of opts and compiles it into CompileCache as a
// host would that can stop a running guest (terminate) or not: that
// setting is part of wazero's cache key (host.Options.CallTimeout > 0
// sets it). It uses every core: it runs before the tests, alone.
func Compile(t *testing.T, opts wasmbuild.BuildOptions, terminate bool) {
	t.Helper()
	bin := Bytes(t, opts)
	ctx := experimental.WithCompilationWorkers(context.Background(), runtime.GOMAXPROCS(0))
	cache, err := wazero.NewCompilationCacheWithDir(CompileCache(t))
	if err != nil {
		t.Fatal(err)
	}
	defer cache.Close(ctx)
	rt := wazero.NewRuntimeWithConfig(ctx, wazero.NewRuntimeConfigCompiler().
		WithCompilationCache(cache).WithCloseOnContextDone(terminate))
	defer rt.Close(ctx)
	start := time.Now()
	cm, err := rt.CompileModule(ctx, bin)
	if err != nil {
		t.Fatalf("compiling the module: %v", err)
	}
	if len(cm.ExportedFunctions()) == 0 {
		t.Error("the module exports no function")
	}
	t.Logf("%d bytes, compiled or found in the cache in %v", len(bin), time.Since(start).Round(time.Millisecond))
}

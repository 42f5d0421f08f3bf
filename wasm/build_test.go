package wasm_test

import (
	"context"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"

	"github.com/jwtgate/jwtgate/internal/wasmbuild"
	"github.com/jwtgate/jwtgate/internal/wasmtest"
	"github.com/jwtgate/jwtgate/wasm/abi"
)

// TestBuildCached: a second build of unchanged sources reuses the first.
func TestBuildCached(t *testing.T) {
	wasmtest.SkipShort(t)
	ctx := context.Background()
	first, err := wasmbuild.Build(ctx, wasmbuild.BuildOptions{})
	require.NoError(t, err)
	start := time.Now()
	second, err := wasmbuild.Build(ctx, wasmbuild.BuildOptions{})
	require.NoError(t, err)
	require.Equal(t, first, second, "unchanged sources are not rebuilt")
	t.Logf("cached build found in %v", time.Since(start))
	faults, err := wasmbuild.Build(ctx, wasmbuild.BuildOptions{Tags: []string{"jwtgate_faults"}})
	require.NoError(t, err)
	assert.NotEqual(t, first, faults, "the fault-injection build has a cache entry of its own")
}

// TestModuleInterface checks the built module against package abi (which
// wasm/abi's tests hold against ABI.md): exactly the ABI's exports, the
// optional ones included, with their signatures, and imports from WASI
// and the ABI's host functions only, with theirs.
func TestModuleInterface(t *testing.T) {
	ctx := context.Background()
	bin := wasmtest.Bytes(t, wasmtest.Plugin)
	// The tests' shared cache: compiled once for every package, not here
	// on every run.
	cache, err := wazero.NewCompilationCacheWithDir(wasmtest.CompileCache(t))
	require.NoError(t, err)
	defer cache.Close(ctx)
	rt := wazero.NewRuntimeWithConfig(ctx, wazero.NewRuntimeConfigCompiler().WithCompilationCache(cache))
	defer rt.Close(ctx)
	cm, err := rt.CompileModule(ctx, bin)
	require.NoError(t, err)
	want := []string{abi.InitializeExport}
	// jwtgate's module has every optional export too.
	for _, f := range append(abi.Exports(), abi.OptionalExports()...) {
		want = append(want, f.Name)
		def, ok := cm.ExportedFunctions()[f.Name]
		if assert.True(t, ok, f.Name) {
			assert.Equal(t, f.Signature(), signature(def, f), f.Name)
		}
	}
	assert.ElementsMatch(t, want, slices.Collect(maps.Keys(cm.ExportedFunctions())))
	assert.Contains(t, cm.ExportedMemories(), abi.MemoryExport)
	var wasi, host []string
	for _, def := range cm.ImportedFunctions() {
		mod, name, _ := def.Import()
		switch mod {
		case abi.HostModule:
			host = append(host, name)
			f, ok := abi.Import(name)
			if assert.True(t, ok, "undocumented host import %s", name) {
				assert.Equal(t, f.Signature(), signature(def, f), name)
			}
		case abi.WASIModule:
			wasi = append(wasi, name)
		default:
			assert.Fail(t, "an import from another module", "%s.%s", mod, name)
		}
	}
	assert.ElementsMatch(t, []string{abi.ImportReplayClaim, abi.ImportKeySet, abi.ImportLog, abi.ImportSigCheck}, host)
	t.Logf("WASI imports (the Go runtime's): %v", wasi)
}

// signature renders a function's types the way abi.Func.Signature does,
// with the names of spec (a module keeps no parameter names).
func signature(def api.FunctionDefinition, f abi.Func) string {
	render := func(types []api.ValueType, named []abi.Value) []abi.Value {
		out := make([]abi.Value, len(types))
		for i, t := range types {
			out[i].Type = abi.ValueType(t)
			if i < len(named) {
				out[i].Name = named[i].Name
			}
		}
		return out
	}
	return abi.Func{Params: render(def.ParamTypes(), f.Params), Results: render(def.ResultTypes(), f.Results)}.Signature()
}

// TestGuestVetsForWasip1 vets the guest as it is built, with the fault
// hooks, for the wasip1 target (go vet ./... sees only its native half).
func TestGuestVetsForWasip1(t *testing.T) {
	if testing.Short() {
		t.Skip("runs go vet")
	}
	for _, tags := range []string{"", "jwtgate_faults"} {
		args := []string{"vet"}
		if tags != "" {
			args = append(args, "-tags", tags)
		}
		args = append(args, "./guest")
		out, err := command(t, args...)
		assert.NoError(t, err, "go %s:\n%s", strings.Join(args, " "), out)
	}
}

func command(t *testing.T, args ...string) ([]byte, error) {
	t.Helper()
	cmd := exec.Command("go", args...)
	cmd.Env = append(os.Environ(), "GOOS=wasip1", "GOARCH=wasm")
	cmd.Dir, _ = filepath.Abs(".")
	return cmd.CombinedOutput()
}

// TestBuildOnceAcrossProcesses: test binaries of two packages that ask for
// the same module at once share one build of it: the second waits for the
// first, then finds its output.
func TestBuildOnceAcrossProcesses(t *testing.T) {
	wasmtest.SkipShort(t)
	if runtime.GOOS == "windows" || runtime.GOOS == "plan9" {
		t.Skip("no flock here: both processes may build")
	}
	goPath, err := exec.LookPath("go")
	require.NoError(t, err)
	dir := t.TempDir()
	// A go command that logs each build and takes its time over it, so that
	// the second process asks while the first is building.
	log := filepath.Join(dir, "builds.log")
	fakeGo := filepath.Join(dir, "go")
	script := "#!/bin/sh\nif [ \"$1\" = build ]; then echo build >> '" + log + "'; sleep 2; fi\nexec '" + goPath + "' \"$@\"\n"
	require.NoError(t, os.WriteFile(fakeGo, []byte(script), 0o755))

	exe, err := os.Executable()
	require.NoError(t, err)
	var cmds []*exec.Cmd
	var outs []*strings.Builder
	for range 2 {
		cmd := exec.Command(exe, "-test.run=^TestBuildChild$", "-test.count=1", "-test.v")
		cmd.Env = append(os.Environ(), "JWTGATE_BUILD_CHILD="+filepath.Join(dir, "cache"), "JWTGATE_BUILD_GO="+fakeGo)
		out := &strings.Builder{}
		cmd.Stdout, cmd.Stderr = out, out
		require.NoError(t, cmd.Start())
		cmds, outs = append(cmds, cmd), append(outs, out)
	}
	var paths []string
	for i, cmd := range cmds {
		require.NoError(t, cmd.Wait(), outs[i].String())
		_, rest, ok := strings.Cut(outs[i].String(), "built: ")
		require.True(t, ok, outs[i].String())
		paths = append(paths, strings.Fields(rest)[0])
	}
	assert.Equal(t, paths[0], paths[1])
	builds, err := os.ReadFile(log)
	require.NoError(t, err)
	assert.Equal(t, 1, strings.Count(string(builds), "build"), "go build runs")
}

// TestBuildChild is TestBuildOnceAcrossProcesses's other process.
func TestBuildChild(t *testing.T) {
	cache := os.Getenv("JWTGATE_BUILD_CHILD")
	if cache == "" {
		t.Skip("run by TestBuildOnceAcrossProcesses")
	}
	path, err := wasmbuild.Build(context.Background(), wasmbuild.BuildOptions{
		Package: "github.com/jwtgate/jwtgate/wasm/testdata/tiny", CacheDir: cache, Go: os.Getenv("JWTGATE_BUILD_GO"),
	})
	require.NoError(t, err)
	t.Logf("built: %s", path)
}

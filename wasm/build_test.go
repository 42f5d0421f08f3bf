package wasm_test

import (
	"context"
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

	"github.com/jwtgate/jwtgate/internal/wasmbuild"
	"github.com/jwtgate/jwtgate/internal/wasmtest"
)

// TestBuildCached: a second build of unchanged sources reuses the first.
func TestBuildCached(t *testing.T) {
	wasmtest.SkipShort(t)
	ctx := context.Background()
	first, err := wasmbuild.Build(ctx, wasmbuild.BuildOptions{})
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	second, err := wasmbuild.Build(ctx, wasmbuild.BuildOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if first != second {
		t.Fatalf("rebuilt unchanged sources: %s, then %s", first, second)
	}
	t.Logf("cached build found in %v", time.Since(start))
	faults, err := wasmbuild.Build(ctx, wasmbuild.BuildOptions{Tags: []string{"jwtgate_faults"}})
	if err != nil {
		t.Fatal(err)
	}
	if faults == first {
		t.Fatal("the fault-injection build shares the real module's cache entry")
	}
}

// TestModuleInterface checks the built module against ABI.md: exactly the
// documented exports, and imports from WASI and the documented host
// functions only.
func TestModuleInterface(t *testing.T) {
	ctx := context.Background()
	bin := wasmtest.Bytes(t, wasmtest.Plugin)
	// The tests' shared cache: compiled once for every package, not here
	// on every run.
	cache, err := wazero.NewCompilationCacheWithDir(wasmtest.CompileCache(t))
	if err != nil {
		t.Fatal(err)
	}
	defer cache.Close(ctx)
	rt := wazero.NewRuntimeWithConfig(ctx, wazero.NewRuntimeConfigCompiler().WithCompilationCache(cache))
	defer rt.Close(ctx)
	cm, err := rt.CompileModule(ctx, bin)
	if err != nil {
		t.Fatal(err)
	}
	var exports []string
	for name := range cm.ExportedFunctions() {
		exports = append(exports, name)
	}
	slices.Sort(exports)
	want := []string{"_initialize", "jwtgate_abi_version", "jwtgate_alloc", "jwtgate_free", "jwtgate_load", "jwtgate_result", "jwtgate_verify"}
	if !slices.Equal(exports, want) {
		t.Errorf("exports %v, want %v", exports, want)
	}
	if _, ok := cm.ExportedMemories()["memory"]; !ok {
		t.Error("no exported memory")
	}
	doc, err := os.ReadFile("ABI.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range want[1:] {
		if !strings.Contains(string(doc), "`"+name+"`") {
			t.Errorf("ABI.md does not document %s", name)
		}
	}
	var wasi []string
	for _, def := range cm.ImportedFunctions() {
		mod, name, _ := def.Import()
		switch mod {
		case "jwtgate_host":
			if name != "replay_claim" && name != "log" {
				t.Errorf("undocumented host import %s", name)
			}
		case "wasi_snapshot_preview1":
			wasi = append(wasi, name)
		default:
			t.Errorf("import from %s.%s", mod, name)
		}
	}
	t.Logf("WASI imports (the Go runtime's): %v", wasi)
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
		if err != nil {
			t.Errorf("go %s: %v\n%s", strings.Join(args, " "), err, out)
		}
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

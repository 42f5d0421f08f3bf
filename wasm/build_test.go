package wasm_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tetratelabs/wazero"

	"github.com/jwtgate/jwtgate/internal/wasmbuild"
)

// TestBuildCached: a second build of unchanged sources reuses the first.
func TestBuildCached(t *testing.T) {
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
	path, err := wasmbuild.Build(ctx, wasmbuild.BuildOptions{})
	if err != nil {
		t.Fatal(err)
	}
	bin, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	rt := wazero.NewRuntime(ctx)
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

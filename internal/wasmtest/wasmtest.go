// Package wasmtest gives tests the wasm modules of the source tree, each
// built once per source change (wasmbuild.Build's cache, shared by every
// process) and compiled by wazero once, into CompileCache, the compilation
// cache that every package's tests share. Under the race detector wazero
// compiles the plugin ten times slower (about 50 s instead of 5 s on the
// project's machine), so `make test` fills the cache first without it
// (TestCompileModules here and in ./clicache, for the CLI's entries) and
// the race run finds every module compiled.
//
// A test that asks for a module is skipped with -short (`make test-short`).
package wasmtest

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jwtgate/jwtgate/internal/wasmbuild"
)

// Module options of the modules the tests run.
var (
	// Plugin is the policy plugin (wasm/guest).
	Plugin = wasmbuild.BuildOptions{}
	// Faulty is the plugin with the fault-injection hooks.
	Faulty = wasmbuild.BuildOptions{Tags: []string{"jwtgate_faults"}}
	// Filter is the proxy-wasm example's filter.
	Filter = wasmbuild.BuildOptions{Package: "github.com/jwtgate/jwtgate/examples/proxy-wasm/filter"}
)

type built struct {
	path string
	data []byte
	err  error
}

var (
	mu     sync.Mutex
	builds = map[string]*built{}
)

// SkipShort skips the test with -short: it needs a wasm module.
func SkipShort(t testing.TB) {
	t.Helper()
	if testing.Short() {
		t.Skip("-short: builds and runs a wasm module")
	}
}

// Module returns the path and the bytes of the module built with opts,
// built (or found in the cache) once per test binary. It skips the test
// with -short.
func Module(t testing.TB, opts wasmbuild.BuildOptions) (path string, data []byte) {
	t.Helper()
	SkipShort(t)
	key := strings.Join([]string{opts.GOOS, opts.Package, strings.Join(opts.Tags, ","), opts.LDFlags, opts.CacheDir}, "\x00")
	mu.Lock()
	b, ok := builds[key]
	if !ok {
		b = &built{}
		b.path, b.err = wasmbuild.Build(context.Background(), opts)
		if b.err == nil {
			b.data, b.err = os.ReadFile(b.path)
		}
		builds[key] = b
	}
	mu.Unlock()
	if b.err != nil {
		t.Fatalf("building the wasm module: %v", b.err)
	}
	return b.path, b.data
}

// Bytes is Module's bytes.
func Bytes(t testing.TB, opts wasmbuild.BuildOptions) []byte {
	t.Helper()
	_, data := Module(t, opts)
	return data
}

var pruneOnce sync.Once

// CompileCache is the wazero compilation cache of the tests:
// os.UserCacheDir()/jwtgate/wazero, the folder jwtgate --engine wasm
// uses, so that the tests of the CLI and the server, which go through it,
// share the tests' compiled code. wazero keeps the code of each of its
// versions in a subfolder; test binaries of non-main packages run as
// version "dev", whose entries only tests write; those written more than
// three days ago are removed here (wazero never evicts, and every change
// to the core adds some 35 MB per module; one still in use is compiled
// again).
func CompileCache(t testing.TB) string {
	t.Helper()
	base, err := os.UserCacheDir()
	if err != nil {
		base = os.TempDir()
	}
	dir := filepath.Join(base, "jwtgate", "wazero")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	pruneOnce.Do(func() {
		dev, _ := filepath.Glob(filepath.Join(dir, "wazero-dev-*"))
		for _, d := range dev {
			prune(d, 3*24*time.Hour)
		}
	})
	return dir
}

// prune removes the files of dir older than age.
func prune(dir string, age time.Duration) {
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if fi, err := e.Info(); err == nil && fi.Mode().IsRegular() && time.Since(fi.ModTime()) > age {
			os.Remove(filepath.Join(dir, e.Name()))
		}
	}
}

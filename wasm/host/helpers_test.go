package host

import (
	"context"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/jwtgate/jwtgate/internal/wasmbuild"
)

// The module is built by the tests themselves (wasmbuild.Build caches it by a
// hash of its sources), and wazero's compiled code is cached on disk too,
// so only the first run after a change pays for either.

type built struct {
	once sync.Once
	data []byte
	path string
	err  error
}

var guest, faulty built

func (b *built) get(t testing.TB, opts wasmbuild.BuildOptions) []byte {
	t.Helper()
	b.once.Do(func() {
		b.path, b.err = wasmbuild.Build(context.Background(), opts)
		if b.err == nil {
			b.data, b.err = os.ReadFile(b.path)
		}
	})
	if b.err != nil {
		t.Fatalf("building the module: %v", b.err)
	}
	return b.data
}

// guestModule is the real plugin.
func guestModule(t testing.TB) []byte { return guest.get(t, wasmbuild.BuildOptions{}) }

// faultyModule is the plugin built with the fault-injection hooks.
func faultyModule(t testing.TB) []byte {
	return faulty.get(t, wasmbuild.BuildOptions{Tags: []string{"jwtgate_faults"}})
}

// compileCache is the shared on-disk wazero cache of the tests.
func compileCache(t testing.TB) string {
	base, err := os.UserCacheDir()
	if err != nil {
		base = os.TempDir()
	}
	dir := filepath.Join(base, "jwtgate", "wazero-test")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	pruneOnce.Do(func() { pruneCache(dir, 3*24*time.Hour) })
	return dir
}

var pruneOnce sync.Once

// pruneCache removes compiled code older than age: wazero never evicts, and
// every change to the core or the guest adds an entry of some 35 MB.
func pruneCache(dir string, age time.Duration) {
	filepath.WalkDir(dir, func(path string, e os.DirEntry, err error) error {
		if err != nil || e.IsDir() {
			return nil
		}
		if fi, err := e.Info(); err == nil && time.Since(fi.ModTime()) > age {
			os.Remove(path)
		}
		return nil
	})
}

func mustLoad(t testing.TB, module, policy []byte, opts Options) *Host {
	t.Helper()
	if opts.CacheDir == "" {
		opts.CacheDir = compileCache(t)
	}
	h, err := Load(context.Background(), module, policy, opts)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	t.Cleanup(func() { h.Close(context.Background()) })
	return h
}

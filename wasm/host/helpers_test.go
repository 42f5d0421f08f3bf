package host

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/jwtgate/jwtgate/internal/wasmtest"
)

// The modules are built by the tests themselves (wasm.Build caches them by
// a hash of their sources), and wazero's compiled code is cached on disk
// too, in the folder every package's tests share (wasmtest), so only the
// first run after a change pays for either.

// guestModule is the real plugin.
func guestModule(t testing.TB) []byte { return wasmtest.Bytes(t, wasmtest.Plugin) }

// faultyModule is the plugin built with the fault-injection hooks.
func faultyModule(t testing.TB) []byte { return wasmtest.Bytes(t, wasmtest.Faulty) }

// compileCache is the shared on-disk wazero cache of the tests.
func compileCache(t testing.TB) string { return wasmtest.CompileCache(t) }

func mustLoad(t testing.TB, module, policy []byte, opts Options) *Host {
	t.Helper()
	if opts.CacheDir == "" {
		opts.CacheDir = compileCache(t)
	}
	h, err := Load(context.Background(), module, policy, opts)
	require.NoError(t, err, "Load")
	t.Cleanup(func() { h.Close(context.Background()) })
	return h
}

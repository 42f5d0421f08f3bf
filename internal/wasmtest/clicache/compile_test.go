package main

import (
	"github.com/stretchr/testify/require"
	"runtime/debug"
	"testing"

	"github.com/jwtgate/jwtgate/internal/wasmtest"
)

// TestCompileModules compiles the plugin as the CLI's tests and jwtgate
// --engine wasm do: as the default module, and as a --module file, which
// runs under a call deadline (host.CustomCallTimeout). `make test`
// runs it alone, without the race detector, before the whole suite.
func TestCompileModules(t *testing.T) {
	// Without wazero's version in the build information the entries would
	// be "dev" ones, which the CLI never reads.
	v := wazeroVersion()
	require.NotEmpty(t, v, "this test binary does not know wazero's version (%q): it would fill the wrong entries", v)
	require.NotEqual(t, "(devel)", v, "this test binary does not know wazero's version (%q): it would fill the wrong entries", v)
	t.Run("plugin", func(t *testing.T) { wasmtest.Compile(t, wasmtest.Plugin, false) })
	t.Run("plugin as --module", func(t *testing.T) { wasmtest.Compile(t, wasmtest.Plugin, true) })
}

func wazeroVersion() string {
	info, _ := debug.ReadBuildInfo()
	if info == nil {
		return ""
	}
	for _, d := range info.Deps {
		if d.Path == "github.com/tetratelabs/wazero" {
			return d.Version
		}
	}
	return ""
}

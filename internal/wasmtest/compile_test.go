package wasmtest

import (
	"testing"

	"github.com/jwtgate/jwtgate/internal/wasmbuild"
)

// TestCompileModules builds every module the tests of the library
// packages run and compiles it into CompileCache, with the setting each
// compiles it with. `make test` runs it alone, without the race detector,
// before the whole suite (a pair missing here is compiled by the test that
// needs it, ten times slower). The CLI's tests compile as another wazero
// version: ./clicache fills their entries.
func TestCompileModules(t *testing.T) {
	for _, c := range []struct {
		name      string
		opts      wasmbuild.BuildOptions
		terminate bool
	}{
		{"plugin", Plugin, false},                          // host, wasm, the server's --engine wasm
		{"plugin with faults", Faulty, true},               // host's TestFaults (CallTimeout)
		{"plugin with faults, no deadline", Faulty, false}, // host's TestReloadAndSwap (Swap)
		{"proxy-wasm filter", Filter, false},               // examples/proxy-wasm/proxytest
	} {
		t.Run(c.name, func(t *testing.T) { Compile(t, c.opts, c.terminate) })
	}
}

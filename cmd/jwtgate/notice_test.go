package main

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/jwtgate/jwtgate/internal/wasmbuild"
)

// TestVerifyWasmSaysItCompiles: the first --engine wasm run, with a cold
// compilation cache, says on stderr that it compiles the plugin and where
// the compiled code is kept, instead of sitting silent; the decision is
// the native one. Not under the race detector, which makes the cold
// compilation take minutes; TestNotifySlowCompile (engine_test.go) covers the
// notice there.
func TestVerifyWasmSaysItCompiles(t *testing.T) {
	if raceEnabled {
		t.Skip("a cold compilation under the race detector takes minutes; see TestNotifySlowCompile")
	}
	module, err := wasmbuild.Build(context.Background(), wasmbuild.BuildOptions{})
	require.NoError(t, err)
	cache := t.TempDir()
	t.Setenv("XDG_CACHE_HOME", cache) // a first run: nothing compiled yet
	policy, okera := writeTestPolicy(t, t.TempDir(), "")
	tok := token(t, okera, okeraClaims(nil))

	r := runCmd(t, "", "verify", "--config", policy, "--now", nowArg, "--engine", "wasm", "--module", module, tok)
	require.Equal(t, exitOK, r.code, r.stderr)
	assert.Equal(t, "jwtgate: compiling the policy plugin (first run only)…; the compiled code is cached in "+
		filepath.Join(cache, "jwtgate", "wazero")+"\n", r.stderr)
	native := runCmd(t, "", "verify", "--config", policy, "--now", nowArg, tok)
	assert.Equal(t, native.stdout, r.stdout)
}

// withoutNotices drops the lines that say a first wasm run compiles or
// builds the plugin: they depend on the state of the caches, not on the
// command's result.
func withoutNotices(stderr string) string {
	var keep []string
	for _, line := range strings.SplitAfter(stderr, "\n") {
		if !strings.HasPrefix(line, "jwtgate: compiling the policy plugin") && !strings.HasPrefix(line, "jwtgate: building the policy plugin") {
			keep = append(keep, line)
		}
	}
	return strings.Join(keep, "")
}

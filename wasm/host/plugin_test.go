package host

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/jwtgate/jwtgate/core"
	"github.com/jwtgate/jwtgate/internal/jwttest"
	"github.com/jwtgate/jwtgate/internal/testcorpus"
	"github.com/jwtgate/jwtgate/internal/wasmtest"
)

// TestPluginEnginesShareOneRuntime: the engines of one plugin share its
// runtime and one compilation of the module, yet each answers with its own
// services (here its replay store), keeps working when another closes, and
// the runtime closes with the last; a later load makes a new one.
func TestPluginEnginesShareOneRuntime(t *testing.T) {
	path, _ := wasmtest.Module(t, wasmtest.Plugin)
	p, err := OpenPlugin(path, false, Options{CacheDir: compileCache(t)})
	require.NoError(t, err)
	file := filepath.Join(t.TempDir(), "policy.yaml")
	require.NoError(t, os.WriteFile(file, testcorpus.Policy(), 0o600))
	load := func() *Engine {
		e, err := p.Load(context.Background(), file, testcorpus.Policy(), core.Config{Replay: core.NewMemoryReplayStore(0)})
		require.NoError(t, err)
		return e
	}
	once := core.Request{Now: testcorpus.Now, Token: jwttest.Sign("HS256", []byte(testcorpus.HSSecret), nil,
		testcorpus.Claims(testcorpus.IssOnce, map[string]any{"jti": "shared-runtime"}))}
	verify := func(e *Engine) core.Code {
		if d := e.Verify(context.Background(), once); !d.Valid {
			return d.Code
		}
		return "valid"
	}

	a, b := load(), load()
	r := a.h.r
	require.Same(t, r, b.h.r, "one runtime for the plugin's engines")
	r.mu.Lock()
	assert.Len(t, r.codes, 1, "one compilation")
	r.mu.Unlock()

	assert.Equal(t, core.Code("valid"), verify(a), "first use, on a")
	assert.Equal(t, core.CodeTokenReplayed, verify(a), "second use, on a")
	assert.Equal(t, core.Code("valid"), verify(b), "b has a replay store of its own")

	require.NoError(t, a.Close())
	assert.Equal(t, core.CodeTokenReplayed, verify(b), "b serves after a closed")
	require.NoError(t, b.Close())
	assert.True(t, r.closed, "the runtime closes with the last engine")

	c := load()
	defer c.Close()
	assert.NotSame(t, r, c.h.r, "a new runtime after the last one closed")
	assert.Equal(t, core.Code("valid"), verify(c))
}

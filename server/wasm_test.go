package server

import (
	"context"
	"crypto/rsa"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/jwtgate/jwtgate/core"
	"github.com/jwtgate/jwtgate/internal/wasmengine"
	"github.com/jwtgate/jwtgate/internal/wasmtest"
)

var (
	pluginOnce sync.Once
	plugin     *wasmengine.Plugin
	pluginErr  error
)

// wasmFactory is the EngineFactory of serve --engine wasm, with the module
// built from the source tree (once per test binary).
func wasmFactory(t testing.TB) EngineFactory {
	t.Helper()
	wasmtest.SkipShort(t)
	pluginOnce.Do(func() { plugin, pluginErr = wasmengine.Open(context.Background(), "") })
	require.NoError(t, pluginErr)
	return func(ctx context.Context, file string, data []byte, policy *core.Policy, cfg core.Config) (Engine, error) {
		e, err := plugin.Load(ctx, file, data, policy, cfg.Replay)
		if err != nil {
			return nil, err
		}
		return e, nil
	}
}

// TestWasmEngineServesAndReloads: the server on the wasm engine answers
// /v1/verify (200 and 401, one-time tokens through the store), a reload
// swaps the policy in the engine (a removed integration is refused), and a
// configuration the engine cannot serve (jwks_url) is refused at start and
// at reload, the previous one serving on.
func TestWasmEngineServesAndReloads(t *testing.T) {
	dir := t.TempDir()
	config := filepath.Join(dir, "jwtgate.yaml")
	rsaJWKS := jwksBody(t, map[string]*rsa.PrivateKey{"rs-1": rsaKey(t, 0)})
	hsEntry := "  - name: hs\n    issuer: https://hs.example\n    algorithms: [HS256]\n    keys: [{secret_file: hs.secret}]\n    one_time_use: true\n"
	rsEntry := "  - name: rs\n    issuer: https://rs.example\n    algorithms: [RS256]\n    keys: [{jwks: '" + rsaJWKS + "'}]\n"
	service := "service:\n  routes:\n    - {prefix: /reports, require_permissions: [\"reports:read\"]}\n"
	require.NoError(t, os.WriteFile(filepath.Join(dir, "hs.secret"), []byte(oktoSecret+"\n"), 0o600))
	write := func(s string) { require.NoError(t, os.WriteFile(config, []byte(s), 0o600)) }
	write("integrations:\n" + hsEntry + rsEntry + service)

	clk := newClock()
	srv, err := New(context.Background(), Options{ConfigFile: config, DataDir: filepath.Join(dir, "data"),
		Now: clk.Now, NewEngine: wasmFactory(t), WatchInterval: -1})
	require.NoError(t, err)
	t.Cleanup(func() { srv.Close() })
	url := httptestServer(t, srv)
	verify := func(tok string) response {
		t.Helper()
		return send(t, nil, http.MethodPost, url+"/v1/verify", nil, "Authorization", "Bearer "+tok)
	}
	_, isWasm := srv.cur.Load().engine.(*wasmengine.Engine)
	require.True(t, isWasm, "the configuration's engine is the plugin")

	now := clk.Now()
	hs := mint(t, []byte(oktoSecret), "", claims(now, "https://hs.example", map[string]any{"sub": "u-hs", "jti": "once"}))
	rs := mint(t, rsaKey(t, 0), "rs-1", claims(now, "https://rs.example", map[string]any{"sub": "u-rs"}))
	r := verify(hs)
	require.Equal(t, http.StatusOK, r.status, r.body)
	assert.Equal(t, "u-hs", r.json["sub"])
	r = verify(hs)
	assert.Equal(t, http.StatusUnauthorized, r.status)
	assert.Equal(t, string(core.CodeTokenReplayed), r.json["error"], "the jti went to the store")
	r = verify(rs)
	require.Equal(t, http.StatusOK, r.status, r.body)
	assert.Equal(t, "u-rs", r.json["sub"])
	r = verify(mint(t, rsaKey(t, 1), "rs-1", claims(now, "https://rs.example", nil)))
	assert.Equal(t, http.StatusUnauthorized, r.status)
	assert.Equal(t, string(core.CodeInvalidToken), r.json["error"])
	r = verify(mint(t, rsaKey(t, 0), "rs-1", claims(now.Add(-3*time.Hour), "https://rs.example", nil)))
	assert.Equal(t, http.StatusUnauthorized, r.status)
	assert.Equal(t, string(core.CodeTokenExpired), r.json["error"])

	// Reload without rs: the new engine refuses rs tokens.
	write("integrations:\n" + hsEntry + service)
	require.NoError(t, srv.Reload())
	r = verify(rs)
	assert.Equal(t, http.StatusUnauthorized, r.status)
	assert.Equal(t, string(core.CodeConfigurationNotFound), r.json["error"])
	hs2 := mint(t, []byte(oktoSecret), "", claims(now, "https://hs.example", map[string]any{"sub": "u-hs", "jti": "twice"}))
	r = verify(hs2)
	assert.Equal(t, http.StatusOK, r.status, r.body)

	// A jwks_url is refused at reload; the previous configuration serves on.
	write("integrations:\n" + hsEntry + "  - name: remote\n    issuer: https://remote.example\n    algorithms: [RS256]\n    keys: [{jwks_url: https://remote.example/jwks.json}]\n" + service)
	err = srv.Reload()
	require.Error(t, err)
	assert.Contains(t, err.Error(), "keys[0].jwks_url")
	assert.Contains(t, err.Error(), "--engine native")
	r = verify(mint(t, []byte(oktoSecret), "", claims(now, "https://hs.example", map[string]any{"sub": "u-hs", "jti": "thrice"})))
	assert.Equal(t, http.StatusOK, r.status, r.body)

	// And at start.
	_, err = New(context.Background(), Options{ConfigFile: config, DataDir: filepath.Join(dir, "data2"), NewEngine: wasmFactory(t)})
	require.Error(t, err)
	assert.True(t, strings.Contains(err.Error(), "jwks_url"), err.Error())
}

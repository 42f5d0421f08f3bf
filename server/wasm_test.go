package server

import (
	"context"
	"crypto/rsa"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/jwtgate/jwtgate/core"
	"github.com/jwtgate/jwtgate/internal/wasmtest"
	"github.com/jwtgate/jwtgate/wasm/host"
)

var (
	pluginOnce sync.Once
	plugin     *host.Plugin
	pluginErr  error
)

// wasmFactory is the EngineFactory of serve --engine wasm, with the module
// built from the source tree (once per test binary).
func wasmFactory(t testing.TB) EngineFactory {
	t.Helper()
	path, _ := wasmtest.Module(t, wasmtest.Plugin)
	cache := wasmtest.CompileCache(t)
	pluginOnce.Do(func() { plugin, pluginErr = host.OpenPlugin(path, false, host.Options{CacheDir: cache}) })
	require.NoError(t, pluginErr)
	return func(ctx context.Context, file string, data []byte, _ *core.Policy, cfg core.Config) (core.Engine, error) {
		e, err := plugin.Load(ctx, file, data, cfg)
		if err != nil {
			return nil, err
		}
		return e, nil
	}
}

// TestWasmEngineServesAndReloads: the server on the wasm engine answers
// /v1/verify (200 and 401, one-time tokens through the store), a reload
// swaps the policy in the engine (a removed integration is refused), and a
// jwks_url added at reload is served through the server's key fetcher.
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
	cache, cached := srv.cur.Load().engine.(*core.Cache)
	require.True(t, cached, "the decision cache is in front of any engine")
	_, isWasm := cache.Engine().(*host.Engine)
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
	// The plugin's decisions carry their window, so the server's cache
	// answers the repeat; the plugin has no cache of its own beneath it.
	hits := cache.Stats().Hits
	r = verify(rs)
	require.Equal(t, http.StatusOK, r.status, r.body)
	assert.Equal(t, hits+1, cache.Stats().Hits, "the repeated token is a hit of the server's cache")
	_, doubled := cache.Engine().(*host.Engine).Host().CacheStats()
	assert.False(t, doubled, "one cache: the server's")
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

	// A jwks_url at reload: the plugin asks the server's fetcher for it.
	keys := newFakeEndpoint(t, answer(http.StatusOK, jwksBody(t, map[string]*rsa.PrivateKey{"rm-1": rsaKey(t, 1)})))
	write("integrations:\n" + hsEntry + "  - name: remote\n    issuer: https://remote.example\n    algorithms: [RS256]\n    keys: [{jwks_url: " + keys.URL + "/jwks.json}]\n" + service)
	require.NoError(t, srv.Reload())
	r = verify(mint(t, rsaKey(t, 1), "rm-1", claims(now, "https://remote.example", map[string]any{"sub": "u-remote"})))
	require.Equal(t, http.StatusOK, r.status, r.body)
	assert.Equal(t, "u-remote", r.json["sub"])
	assert.Equal(t, int32(1), keys.hits.Load(), "fetched once, then cached")
	r = verify(mint(t, rsaKey(t, 0), "rm-1", claims(now, "https://remote.example", nil)))
	assert.Equal(t, http.StatusUnauthorized, r.status)
	keys.set(answer(http.StatusServiceUnavailable, "down"))
	r = verify(mint(t, rsaKey(t, 1), "rm-1", claims(now, "https://remote.example", map[string]any{"sub": "u-remote"})))
	assert.Equal(t, http.StatusOK, r.status, "the cached set serves while the endpoint is down")
}

// Under the wasm engine a stored integration is served too: the plugin
// reads the configuration's bytes, into which the stored ones it serves
// are merged, and decides as the native core would.
func TestWasmEngineServesStoredIntegrations(t *testing.T) {
	e := newAdminEnv(t, envOptions{engine: wasmFactory(t)})
	e.admin(http.MethodPut, "/v1/admin/tenants/acme/integrations/sso", secretDoc(acmeIssuer, acmeSecret)).expect(t, http.StatusCreated)
	tok := mint(t, []byte(acmeSecret), "", claims(e.clock.Now(), acmeIssuer, map[string]any{"sub": "ada"}))
	v := e.verify(tok).expect(t, http.StatusOK)
	assert.Equal(t, "acme--sso", v.json["integration"])
	expired := mint(t, []byte(acmeSecret), "", claims(e.clock.Now().Add(-time.Hour), acmeIssuer, map[string]any{"sub": "ada"}))
	assert.Equal(t, http.StatusUnauthorized, e.verify(expired).status, "max_age: 10m")
	e.admin(http.MethodDelete, "/v1/admin/tenants/acme/integrations/sso", "").expect(t, http.StatusNoContent)
	assert.Equal(t, http.StatusUnauthorized, e.verify(tok).status)
}

package proxytest_test

import (
	"context"
	"crypto/rsa"
	"encoding/json"
	"math/big"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/jwtgate/jwtgate/examples/proxy-wasm/proxytest"
	"github.com/jwtgate/jwtgate/internal/jwttest"
	"github.com/jwtgate/jwtgate/internal/testcorpus"
)

const jwksURL = "https://idp.example/.well-known/jwks.json"

func jwksPolicy() string {
	return `integrations:
  - name: idp
    tenant: idp-tenant
    issuer: https://idp.example
    algorithms: [RS256]
    keys: [{jwks_url: "` + jwksURL + `"}]
`
}

func jwksDoc(keys map[string]*rsa.PrivateKey) []byte {
	var list []any
	for kid, k := range keys {
		list = append(list, map[string]any{"kty": "RSA", "kid": kid, "alg": "RS256", "use": "sig",
			"n": b64url(k.N.Bytes()), "e": b64url(big.NewInt(int64(k.E)).Bytes())})
	}
	b, _ := json.Marshal(map[string]any{"keys": list})
	return b
}

func idpToken(now time.Time, key *rsa.PrivateKey, kid string) string {
	c := testcorpus.Claims("https://idp.example", map[string]any{"exp": now.Add(time.Hour).Unix(), "iat": now.Add(-time.Minute).Unix()})
	return jwttest.Sign("RS256", key, map[string]any{"kid": kid}, c)
}

func onlyCall(t *testing.T, vm *proxytest.VM) *proxytest.HTTPCall {
	t.Helper()
	calls := vm.PendingCalls()
	require.Len(t, calls, 1, "%d pending calls, want 1", len(calls))
	return calls[0]
}

func respond(t *testing.T, vm *proxytest.VM, c *proxytest.HTTPCall, status int, body []byte) {
	t.Helper()
	require.NoError(t, vm.Respond(context.Background(), c, status, [][2]string{{"content-type", "application/json"}}, body))
}

func tick(t *testing.T, vms ...*proxytest.VM) {
	t.Helper()
	for _, vm := range vms {
		require.NoError(t, vm.Tick(context.Background()))
	}
}

// TestJWKSFetchShareAndResume: the first VM fetches the key set through
// proxy_http_call; requests that arrive before it are paused and resumed
// when it comes; the second VM takes the keys from shared data without a
// fetch of its own.
func TestJWKSFetchShareAndResume(t *testing.T) {
	clk := newClock(testcorpus.Now)
	h := newHost(t, clk)
	k := jwttest.Keys()
	cfg := pluginConfig(jwksPolicy(), map[string]any{"remote_jwks": map[string]any{"http_uri": map[string]any{"cluster": "idp"}, "cache_duration": "5m"}})
	vm1, vm2 := newVM(t, h, cfg), newVM(t, h, cfg)
	p := vm1.TickPeriod()
	assert.Equal(t, time.Second, p, "tick period %v", p)
	call := onlyCall(t, vm1)
	assert.False(t, call.Cluster != "idp" || call.Header(":method") != "GET" || call.Header(":path") != "/.well-known/jwks.json" || call.Header(":authority") != "idp.example", "call %+v", call)
	assert.Zero(t, len(vm2.PendingCalls()), "the second VM fetches too: the lease in shared data should stop it")

	tok := "Bearer " + idpToken(clk.now(), k.RSA, "rs-1")
	s1 := do(t, vm1, request("/a", tok))
	s2 := do(t, vm2, request("/b", tok))
	require.True(t, s1.Paused, "requests before the keys should wait: %+v %+v", s1, s2)
	require.True(t, s2.Paused, "requests before the keys should wait: %+v %+v", s1, s2)
	respond(t, vm1, call, 200, jwksDoc(map[string]*rsa.PrivateKey{"rs-1": k.RSA}))
	require.True(t, s1.Resumed, "vm1's request was not resumed: %+v %+v", s1, s1.Local)
	require.True(t, s1.Continued(), "vm1's request was not resumed: %+v %+v", s1, s1.Local)
	require.Equal(t, "idp", s1.Header("x-jwtgate-integration"), "vm1's request was not resumed: %+v %+v", s1, s1.Local)
	require.True(t, s1.Done, "vm1's request was not resumed: %+v %+v", s1, s1.Local)
	require.False(t, s2.Resumed, "vm2's request resumed before vm2 looked")
	tick(t, vm2)
	require.True(t, s2.Continued(), "vm2's request was not resumed on its tick: %+v %+v", s2, s2.Local)
	require.Equal(t, "user-123", s2.Header("x-jwtgate-subject"), "vm2's request was not resumed on its tick: %+v %+v", s2, s2.Local)
	s := do(t, vm2, request("/c", tok))
	assert.True(t, s.Continued(), "vm2: %+v", s.Local)
	n := len(vm2.PendingCalls()) + len(vm1.PendingCalls())
	assert.Zero(t, n, "%d calls after the keys came", n)
}

// TestJWKSUnavailableAndRetry: without waiting, a request before the keys
// is keys_unavailable; a failed fetch is retried after remote_jwks.async_fetch.failed_refetch_duration; a
// paused request is refused when its wait ends.
func TestJWKSUnavailableAndRetry(t *testing.T) {
	clk := newClock(testcorpus.Now)
	k := jwttest.Keys()
	tok := "Bearer " + idpToken(clk.now(), k.RSA, "rs-1")
	unavailable := challengeFor("Failed to get JWKS")

	vm := newVM(t, newHost(t, clk), pluginConfig(jwksPolicy(), map[string]any{"remote_jwks": map[string]any{"http_uri": map[string]any{"cluster": "idp"}, "wait_for_keys": "0s", "async_fetch": map[string]any{"failed_refetch_duration": "5s"}}}))
	wantRefused(t, do(t, vm, request("/", tok)), 401, "keys_unavailable", unavailable)
	respond(t, vm, onlyCall(t, vm), 503, []byte("down"))
	wantRefused(t, do(t, vm, request("/", tok)), 401, "keys_unavailable", unavailable)
	tick(t, vm)
	n := len(vm.PendingCalls())
	require.Zero(t, n, "retried at once (%d calls)", n)
	clk.add(6 * time.Second)
	tick(t, vm)
	respond(t, vm, onlyCall(t, vm), 200, []byte(`{"keys":[]}`)) // no keys: still a failure
	clk.add(6 * time.Second)
	tick(t, vm)
	respond(t, vm, onlyCall(t, vm), 0, nil) // the call failed (reset, timeout)
	clk.add(6 * time.Second)
	tick(t, vm)
	respond(t, vm, onlyCall(t, vm), 200, jwksDoc(map[string]*rsa.PrivateKey{"rs-1": k.RSA}))
	require.True(t, wantContinued(t, do(t, vm, request("/", tok)), "after the keys came"))

	// A paused request is answered keys_unavailable when its wait is over.
	vm2 := newVM(t, newHost(t, clk), pluginConfig(jwksPolicy(), map[string]any{"remote_jwks": map[string]any{"http_uri": map[string]any{"cluster": "idp"}, "wait_for_keys": "2s"}}))
	s := do(t, vm2, request("/", tok))
	require.True(t, s.Paused, "not paused: %+v", s.Local)
	clk.add(time.Second)
	tick(t, vm2)
	require.True(t, s.Paused, "answered before its wait ended: %+v", s.Local)
	clk.add(1500 * time.Millisecond)
	tick(t, vm2)
	wantRefused(t, s, 401, "keys_unavailable", unavailable)
	assert.True(t, s.Done, "the stream was not finished")
	// A paused stream whose client went away is forgotten.
	s = do(t, vm2, request("/", tok))
	require.NoError(t, vm2.Finish(context.Background(), s))
	clk.add(3 * time.Second)
	tick(t, vm2)
}

// TestJWKSRefreshOnTick: once the set is older than remote_jwks.cache_duration a
// tick refetches it; a rotated key works on every VM, and a failed refresh
// keeps the keys in use.
func TestJWKSRefreshOnTick(t *testing.T) {
	clk := newClock(testcorpus.Now)
	h := newHost(t, clk)
	k := jwttest.Keys()
	cfg := pluginConfig(jwksPolicy(), map[string]any{"remote_jwks": map[string]any{"http_uri": map[string]any{"cluster": "idp"}, "cache_duration": "5m"}})
	vm1, vm2 := newVM(t, h, cfg), newVM(t, h, cfg)
	respond(t, vm1, onlyCall(t, vm1), 200, jwksDoc(map[string]*rsa.PrivateKey{"rs-1": k.RSA}))
	tick(t, vm1, vm2)
	require.Zero(t, len(vm1.PendingCalls())+len(vm2.PendingCalls()), "refetched too early")
	clk.add(301 * time.Second)
	tick(t, vm2, vm1) // vm2 ticks first and takes the lease
	n := len(vm1.PendingCalls())
	require.Zero(t, n, "vm1 fetches beside vm2")
	respond(t, vm2, onlyCall(t, vm2), 200, jwksDoc(map[string]*rsa.PrivateKey{"rs-2": k.RSAOther}))
	tick(t, vm1)
	now := clk.now()
	for _, vm := range []*proxytest.VM{vm1, vm2} {
		wantContinued(t, do(t, vm, request("/", "Bearer "+idpToken(now, k.RSAOther, "rs-2"))), "rotated key refused")
		wantRefused(t, do(t, vm, request("/", "Bearer "+idpToken(now, k.RSA, "rs-1"))), 401, "invalid_token", challengeFor("Invalid token"))
	}
	// A failed refresh keeps the set.
	clk.add(301 * time.Second)
	tick(t, vm1)
	respond(t, vm1, onlyCall(t, vm1), 500, nil)
	tick(t, vm2)
	s := do(t, vm2, request("/", "Bearer "+idpToken(clk.now(), k.RSAOther, "rs-2")))
	assert.True(t, s.Continued(), "keys lost after a failed refresh: %+v", s.Local)
}

// TestJWKSUnknownKid: a token whose kid the set lacks starts a fetch (at
// most once per remote_jwks.unknown_kid_refetch_duration) and waits for it, as jwtgate's
// native key fetcher refetches for an unknown kid.
func TestJWKSUnknownKid(t *testing.T) {
	clk := newClock(testcorpus.Now)
	h := newHost(t, clk)
	k := jwttest.Keys()
	cfg := pluginConfig(jwksPolicy(), map[string]any{"remote_jwks": map[string]any{"http_uri": map[string]any{"cluster": "idp"}, "unknown_kid_refetch_duration": "30s"}})
	vm1, vm2 := newVM(t, h, cfg), newVM(t, h, cfg)
	respond(t, vm1, onlyCall(t, vm1), 200, jwksDoc(map[string]*rsa.PrivateKey{"rs-1": k.RSA}))
	tick(t, vm2)
	rotated := "Bearer " + idpToken(clk.now(), k.RSAOther, "rs-2")
	// Too soon after the fetch: refused at once, no call.
	wantRefused(t, do(t, vm2, request("/", rotated)), 401, "invalid_token", challengeFor("Invalid token"))
	require.Zero(t, len(vm2.PendingCalls()), "calls for an unknown kid right after a fetch")
	clk.add(31 * time.Second)
	s := do(t, vm2, request("/", rotated))
	require.True(t, s.Paused, "not waiting for the refetch: %+v", s.Local)
	c := onlyCall(t, vm2)
	assert.Equal(t, vm2.RootID, c.Context, "the call belongs to context %d, not the plugin's", c.Context)
	respond(t, vm2, c, 200, jwksDoc(map[string]*rsa.PrivateKey{"rs-1": k.RSA, "rs-2": k.RSAOther}))
	require.True(t, s.Continued(), "not resumed after the refetch: %+v %+v", s, s.Local)
	require.Equal(t, "idp", s.Header("x-jwtgate-integration"), "not resumed after the refetch: %+v %+v", s, s.Local)
	// vm1 finds rs-2 in shared data without a fetch of its own.
	s = do(t, vm1, request("/", rotated))
	assert.True(t, s.Continued(), "vm1: %+v", s.Local)
	// A kid still unknown after the refetch is refused without another.
	wantRefused(t, do(t, vm1, request("/", "Bearer "+idpToken(clk.now(), k.RSAOther, "rs-9"))), 401, "invalid_token", challengeFor("Invalid token"))
	n := len(vm1.PendingCalls()) + len(vm2.PendingCalls())
	assert.Zero(t, n, "%d calls", n)
}

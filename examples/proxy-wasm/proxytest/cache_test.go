package proxytest_test

import (
	"crypto/rsa"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/jwtgate/jwtgate/examples/proxy-wasm/proxytest"
	"github.com/jwtgate/jwtgate/internal/jwttest"
	"github.com/jwtgate/jwtgate/internal/testcorpus"
)

// cacheHits counts the filter's debug lines for decisions answered by its
// decision cache.
func cacheHits(vm *proxytest.VM) int {
	n := 0
	for _, l := range vm.Logs() {
		if strings.Contains(l.Message, "decision from the decision cache") {
			n++
		}
	}
	return n
}

// TestDecisionCacheInFilter: a repeated token is answered from the VM's
// decision cache with the same decision and headers; one-time tokens never
// are (the second use is token_replayed); decision_cache: {enabled: false}
// turns it off.
func TestDecisionCacheInFilter(t *testing.T) {
	clk := newClock(testcorpus.Now)
	h := newHost(t, clk)
	vm := newVM(t, h, pluginConfig(testPolicy(), map[string]any{"debug": true}))
	tok := "Bearer " + hsToken(clk.now(), nil)
	first := do(t, vm, request("/", tok))
	wantContinued(t, first, "cold")
	for i := range 3 {
		clk.add(time.Second)
		s := do(t, vm, request("/", tok))
		wantContinued(t, s, "cached")
		assert.Equal(t, first.Headers, s.Headers, "repeat %d: the upstream headers of the cold decision", i)
	}
	assert.Equal(t, 3, cacheHits(vm))
	d := decisions(vm)
	require.Len(t, d, 4)
	assert.Equal(t, d[0], d[3], "the cached decision is the cold one")

	vm.ClearLogs()
	once := "Bearer " + jwttest.Sign("HS256", []byte(hsSecret), nil, testcorpus.Claims("https://once.example", map[string]any{
		"jti": "cache-once", "exp": clk.now().Add(time.Hour).Unix(), "iat": clk.now().Unix()}))
	wantContinued(t, do(t, vm, request("/", once)), "one-time, first use")
	wantRefused(t, do(t, vm, request("/", once)), 401, "token_replayed", challengeFor("Token has already been used"))
	assert.Zero(t, cacheHits(vm), "a one-time token is never answered from the cache")

	off := newVM(t, h, pluginConfig(testPolicy(), map[string]any{"debug": true, "decision_cache": map[string]any{"enabled": false}}))
	for range 2 {
		wantContinued(t, do(t, off, request("/", tok)), "uncached")
	}
	assert.Zero(t, cacheHits(off))
}

// TestDecisionCacheDroppedOnRotation: a token cached while its key was in
// the set is refused once the rotated set replaces it, on the VM that
// fetched it and on the one that finds it in shared data at its tick —
// well within the cache's TTL, so that only the key generation drops it.
func TestDecisionCacheDroppedOnRotation(t *testing.T) {
	clk := newClock(testcorpus.Now)
	h := newHost(t, clk)
	k := jwttest.Keys()
	cfg := pluginConfig(jwksPolicy(), map[string]any{"debug": true, "decision_cache": map[string]any{"ttl": "1h"},
		"remote_jwks": map[string]any{"http_uri": map[string]any{"cluster": "idp"}, "cache_duration": "5m"}})
	vm1, vm2 := newVM(t, h, cfg), newVM(t, h, cfg)
	respond(t, vm1, onlyCall(t, vm1), 200, jwksDoc(map[string]*rsa.PrivateKey{"rs-1": k.RSA}))
	tick(t, vm2)
	old := "Bearer " + idpToken(clk.now(), k.RSA, "rs-1")
	for _, vm := range []*proxytest.VM{vm1, vm2} {
		for range 2 {
			wantContinued(t, do(t, vm, request("/", old)), "before the rotation")
		}
		assert.Equal(t, 1, cacheHits(vm), "the repeat is a hit")
	}
	clk.add(301 * time.Second)
	tick(t, vm1)
	respond(t, vm1, onlyCall(t, vm1), 200, jwksDoc(map[string]*rsa.PrivateKey{"rs-2": k.RSAOther}))
	tick(t, vm2)
	for _, vm := range []*proxytest.VM{vm1, vm2} {
		wantRefused(t, do(t, vm, request("/", old)), 401, "invalid_token", challengeFor("Invalid token"))
		assert.Equal(t, 1, cacheHits(vm), "no hit after the rotation")
	}
}

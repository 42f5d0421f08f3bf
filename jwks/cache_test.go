package jwks

import (
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/jwtgate/jwtgate/core"
	"github.com/jwtgate/jwtgate/internal/jwttest"
)

// A decision cache keyed to the fetcher's Generation never accepts a token
// whose key the issuer rotated away or removed, once the fetcher has the
// new set: whether it learns it from an unknown kid or at the end of the
// set's TTL. Each answer is compared with an uncached verifier's on the
// same fetcher, at the same instant.
func TestCacheFollowsKeyChanges(t *testing.T) {
	k := jwttest.Keys()
	jwk := func(key any, kid, alg string) jose.JSONWebKey {
		return jose.JSONWebKey{Key: key, KeyID: kid, Algorithm: alg, Use: "sig"}
	}
	setA := jwttest.JWKS(t, jwk(k.RSA.Public(), "a", "RS256"))
	setB := jwttest.JWKS(t, jwk(k.RSAOther.Public(), "b", "RS256"))
	setC := jwttest.JWKS(t, jwk(k.EC.Public(), "c", "ES256"))
	s := newServer(t, setA)
	s.set(func(s *server) { s.cacheControl = "max-age=60" })
	url := s.URL + "/jwks.json"
	clk := newClock()
	const iss = "https://rotating.example"
	policy, err := core.ParsePolicy("policy.yaml", []byte(`integrations:
  - name: app
    issuer: `+iss+`
    algorithms: [RS256, ES256]
    keys: [{jwks_url: "`+url+`"}]
`), core.LoadOptions{})
	require.NoError(t, err)
	f := New(Options{URLs: policy.JWKSURLs(), Now: clk.Now})
	plain, err := core.NewVerifier(policy, core.Config{Keys: f})
	require.NoError(t, err)
	inner, err := core.NewVerifier(policy, core.Config{Keys: f})
	require.NoError(t, err)
	cache, err := core.NewCache(inner, policy, core.CacheOptions{KeyGeneration: f.Generation})
	require.NoError(t, err)

	claims := map[string]any{"iss": iss, "sub": "alice", "exp": clk.Now().Add(time.Hour).Unix()}
	tokA := jwttest.Sign("RS256", k.RSA, map[string]any{"kid": "a"}, claims)
	tokB := jwttest.Sign("RS256", k.RSAOther, map[string]any{"kid": "b"}, claims)
	verify := func(tok string) *core.Decision {
		t.Helper()
		req := core.Request{Token: tok, Now: clk.Now()}
		d := cache.Verify(ctx, req)
		require.Equal(t, string(plain.Verify(ctx, req).JSON()), string(d.JSON()), "the cache answers as a fresh verification")
		return d
	}

	// The first verification fetches the first set, a new generation, so
	// its decision is not stored; the second's is.
	require.True(t, verify(tokA).Valid)
	require.True(t, verify(tokA).Valid)
	hits := cache.Stats().Hits
	require.True(t, verify(tokA).Valid)
	require.Equal(t, hits+1, cache.Stats().Hits, "a repeated token is a hit")

	// Rotation: the issuer replaces a with b; a token with kid b makes the
	// fetcher refetch, and a is no longer accepted, from the cache either.
	s.set(func(s *server) { s.body = setB })
	gen := f.Generation()
	require.True(t, verify(tokB).Valid)
	assert.Greater(t, f.Generation(), gen, "the new set is a new generation")
	assert.False(t, verify(tokA).Valid, "the rotated-away key is not accepted")
	require.True(t, verify(tokB).Valid)
	hits = cache.Stats().Hits
	require.True(t, verify(tokB).Valid)
	require.Equal(t, hits+1, cache.Stats().Hits, "the new key's token is cached again")

	// Removal at the end of the TTL: nothing asks for an unknown kid, the
	// set goes stale, and the next verification fetches the new one.
	s.set(func(s *server) { s.body = setC })
	clk.Advance(61 * time.Second)
	assert.False(t, verify(tokB).Valid, "the removed key is not accepted once its set is stale")
	assert.Equal(t, 0, cache.Stats().Entries)

	// A fetch that brings the same document changes nothing.
	clk.Advance(61 * time.Second)
	gen = f.Generation() // stale: signalled once
	_, err = f.KeySet(ctx, url, "")
	require.NoError(t, err)
	assert.Equal(t, gen, f.Generation(), "an unchanged set is the same generation")
}

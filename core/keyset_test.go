package core

import (
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/jwtgate/jwtgate/internal/jwttest"
)

// HasKeyID answers from the keys of the parsed set, so that a host can
// refetch a set that lacks the key a token asks for.
func TestKeySetHasKeyID(t *testing.T) {
	k := jwttest.Keys()
	doc := jwttest.JWKS(t,
		jose.JSONWebKey{Key: k.EC.Public(), KeyID: "es-1", Algorithm: "ES256", Use: "sig"},
		jose.JSONWebKey{Key: k.Ed25519.Public(), Algorithm: "EdDSA", Use: "sig"},
	)
	set, err := ParseKeySet([]byte(doc))
	require.NoError(t, err)
	assert.True(t, set.HasKeyID("es-1"))
	assert.False(t, set.HasKeyID("rs-1"))
	assert.False(t, set.HasKeyID("ES-1"), "kids are compared exactly")
	assert.True(t, set.HasKeyID(""), "the key without a kid")
}

// A fetched set that also publishes keys of kinds jwtgate does not verify
// with (an ML-DSA AKP key, an X25519 key, a secp256k1 one) still verifies
// with its other keys: those are skipped, as RFC 7517 §5 asks (go-jose
// refused such a set whole), and InspectKeySet says why. Inline, such a
// key is an error.
func TestFetchedSetSkipsUnsupportedKeys(t *testing.T) {
	k := jwttest.Keys()
	rs := jwttest.JWKS(t, jose.JSONWebKey{Key: k.RSA.Public(), KeyID: "rs-1", Algorithm: "RS256", Use: "sig"})
	doc := strings.Replace(rs, `{"keys":[`, `{"keys":[{"kty":"AKP","alg":"ML-DSA-44","kid":"pq","pub":"AQID"},{"kty":"OKP","crv":"X25519","kid":"x","x":"AQID"},{"kty":"EC","crv":"secp256k1","kid":"k1","x":"AQ","y":"AQ"},`, 1)
	require.NotEqual(t, rs, doc)
	set, err := ParseKeySet([]byte(doc))
	require.NoError(t, err)
	p, err := ParsePolicy("p.yaml", []byte("integrations:\n  - name: a\n    issuer: https://a.example\n    algorithms: [RS256]\n    keys: [{jwks_url: https://k.example/set}]\n"), LoadOptions{})
	require.NoError(t, err)
	v, err := NewVerifier(p, Config{Keys: fixedKeySource{"https://k.example/set": set}})
	require.NoError(t, err)
	tok := jwttest.Sign("RS256", k.RSA, map[string]any{"kid": "rs-1"}, map[string]any{"iss": "https://a.example", "sub": "u", "exp": testNow.Add(time.Hour).Unix()})
	d := v.Verify(t.Context(), Request{Token: tok, Now: testNow})
	assert.True(t, d.Valid, "%s: %s", d.Code, d.Reason)
	infos := InspectKeySet(set, nil)
	require.Len(t, infos, 4)
	assert.Contains(t, infos[0].Skipped, `kty "AKP" is not one jwtgate verifies with`)
	assert.Contains(t, infos[1].Skipped, `OKP curve "X25519" is not one jwtgate verifies with`)
	assert.Contains(t, infos[2].Skipped, `EC curve "secp256k1" is not one jwtgate verifies with`)
	assert.Equal(t, []string{"RS256"}, infos[3].Verifies)

	_, err = ParsePolicy("p.yaml", []byte("integrations:\n  - name: a\n    issuer: https://a.example\n    algorithms: [RS256]\n    keys:\n      - jwks: "+doc+"\n"), LoadOptions{})
	assert.ErrorContains(t, err, `kid "pq": kty "AKP" is not one jwtgate verifies with`)
}

package core

import (
	"testing"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/stretchr/testify/require"
)

// PublicKeysOnly refuses every way a shared secret or a decryption key
// can be written into a policy, naming the field, and skips shared
// secrets in fetched key sets; public keys load as usual.
func TestPublicKeysOnly(t *testing.T) {
	vtKeys(t)
	opts := LoadOptions{PublicKeysOnly: true}
	octJWKS := publicJWKS(t, jose.JSONWebKey{Key: []byte(hsSecret), KeyID: "s"})
	for field, keysYAML := range map[string]string{
		"keys[0].secret": `[{secret: "` + hsSecret + `"}]`,
		"keys[0].jwks":   `[{jwks: '` + octJWKS + `'}]`,
	} {
		_, err := ParsePolicy("p.yaml", []byte(vtPolicy(vtIntegration{Name: "a", Issuer: vtIssA, Algs: "HS256", Keys: []string{keysYAML[1 : len(keysYAML)-1]}})), opts)
		var list PolicyErrors
		require.ErrorAs(t, err, &list, field)
		require.Equal(t, field, list[0].Field)
		require.Contains(t, list[0].Reason, "mint tokens")
	}
	_, err := ParsePolicy("p.yaml", []byte(vtPolicy(vtIntegration{Name: "a", Issuer: vtIssA, Algs: "RS256", Keys: []string{`{jwks: '` + publicJWKS(t, jose.JSONWebKey{Key: rsaKey.Public()}) + `'}`},
		Extra: []string{"decryption_keys: [{secret: '" + vtKW128 + "'}]"}})), opts)
	var list PolicyErrors
	require.ErrorAs(t, err, &list)
	require.Equal(t, "decryption_keys", list[0].Field)

	// A fetched set's shared secret is skipped; its public key is used.
	set, err := ParseKeySet([]byte(publicJWKS(t, jose.JSONWebKey{Key: []byte(hsSecret), KeyID: "s"}, jose.JSONWebKey{Key: rsaKey.Public(), KeyID: "r"})))
	require.NoError(t, err)
	p, err := ParsePolicy("p.yaml", []byte(vtPolicy(vtIntegration{Name: "a", Issuer: vtIssA, Algs: "HS256, RS256", Keys: []string{"{jwks_url: https://k.example/set}"}})), opts)
	require.NoError(t, err)
	v, err := NewVerifier(p, Config{Keys: fixedKeySource{"https://k.example/set": set}})
	require.NoError(t, err)
	hs := sign(t, jose.HS256, []byte(hsSecret), "s", claims(vtIssA, nil), nil)
	d := verifyAt(v, hs, testNow)
	require.False(t, d.Valid, "a token signed with a published secret")
	require.Contains(t, d.Reason, "no HS256 key")
	require.True(t, verifyAt(v, sign(t, jose.RS256, rsaKey, "r", claims(vtIssA, nil), nil), testNow).Valid)
	// Without the option the same set's secret verifies (the default).
	p2, err := ParsePolicy("p.yaml", []byte(vtPolicy(vtIntegration{Name: "a", Issuer: vtIssA, Algs: "HS256, RS256", Keys: []string{"{jwks_url: https://k.example/set}"}})), LoadOptions{})
	require.NoError(t, err)
	v2, err := NewVerifier(p2, Config{Keys: fixedKeySource{"https://k.example/set": set}})
	require.NoError(t, err)
	require.True(t, verifyAt(v2, hs, testNow).Valid)
}

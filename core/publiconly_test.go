package core

import (
	"strings"
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
}

// A shared secret in a fetched key set is never used, whatever the
// policy: a set at a URL is public, so its secret would let anyone who
// can fetch it mint tokens. The explain trace says why it was skipped;
// the set's public keys still verify.
func TestFetchedSecretsNeverUsed(t *testing.T) {
	set, err := ParseKeySet([]byte(publicJWKS(t, jose.JSONWebKey{Key: []byte(hsSecret), KeyID: "s"}, jose.JSONWebKey{Key: rsaKey.Public(), KeyID: "r"})))
	require.NoError(t, err)
	p, err := ParsePolicy("p.yaml", []byte(vtPolicy(vtIntegration{Name: "a", Issuer: vtIssA, Algs: "HS256, RS256", Keys: []string{"{jwks_url: https://k.example/set}"}})), LoadOptions{})
	require.NoError(t, err)
	v, err := NewVerifier(p, Config{Keys: fixedKeySource{"https://k.example/set": set}})
	require.NoError(t, err)
	d := v.Verify(t.Context(), Request{Token: sign(t, jose.HS256, []byte(hsSecret), "s", claims(vtIssA, nil), nil), Now: testNow, Explain: true})
	require.False(t, d.Valid)
	require.Contains(t, d.Reason, "no HS256 key")
	var skipped bool
	for _, st := range d.Trace {
		skipped = skipped || st.Name == "keys" && strings.Contains(st.Detail, "anyone who can fetch it can mint tokens")
	}
	require.True(t, skipped, "the trace says why the secret was skipped: %+v", d.Trace)
	require.True(t, verifyAt(v, sign(t, jose.RS256, rsaKey, "r", claims(vtIssA, nil), nil), testNow).Valid)
	infos := InspectKeySet(set, nil)
	require.True(t, infos[0].Secret)
	require.Empty(t, infos[0].Verifies)
	require.Contains(t, infos[0].Skipped, "mint tokens")
}

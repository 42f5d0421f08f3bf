package core

import (
	"errors"
	"strings"
	"testing"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// discoveryPolicy is one integration of issuer whose keys entry is key.
func discoveryPolicy(issuer, key string) string {
	return "integrations:\n  - name: acme\n    issuer: " + issuer + "\n    audiences: [authonomy]\n    algorithms: [RS256]\n    keys:\n      - " + key + "\n"
}

func parseDiscovery(doc string, allowed bool) (*Policy, error) {
	return ParsePolicy("p.yaml", []byte(doc), LoadOptions{Discovery: allowed})
}

// A discovery entry names the issuer's document (its trailing "/"
// dropped, OpenID Connect Discovery §4.1) and the hosts its jwks_uri may
// name, the issuer's first; the set is asked for by the document's URL.
func TestDiscoveryEntryCompiles(t *testing.T) {
	for _, c := range []struct {
		issuer, key, url string
		hosts            []string
	}{
		{"https://idp.acme.example", "{discovery: true}", "https://idp.acme.example/.well-known/openid-configuration", []string{"idp.acme.example"}},
		{"https://idp.acme.example/tenant/", "{discovery: true}", "https://idp.acme.example/tenant/.well-known/openid-configuration", []string{"idp.acme.example"}},
		{"http://127.0.0.1:8081", "{discovery: true, jwks_hosts: [keys.acme.example, '127.0.0.1:9']}", "http://127.0.0.1:8081/.well-known/openid-configuration", []string{"127.0.0.1:8081", "keys.acme.example", "127.0.0.1:9"}},
	} {
		p, err := parseDiscovery(discoveryPolicy(c.issuer, c.key), true)
		require.NoError(t, err, c.issuer)
		require.Equal(t, []Discovery{{URL: c.url, Issuer: c.issuer, JWKSHosts: c.hosts}}, p.Discoveries())
		assert.Empty(t, p.JWKSURLs(), "a discovery document is not a jwks_url")
		info, _ := p.Integration("acme")
		assert.Equal(t, c.url, info.DiscoveryURL)
	}
}

// A host that cannot resolve discovery (LoadOptions.Discovery unset: the
// proxy filter, the browser, the plugin) refuses the entry at load, and
// every malformed entry is refused with its reason.
func TestDiscoveryEntryRefused(t *testing.T) {
	const iss = "https://idp.acme.example"
	for _, c := range []struct {
		name, doc string
		allowed   bool
		want      string
	}{
		{"host cannot fetch", discoveryPolicy(iss, "{discovery: true}"), false, "field keys[0].discovery: this host cannot fetch an issuer's discovery document"},
		{"kid", discoveryPolicy(iss, "{discovery: true, kid: a}"), true, "kid and algorithm come from the published keys"},
		{"with another source", discoveryPolicy(iss, "{discovery: true, jwks_url: 'https://k.example/'}"), true, "give exactly one of jwks, jwks_file, jwks_url, pem_file, pem, secret, secret_file, secret_env, discovery (found [discovery jwks_url])"},
		{"jwks_hosts elsewhere", discoveryPolicy(iss, "{jwks_url: 'https://k.example/', jwks_hosts: [k.example]}"), true, "field keys[0].jwks_url: jwks_hosts belongs to a discovery entry"},
		{"bad host", discoveryPolicy(iss, "{discovery: true, jwks_hosts: ['https://k.example']}"), true, "field keys[0].discovery.jwks_hosts[0]: allowed domain \"https://k.example\": must not include a scheme"},
		{"issuer not a URL", discoveryPolicy("acme", "{discovery: true}"), true, "discovery needs the integration's issuer to be an http(s) URL"},
		{"issuer with query", discoveryPolicy("'https://idp.acme.example/?t=1'", "{discovery: true}"), true, "found a query or fragment"},
		{"issuer with userinfo", discoveryPolicy("'https://u@idp.acme.example'", "{discovery: true}"), true, "is not a plain host name or address"},
		{"twice", discoveryPolicy(iss, "{discovery: true}\n      - {discovery: true}"), true, "field keys[1].discovery: the issuer's discovery is already a key entry"},
		{"shared document", "integrations:\n" +
			"  - {name: a, issuer: 'https://idp.acme.example', algorithms: [RS256], keys: [{discovery: true}]}\n" +
			"  - {name: b, issuer: 'https://idp.acme.example/', algorithms: [RS256], keys: [{discovery: true}]}\n", true,
			`integration "b": field issuer: its discovery document https://idp.acme.example/.well-known/openid-configuration is integration "a"'s too`},
		{"decryption key", strings.Replace(discoveryPolicy(iss, "{pem: x}"), "    keys:", "    decryption_keys: [{discovery: true}]\n    keys:", 1), true, "decryption keys cannot be fetched from a URL"},
	} {
		t.Run(c.name, func(t *testing.T) {
			p, err := parseDiscovery(c.doc, c.allowed)
			require.Error(t, err)
			require.Nil(t, p)
			var list PolicyErrors
			require.True(t, errors.As(err, &list))
			assert.Contains(t, err.Error(), c.want)
		})
	}
}

// The verifier asks its key source for the set by the document's URL,
// and says which step failed when the host could not have it.
func TestDiscoveryVerifiesWithTheHostsSet(t *testing.T) {
	const iss = "https://idp.acme.example"
	p, err := parseDiscovery(discoveryPolicy(iss, "{discovery: true}"), true)
	require.NoError(t, err)
	set, err := ParseKeySet([]byte(publicJWKS(t, jose.JSONWebKey{Key: rsaKey.Public(), KeyID: "k1"})))
	require.NoError(t, err)
	tok := sign(t, jose.RS256, rsaKey, "k1", claims(iss, nil), nil)

	v, err := NewVerifier(p, Config{Keys: fixedKeySource{iss + DiscoveryPath: set}})
	require.NoError(t, err)
	d := verifyAt(v, tok, testNow)
	require.True(t, d.Valid, "%s: %s", d.Code, d.Reason)

	v, err = NewVerifier(p, Config{Keys: fixedKeySource{}})
	require.NoError(t, err)
	d = verifyAt(v, tok, testNow)
	require.False(t, d.Valid)
	assert.Equal(t, CodeKeysUnavailable, d.Code)
	assert.Contains(t, d.Reason, iss+DiscoveryPath+": not found")
}

// DiscoveryOf, for a host's diagnostics, checks as a policy entry does.
func TestDiscoveryOf(t *testing.T) {
	d, err := DiscoveryOf("https://idp.acme.example/", []string{"keys.acme.example"})
	require.NoError(t, err)
	assert.Equal(t, Discovery{URL: "https://idp.acme.example/.well-known/openid-configuration", Issuer: "https://idp.acme.example/", JWKSHosts: []string{"idp.acme.example", "keys.acme.example"}}, d)
	_, err = DiscoveryOf("idp.acme.example", nil)
	assert.EqualError(t, err, `discovery needs the integration's issuer to be an http(s) URL without query or fragment: want https:// (or http://), found "idp.acme.example"`)
	_, err = DiscoveryOf("https://idp.acme.example", []string{"a/b"})
	assert.ErrorContains(t, err, `jwks_hosts[0]: allowed domain "a/b": must not include a path`)
}

// A bundle keeps a discovery entry as it is, and loads where discovery is
// resolved with the same entry (and is refused, like its source, elsewhere).
func TestDiscoveryInABundle(t *testing.T) {
	src := discoveryPolicy("https://idp.acme.example", "{discovery: true, jwks_hosts: [keys.acme.example]}")
	b, err := BuildBundle("p.yaml", []byte(src), LoadOptions{Discovery: true})
	require.NoError(t, err)
	p, err := parseDiscovery(string(b), true)
	require.NoError(t, err)
	orig, err := parseDiscovery(src, true)
	require.NoError(t, err)
	assert.Equal(t, orig.Discoveries(), p.Discoveries())
	_, err = parseDiscovery(string(b), false)
	assert.ErrorContains(t, err, "this host cannot fetch an issuer's discovery document")
}

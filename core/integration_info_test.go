package core

import (
	"encoding/base64"
	"strings"
	"testing"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/stretchr/testify/require"
)

func TestPolicyIntegrationInfo(t *testing.T) {
	p := mustPolicy(t, `integrations:
  - name: a
    tenant: t-a
    issuer: https://a.example
    algorithms: [RS256]
    keys: [{jwks_url: "https://a.example/keys"}, {jwks_url: "https://a.example/more"}]
    one_time_use: true
    headers: {X-User-Email: email, X-Org: org}
    redirect: {allowed_domains: [app.a.example]}
  - name: b
    issuer: https://b.example
    algorithms: [HS256]
    keys: [{secret: "0123456789abcdef0123456789abcdef"}]
`)
	a, ok := p.Integration("a")
	require.True(t, ok)
	require.Equal(t, IntegrationInfo{Name: "a", Tenant: "t-a", Issuer: "https://a.example", OneTimeUse: true,
		JWKSURLs: []string{"https://a.example/keys", "https://a.example/more"}, HasRedirect: true,
		HeaderNames: []string{"X-Org", "X-User-Email"}}, a)
	a.JWKSURLs[0], a.HeaderNames[0] = "changed", "changed"
	again, _ := p.Integration("a")
	require.Equal(t, "https://a.example/keys", again.JWKSURLs[0], "a copy")
	require.Equal(t, "X-Org", again.HeaderNames[0], "a copy")
	b, ok := p.Integration("b")
	require.True(t, ok)
	require.Empty(t, b.JWKSURLs)
	require.False(t, b.HasRedirect)
	require.Empty(t, b.HeaderNames)
	_, ok = p.Integration("c")
	require.False(t, ok)
}

// Route names the integration Verify judges a token against, reading the
// payload as Verify does: where Verify refuses to read the issuer (a
// member given twice, which a lenient JSON decoder would take the last of),
// Route names none.
func TestPolicyRoute(t *testing.T) {
	const secret = "0123456789abcdef0123456789abcdef"
	v := mustVerifier(t, `integrations:
  - name: a
    issuer: https://a.example
    algorithms: [HS256]
    keys: [{secret: "`+secret+`"}]
  - name: b
    issuer: https://b.example
    algorithms: [HS256]
    keys: [{secret: "`+secret+`"}]
    max_token_bytes: 1000
`)
	p := v.Policy()
	hs := func(payload string) string {
		return sign(t, jose.HS256, []byte(secret), "", []byte(payload), nil)
	}
	good := sign(t, jose.HS256, []byte(secret), "", claims("https://b.example", nil), nil)
	info, ok := p.Route(good)
	require.True(t, ok)
	require.Equal(t, "b", info.Name)
	d := verifyAt(v, good, testNow)
	require.True(t, d.Valid, d.Reason)
	require.Equal(t, info.Name, d.Integration, "Route and Verify agree")

	twice := hs(`{"iss":"https://a.example","iss":"https://b.example","sub":"x","exp":9999999999}`)
	_, ok = p.Route(twice)
	require.False(t, ok, "a duplicated iss routes nowhere")
	d = verifyAt(v, twice, testNow)
	require.False(t, d.Valid)
	require.Empty(t, d.Integration, "Verify routes it nowhere either")

	seg := func(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }
	header := seg(`{"alg":"HS256"}`)
	for name, tok := range map[string]string{
		"unknown issuer": hs(`{"iss":"https://c.example"}`),
		"no issuer":      hs(`{"sub":"x"}`),
		"numeric issuer": hs(`{"iss":1}`),
		"not an object":  hs(`["https://a.example"]`),
		"not UTF-8":      header + "." + seg("{\"iss\":\"https://a.example\xff\"}") + ".c2ln",
		"a JWE":          header + ".." + seg("iv") + "." + seg(`{"iss":"https://a.example"}`) + ".dGFn",
		"padded":         header + "." + seg(`{"iss":"https://a.example"}`) + "=.c2ln",
		"too large":      hs(`{"iss":"https://a.example","pad":"` + strings.Repeat("x", p.MaxTokenBytes()) + `"}`),
		"empty":          "",
	} {
		_, ok := p.Route(tok)
		require.False(t, ok, name)
	}
	_, ok = (&Policy{}).Route(good)
	require.False(t, ok, "an empty policy routes nothing")
}

package core

import (
	"testing"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/stretchr/testify/require"
)

func TestSmoke(t *testing.T) {
	jwks := publicJWKS(t, jose.JSONWebKey{Key: rsaKey.Public(), KeyID: "k1", Algorithm: "RS256", Use: "sig"})
	v := mustVerifier(t, `
integrations:
  - name: authonomy
    tenant: t1
    issuer: https://your-app.com
    audiences: [authonomy]
    algorithms: [RS256, HS256]
    keys:
      - jwks: `+jwks+`
      - secret: "`+hsSecret+`"
    required_claims: [email, {name: tenant_id, type: string}]
    one_time_use: true
    redirect: {allowed_domains: [app.com], default: /home}
    headers: {X-User: sub, X-Groups: groups}
`)
	c := claims("https://your-app.com", map[string]any{"email": "a@b.c", "tenant_id": "t1", "jti": "j1", "groups": []string{"a", "b"}, "redirect_url": "https://app.com/d"})
	tok := sign(t, jose.RS256, rsaKey, "k1", c, nil)
	d := verifyAt(v, tok, testNow)
	t.Log(string(d.JSON()))
	require.True(t, d.Valid)
	d = verifyAt(v, tok, testNow)
	require.Equal(t, CodeTokenReplayed, d.Code)
	tok = sign(t, jose.HS256, []byte(hsSecret), "", claims("https://your-app.com", map[string]any{"email": "a@b.c", "tenant_id": "t1", "jti": "j2"}), nil)
	d = verifyAt(v, tok, testNow)
	t.Log(string(d.JSON()))
	require.True(t, d.Valid)
}

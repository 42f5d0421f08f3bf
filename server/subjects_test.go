package server

import (
	"net/http"
	"net/url"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const (
	alphaSecret = "alpha-shared-secret-0123456789abcdef-0123456789"
	betaSecret  = "beta-shared-secret-0123456789abcdef-01234567890"
)

// twoIntegrations is a configuration of two integrations sharing a tenant.
const twoIntegrations = `integrations:
  - name: alpha
    tenant: shared
    issuer: https://alpha.example
    algorithms: [HS256]
    keys: [{secret: ` + alphaSecret + `}]
  - name: beta
    tenant: shared
    issuer: https://beta.example
    algorithms: [HS256]
    keys: [{secret: ` + betaSecret + `}]
service:
  public_url: http://localhost:8080
`

// One integration cannot overwrite what another vouched for: alice signs
// in through alpha; a token for sub alice from beta (same tenant) carries
// other email, name, roles, groups and metadata; alice's alpha session
// still reports alpha's, and beta's session beta's.
func TestSubjectsPerIntegration(t *testing.T) {
	eachStore(t, func(t *testing.T, dsn string) {
		e := newEnv(t, envOptions{dsn: dsn, noStart: true})
		e.write(twoIntegrations)
		e.srv = e.start(filepath.Join(e.dir, "data"))
		e.url = httptestServer(t, e.srv)
		signIn := func(secret, iss string, extra map[string]any) string {
			t.Helper()
			tok := mint(t, []byte(secret), "", claims(e.clock.Now(), iss, extra))
			r := e.get("/auth/jwt?token="+url.QueryEscape(tok), "Accept", "application/json")
			require.Equal(t, http.StatusOK, r.status, r.body)
			ck := r.resp.Cookies()[0]
			return ck.Name + "=" + ck.Value
		}
		alpha := signIn(alphaSecret, "https://alpha.example", map[string]any{
			"sub": "alice", "email": "alice@alpha.example", "name": "Alice",
			"roles": []string{"user"}, "groups": []string{"readers"}, "metadata": map[string]any{"from": "alpha"},
		})
		beta := signIn(betaSecret, "https://beta.example", map[string]any{
			"sub": "alice", "email": "mallory@beta.example", "name": "Mallory",
			"roles": []string{"admin"}, "groups": []string{"admins"}, "metadata": map[string]any{"from": "beta"},
		})

		r := e.get("/v1/session", "Cookie", alpha)
		require.Equal(t, http.StatusOK, r.status, r.body)
		assert.Equal(t, "alpha", r.json["integration"])
		assert.Equal(t, "alice@alpha.example", r.json["email"])
		assert.Equal(t, "Alice", r.json["name"])
		assert.Equal(t, []any{"user"}, r.json["roles"])
		assert.Equal(t, []any{"readers"}, r.json["groups"])
		assert.Equal(t, map[string]any{"from": "alpha"}, r.json["metadata"])

		r = e.get("/v1/session", "Cookie", beta)
		require.Equal(t, http.StatusOK, r.status, r.body)
		assert.Equal(t, "beta", r.json["integration"])
		assert.Equal(t, "mallory@beta.example", r.json["email"])
		assert.Equal(t, "Mallory", r.json["name"])
		assert.Equal(t, []any{"admin"}, r.json["roles"])
		assert.Equal(t, []any{"admins"}, r.json["groups"])
		assert.Equal(t, map[string]any{"from": "beta"}, r.json["metadata"])
	})
}

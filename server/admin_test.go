package server

import (
	"encoding/base64"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const (
	acmeIssuer = "https://idp.acme.example"
	acmeSecret = "acme-shared-secret-of-at-least-32-bytes!"
)

// An integration stored through the API verifies tokens from the answer
// on, under its tenant-qualified name; deleting it refuses them at once.
func TestAdminIntegrationLifecycle(t *testing.T) {
	e := newAdminEnv(t, envOptions{})
	const path = "/v1/admin/tenants/acme/integrations/jwt-auth"
	tok := mint(t, []byte(acmeSecret), "", claims(e.clock.Now(), acmeIssuer, map[string]any{"sub": "ada"}))
	require.Equal(t, http.StatusUnauthorized, e.verify(tok).status, "not configured yet")

	r := e.admin(http.MethodPut, path, secretDoc(acmeIssuer, acmeSecret)).expect(t, http.StatusCreated)
	assert.Equal(t, `"1"`, r.header.Get("ETag"))
	assert.Equal(t, "acme--jwt-auth", r.json["integration"])
	assert.Equal(t, "active", r.json["status"])
	assert.NotContains(t, r.body, acmeSecret, "a secret is never returned")

	v := e.verify(tok).expect(t, http.StatusOK)
	assert.Equal(t, "acme--jwt-auth", v.json["integration"])
	assert.Equal(t, "acme", v.json["tenant"])

	g := e.admin(http.MethodGet, path, "").expect(t, http.StatusOK)
	assert.NotContains(t, g.body, acmeSecret)
	secrets := g.json["secrets"].([]any)
	require.Len(t, secrets, 1)
	assert.Equal(t, "policy.keys[0].secret", secrets[0].(map[string]any)["path"])

	// An update without If-Match, or with a stale one, is refused.
	e.admin(http.MethodPut, path, secretDoc(acmeIssuer, acmeSecret)).expect(t, http.StatusPreconditionRequired)
	e.admin(http.MethodPut, path, secretDoc(acmeIssuer, acmeSecret), "If-Match", `"7"`).expect(t, http.StatusPreconditionFailed)
	// The same document again makes no revision.
	same := e.admin(http.MethodPut, path, secretDoc(acmeIssuer, acmeSecret), "If-Match", `"1"`).expect(t, http.StatusOK)
	assert.Equal(t, false, same.json["changed"])

	// The document read back, secret by fingerprint, stores as it is.
	policy := g.json["policy"].(map[string]any)
	policy["max_age"] = "5m"
	body := `{"policy":` + jsonOf(t, policy) + `}`
	u := e.admin(http.MethodPut, path, body, "If-Match", `"1"`).expect(t, http.StatusOK)
	assert.Equal(t, `"2"`, u.header.Get("ETag"))
	assert.Contains(t, u.body, `"path":"policy.max_age"`)
	e.verify(tok).expect(t, http.StatusOK)

	e.admin(http.MethodDelete, path, "").expect(t, http.StatusNoContent)
	require.Equal(t, http.StatusUnauthorized, e.verify(tok).status, "a disconnected integration's tokens are refused")
	e.admin(http.MethodGet, path, "").expect(t, http.StatusNotFound)

	revs := e.admin(http.MethodGet, path+"/revisions", "").expect(t, http.StatusOK)
	kinds := []string{}
	for _, rv := range revs.json["revisions"].([]any) {
		kinds = append(kinds, rv.(map[string]any)["kind"].(string))
	}
	assert.Equal(t, []string{"delete", "update", "create"}, kinds)
	assertNoTokenInLogs(t, e.logs.String(), tok)
	assert.NotContains(t, e.logs.String(), acmeSecret)
	// At rest the secret is sealed: not in the database, its journal included.
	files, err := filepath.Glob(filepath.Join(e.dir, "jwtgate.db*"))
	require.NoError(t, err)
	require.NotEmpty(t, files)
	for _, f := range files {
		b, err := os.ReadFile(f)
		require.NoError(t, err)
		assert.NotContains(t, string(b), acmeSecret, f)
		assert.NotContains(t, string(b), base64.StdEncoding.EncodeToString([]byte(acmeSecret))[:20], f)
	}
}

// The document is checked by the configuration file's loader: the same
// reasons, each at its field; files and environment variables are refused.
func TestAdminIntegrationRefused(t *testing.T) {
	e := newAdminEnv(t, envOptions{})
	const path = "/v1/admin/tenants/acme/integrations/bad"
	for _, c := range []struct{ doc, field, reason string }{
		{`{"policy":{"issuer":"https://x","algorithms":["HS256"],"keys":[{"secret":"short"}]}}`, "policy.keys[0].secret", "32"},
		{`{"policy":{"issuer":"https://x","algorithms":["none"],"keys":[{"secret":"` + acmeSecret + `"}]}}`, "policy.algorithms", ""},
		{`{"policy":{"issuer":"https://x","algorithms":["HS256"],"keys":[{"secret_file":"/etc/passwd"}]}}`, "policy.keys[0]", ""},
		{`{"policy":{"issuer":"https://x","algorithms":["HS256"],"keys":[{"secret_env":"HOME"}]}}`, "policy.keys[0]", ""},
		{`{"policy":{"issuer":"https://x","audience":["a"],"algorithms":["HS256"],"keys":[{"secret":"` + acmeSecret + `"}]}}`, "policy.audience", "audiences"},
		{`{"policy":{"name":"x","issuer":"https://x","algorithms":["HS256"],"keys":[{"secret":"` + acmeSecret + `"}]}}`, "policy.name", "URL"},
		{`{"policy":{"issuer":"https://x","algorithms":["HS256"],"keys":[{"secret":"` + acmeSecret + `"}]},"service":{"remote_validation":{"url":"ftp://x"}}}`, "service.remote_validation.url", ""},
		{`{"policy":{"issuer":"https://x","algorithms":["HS256"],"keys":[{"secret":"` + acmeSecret + `"}]},"service":{"system_token_file":"/etc/shadow"}}`, "service.system_token_file", ""},
		{`{"policy":{"issuer":"https://x","algorithms":["HS256"],"keys":[{"secret":"` + acmeSecret + `"}]},"service":{"ldap":{"url":"ldap://localhost","base_dn":"dc=x"}}}`, "service.ldap", "configuration file"},
		// The issuer of the file's Okto integration is taken.
		{secretDoc(oktoIssuer, acmeSecret), "policy.issuer", ""},
	} {
		r := e.admin(http.MethodPut, path, c.doc).expect(t, http.StatusUnprocessableEntity)
		assert.Equal(t, "invalid_integration", r.json["code"], c.doc)
		errs, _ := r.json["errors"].([]any)
		require.NotEmpty(t, errs, r.body)
		var fields []string
		for _, fe := range errs {
			fields = append(fields, fe.(map[string]any)["field"].(string))
		}
		found := false
		for _, fe := range errs {
			m := fe.(map[string]any)
			if strings.HasPrefix(m["field"].(string), c.field) && strings.Contains(m["reason"].(string), c.reason) {
				found = true
			}
		}
		assert.True(t, found, "%s: want %s (%s), found %v: %s", c.doc, c.field, c.reason, fields, r.body)
	}
	e.admin(http.MethodGet, path, "").expect(t, http.StatusNotFound)
}

// ?dry_run=true checks a write in full and says what it would change,
// storing nothing: a refused document is refused as the write would be.
func TestAdminDryRun(t *testing.T) {
	e := newAdminEnv(t, envOptions{})
	const path = "/v1/admin/tenants/acme/integrations/sso"
	d := e.admin(http.MethodPut, path+"?dry_run=true", secretDoc(acmeIssuer, acmeSecret)).expect(t, http.StatusOK)
	assert.Equal(t, true, d.json["dry_run"])
	assert.Equal(t, true, d.json["changed"])
	assert.NotContains(t, d.body, acmeSecret)
	e.admin(http.MethodGet, path, "").expect(t, http.StatusNotFound)

	e.admin(http.MethodPut, path, secretDoc(acmeIssuer, acmeSecret)).expect(t, http.StatusCreated)
	u := e.admin(http.MethodPut, path+"?dry_run=true", strings.Replace(secretDoc(acmeIssuer, acmeSecret), "10m", "5m", 1), "If-Match", `"1"`).expect(t, http.StatusOK)
	assert.Contains(t, u.body, `"path":"policy.max_age"`)
	e.admin(http.MethodPut, path+"?dry_run=true", secretDoc(oktoIssuer, acmeSecret), "If-Match", `"1"`).expect(t, http.StatusUnprocessableEntity)
	e.admin(http.MethodPut, path+"?dry_run=true", secretDoc(acmeIssuer, acmeSecret)).expect(t, http.StatusPreconditionRequired)
	g := e.admin(http.MethodGet, path, "").expect(t, http.StatusOK)
	assert.Equal(t, `"1"`, g.header.Get("ETag"), "nothing was stored")
	assert.Equal(t, "10m", g.json["policy"].(map[string]any)["max_age"])
}

package server

import (
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A tenant admin sees and changes its own tenant only: another tenant's
// integrations, subjects, sessions, credentials and audit log answer as if
// they did not exist, by any path, and operator-only calls are refused.
func TestAdminTenantIsolation(t *testing.T) {
	e := newAdminEnv(t, envOptions{})
	e.admin(http.MethodPost, "/v1/admin/tenants", `{"id":"globex"}`).expect(t, http.StatusCreated)
	e.admin(http.MethodPut, "/v1/admin/tenants/acme/integrations/sso", secretDoc(acmeIssuer, acmeSecret)).expect(t, http.StatusCreated)
	acme, globex := e.tenantCredential("acme"), e.tenantCredential("globex")

	who := e.adminAs(globex, http.MethodGet, "/v1/admin/whoami", "").expect(t, http.StatusOK)
	assert.Equal(t, "globex", who.json["tenant"])
	assert.Equal(t, false, who.json["operator"])

	// Globex's admin, guessing Acme's IDs.
	for _, c := range []struct{ method, path, body string }{
		{http.MethodGet, "/v1/admin/tenants/acme/integrations", ""},
		{http.MethodGet, "/v1/admin/tenants/acme/integrations/sso", ""},
		{http.MethodPut, "/v1/admin/tenants/acme/integrations/sso", secretDoc("https://evil.example", acmeSecret)},
		{http.MethodDelete, "/v1/admin/tenants/acme/integrations/sso", ""},
		{http.MethodGet, "/v1/admin/tenants/acme/integrations/sso/revisions", ""},
		{http.MethodGet, "/v1/admin/tenants/acme/integrations/sso/revisions/1", ""},
		{http.MethodPost, "/v1/admin/tenants/acme/integrations/sso/rollback", `{"revision":1}`},
		{http.MethodPost, "/v1/admin/tenants/acme/integrations/sso/test", `{"token":"x"}`},
		{http.MethodGet, "/v1/admin/tenants/acme/subjects", ""},
		{http.MethodGet, "/v1/admin/tenants/acme/sessions", ""},
		{http.MethodPost, "/v1/admin/tenants/acme/sessions/revoke", `{"subject":"ada"}`},
		{http.MethodGet, "/v1/admin/tenants/acme/credentials", ""},
		{http.MethodGet, "/v1/admin/tenants/acme/audit", ""},
		{http.MethodGet, "/v1/admin/tenants/nosuch/integrations", ""},
	} {
		r := e.adminAs(globex, c.method, c.path, c.body)
		assert.Equal(t, http.StatusNotFound, r.status, "%s %s: %s", c.method, c.path, r.body)
		assert.NotContains(t, r.body, acmeIssuer)
	}
	e.adminAs(globex, http.MethodGet, "/v1/admin/tenants/acme", "").expect(t, http.StatusNotFound)
	own := e.adminAs(globex, http.MethodGet, "/v1/admin/tenants/globex", "").expect(t, http.StatusOK)
	assert.Equal(t, "globex", own.json["id"])
	file := e.admin(http.MethodGet, "/v1/admin/tenants/okto-wallets", "").expect(t, http.StatusOK)
	assert.Equal(t, "file", file.json["source"], "a tenant the configuration file names")
	// Its own tenant's paths do not reach Acme's integration either.
	e.adminAs(globex, http.MethodGet, "/v1/admin/tenants/globex/integrations/sso", "").expect(t, http.StatusNotFound)
	list := e.adminAs(globex, http.MethodGet, "/v1/admin/tenants", "").expect(t, http.StatusOK)
	assert.Len(t, list.json["tenants"], 1)
	assert.NotContains(t, list.body, "acme")

	// Operator-only calls.
	e.adminAs(globex, http.MethodPost, "/v1/admin/tenants", `{"id":"x"}`).expect(t, http.StatusForbidden)
	e.adminAs(globex, http.MethodPost, "/v1/admin/tenants/globex/credentials", `{}`).expect(t, http.StatusForbidden)
	e.adminAs(globex, http.MethodGet, "/v1/admin/audit", "").expect(t, http.StatusForbidden)
	e.adminAs(globex, http.MethodPost, "/v1/admin/login-links", `{}`).expect(t, http.StatusForbidden)

	// Globex cannot register Acme's issuer, and is not told whose it is.
	taken := e.adminAs(globex, http.MethodPut, "/v1/admin/tenants/globex/integrations/sso", secretDoc(acmeIssuer, acmeSecret)).expect(t, http.StatusUnprocessableEntity)
	assert.NotContains(t, taken.body, "acme--sso")

	// Acme's admin manages its own; the integration is unchanged by Globex's attempts.
	g := e.adminAs(acme, http.MethodGet, "/v1/admin/tenants/acme/integrations/sso", "").expect(t, http.StatusOK)
	assert.Equal(t, `"1"`, g.header.Get("ETag"))
	audit := e.adminAs(acme, http.MethodGet, "/v1/admin/tenants/acme/audit", "").expect(t, http.StatusOK)
	assert.Contains(t, audit.body, "integration.create")
	assert.NotContains(t, audit.body, acmeSecret)

	// A wrong or revoked credential is refused.
	e.adminAs("jwtgate_adm_wrong", http.MethodGet, "/v1/admin/whoami", "").expect(t, http.StatusUnauthorized)
	creds := e.admin(http.MethodGet, "/v1/admin/tenants/globex/credentials", "").expect(t, http.StatusOK)
	id := creds.json["credentials"].([]any)[0].(map[string]any)["id"].(string)
	e.adminAs(acme, http.MethodDelete, "/v1/admin/tenants/globex/credentials/"+id, "").expect(t, http.StatusNotFound)
	e.admin(http.MethodDelete, "/v1/admin/tenants/globex/credentials/"+id, "").expect(t, http.StatusNoContent)
	e.adminAs(globex, http.MethodGet, "/v1/admin/whoami", "").expect(t, http.StatusUnauthorized)
}

// A tenant admin revokes its own users' sessions, never another
// tenant's, even knowing the session's ID.
func TestAdminSessionsOfTenant(t *testing.T) {
	e := newAdminEnv(t, envOptions{})
	e.admin(http.MethodPost, "/v1/admin/tenants", `{"id":"globex"}`).expect(t, http.StatusCreated)
	e.admin(http.MethodPut, "/v1/admin/tenants/acme/integrations/sso", secretDoc(acmeIssuer, acmeSecret)).expect(t, http.StatusCreated)
	tok := mint(t, []byte(acmeSecret), "", claims(e.clock.Now(), acmeIssuer, map[string]any{"sub": "ada"}))
	c := withJar(t)
	r := send(t, c, http.MethodPost, e.url+"/auth/jwt", strings.NewReader(form("token", tok)), "Content-Type", "application/x-www-form-urlencoded")
	require.Equal(t, http.StatusSeeOther, r.status, r.body)

	acme, globex := e.tenantCredential("acme"), e.tenantCredential("globex")
	subs := e.adminAs(acme, http.MethodGet, "/v1/admin/tenants/acme/subjects", "").expect(t, http.StatusOK)
	assert.Contains(t, subs.body, `"id":"ada"`)
	sess := e.adminAs(acme, http.MethodGet, "/v1/admin/tenants/acme/sessions?subject=ada", "").expect(t, http.StatusOK)
	list := sess.json["sessions"].([]any)
	require.Len(t, list, 1)
	id := list[0].(map[string]any)["id"].(string)

	e.adminAs(globex, http.MethodDelete, "/v1/admin/tenants/globex/sessions/"+id, "").expect(t, http.StatusNotFound)
	assert.Equal(t, http.StatusOK, send(t, c, http.MethodGet, e.url+"/v1/session", nil).status, "still signed in")
	e.adminAs(acme, http.MethodDelete, "/v1/admin/tenants/acme/sessions/"+id, "").expect(t, http.StatusNoContent)
	assert.Equal(t, http.StatusUnauthorized, send(t, c, http.MethodGet, e.url+"/v1/session", nil).status, "revoked")
}

// A tenant has at most maxTenantIntegrations integrations: a tenant admin
// cannot grow every instance's memory without bound.
func TestAdminTenantIntegrationLimit(t *testing.T) {
	e := newAdminEnv(t, envOptions{})
	acme := e.tenantCredential("acme")
	for i := range maxTenantIntegrations {
		doc := `{"policy":{"issuer":"https://idp` + strconv.Itoa(i) + `.acme.example","algorithms":["HS256"],"keys":[{"secret":"` + acmeSecret + `"}],"max_age":"5m"}}`
		e.adminAs(acme, http.MethodPut, "/v1/admin/tenants/acme/integrations/i"+strconv.Itoa(i), doc).expect(t, http.StatusCreated)
	}
	r := e.adminAs(acme, http.MethodPut, "/v1/admin/tenants/acme/integrations/one-more", secretDoc("https://more.acme.example", acmeSecret)).expect(t, http.StatusConflict)
	assert.Contains(t, r.json["detail"], "the most it may have")
	// An update of one it has is not a new one.
	g := e.adminAs(acme, http.MethodGet, "/v1/admin/tenants/acme/integrations/i0", "").expect(t, http.StatusOK)
	body := `{"policy":` + strings.Replace(jsonOf(t, g.json["policy"]), `"5m"`, `"6m"`, 1) + `}`
	e.adminAs(acme, http.MethodPut, "/v1/admin/tenants/acme/integrations/i0", body, "If-Match", g.header.Get("ETag")).expect(t, http.StatusOK)
}

package server

import (
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// withoutAcadio is the test configuration with the jwt-auth integration
// removed.
func (e *env) withoutAcadio() string {
	cfg := e.testConfig("")
	start := strings.Index(cfg, "  # Acadio")
	end := strings.Index(cfg, "service:")
	cfg = cfg[:start] + cfg[end:]
	return strings.Replace(cfg, "    jwt-auth:\n      default_redirect: /dashboard\n      error_redirect: /login\n", "", 1)
}

// acadioSession signs in through jwt-auth on base and returns the session
// cookie and an access token of the token exchange.
func (e *env) acadioSession(base string) (cookie, access string) {
	e.t.Helper()
	r := send(e.t, nil, http.MethodGet, base+"/auth/callback/jwt-auth?token="+url.QueryEscape(e.acadioToken(nil)), nil)
	require.Equal(e.t, http.StatusSeeOther, r.status, r.body)
	ck := r.resp.Cookies()[0]
	r = send(e.t, nil, http.MethodPost, base+"/oauth2/token", strings.NewReader(form(
		"grant_type", grantTokenExchange, "subject_token", e.acadioToken(nil), "subject_token_type", tokenTypeJWT)),
		"Content-Type", "application/x-www-form-urlencoded")
	require.Equal(e.t, http.StatusOK, r.status, r.body)
	return ck.Name + "=" + ck.Value, r.json["access_token"].(string)
}

// A session dies with its integration: removed and added back, the
// integration does not bring its old cookies and access tokens back to
// life; new sign-ins work.
func TestSessionsDieWithTheirIntegration(t *testing.T) {
	eachStore(t, func(t *testing.T, dsn string) {
		e := newEnv(t, envOptions{dsn: dsn})
		cookie, access := e.acadioSession(e.url)
		require.Equal(t, http.StatusOK, e.get("/v1/session", "Cookie", cookie).status)
		require.Equal(t, http.StatusOK, e.verify(access).status)

		e.write(e.withoutAcadio())
		require.NoError(t, e.srv.Reload())
		assert.Equal(t, "configuration_not_found", e.get("/v1/session", "Cookie", cookie).json["error"])
		e.write(e.testConfig(""))
		require.NoError(t, e.srv.Reload())

		r := e.get("/v1/session", "Cookie", cookie)
		assert.Equal(t, http.StatusUnauthorized, r.status, r.body)
		assert.Equal(t, "invalid_token", r.json["error"])
		r = e.verify(access)
		assert.Equal(t, http.StatusUnauthorized, r.status, r.body)
		assert.Equal(t, "invalid_token", r.json["error"])
		assert.Equal(t, http.StatusUnauthorized, e.get("/v1/authz", "Cookie", cookie, "X-Original-Method", "GET", "X-Original-URI", "/").status)
		assert.True(t, strings.Contains(e.logs.String(), "session of a removed integration"), "logged")

		// Signing in again works, and a reload that keeps the integration
		// keeps its sessions.
		cookie, access = e.acadioSession(e.url)
		require.NoError(t, e.srv.Reload())
		r = e.get("/v1/session", "Cookie", cookie)
		assert.Equal(t, http.StatusOK, r.status, r.body)
		assert.Equal(t, http.StatusOK, e.verify(access).status)
		// Other integrations' sessions were never touched.
	})
}

// Another instance sharing the PostgreSQL store sees the integration's
// new generation at once, without reloading itself.
func TestSessionsDieWithTheirIntegrationOnEveryInstance(t *testing.T) {
	dsn := testPostgres(t)
	data := filepath.Join(t.TempDir(), "data")
	e := newEnv(t, envOptions{dsn: dsn, dataDir: data})
	b := e.start(data)
	urlB := httptestServer(t, b)

	cookie, access := e.acadioSession(e.url)
	require.Equal(t, http.StatusOK, send(t, nil, http.MethodGet, urlB+"/v1/session", nil, "Cookie", cookie).status)
	// The integration removed and added back on instance A only.
	e.write(e.withoutAcadio())
	require.NoError(t, e.srv.Reload())
	e.write(e.testConfig(""))
	require.NoError(t, e.srv.Reload())

	r := send(t, nil, http.MethodGet, urlB+"/v1/session", nil, "Cookie", cookie)
	assert.Equal(t, http.StatusUnauthorized, r.status, r.body)
	assert.Equal(t, "invalid_token", r.json["error"])
	r = send(t, nil, http.MethodPost, urlB+"/v1/verify", nil, "Authorization", "Bearer "+access)
	assert.Equal(t, "invalid_token", r.json["error"])

	// A new session from B (whose configuration never changed) is live on
	// both.
	cookie, _ = e.acadioSession(urlB)
	for _, u := range []string{e.url, urlB} {
		r = send(t, nil, http.MethodGet, u+"/v1/session", nil, "Cookie", cookie)
		assert.Equal(t, http.StatusOK, r.status, r.body)
	}

	// Removed on A: B, which still has it configured, begins no session
	// for it, and the one begun on B is dead on B too.
	e.write(e.withoutAcadio())
	require.NoError(t, e.srv.Reload())
	r = send(t, nil, http.MethodGet, urlB+"/auth/callback/jwt-auth?token="+url.QueryEscape(e.acadioToken(nil)), nil, "Accept", "application/json")
	assert.Equal(t, http.StatusUnauthorized, r.status, r.body)
	assert.Equal(t, "configuration_not_found", r.json["error"])
	assert.Empty(t, r.resp.Cookies())
	r = send(t, nil, http.MethodPost, urlB+"/oauth2/token", strings.NewReader(form(
		"grant_type", grantTokenExchange, "subject_token", e.acadioToken(nil), "subject_token_type", tokenTypeJWT)),
		"Content-Type", "application/x-www-form-urlencoded")
	assert.Equal(t, http.StatusBadRequest, r.status, r.body)
	assert.Equal(t, "invalid_request", r.json["error"])
	r = send(t, nil, http.MethodGet, urlB+"/v1/session", nil, "Cookie", cookie)
	assert.Equal(t, "invalid_token", r.json["error"])
}

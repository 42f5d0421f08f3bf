package server

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/jwtgate/jwtgate/internal/secretdoc"
)

// newAdminEnv is newEnv with a secrets key, so that integrations with
// shared secrets can be stored, and a tenant "acme" created.
func newAdminEnv(t testing.TB, o envOptions) *env {
	t.Helper()
	o.extra += "  secrets_key_file: secrets.key\n"
	o.noStart = true
	e := newEnv(t, o)
	_, err := secretdoc.GenerateKeyFile(filepath.Join(e.dir, "secrets.key"))
	require.NoError(t, err)
	e.serve()
	e.admin(http.MethodPost, "/v1/admin/tenants", `{"id":"acme","name":"Acme Corp"}`).expect(t, http.StatusCreated)
	return e
}

// serve starts the env's server over loopback HTTP.
func (e *env) serve() {
	e.t.Helper()
	e.srv = e.start(filepath.Join(e.dir, "data"))
	e.http = httptest.NewServer(e.srv.Handler())
	e.t.Cleanup(e.http.Close)
	e.url = e.http.URL
}

// admin sends an admin API request with the operator token.
func (e *env) admin(method, path, body string, headers ...string) response {
	e.t.Helper()
	return e.adminAs(adminToken, method, path, body, headers...)
}

// adminAs sends an admin API request with the given bearer credential.
func (e *env) adminAs(cred, method, path, body string, headers ...string) response {
	e.t.Helper()
	headers = append(headers, "Authorization", "Bearer "+cred, "Content-Type", "application/json")
	r := send(e.t, nil, method, e.url+path, strings.NewReader(body), headers...)
	if strings.HasPrefix(r.header.Get("Content-Type"), "application/problem+json") {
		require.NoError(e.t, json.Unmarshal([]byte(r.body), &r.json), r.body)
	}
	return r
}

// expect checks an answer's status, showing its body when it is not.
func (r response) expect(t testing.TB, status int) response {
	t.Helper()
	require.Equal(t, status, r.status, r.body)
	return r
}

// tenantCredential issues a tenant admin credential with the operator
// token.
func (e *env) tenantCredential(tenant string) string {
	e.t.Helper()
	r := e.admin(http.MethodPost, "/v1/admin/tenants/"+tenant+"/credentials", `{"label":"test"}`).expect(e.t, http.StatusCreated)
	return r.json["token"].(string)
}

// secretDoc is an Acadio-style integration document: a shared secret,
// with a max age and an issuer.
func secretDoc(issuer, secret string) string {
	return `{"policy":{"issuer":"` + issuer + `","algorithms":["HS256"],"keys":[{"secret":"` + secret + `"}],"max_age":"10m"}}`
}

func jsonOf(t testing.TB, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	require.NoError(t, err)
	return string(b)
}

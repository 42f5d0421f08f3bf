package server

import (
	"context"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A proxy's way of telling /v1/authz the original request.
type forwardShape struct {
	name              string
	methodHdr, uriHdr string // "" for Envoy's shape
	service           string // the forward_auth setting, "" for none
}

var (
	nginxShape   = forwardShape{"nginx", "X-Original-Method", "X-Original-URI", ""}
	traefikShape = forwardShape{"traefik", "X-Forwarded-Method", "X-Forwarded-Uri", ""}
	envoyShape   = forwardShape{"envoy", "", "", ""}
	customShape  = forwardShape{"headers", "X-Auth-Method", "X-Auth-Uri", ""}
)

// knownForwardHeaders are the headers a client can add hoping that
// /v1/authz reads them instead of the proxy's.
var knownForwardHeaders = []struct{ name, kind string }{
	{"X-Forwarded-Method", "method"}, {"X-Original-Method", "method"},
	{"X-Forwarded-Uri", "uri"}, {"X-Original-URI", "uri"}, {"X-Original-Url", "uri"},
}

// ask sends /v1/authz the original request method uri in the shape's way,
// plus extra headers (those a client added, which nginx's subrequest
// carries), and returns the status.
func (sh forwardShape) ask(e *env, auth, method, uri string, extra ...string) int {
	e.t.Helper()
	headers := append([]string{"Authorization", auth}, extra...)
	if sh.uriHdr == "" {
		return send(e.t, nil, method, e.url+"/v1/authz"+uri, nil, headers...).status
	}
	headers = append(headers, sh.methodHdr, method, sh.uriHdr, uri)
	return send(e.t, nil, http.MethodGet, e.url+"/v1/authz", nil, headers...).status
}

// TestForwardAuthSources: for each forward_auth setting, a client's own
// copy of the original method or URI (X-Forwarded-Uri: /public on a
// request for /admin; X-Forwarded-Method: POST on a GET-only route), as
// nginx's subrequest would forward it, is refused, never taken; a
// repeated or missing header of the source is refused too.
func TestForwardAuthSources(t *testing.T) {
	routes := pathRoutesYAML()
	for _, tc := range []struct {
		setting string
		shapes  []forwardShape // the shapes this setting reads
		foreign []forwardShape // shapes it refuses
	}{
		{"", []forwardShape{nginxShape, traefikShape, envoyShape}, []forwardShape{customShape}},
		{"{source: nginx}", []forwardShape{nginxShape}, []forwardShape{traefikShape, envoyShape, customShape}},
		{"{source: traefik}", []forwardShape{traefikShape}, []forwardShape{nginxShape, envoyShape, customShape}},
		{"{source: envoy}", []forwardShape{envoyShape}, []forwardShape{nginxShape, traefikShape, customShape}},
		{"{method_header: x-auth-method, uri_header: X-Auth-Uri}", []forwardShape{customShape}, []forwardShape{nginxShape, traefikShape, envoyShape}},
	} {
		t.Run("forward_auth "+tc.setting, func(t *testing.T) {
			service := routes
			if tc.setting != "" {
				service += "  forward_auth: " + tc.setting + "\n"
			}
			e := routesEnv(t, service)
			user := "Bearer " + e.oktoToken(map[string]any{"roles": []string{"user"}})
			admin := "Bearer " + e.oktoToken(map[string]any{"roles": []string{"admin", "reporter"}})
			for _, sh := range tc.shapes {
				// The proxy's copy alone is read.
				assert.Equal(t, 403, sh.ask(e, user, "GET", "/admin"), sh.name)
				assert.Equal(t, 200, sh.ask(e, admin, "GET", "/admin"), sh.name)
				assert.Equal(t, 403, sh.ask(e, user, "GET", "/reports"), sh.name)
				assert.Equal(t, 200, sh.ask(e, user, "POST", "/reports"), sh.name+": the route is GET only")
				assert.Equal(t, 200, sh.ask(e, user, "get", "/public"), sh.name)
				for _, h := range knownForwardHeaders {
					if h.name == sh.uriHdr || h.name == sh.methodHdr {
						continue // the proxy sets (overwrites) its own headers
					}
					if h.kind == "uri" {
						assert.Equal(t, 400, sh.ask(e, user, "GET", "/admin", h.name, "/public"), "%s + client's %s", sh.name, h.name)
						assert.Equal(t, 403, sh.ask(e, user, "GET", "/admin", h.name, "/admin"), "%s + an agreeing %s", sh.name, h.name)
					} else {
						assert.Equal(t, 400, sh.ask(e, user, "GET", "/reports", h.name, "POST"), "%s + client's %s", sh.name, h.name)
						assert.Equal(t, 403, sh.ask(e, user, "GET", "/reports", h.name, "get"), "%s + an agreeing %s", sh.name, h.name)
					}
				}
				if sh.uriHdr != "" {
					// Several copies of the source's own headers.
					assert.Equal(t, 400, sh.ask(e, user, "GET", "/admin", sh.uriHdr, "/public"), sh.name+": two URI headers")
					assert.Equal(t, 400, sh.ask(e, user, "GET", "/reports", sh.methodHdr, "POST"), sh.name+": two method headers")
					// A method that is not one.
					assert.Equal(t, 400, send(t, nil, "GET", e.url+"/v1/authz", nil, "Authorization", user, sh.methodHdr, "GET POST", sh.uriHdr, "/reports").status, sh.name)
					// Half a source.
					assert.Equal(t, 400, send(t, nil, "GET", e.url+"/v1/authz", nil, "Authorization", user, sh.uriHdr, "/public").status, sh.name+": no method")
					assert.Equal(t, 400, send(t, nil, "GET", e.url+"/v1/authz", nil, "Authorization", user, sh.methodHdr, "GET").status, sh.name+": no URI")
				}
			}
			for _, sh := range tc.foreign {
				assert.Equal(t, 400, sh.ask(e, admin, "GET", "/public"), "%s's shape under forward_auth %s", sh.name, tc.setting)
			}
			// Nothing at all.
			assert.Equal(t, 400, send(t, nil, "GET", e.url+"/v1/authz", nil, "Authorization", admin).status)
			r := send(t, nil, "GET", e.url+"/v1/authz", nil, "Authorization", admin)
			assert.Equal(t, map[string]any{"error": "invalid_request", "message": "Invalid original request"}, r.json)
			assert.Contains(t, e.logs.String(), "original request refused")
		})
	}
}

// Behind nginx or Traefik the check request's own path and method are the
// proxy's configuration, not a copy of the original request: a
// subrequest to /v1/authz/ (or nginx's GET subrequest for a POST) is read
// from the headers alone. Without forward_auth the path behind /v1/authz/
// is Envoy's shape, and must agree.
func TestForwardAuthCheckRequestPath(t *testing.T) {
	e := routesEnv(t, pathRoutesYAML()+"  forward_auth: {source: nginx}\n")
	user := "Bearer " + e.oktoToken(map[string]any{"roles": []string{"user"}})
	r := send(t, nil, http.MethodGet, e.url+"/v1/authz/", nil, "Authorization", user, "X-Original-Method", "POST", "X-Original-URI", "/admin")
	assert.Equal(t, 403, r.status)
	r = send(t, nil, http.MethodGet, e.url+"/v1/authz/public", nil, "Authorization", user, "X-Original-Method", "GET", "X-Original-URI", "/admin")
	assert.Equal(t, 403, r.status)

	anySrc := routesEnv(t, pathRoutesYAML())
	user = "Bearer " + anySrc.oktoToken(map[string]any{"roles": []string{"user"}})
	r = send(t, nil, http.MethodGet, anySrc.url+"/v1/authz/public", nil, "Authorization", user, "X-Original-Method", "GET", "X-Original-URI", "/admin")
	assert.Equal(t, 400, r.status)
	r = send(t, nil, http.MethodDelete, anySrc.url+"/v1/authz/admin", nil, "Authorization", user, "X-Forwarded-Method", "GET")
	assert.Equal(t, 400, r.status)
}

func TestForwardAuthConfigErrors(t *testing.T) {
	for setting, field := range map[string]string{
		"{source: haproxy}":    "service.forward_auth.source",
		"{source: Nginx}":      "service.forward_auth.source",
		"{method_header: X-M}": "service.forward_auth.method_header",
		"{uri_header: X-U}":    "service.forward_auth.method_header",
		"{source: nginx, method_header: X-M, uri_header: X-U}": "service.forward_auth.source",
		"{method_header: 'X M', uri_header: X-U}":              "service.forward_auth.method_header",
		"{method_header: X-M, uri_header: 'X:U'}":              "service.forward_auth.uri_header",
		"{sauce: nginx}": "sauce",
	} {
		e := newEnv(t, envOptions{noStart: true})
		e.write("integrations: [{name: a, issuer: 'https://a.example', algorithms: [HS256], keys: [{secret: " + oktoSecret + "}]}]\nservice:\n  forward_auth: " + setting + "\n")
		_, err := New(context.Background(), Options{ConfigFile: e.config, DataDir: t.TempDir(), StoreDSN: e.storeDS})
		require.Error(t, err, setting)
		assert.ErrorIs(t, err, ErrConfig, setting)
		assert.ErrorContains(t, err, field, setting)
	}
}

func TestOriginalRequest(t *testing.T) {
	req := func(method, target string, headers ...string) *http.Request {
		r, err := http.NewRequest(method, "http://x"+target, nil)
		require.NoError(t, err)
		r.RequestURI = target
		for i := 0; i+1 < len(headers); i += 2 {
			r.Header.Add(headers[i], headers[i+1])
		}
		return r
	}
	envoy, _, err := newForwardSource("envoy", "", "")
	require.NoError(t, err)
	m, u, err := originalRequest(req(http.MethodPost, "/v1/authz/api/items?id=3"), envoy)
	require.NoError(t, err)
	assert.Equal(t, "POST", m)
	assert.Equal(t, "/api/items?id=3", u)
	// The target as sent: not decoded, not cleaned.
	_, u, err = originalRequest(req(http.MethodGet, "/v1/authz/a/../%61dmin;x"), envoy)
	require.NoError(t, err)
	assert.Equal(t, "/a/../%61dmin;x", u)

	nginx, _, err := newForwardSource("nginx", "", "")
	require.NoError(t, err)
	m, u, err = originalRequest(req(http.MethodGet, "/v1/authz", "X-Original-Method", "put", "X-Original-URI", "/x"), nginx)
	require.NoError(t, err)
	assert.Equal(t, "PUT", m)
	assert.Equal(t, "/x", u)
	_, _, err = originalRequest(req(http.MethodGet, "/v1/authz", "X-Original-Method", "GET", "X-Original-URI", "/x", "X-Forwarded-Uri", "/y"), nginx)
	var fe *forwardedError
	require.ErrorAs(t, err, &fe)
	assert.Contains(t, fe.Reason, "X-Forwarded-Uri disagrees")
}

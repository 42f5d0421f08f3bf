package server

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/jwtgate/jwtgate/internal/testcorpus"
)

// routesEnv is a server whose only integration is an HS256 one (Okto's
// issuer and secret, no remote validation) and whose service section is
// service.
func routesEnv(t *testing.T, service string) *env {
	t.Helper()
	return routesEnvWith(t, "", service)
}

// routesEnvWith is routesEnv with more settings of the integration (lines
// indented as its fields).
func routesEnvWith(t *testing.T, integration, service string) *env {
	t.Helper()
	e := newEnv(t, envOptions{noStart: true})
	e.write(`integrations:
  - name: okto
    tenant: okto-wallets
    issuer: ` + oktoIssuer + `
    algorithms: [HS256]
    keys: [{secret: ` + oktoSecret + `}]
    subject_claim: user_id
` + integration + `service:
  public_url: http://localhost:8080
` + service)
	e.srv = e.start(filepath.Join(e.dir, "data"))
	e.http = httptest.NewServer(e.srv.Handler())
	t.Cleanup(e.http.Close)
	e.url = e.http.URL
	return e
}

// pathRoutesYAML is testcorpus.PathRoutes as service.routes.
func pathRoutesYAML() string {
	var b strings.Builder
	b.WriteString("  routes:\n")
	for _, rt := range testcorpus.PathRoutes() {
		fmt.Fprintf(&b, "    - {prefix: %s, require_roles: {any: [%s]}", rt.Prefix, rt.Role)
		if rt.Methods != nil {
			fmt.Fprintf(&b, ", methods: [%s]", strings.Join(rt.Methods, ", "))
		}
		b.WriteString("}\n")
	}
	return b.String()
}

// outcome classifies the answers for a token without the route's role
// and one with every role.
func outcome(user, privileged int) testcorpus.PathOutcome {
	switch {
	case user == http.StatusBadRequest && privileged == http.StatusBadRequest:
		return testcorpus.Refused
	case user == http.StatusForbidden && privileged == http.StatusOK:
		return testcorpus.Protected
	case user == http.StatusOK:
		return testcorpus.Open
	}
	return testcorpus.PathOutcome(fmt.Sprintf("%d/%d", user, privileged))
}

// TestRouteSpellings runs the shared spelling table against /v1/authz over
// loopback, in the two shapes a proxy asks in: nginx's headers (the
// default deployment) and Envoy's original request behind the path
// prefix, sent as raw bytes so that no client library respells it.
func TestRouteSpellings(t *testing.T) {
	e := routesEnv(t, pathRoutesYAML())
	user := "Bearer " + e.oktoToken(map[string]any{"roles": []string{"user"}})
	privileged := "Bearer " + e.oktoToken(map[string]any{"roles": testcorpus.PathRoles})
	cases := testcorpus.PathCases()
	require.GreaterOrEqual(t, len(cases), 40)
	t.Run("nginx headers", func(t *testing.T) {
		for _, c := range cases {
			status := func(auth string) int {
				return e.get("/v1/authz", "Authorization", auth, "X-Original-Method", c.Method, "X-Original-URI", c.URI).status
			}
			got := outcome(status(user), status(privileged))
			assert.Equal(t, c.Want, got, "%s %q", c.Method, c.URI)
		}
	})
	t.Run("envoy path", func(t *testing.T) {
		for _, c := range cases {
			if !strings.HasPrefix(c.URI, "/") {
				continue // Envoy's :path always starts with "/"
			}
			got := outcome(rawAuthz(t, e.url, c.Method, "/v1/authz"+c.URI, user), rawAuthz(t, e.url, c.Method, "/v1/authz"+c.URI, privileged))
			assert.Equal(t, c.Want, got, "%s %q", c.Method, c.URI)
		}
	})
	assert.NotContains(t, e.logs.String(), `"panic"`)
}

// rawAuthz sends one request with the request target as given, byte for
// byte, and returns the status.
func rawAuthz(t *testing.T, base, method, target, authorization string) int {
	t.Helper()
	u, err := url.Parse(base)
	require.NoError(t, err)
	conn, err := net.DialTimeout("tcp", u.Host, 5*time.Second)
	require.NoError(t, err)
	defer conn.Close()
	require.NoError(t, conn.SetDeadline(time.Now().Add(10*time.Second)))
	_, err = fmt.Fprintf(conn, "%s %s HTTP/1.1\r\nHost: %s\r\nAuthorization: %s\r\nConnection: close\r\n\r\n", method, target, u.Host, authorization)
	require.NoError(t, err)
	resp, err := http.ReadResponse(bufio.NewReader(conn), &http.Request{Method: strings.ToUpper(method)})
	require.NoError(t, err)
	defer resp.Body.Close()
	io.Copy(io.Discard, resp.Body)
	return resp.StatusCode
}

// TestRouteOptions: case_sensitive opts a route out of case folding,
// forward_auth.unicode_paths admits non-ASCII paths (still refusing those
// that map to ASCII), and a prefix that no canonical path could match is a
// configuration error naming the route.
func TestRouteOptions(t *testing.T) {
	routes := "  routes:\n    - {prefix: /Exact, case_sensitive: true, require_roles: {any: [admin]}}\n"
	ascii := routesEnv(t, routes)
	uni := routesEnv(t, routes+"  forward_auth: {unicode_paths: true}\n")
	user := "Bearer " + ascii.oktoToken(map[string]any{"roles": []string{"user"}})
	for _, c := range []struct {
		e    *env
		uri  string
		want int
	}{
		{ascii, "/Exact/x", 403}, {ascii, "/exact/x", 200}, {ascii, "/EXACT", 200},
		{ascii, "/caf%C3%A9", 400}, {ascii, "/caf\xc3\xa9", 400},
		{uni, "/caf%C3%A9", 200}, {uni, "/caf\xc3\xa9/x", 200}, {uni, "/%c0%af", 400}, {uni, "/\xef\xbc\xa5xact", 400}, {uni, "/Exact/caf%C3%A9", 403},
	} {
		r := c.e.get("/v1/authz", "Authorization", user, "X-Original-Method", "GET", "X-Original-URI", c.uri)
		assert.Equal(t, c.want, r.status, "%q (unicode_paths %v)", c.uri, c.e == uni)
		if c.want == 400 {
			assert.Equal(t, map[string]any{"error": "invalid_request", "message": "Invalid request path"}, r.json)
		}
	}
	assert.Contains(t, ascii.logs.String(), "request path refused")

	for _, bad := range []string{"/a/../b", "/a;b", "/a%2fb", "/a.", "/café", "//a"} {
		e := newEnv(t, envOptions{noStart: true})
		e.write("integrations: [{name: a, issuer: 'https://a.example', algorithms: [HS256], keys: [{secret: " + oktoSecret + "}]}]\nservice:\n  routes:\n    - {prefix: /ok}\n    - {prefix: '" + bad + "'}\n")
		_, err := New(context.Background(), Options{ConfigFile: e.config, DataDir: t.TempDir(), StoreDSN: e.storeDS})
		assert.ErrorIs(t, err, ErrConfig, bad)
		assert.ErrorContains(t, err, "service.routes[1].prefix", bad)
	}
}

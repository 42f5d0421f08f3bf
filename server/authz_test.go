package server

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestAuthzForwardAuth(t *testing.T) {
	e := newEnv(t, envOptions{})
	tok := e.oktoToken(map[string]any{"permissions": []string{"reports:read:tenant"}, "roles": []string{"user"}})

	// Traefik: X-Forwarded-Method and X-Forwarded-Uri; identity headers.
	r := e.get("/v1/authz", "Authorization", "Bearer "+tok, "X-Forwarded-Method", "GET", "X-Forwarded-Uri", "/reports/q3?x=1")
	require.Equal(t, http.StatusOK, r.status, r.body)
	assert.Equal(t, "wallet-user-7", r.header.Get("X-User-Id"), "the integration's headers mapping")
	assert.Equal(t, "wallet-user-7", r.header.Get("X-Jwtgate-Subject"))
	assert.Equal(t, "okto-wallets", r.header.Get("X-Jwtgate-Tenant"))
	assert.Equal(t, "okto", r.header.Get("X-Jwtgate-Integration"))

	// nginx: X-Original-Method and X-Original-URI; without the method, no
	// default: the request is refused.
	r = e.get("/v1/authz", "Authorization", "Bearer "+tok, "X-Original-Method", "GET", "X-Original-URI", "/reports")
	assert.Equal(t, http.StatusOK, r.status, r.body)
	r = e.get("/v1/authz", "Authorization", "Bearer "+tok, "X-Original-URI", "/reports")
	assert.Equal(t, http.StatusBadRequest, r.status, r.body)

	// Envoy ext_authz: the original method and path behind the prefix.
	r = send(t, nil, http.MethodGet, e.url+"/v1/authz/reports/q3", nil, "Authorization", "Bearer "+tok)
	assert.Equal(t, http.StatusOK, r.status, r.body)

	// Without the permission: 403 on the route, 200 elsewhere.
	weak := e.oktoToken(map[string]any{"permissions": []string{"reports:read:own"}})
	r = e.get("/v1/authz", "Authorization", "Bearer "+weak, "X-Forwarded-Method", "GET", "X-Forwarded-Uri", "/reports/q3")
	assert.Equal(t, http.StatusForbidden, r.status)
	assert.Equal(t, "permission_denied", r.json["error"])
	assert.Contains(t, r.header.Get("WWW-Authenticate"), `error="insufficient_scope"`)
	r = send(t, nil, http.MethodDelete, e.url+"/v1/authz/reports/q3", nil, "Authorization", "Bearer "+weak)
	assert.Equal(t, http.StatusOK, r.status, "the route is for GET only")
	r = e.get("/v1/authz", "Authorization", "Bearer "+weak, "X-Forwarded-Method", "GET", "X-Forwarded-Uri", "/reportsx")
	assert.Equal(t, http.StatusOK, r.status, "prefixes match whole segments")
	// Dot segments and encoding do not dodge a route.
	for _, uri := range []string{"/public/../reports/q3", "/%72eports/q3", "//reports/q3", "/./reports"} {
		r = e.get("/v1/authz", "Authorization", "Bearer "+weak, "X-Forwarded-Method", "GET", "X-Forwarded-Uri", uri)
		assert.Equal(t, http.StatusForbidden, r.status, uri)
	}

	// Roles and groups routes.
	r = e.get("/v1/authz", "Authorization", "Bearer "+tok, "X-Forwarded-Method", "GET", "X-Forwarded-Uri", "/admin")
	assert.Equal(t, http.StatusForbidden, r.status)
	admin := e.oktoToken(map[string]any{"roles": []string{"admin"}})
	r = e.get("/v1/authz", "Authorization", "Bearer "+admin, "X-Forwarded-Method", "GET", "X-Forwarded-Uri", "/admin/users")
	assert.Equal(t, http.StatusOK, r.status)
	okera := e.okeraToken(0, "okera-1", map[string]any{"groups": []string{"analysts", "x"}})
	r = e.get("/v1/authz", "Authorization", "Bearer "+okera, "X-Forwarded-Method", "GET", "X-Forwarded-Uri", "/analytics")
	assert.Equal(t, http.StatusOK, r.status, r.body)
	assert.Equal(t, "analysts,x", r.header.Get("X-Groups"))
	r = e.get("/v1/authz", "Authorization", "Bearer "+e.okeraToken(0, "okera-1", map[string]any{"groups": []string{}}), "X-Forwarded-Method", "GET", "X-Forwarded-Uri", "/analytics")
	assert.Equal(t, http.StatusForbidden, r.status)

	// No credential: 401 with a bare challenge; a bad one: the code's
	// message in the challenge, never the reason.
	r = e.get("/v1/authz", "X-Forwarded-Method", "GET", "X-Forwarded-Uri", "/reports")
	assert.Equal(t, http.StatusUnauthorized, r.status)
	assert.Equal(t, `Bearer realm="jwtgate"`, r.header.Get("WWW-Authenticate"))
	expired := e.oktoToken(map[string]any{"exp": e.clock.Now().Add(-time.Hour).Unix()})
	r = e.get("/v1/authz/", "Authorization", "Bearer "+expired)
	assert.Equal(t, http.StatusUnauthorized, r.status)
	assert.Equal(t, `Bearer realm="jwtgate", error="invalid_token", error_description="Token expired"`, r.header.Get("WWW-Authenticate"))
	assert.Equal(t, map[string]any{"error": "token_expired", "message": "Token expired"}, r.json)
	r = e.get("/v1/authz/", "Authorization", "Basic eDp5")
	assert.Equal(t, http.StatusUnauthorized, r.status)
	assert.Equal(t, "invalid_token", r.json["error"])

	// The session cookie works as well.
	signin := e.get("/auth/callback/jwt-auth?token=" + url.QueryEscape(e.acadioToken(map[string]any{"groups": []string{"analysts"}})))
	require.Equal(t, http.StatusSeeOther, signin.status)
	ck := signin.resp.Cookies()[0]
	r = e.get("/v1/authz", "Cookie", ck.Name+"="+ck.Value, "X-Forwarded-Method", "GET", "X-Forwarded-Uri", "/analytics/x")
	assert.Equal(t, http.StatusOK, r.status, r.body)
	assert.Equal(t, "student@school.example", r.header.Get("X-Jwtgate-Subject"))
	// A session cookie is not an access token.
	r = e.get("/v1/authz/", "Authorization", "Bearer "+ck.Value)
	assert.Equal(t, http.StatusUnauthorized, r.status)
	// A forged cookie.
	r = e.get("/v1/authz/", "Cookie", ck.Name+"="+ck.Value[:len(ck.Value)-4]+"AAAA")
	assert.Equal(t, http.StatusUnauthorized, r.status)

	assertNoTokenInLogs(t, e.logs.String(), tok, weak, admin, okera, expired, ck.Value)
}

func TestSafeRelative(t *testing.T) {
	for _, ok := range []string{"/", "/a", "/a/b?c=d", "/courses/42#x"} {
		assert.True(t, safeRelative(ok), ok)
	}
	for _, bad := range []string{"", "a", "//evil", "/\\evil", "/%2F%2Fevil", "/%5Cevil", "https://x", "/a b", "/a\x00", "/é", strings.Repeat("/a", 2000)} {
		assert.False(t, safeRelative(bad), bad)
	}
}

// A route pinned to an integration (edge.RouteConfig.Integration, as the
// proxy filter's) refuses every other integration's credential as
// configuration_not_found: an external token before its one-time jti is
// spent, jwtgate's own session by the integration it was made for.
func TestAuthzPinnedRoute(t *testing.T) {
	e := newEnv(t, envOptions{extra: "    - {prefix: /wallet, integration: okto}\n"})
	ask := func(uri string, headers ...string) response {
		return e.get("/v1/authz", append(headers, "X-Forwarded-Method", "GET", "X-Forwarded-Uri", uri)...)
	}
	notFound := `Bearer realm="jwtgate", error="invalid_token", error_description="Configuration not found"`

	r := ask("/wallet/balance", "Authorization", "Bearer "+e.oktoToken(nil))
	require.Equal(t, http.StatusOK, r.status, r.body)
	assert.Equal(t, "okto", r.header.Get("X-Jwtgate-Integration"))

	once := e.authonomyToken(nil)
	r = ask("/wallet", "Authorization", "Bearer "+once)
	assert.Equal(t, http.StatusUnauthorized, r.status)
	assert.Equal(t, map[string]any{"error": "configuration_not_found", "message": "Configuration not found"}, r.json)
	assert.Equal(t, notFound, r.header.Get("WWW-Authenticate"))
	r = ask("/elsewhere", "Authorization", "Bearer "+once)
	assert.Equal(t, http.StatusOK, r.status, "the pinned route did not spend the one-time token: %s", r.body)

	signin := e.get("/auth/callback/jwt-auth?token=" + url.QueryEscape(e.acadioToken(nil)))
	require.Equal(t, http.StatusSeeOther, signin.status)
	ck := signin.resp.Cookies()[0]
	r = ask("/wallet", "Cookie", ck.Name+"="+ck.Value)
	assert.Equal(t, http.StatusUnauthorized, r.status)
	assert.Equal(t, "configuration_not_found", r.json["error"])
	assert.Equal(t, notFound, r.header.Get("WWW-Authenticate"))
	assert.Equal(t, http.StatusOK, ask("/elsewhere", "Cookie", ck.Name+"="+ck.Value).status)

	bad := newEnv(t, envOptions{noStart: true, extra: "    - {prefix: /wallet, integration: nope}\n"})
	_, err := New(t.Context(), Options{ConfigFile: bad.config, DataDir: t.TempDir(), StoreDSN: bad.storeDS})
	assert.ErrorIs(t, err, ErrConfig)
	assert.ErrorContains(t, err, `field service.routes[3].integration: the policy has no integration "nope"`)
}

package server

import (
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/jwtgate/jwtgate/store"
)

// The origins of the tests: the public URL's (same-origin), Authonomy's
// app, Acadio's site, and an attacker's.
// sessionLine is the session settings of the test configuration.
const sessionLine = "session: {cookie: jwtgate_session, ttl: 8h}"

const (
	publicOrigin = "http://localhost:8080"
	vendorOrigin = "https://app.example.com"
	schoolOrigin = "https://school.example"
	evilOrigin   = "https://evil.example"
)

// newOriginEnv is the seeds' env with allowed_origins for Authonomy (its
// app) and Acadio (its site), and the edits (old, new, …) of the
// configuration.
func newOriginEnv(t *testing.T, edits ...string) *env {
	t.Helper()
	return originEnvOn(t, nil, edits...)
}

// originEnvOn is newOriginEnv served on ln; nil: a fresh loopback port.
func originEnvOn(t *testing.T, ln net.Listener, edits ...string) *env {
	t.Helper()
	e := newEnv(t, envOptions{noStart: true})
	cfg := strings.Replace(e.testConfig(""), "      error_redirect: https://app.example.com/login\n",
		"      error_redirect: https://app.example.com/login\n      allowed_origins: ["+vendorOrigin+"]\n", 1)
	cfg = strings.Replace(cfg, "      error_redirect: /login\n", "      error_redirect: /login\n      allowed_origins: ["+schoolOrigin+"]\n", 1)
	for i := 0; i+1 < len(edits); i += 2 {
		require.Contains(t, cfg, edits[i])
		cfg = strings.Replace(cfg, edits[i], edits[i+1], 1)
	}
	e.write(cfg)
	e.srv = e.start(t.TempDir())
	if ln == nil {
		e.url = httptestServer(t, e.srv)
		return e
	}
	e.http = &httptest.Server{Listener: ln, Config: &http.Server{Handler: e.srv.Handler()}}
	e.http.Start()
	t.Cleanup(e.http.Close)
	e.url = e.http.URL
	return e
}

// signInPost posts a fresh Authonomy token for subject sub as a JSON
// body, with the given headers.
func (e *env) signInPost(sub string, headers ...string) response {
	e.t.Helper()
	body, _ := json.Marshal(map[string]string{"token": e.authonomyToken(map[string]any{"sub": sub})})
	return e.post("/auth/jwt", "application/json", string(body), append([]string{"Accept", "application/json"}, headers...)...)
}

// assertRefused checks a 403 forbidden_origin with no cookie, no CORS
// grant, Vary: Origin, and no subject stored for sub.
func (e *env) assertRefused(r response, sub, what string) {
	e.t.Helper()
	assert.Equal(e.t, http.StatusForbidden, r.status, "%s: %s", what, r.body)
	assert.Equal(e.t, map[string]any{"error": "forbidden_origin", "message": "Origin not allowed"}, r.json, what)
	assert.Empty(e.t, r.header.Values("Set-Cookie"), what)
	assertNoGrant(e.t, r, what)
	if sub != "" {
		_, err := e.subject(authonomyTenant, "authonomy", sub)
		assert.True(e.t, errors.Is(err, store.ErrNotFound), "%s: subject %s was stored (%v)", what, sub, err)
	}
}

func assertNoGrant(t testing.TB, r response, what string) {
	t.Helper()
	assert.Empty(t, r.header.Values("Access-Control-Allow-Origin"), what)
	assert.Empty(t, r.header.Values("Access-Control-Allow-Credentials"), what)
	assert.Contains(t, r.header.Values("Vary"), "Origin", what)
}

func assertGrant(t *testing.T, r response, origin, what string) {
	t.Helper()
	assert.Equal(t, []string{origin}, r.header.Values("Access-Control-Allow-Origin"), what)
	assert.Equal(t, []string{"true"}, r.header.Values("Access-Control-Allow-Credentials"), what)
	assert.Contains(t, r.header.Values("Vary"), "Origin", what)
}

func (e *env) assertSignedIn(r response, sub, what string) {
	e.t.Helper()
	require.Equal(e.t, http.StatusOK, r.status, "%s: %s", what, r.body)
	assert.Equal(e.t, sub, r.json["subject"], what)
	require.Len(e.t, r.resp.Cookies(), 1, what)
	assert.Equal(e.t, "jwtgate_session", r.resp.Cookies()[0].Name, what)
	_, err := e.subject(authonomyTenant, "authonomy", sub)
	assert.NoError(e.t, err, what)
}

// Login CSRF: a cross-site POST to /auth/jwt with the attacker's own token
// would sign the victim's browser in as the attacker. With no
// allowed_origins at all, only same-origin and non-browser posts sign in.
func TestSignInRefusesCrossSitePosts(t *testing.T) {
	e := newEnv(t, envOptions{})
	for i, tc := range []struct {
		name    string
		headers []string
		ok      bool
	}{
		{"cross-site Origin", []string{"Origin", evilOrigin}, false},
		{"cross-site Origin with Sec-Fetch-Site", []string{"Origin", evilOrigin, "Sec-Fetch-Site", "cross-site"}, false},
		{"Origin null (sandboxed frame, data: URL)", []string{"Origin", "null"}, false},
		{"another port of the public host", []string{"Origin", "http://localhost:8081"}, false},
		{"https of the public host", []string{"Origin", "https://localhost:8080"}, false},
		{"public origin with a path", []string{"Origin", publicOrigin + "/"}, false},
		{"public origin in capitals", []string{"Origin", "HTTP://LOCALHOST:8080"}, false},
		{"two Origin headers", []string{"Origin", publicOrigin, "Origin", evilOrigin}, false},
		{"no Origin, Sec-Fetch-Site cross-site", []string{"Sec-Fetch-Site", "cross-site"}, false},
		{"no Origin, Sec-Fetch-Site cross-site twice", []string{"Sec-Fetch-Site", "same-origin", "Sec-Fetch-Site", "cross-site"}, false},
		{"same origin", []string{"Origin", publicOrigin, "Sec-Fetch-Site", "same-origin"}, true},
		{"no Origin, Sec-Fetch-Site same-origin", []string{"Sec-Fetch-Site", "same-origin"}, true},
		{"no Origin, Sec-Fetch-Site same-site", []string{"Sec-Fetch-Site", "same-site"}, true},
		{"no Origin, Sec-Fetch-Site none (typed in, bookmark)", []string{"Sec-Fetch-Site", "none"}, true},
		{"no headers at all (curl, a vendor's backend)", nil, true},
	} {
		sub := "csrf-" + string(rune('a'+i))
		r := e.signInPost(sub, tc.headers...)
		if tc.ok {
			e.assertSignedIn(r, sub, tc.name)
		} else {
			e.assertRefused(r, sub, tc.name)
		}
	}
}

// The classic attack: an auto-submitting form on the attacker's page. The
// refusal is a 403, not the integration's error page.
func TestSignInRefusesCrossSiteForm(t *testing.T) {
	e := newEnv(t, envOptions{})
	tok := e.authonomyToken(map[string]any{"sub": "victim-form"})
	r := e.post("/auth/jwt", "application/x-www-form-urlencoded", form("token", tok),
		"Origin", evilOrigin, "Sec-Fetch-Site", "cross-site", "Sec-Fetch-Mode", "navigate")
	e.assertRefused(r, "victim-form", "form")
	assert.Empty(t, r.header.Get("Location"))

	// Refused before verification: the one-time token was not used up.
	r = e.post("/auth/jwt", "application/x-www-form-urlencoded", form("token", tok), "Accept", "application/json")
	e.assertSignedIn(r, "victim-form", "the same token, same-origin")
}

// The GET redirect flow is cross-site by nature (the vendor sends the
// browser with ?token=): it is not refused, whatever the headers say.
func TestSignInGetFlowUnchanged(t *testing.T) {
	e := newOriginEnv(t)
	for _, h := range [][]string{
		{"Sec-Fetch-Site", "cross-site", "Sec-Fetch-Mode", "navigate"},
		{"Sec-Fetch-Site", "cross-site", "Origin", evilOrigin},
		nil,
	} {
		tok := e.authonomyToken(map[string]any{"redirect_url": "https://app.example.com/dashboard"})
		r := e.get("/auth/jwt?token="+url.QueryEscape(tok), h...)
		require.Equal(t, http.StatusSeeOther, r.status, "%v: %s", h, r.body)
		assert.Equal(t, "https://app.example.com/dashboard", r.header.Get("Location"))
		assert.Len(t, r.resp.Cookies(), 1)
		assertNoGrant(t, r, "GET")
	}
	r := e.get("/auth/callback/jwt-auth?token="+url.QueryEscape(e.acadioToken(nil))+"&go=/courses/42", "Sec-Fetch-Site", "cross-site")
	require.Equal(t, http.StatusSeeOther, r.status, r.body)
	assert.Equal(t, "/courses/42", r.header.Get("Location"))
}

// allowed_origins: the vendor's app signs in by fetch() from its own
// origin, with CORS; the check is against the verified token's own
// integration, not any integration's origins.
func TestSignInAllowedOrigins(t *testing.T) {
	e := newOriginEnv(t)
	r := e.signInPost("ajax-1", "Origin", vendorOrigin, "Sec-Fetch-Site", "cross-site", "Sec-Fetch-Mode", "cors")
	e.assertSignedIn(r, "ajax-1", "allowed origin")
	assertGrant(t, r, vendorOrigin, "allowed origin")

	// Acadio's origin is allowed for Acadio, not for Authonomy's tokens.
	r = e.signInPost("ajax-2", "Origin", schoolOrigin)
	e.assertRefused(r, "ajax-2", "another integration's origin")
	r = e.signInPost("ajax-3", "Origin", evilOrigin)
	e.assertRefused(r, "ajax-3", "unknown origin")
	r = e.signInPost("ajax-4", "Origin", vendorOrigin+".evil.example")
	e.assertRefused(r, "ajax-4", "suffix")
	r = e.signInPost("ajax-5", "Origin", "http://app.example.com")
	e.assertRefused(r, "ajax-5", "http of the vendor")
	r = e.signInPost("ajax-6", "Origin", publicOrigin)
	e.assertSignedIn(r, "ajax-6", "same origin")
	assertNoGrant(t, r, "same origin needs no CORS")
	r = e.signInPost("ajax-7")
	e.assertSignedIn(r, "ajax-7", "no headers")

	// A fetch() without Accept gets the JSON answer too: it cannot follow
	// a redirect to a page.
	body, _ := json.Marshal(map[string]string{"token": e.authonomyToken(map[string]any{"sub": "ajax-8"})})
	r = e.post("/auth/jwt", "application/json", string(body), "Origin", vendorOrigin, "Sec-Fetch-Mode", "cors")
	e.assertSignedIn(r, "ajax-8", "fetch without Accept")
	assertGrant(t, r, vendorOrigin, "fetch without Accept")

	// A refused token from an allowed origin: the vendor's page reads the
	// code; from another origin it cannot.
	bad := e.authonomyToken(map[string]any{"email": nil})
	r = e.post("/auth/jwt", "application/json", `{"token":"`+bad+`"}`, "Accept", "application/json", "Origin", vendorOrigin)
	assert.Equal(t, http.StatusUnauthorized, r.status)
	assert.Equal(t, "required_claims_failed", r.json["error"])
	assertGrant(t, r, vendorOrigin, "refused token, allowed origin")
	r = e.post("/auth/jwt", "application/json", `{"token":"`+bad+`"}`, "Accept", "application/json", "Origin", schoolOrigin)
	assert.Equal(t, http.StatusForbidden, r.status, r.body)
	assertNoGrant(t, r, "refused token, another integration's origin")

	// Acadio's token from Acadio's origin.
	r = e.post("/auth/jwt", "application/json", `{"token":"`+e.acadioToken(nil)+`"}`, "Accept", "application/json", "Origin", schoolOrigin)
	require.Equal(t, http.StatusOK, r.status, r.body)
	assertGrant(t, r, schoolOrigin, "acadio")
}

func TestSignInPreflight(t *testing.T) {
	e := newOriginEnv(t)
	preflight := func(path, origin string) response {
		return send(t, nil, http.MethodOptions, e.url+path, nil, "Origin", origin,
			"Access-Control-Request-Method", "POST", "Access-Control-Request-Headers", "content-type")
	}
	for _, origin := range []string{vendorOrigin, schoolOrigin} {
		r := preflight("/auth/jwt", origin)
		assert.Equal(t, http.StatusNoContent, r.status, r.body)
		assertGrant(t, r, origin, "preflight "+origin)
		assert.Equal(t, "GET, POST", r.header.Get("Access-Control-Allow-Methods"))
		assert.Equal(t, "Content-Type, Authorization", r.header.Get("Access-Control-Allow-Headers"))
		assert.NotEmpty(t, r.header.Get("Access-Control-Max-Age"))
		assert.Empty(t, r.header.Values("Set-Cookie"))
	}
	for _, origin := range []string{evilOrigin, "null", publicOrigin, "*"} {
		r := preflight("/auth/jwt", origin)
		assert.Equal(t, http.StatusForbidden, r.status, origin)
		assertNoGrant(t, r, "preflight "+origin)
		assert.Empty(t, r.header.Get("Access-Control-Allow-Methods"), origin)
	}
	// Not a preflight: the methods.
	r := send(t, nil, http.MethodOptions, e.url+"/auth/jwt", nil)
	assert.Equal(t, http.StatusNoContent, r.status)
	assert.Equal(t, "GET, POST, OPTIONS", r.header.Get("Allow"))
	assertNoGrant(t, r, "OPTIONS without Origin")

	r = preflight("/v1/session", vendorOrigin)
	assert.Equal(t, http.StatusNoContent, r.status)
	assertGrant(t, r, vendorOrigin, "session preflight")
	assert.Equal(t, "GET", r.header.Get("Access-Control-Allow-Methods"))
	r = preflight("/auth/logout", vendorOrigin)
	assert.Equal(t, http.StatusNoContent, r.status)
	assert.Equal(t, "POST", r.header.Get("Access-Control-Allow-Methods"))
}

// /v1/session and /auth/logout answer the vendor's app with CORS, for the
// origins of the session's own integration only; a cross-site logout is
// refused like a cross-site sign-in.
func TestSessionAndLogoutOrigins(t *testing.T) {
	e := newOriginEnv(t)
	r := e.signInPost("cors-session")
	e.assertSignedIn(r, "cors-session", "sign-in")
	cookie := "jwtgate_session=" + r.resp.Cookies()[0].Value

	r = e.get("/v1/session", "Cookie", cookie, "Origin", vendorOrigin)
	require.Equal(t, http.StatusOK, r.status)
	assert.Equal(t, "cors-session", r.json["subject"])
	assertGrant(t, r, vendorOrigin, "session, allowed")
	for _, origin := range []string{schoolOrigin, evilOrigin} {
		r = e.get("/v1/session", "Cookie", cookie, "Origin", origin)
		assertNoGrant(t, r, "session, "+origin)
	}
	r = e.get("/v1/session", "Origin", vendorOrigin)
	assert.Equal(t, http.StatusUnauthorized, r.status)
	assertGrant(t, r, vendorOrigin, "no session, an allowed origin reads the code")

	for _, h := range [][]string{
		{"Origin", evilOrigin}, {"Origin", schoolOrigin}, {"Sec-Fetch-Site", "cross-site"}, {"Origin", "null"},
	} {
		r = e.post("/auth/logout", "", "", append([]string{"Cookie", cookie}, h...)...)
		assert.Equal(t, http.StatusForbidden, r.status, "%v", h)
		assert.Equal(t, "forbidden_origin", r.json["error"])
		assert.Empty(t, r.header.Values("Set-Cookie"), "%v: the cookie is not cleared", h)
		r = e.get("/v1/session", "Cookie", cookie)
		assert.Equal(t, http.StatusOK, r.status, "%v: the session lives on", h)
	}
	r = e.post("/auth/logout", "", "", "Cookie", cookie, "Origin", vendorOrigin)
	require.Equal(t, http.StatusOK, r.status, r.body)
	assertGrant(t, r, vendorOrigin, "logout, allowed")
	r = e.get("/v1/session", "Cookie", cookie)
	assert.Equal(t, http.StatusUnauthorized, r.status, "revoked")
}

func TestSameSiteSetting(t *testing.T) {
	for _, tc := range []struct {
		session, want string
		secure        bool
	}{
		{"session: {cookie: jwtgate_session, ttl: 8h}", "SameSite=Lax", false},
		{"session: {cookie: jwtgate_session, ttl: 8h, same_site: lax}", "SameSite=Lax", false},
		{"session: {cookie: jwtgate_session, ttl: 8h, same_site: strict}", "SameSite=Strict", false},
		// None needs Secure: browsers drop SameSite=None without it.
		{"session: {cookie: jwtgate_session, ttl: 8h, same_site: none}", "SameSite=None", true},
		{"session: {cookie: jwtgate_session, ttl: 8h, same_site: none, secure: true}", "SameSite=None", true},
	} {
		e := newOriginEnv(t, sessionLine, tc.session)
		r := e.signInPost("same-site")
		require.Equal(t, http.StatusOK, r.status, r.body)
		raw := r.header.Get("Set-Cookie")
		assert.Contains(t, raw, tc.want, tc.session)
		assert.Equal(t, tc.secure, strings.Contains(raw, "; Secure"), "%s: %s", tc.session, raw)
		r = send(t, nil, http.MethodPost, e.url+"/auth/logout", nil)
		assert.Contains(t, r.header.Get("Set-Cookie"), tc.want, "the cleared cookie has the same attributes")
	}
}

func TestCookieDomainSetting(t *testing.T) {
	e := newOriginEnv(t, "public_url: http://localhost:8080", "public_url: https://auth.example.com",
		sessionLine, "session: {cookie: jwtgate_session, ttl: 8h, domain: example.com}")
	r := e.signInPost("domain")
	require.Equal(t, http.StatusOK, r.status, r.body)
	assert.Contains(t, r.header.Get("Set-Cookie"), "; Domain=example.com")
	r = send(t, nil, http.MethodPost, e.url+"/auth/logout", nil)
	assert.Contains(t, r.header.Get("Set-Cookie"), "; Domain=example.com", "cleared on the same domain")
}

func TestOriginConfigErrors(t *testing.T) {
	e := newEnv(t, envOptions{noStart: true})
	base := e.testConfig("")
	withOrigins := func(list string) string {
		return strings.Replace(base, "      error_redirect: /login\n", "      error_redirect: /login\n      allowed_origins: "+list+"\n", 1)
	}
	withSession := func(s string) string {
		return strings.Replace(base, sessionLine, s, 1)
	}
	field := "service.integrations.jwt-auth.allowed_origins"
	for _, tc := range []struct {
		name, config, want string
	}{
		{"wildcard", withOrigins(`["*"]`), field + "[0]"},
		{"null", withOrigins(`["null"]`), field + "[0]"},
		{"empty", withOrigins(`[""]`), field + "[0]"},
		{"no scheme", withOrigins(`[app.example.com]`), field + "[0]"},
		{"trailing slash", withOrigins(`["https://ok.example", "https://app.example.com/"]`), field + "[1]"},
		{"path", withOrigins(`["https://app.example.com/app"]`), field + "[0]"},
		{"query", withOrigins(`["https://app.example.com?x"]`), field + "[0]"},
		{"fragment", withOrigins(`["https://app.example.com#x"]`), field + "[0]"},
		{"user", withOrigins(`["https://me@app.example.com"]`), field + "[0]"},
		{"scheme", withOrigins(`["ftp://app.example.com"]`), field + "[0]"},
		{"port", withOrigins(`["https://app.example.com:99999"]`), field + "[0]"},
		{"empty port", withOrigins(`["https://app.example.com:"]`), field + "[0]"},
		{"non-ASCII host", withOrigins(`["https://exämple.com"]`), field + "[0]"},
		{"wildcard host", withOrigins(`["https://*.example.com"]`), field + "[0]"},
		{"IPv4 in IPv6", withOrigins(`["http://[::ffff:127.0.0.1]:3000"]`), field + "[0]"},
		{"IPv6 zone", withOrigins(`["http://[fe80::1%25eth0]:3000"]`), field + "[0]"},
		{"bad same_site", withSession("session: {ttl: 8h, same_site: sometimes}"), "service.session.same_site"},
		{"none without Secure", withSession("session: {ttl: 8h, same_site: none, secure: false}"), "service.session.same_site"},
		{"domain without public_url", strings.Replace(withSession("session: {ttl: 8h, domain: example.com}"), "  public_url: http://localhost:8080\n", "", 1), "service.session.domain"},
		{"domain of another site", withSession("session: {ttl: 8h, domain: example.org}"), "service.session.domain"},
		{"bad domain", withSession("session: {ttl: 8h, domain: 'exa mple.com'}"), "service.session.domain"},
		{"IP domain", strings.Replace(withSession("session: {ttl: 8h, domain: 127.0.0.1}"), "http://localhost:8080", "http://127.0.0.1:8080", 1), "service.session.domain"},
	} {
		e.write(tc.config)
		_, err := New(t.Context(), Options{ConfigFile: e.config, DataDir: t.TempDir(), StoreDSN: e.storeDS})
		require.Error(t, err, tc.name)
		assert.ErrorIs(t, err, ErrConfig, tc.name)
		assert.Contains(t, err.Error(), tc.want, tc.name)
	}
}

func TestParseOrigin(t *testing.T) {
	for in, want := range map[string]string{
		"https://app.example.com":      "https://app.example.com",
		"HTTPS://App.Example.COM":      "https://app.example.com",
		"https://app.example.com:443":  "https://app.example.com",
		"http://app.example.com:80":    "http://app.example.com",
		"https://app.example.com:8443": "https://app.example.com:8443",
		"http://127.0.0.1:3000":        "http://127.0.0.1:3000",
		"http://[::1]:3000":            "http://[::1]:3000",
		"https://xn--exmple-cua.com":   "https://xn--exmple-cua.com",
		"http://[0:0::1]:3000":         "http://[::1]:3000",
	} {
		got, err := parseOrigin(in)
		if assert.NoError(t, err, in) {
			assert.Equal(t, want, got, in)
		}
	}
}

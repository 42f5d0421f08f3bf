package server

import (
	"encoding/json"
	"errors"
	"html/template"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/jwtgate/jwtgate/internal/browsertest"
	"github.com/jwtgate/jwtgate/store"
)

// vendorForm is the attacker's (or a vendor's) page that signs in by an
// auto-submitting form.
var vendorForm = template.Must(template.New("form").Parse(`<!doctype html><title>form</title>
<form method="post" action="{{.Action}}"><input type="hidden" name="token" value="{{.Token}}"></form>
<script>document.forms[0].submit()</script>`))

type corsStep struct {
	Name    string `json:"name"`
	Kind    string `json:"kind"` // fetch or form
	Page    string `json:"page"`
	JWTGate string `json:"jwtgate"`
	Token   string `json:"token"`
	Profile bool   `json:"profile"`
	sub     string
	env     *env
}

type corsAnswer struct {
	Status int    `json:"status"`
	Body   string `json:"body"`
	Error  string `json:"error"`
}

type corsResult struct {
	SignIn  corsAnswer `json:"signIn"`
	Session corsAnswer `json:"session"`
	Console []string   `json:"console"`
	Cookies []struct {
		Name     string `json:"name"`
		Domain   string `json:"domain"`
		SameSite string `json:"sameSite"`
		Secure   bool   `json:"secure"`
	} `json:"cookies"`
}

func listen(t *testing.T, ip string) net.Listener {
	ln, err := net.Listen("tcp", ip+":0")
	require.NoError(t, err)
	return ln
}

func port(ln net.Listener) string {
	return strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)
}

// TestBrowserSignInCORS signs in from a vendor's page in headless
// Chromium, jwtgate on 127.0.0.1 and the pages on other loopback origins:
// 127.0.0.1 on another port (same site, allowed), localhost (another
// site, allowed) and 127.0.0.2 (another site, not allowed).
func TestBrowserSignInCORS(t *testing.T) {
	tools := browsertest.Find(t)
	ctx, cancel := browsertest.Context(t)
	defer cancel()

	// The vendor's pages, on three origins.
	mux := http.NewServeMux()
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Write([]byte("<!doctype html><title>vendor</title><p>the vendor's app</p>"))
	})
	mux.HandleFunc("/form", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		vendorForm.Execute(w, map[string]string{"Action": r.URL.Query().Get("action"), "Token": r.URL.Query().Get("token")})
	})
	serve := func(ln net.Listener) {
		s := &httptest.Server{Listener: ln, Config: &http.Server{Handler: mux}}
		s.Start()
		t.Cleanup(s.Close)
	}
	sameSite, crossSite, evil := listen(t, "127.0.0.1"), listen(t, "127.0.0.1"), listen(t, "127.0.0.2")
	for _, ln := range []net.Listener{sameSite, crossSite, evil} {
		serve(ln)
	}
	sameSiteOrigin := "http://" + sameSite.Addr().String()
	crossSiteOrigin := "http://localhost:" + port(crossSite)
	evilPage := "http://" + evil.Addr().String()

	// jwtgate twice: SameSite=Lax (the default) and SameSite=None.
	start := func(session string) *env {
		ln := listen(t, "127.0.0.1")
		return originEnvOn(t, ln,
			"public_url: http://localhost:8080", "public_url: http://"+ln.Addr().String(),
			"allowed_origins: ["+vendorOrigin+"]", "allowed_origins: ["+sameSiteOrigin+", "+crossSiteOrigin+"]",
			sessionLine, session)
	}
	lax := start(sessionLine)
	none := start("session: {cookie: jwtgate_session, ttl: 8h, same_site: none}")

	step := func(name, kind, page string, e *env) corsStep {
		sub := "browser-" + name
		tok := e.authonomyToken(map[string]any{"sub": sub})
		if kind == "form" {
			page += "/form?" + url.Values{"action": {e.url + "/auth/jwt"}, "token": {tok}}.Encode()
		}
		return corsStep{Name: name, Kind: kind, Page: page, JWTGate: e.url, Token: tok, sub: sub, env: e}
	}
	// profile: a browser profile that allows third-party cookies; else
	// they are blocked (a fresh playwright context, like incognito).
	profile := func(s corsStep) corsStep { s.Profile = true; return s }
	steps := []corsStep{
		step("same-site", "fetch", sameSiteOrigin, lax),
		profile(step("cross-site-lax", "fetch", crossSiteOrigin, lax)),
		profile(step("cross-site-none", "fetch", crossSiteOrigin, none)),
		step("cross-site-none-blocked", "fetch", crossSiteOrigin, none),
		step("not-allowed", "fetch", evilPage, lax),
		step("not-allowed-form", "form", evilPage, lax),
	}
	in := map[string]any{
		"chromium": tools.Chromium, "chromiumArgs": append(browsertest.ChromiumArgs, "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE localhost, EXCLUDE 127.0.0.1, EXCLUDE 127.0.0.2"), "nodeModules": tools.Modules, "steps": steps,
	}
	var out map[string]corsResult
	require.NoError(t, tools.Run(ctx, t, t.TempDir(), filepath.Join("testdata", "signin_cors.mjs"), in, &out))
	require.Len(t, out, len(steps))
	for i, c := range []struct {
		name  string
		check func(t *testing.T, s corsStep, r corsResult)
	}{
		{"allowed origin, same site", func(t *testing.T, s corsStep, r corsResult) {
			require.Equal(t, http.StatusOK, r.SignIn.Status, "the answer is readable: %+v", r)
			assert.Equal(t, s.sub, jsonField(r.SignIn, "subject"))
			require.Equal(t, http.StatusOK, r.Session.Status, "%+v", r)
			assert.Equal(t, s.sub, jsonField(r.Session, "subject"), "a credentialed fetch of /v1/session shows the session")
			require.Len(t, r.Cookies, 1)
			assert.Equal(t, "jwtgate_session", r.Cookies[0].Name)
			assert.Equal(t, "Lax", r.Cookies[0].SameSite)
			assert.True(t, stored(t, s))
		}},
		// Another site: the page reads the answer and the subject is signed
		// in on the server, but whether the browser keeps the cookie depends
		// on its attributes and on the browser's third-party cookie policy.
		{"allowed origin, another site, SameSite=Lax: the cookie is dropped", func(t *testing.T, s corsStep, r corsResult) {
			checkCrossSite(t, s, r, false)
		}},
		{"allowed origin, another site, SameSite=None: the cookie is kept", func(t *testing.T, s corsStep, r corsResult) {
			checkCrossSite(t, s, r, true)
		}},
		{"allowed origin, another site, SameSite=None, third-party cookies blocked", func(t *testing.T, s corsStep, r corsResult) {
			checkCrossSite(t, s, r, false)
		}},
		{"origin not allowed, fetch", func(t *testing.T, s corsStep, r corsResult) {
			assert.Equal(t, "TypeError: Failed to fetch", r.SignIn.Error, "%+v", r)
			assert.Zero(t, r.SignIn.Status)
			assert.Contains(t, strings.Join(r.Console, "\n"), "has been blocked by CORS policy")
			assert.NotEmpty(t, r.Session.Error, "no grant for /v1/session either")
			assert.Empty(t, r.Cookies)
			assert.False(t, stored(t, s), "no subject, no session")
			assert.Contains(t, s.env.logs.String(), `"msg":"origin refused","endpoint":"preflight","origin":"`+evilPage+`"`)
			assert.NotContains(t, s.env.logs.String(), `"subject":"`+s.sub+`"`, "the sign-in never ran")
		}},
		{"origin not allowed, auto-submitting form", func(t *testing.T, s corsStep, r corsResult) {
			assert.Equal(t, http.StatusForbidden, r.SignIn.Status, "%+v", r)
			assert.Equal(t, "forbidden_origin", jsonField(r.SignIn, "error"))
			assert.Empty(t, r.Cookies)
			assert.False(t, stored(t, s), "no subject, no session")
			assert.Contains(t, s.env.logs.String(), `"msg":"origin refused","endpoint":"signin","origin":"`+evilPage+`"`)
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			r, ok := out[steps[i].Name]
			require.True(t, ok, "no result for %s", steps[i].Name)
			c.check(t, steps[i], r)
		})
	}
}

// stored reports whether the step's subject was signed in on the server.
func stored(t *testing.T, s corsStep) bool {
	_, err := s.env.subject(authonomyTenant, "authonomy", s.sub)
	if err != nil {
		require.True(t, errors.Is(err, store.ErrNotFound), "%v", err)
	}
	return err == nil
}

func jsonField(a corsAnswer, name string) any {
	var m map[string]any
	json.Unmarshal([]byte(a.Body), &m)
	return m[name]
}

func checkCrossSite(t *testing.T, s corsStep, r corsResult, kept bool) {
	require.Equal(t, http.StatusOK, r.SignIn.Status, "the answer is readable: %+v", r)
	assert.True(t, stored(t, s))
	if !kept {
		assert.Equal(t, http.StatusUnauthorized, r.Session.Status, "%+v", r)
		assert.Empty(t, r.Cookies)
		return
	}
	require.Equal(t, http.StatusOK, r.Session.Status, "%+v", r)
	assert.Equal(t, s.sub, jsonField(r.Session, "subject"))
	require.Len(t, r.Cookies, 1)
	assert.Equal(t, "__Host-jwtgate_session", r.Cookies[0].Name, "SameSite=None is Secure: the __Host- prefix")
	assert.Equal(t, "None", r.Cookies[0].SameSite)
	assert.True(t, r.Cookies[0].Secure)
}

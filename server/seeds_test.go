package server

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/jwtgate/jwtgate/core"
	"github.com/jwtgate/jwtgate/store"
)

// Okera: the validation endpoint first, then the public keys; groups from
// the claim, else from the resolver, called with the system token.
func TestOkeraRemoteValidationThenKeys(t *testing.T) {
	e := newEnv(t, envOptions{})
	tok := e.okeraToken(0, "okera-1", nil)

	// The endpoint accepts: its answer names the subject.
	e.remote.set(answer(http.StatusOK, `{"sub":"john@okera.example","groups":["from-endpoint"]}`))
	r := e.verify(tok)
	require.Equal(t, http.StatusOK, r.status, r.body)
	assert.Equal(t, "john@okera.example", r.json["sub"])
	assert.Equal(t, []any{"from-endpoint"}, r.json["groups"])
	assert.Equal(t, "okera", r.json["integration"])
	req := e.remote.lastRequest()
	assert.Equal(t, http.MethodPost, req.Method)
	assert.Equal(t, "Bearer "+tok, req.Header.Get("Authorization"))
	assert.Equal(t, "application/json", req.Header.Get("Accept"))

	// The endpoint refuses (401, then 403): the keys decide.
	for _, status := range []int{http.StatusUnauthorized, http.StatusForbidden} {
		e.remote.set(answer(status, `{}`))
		r = e.verify(tok)
		require.Equal(t, http.StatusOK, r.status, r.body)
		assert.Equal(t, "john.doe", r.json["sub"], "the token's own sub")
		assert.Equal(t, []any{"analysts"}, r.json["groups"], "the groups claim")
	}
	assert.Equal(t, int32(1), e.jwks.hits.Load(), "the key set is fetched once (in the background from the start) and cached")

	// A forged token: refused by the endpoint and by the keys.
	forged := e.okeraToken(1, "okera-1", nil)
	r = e.verify(forged)
	assert.Equal(t, http.StatusUnauthorized, r.status)
	assert.Equal(t, "invalid_token", r.json["error"])

	// The endpoint down: the keys still decide.
	e.remote.Close()
	r = e.verify(tok)
	require.Equal(t, http.StatusOK, r.status, r.body)
	assert.Equal(t, "john.doe", r.json["sub"])
	assert.Contains(t, e.logs.String(), "remote validation unavailable; trying the keys")
	assertNoTokenInLogs(t, e.logs.String(), tok, forged)
}

func TestOkeraGroupResolution(t *testing.T) {
	e := newEnv(t, envOptions{})
	// The claim wins: the resolver is not asked.
	r := e.verify(e.okeraToken(0, "okera-1", map[string]any{"groups": []string{"claimed"}}))
	require.Equal(t, http.StatusOK, r.status, r.body)
	assert.Equal(t, []any{"claimed"}, r.json["groups"])
	assert.Zero(t, e.groups.hits.Load())

	// No groups claim: the resolver, asked about the subject with the
	// system token.
	tok := mint(t, rsaKey(t, 0), "okera-1", claims(e.clock.Now(), okeraIssuer, map[string]any{"sub": "jane"}))
	r = e.verify(tok)
	require.Equal(t, http.StatusOK, r.status, r.body)
	assert.Equal(t, []any{"resolved-a", "resolved-b"}, r.json["groups"])
	req := e.groups.lastRequest()
	require.NotNil(t, req)
	assert.Equal(t, "jane", req.URL.Query().Get("subject"))
	assert.Equal(t, "Bearer "+systemToken, req.Header.Get("Authorization"))

	// The resolver failing: the token is still valid, groups unknown.
	e.groups.set(answer(http.StatusInternalServerError, `oops`))
	r = e.verify(tok)
	require.Equal(t, http.StatusOK, r.status, r.body)
	assert.Equal(t, []any{}, r.json["groups"])
}

// Okto: the vendor's verify endpoint gives the user_id; the exchange gives
// jwtgate's own token, which jwtgate's JWKS verifies.
func TestOktoVerifyExchangeAndJWKS(t *testing.T) {
	e := newEnv(t, envOptions{})
	e.okto.set(answer(http.StatusOK, `{"user_id":"wallet-user-7","email":"w7@vendor.example"}`))
	vendorTok := e.oktoToken(nil)

	r := e.verify(vendorTok)
	require.Equal(t, http.StatusOK, r.status, r.body)
	assert.Equal(t, "wallet-user-7", r.json["user_id"])
	assert.Equal(t, "okto-wallets", r.json["tenant"])

	// RFC 8693 exchange.
	r = e.post("/oauth2/token", "application/x-www-form-urlencoded", form(
		"grant_type", grantTokenExchange, "subject_token", vendorTok, "subject_token_type", tokenTypeJWT))
	require.Equal(t, http.StatusOK, r.status, r.body)
	assert.Equal(t, tokenTypeAccess, r.json["issued_token_type"])
	assert.Equal(t, "Bearer", r.json["token_type"])
	assert.Equal(t, float64(15*60), r.json["expires_in"])
	assert.Equal(t, "no-store", r.header.Get("Cache-Control"))
	access := r.json["access_token"].(string)

	// The user was created just in time.
	sub, err := e.subject("okto-wallets", "okto", "wallet-user-7")
	require.NoError(t, err)
	assert.Equal(t, "okto", sub.Integration)
	assert.Equal(t, "w7@vendor.example", sub.Email)

	// Our JWKS verifies our token.
	r = e.get("/.well-known/jwks.json")
	require.Equal(t, http.StatusOK, r.status)
	var set jose.JSONWebKeySet
	require.NoError(t, json.Unmarshal([]byte(r.body), &set))
	require.Len(t, set.Keys, 2, "the current key and the next one")
	for _, k := range set.Keys {
		assert.True(t, k.IsPublic())
		assert.Equal(t, "ES256", k.Algorithm)
	}
	jws, err := jose.ParseSigned(access, []jose.SignatureAlgorithm{jose.ES256})
	require.NoError(t, err)
	keys := set.Key(jws.Signatures[0].Header.KeyID)
	require.Len(t, keys, 1)
	payload, err := jws.Verify(keys[0])
	require.NoError(t, err)
	var cl map[string]any
	require.NoError(t, json.Unmarshal(payload, &cl))
	assert.Equal(t, "http://localhost:8080", cl["iss"])
	assert.Equal(t, "wallet-user-7", cl["sub"])
	assert.Equal(t, float64(t0.Add(15*time.Minute).Unix()), cl["exp"])

	// The access token is a bearer for /v1/session and /v1/authz.
	r = e.get("/v1/session", "Authorization", "Bearer "+access)
	require.Equal(t, http.StatusOK, r.status, r.body)
	assert.Equal(t, "wallet-user-7", r.json["subject"])
	r = e.get("/v1/authz", "Authorization", "Bearer "+access, "X-Forwarded-Method", "GET", "X-Forwarded-Uri", "/wallet")
	require.Equal(t, http.StatusOK, r.status, r.body)
	assert.Equal(t, "wallet-user-7", r.header.Get("X-Jwtgate-Subject"))
	assert.Equal(t, "wallet-user-7", r.header.Get("X-User-Id"), "the integration's headers, carried in the token")
	r = e.verify(access)
	require.Equal(t, http.StatusOK, r.status, r.body)
	assert.Equal(t, "wallet-user-7", r.json["user_id"])
	assert.Equal(t, "okto", r.json["integration"])

	// The vendor's endpoint refusing and the token itself valid: the keys.
	e.okto.set(answer(http.StatusUnauthorized, `{}`))
	r = e.verify(vendorTok)
	require.Equal(t, http.StatusOK, r.status, r.body)
	assert.Equal(t, "wallet-user-7", r.json["user_id"])

	// After expiry the access token is refused.
	e.clock.Advance(16 * time.Minute)
	r = e.get("/v1/session", "Authorization", "Bearer "+access)
	assert.Equal(t, http.StatusUnauthorized, r.status)
	assert.Equal(t, "token_expired", r.json["error"])
	assertNoTokenInLogs(t, e.logs.String(), vendorTok, access)
}

func TestTokenExchangeErrors(t *testing.T) {
	e := newEnv(t, envOptions{})
	good := e.oktoToken(nil)
	for _, tc := range []struct {
		name, ct, body string
		status         int
		code           string
	}{
		{"json body", "application/json", `{}`, 400, "invalid_request"},
		{"grant", "application/x-www-form-urlencoded", form("grant_type", "password", "subject_token", good, "subject_token_type", tokenTypeJWT), 400, "unsupported_grant_type"},
		{"no token", "application/x-www-form-urlencoded", form("grant_type", grantTokenExchange, "subject_token_type", tokenTypeJWT), 400, "invalid_request"},
		{"token type", "application/x-www-form-urlencoded", form("grant_type", grantTokenExchange, "subject_token", good, "subject_token_type", "urn:x"), 400, "invalid_request"},
		{"repeated", "application/x-www-form-urlencoded", form("grant_type", grantTokenExchange, "grant_type", grantTokenExchange, "subject_token", good, "subject_token_type", tokenTypeJWT), 400, "invalid_request"},
		{"bad token", "application/x-www-form-urlencoded", form("grant_type", grantTokenExchange, "subject_token", "a.b.c", "subject_token_type", tokenTypeJWT), 400, "invalid_request"},
	} {
		r := e.post("/oauth2/token", tc.ct, tc.body)
		assert.Equal(t, tc.status, r.status, tc.name)
		assert.Equal(t, tc.code, r.json["error"], tc.name)
		assert.NotContains(t, r.body, "reason", tc.name)
	}
	r := e.post("/oauth2/token", "application/x-www-form-urlencoded", form("grant_type", grantTokenExchange, "subject_token", "a.b.c", "subject_token_type", tokenTypeJWT))
	assert.Equal(t, "Invalid token", r.json["error_description"])
}

// Authonomy: the token by query, bearer, JSON or form; one-time jti;
// allowed redirects only; the error page; the token tester; the session.
func TestAuthonomySignIn(t *testing.T) {
	e := newEnv(t, envOptions{})
	dashboard := "https://app.example.com/dashboard"

	// Query parameter: a redirect to the redirect_url claim, a cookie.
	tok := e.authonomyToken(map[string]any{"redirect_url": dashboard})
	browser := withJar(t)
	r := send(t, browser, http.MethodGet, e.url+"/auth/jwt?token="+url.QueryEscape(tok), nil)
	require.Equal(t, http.StatusSeeOther, r.status, r.body)
	assert.Equal(t, dashboard, r.header.Get("Location"))
	cookie := r.resp.Cookies()
	require.Len(t, cookie, 1)
	assert.Equal(t, "jwtgate_session", cookie[0].Name)
	assert.True(t, cookie[0].HttpOnly)
	assert.Equal(t, http.SameSiteLaxMode, cookie[0].SameSite)
	assert.False(t, cookie[0].Secure, "an http public URL gets no Secure cookie with secure: auto")
	raw := r.header.Get("Set-Cookie")
	assert.Contains(t, raw, "HttpOnly")
	assert.Contains(t, raw, "SameSite=Lax")

	// The session: who am I, with the stored subject.
	r = send(t, browser, http.MethodGet, e.url+"/v1/session", nil)
	require.Equal(t, http.StatusOK, r.status, r.body)
	assert.Equal(t, "user-123", r.json["subject"])
	assert.Equal(t, authonomyTenant, r.json["tenant"])
	assert.Equal(t, "john@example.com", r.json["email"])
	assert.Equal(t, "John Doe", r.json["name"])
	assert.Equal(t, []any{"user"}, r.json["roles"])
	assert.Equal(t, map[string]any{"department": "Engineering", "employee_id": "E-1234"}, r.json["metadata"])

	// The same token again: one-time use; the integration's error page.
	r = e.get("/auth/jwt?token=" + url.QueryEscape(tok))
	require.Equal(t, http.StatusSeeOther, r.status)
	assert.Equal(t, "https://app.example.com/login?error=token_replayed", r.header.Get("Location"))
	r = e.get("/auth/jwt?token="+url.QueryEscape(tok), "Accept", "application/json")
	assert.Equal(t, http.StatusUnauthorized, r.status)
	assert.Equal(t, map[string]any{"error": "token_replayed", "message": "Token has already been used"}, r.json)

	// Bearer header; a foreign redirect_url is refused for the default.
	tok = e.authonomyToken(map[string]any{"redirect_url": "https://evil.example/phish"})
	r = e.get("/auth/jwt", "Authorization", "Bearer "+tok)
	require.Equal(t, http.StatusSeeOther, r.status, r.body)
	assert.Equal(t, "https://app.example.com/home", r.header.Get("Location"))

	// JSON body with Accept: application/json: a JSON answer and a cookie.
	tok = e.authonomyToken(nil)
	body, _ := json.Marshal(map[string]string{"token": tok, "redirect_url": "https://app.example.com/settings"})
	r = e.post("/auth/jwt", "application/json", string(body), "Accept", "application/json")
	require.Equal(t, http.StatusOK, r.status, r.body)
	assert.Equal(t, true, r.json["authenticated"])
	assert.Equal(t, "user-123", r.json["subject"])
	assert.Equal(t, false, r.json["created"], "the subject existed already")
	assert.Equal(t, "https://app.example.com/settings", r.json["redirect"])
	assert.NotEmpty(t, r.resp.Cookies())

	// A form field, with go= to a foreign domain refused.
	tok = e.authonomyToken(nil)
	r = e.post("/auth/jwt", "application/x-www-form-urlencoded", form("token", tok, "go", "//evil.example/"))
	require.Equal(t, http.StatusSeeOther, r.status, r.body)
	assert.Equal(t, "https://app.example.com/home", r.header.Get("Location"))

	// Failures: the error page with the code, never the reason.
	for _, tc := range []struct {
		tok  string
		code core.Code
	}{
		{e.authonomyToken(map[string]any{"email": nil}), core.CodeRequiredClaimsFailed},
		{e.authonomyToken(map[string]any{"exp": e.clock.Now().Add(-time.Hour).Unix()}), core.CodeTokenExpired},
		{mint(t, []byte(authonomySecret+"x"), "", claims(e.clock.Now(), authonomyIssuer, map[string]any{"sub": "x"})), core.CodeInvalidToken},
	} {
		r = e.get("/auth/jwt?token=" + url.QueryEscape(tc.tok))
		require.Equal(t, http.StatusSeeOther, r.status)
		assert.Equal(t, "https://app.example.com/login?error="+string(tc.code), r.header.Get("Location"))
	}
	// An unknown issuer has no error page: JSON.
	r = e.get("/auth/jwt?token=" + url.QueryEscape(mint(t, []byte(authonomySecret), "", claims(e.clock.Now(), "https://nobody.example", nil))))
	assert.Equal(t, http.StatusUnauthorized, r.status)
	assert.Equal(t, "configuration_not_found", r.json["error"])
	// No token at all.
	r = e.get("/auth/jwt", "Accept", "application/json")
	assert.Equal(t, http.StatusUnauthorized, r.status)
	assert.Equal(t, "invalid_token", r.json["error"])

	// Logout revokes the browser's session.
	r = send(t, browser, http.MethodPost, e.url+"/auth/logout", nil)
	require.Equal(t, http.StatusOK, r.status, r.body)
	r = send(t, browser, http.MethodGet, e.url+"/v1/session", nil)
	assert.Equal(t, http.StatusUnauthorized, r.status)
	assertNoTokenInLogs(t, e.logs.String(), tok)
}

func TestTokenTester(t *testing.T) {
	e := newEnv(t, envOptions{})
	tok := e.authonomyToken(nil)
	body, _ := json.Marshal(map[string]string{"token": tok})
	path := "/v1/integrations/authonomy/test"

	r := e.post(path, "application/json", string(body))
	assert.Equal(t, http.StatusUnauthorized, r.status)
	assert.Contains(t, r.header.Get("WWW-Authenticate"), "Bearer")
	r = e.post(path, "application/json", string(body), "Authorization", "Bearer not-the-admin-token")
	assert.Equal(t, http.StatusUnauthorized, r.status)
	assert.NotContains(t, r.body, "valid")

	for i := 0; i < 2; i++ { // tested twice: the jti is not consumed
		r = e.post(path, "application/json", string(body), "Authorization", "Bearer "+adminToken)
		require.Equal(t, http.StatusOK, r.status, r.body)
		assert.Equal(t, true, r.json["valid"], r.body)
		trace, _ := r.json["trace"].([]any)
		require.NotEmpty(t, trace)
		var steps []string
		for _, s := range trace {
			steps = append(steps, s.(map[string]any)["step"].(string))
		}
		assert.Contains(t, steps, "signature")
		assert.Contains(t, steps, "required_claims")
	}
	// So the token still signs in once.
	r = e.get("/auth/jwt?token="+url.QueryEscape(tok), "Accept", "application/json")
	require.Equal(t, http.StatusOK, r.status, r.body)

	// A token of another integration: configuration_not_found, explained.
	other, _ := json.Marshal(map[string]string{"token": e.oktoToken(nil)})
	r = e.post(path, "application/json", string(other), "Authorization", "Bearer "+adminToken)
	require.Equal(t, http.StatusOK, r.status)
	assert.Equal(t, "configuration_not_found", r.json["code"])
	assert.NotEmpty(t, r.json["reason"], "the tester is for operators: it explains")

	r = e.post("/v1/integrations/nope/test", "application/json", string(body), "Authorization", "Bearer "+adminToken)
	assert.Equal(t, http.StatusNotFound, r.status)
	r = e.post(path, "application/json", `{"token":`, "Authorization", "Bearer "+adminToken)
	assert.Equal(t, http.StatusBadRequest, r.status)
}

// Acadio: the callback with go=, groups synced by the rule (present
// replaces, absent leaves alone, [] clears), and the integration removed.
func TestAcadioCallbackAndDisconnect(t *testing.T) {
	e := newEnv(t, envOptions{})
	cb := func(tok, goTo string, headers ...string) response {
		return e.get("/auth/callback/jwt-auth?token="+url.QueryEscape(tok)+"&go="+url.QueryEscape(goTo), headers...)
	}
	groupsOf := func() []string {
		sub, err := e.subject("acadio-school", "jwt-auth", "student@school.example")
		require.NoError(t, err)
		return sub.Groups
	}

	r := cb(e.acadioToken(map[string]any{"groups": []string{"g-1", "g-2"}}), "/courses/42")
	require.Equal(t, http.StatusSeeOther, r.status, r.body)
	assert.Equal(t, "/courses/42", r.header.Get("Location"))
	assert.Equal(t, []string{"g-1", "g-2"}, groupsOf())
	sub, err := e.subject("acadio-school", "jwt-auth", "student@school.example")
	require.NoError(t, err)
	assert.JSONEq(t, `{"cohort":"2026"}`, string(sub.Metadata))
	session := r.resp.Cookies()[0]

	// Absent: left alone.
	r = cb(e.acadioToken(nil), "/x")
	require.Equal(t, http.StatusSeeOther, r.status, r.body)
	assert.Equal(t, []string{"g-1", "g-2"}, groupsOf())
	// Present: replaces.
	cb(e.acadioToken(map[string]any{"groups": []string{"g-3"}}), "/x")
	assert.Equal(t, []string{"g-3"}, groupsOf())
	// Empty: clears.
	cb(e.acadioToken(map[string]any{"groups": []string{}}), "/x")
	assert.Equal(t, []string{}, groupsOf())

	// go to another site: the default.
	for _, bad := range []string{"//evil.example/x", "https://evil.example/", "/\\evil.example", "javascript:alert(1)"} {
		r = cb(e.acadioToken(nil), bad)
		assert.Equal(t, "/dashboard", r.header.Get("Location"), bad)
	}
	// Another integration's token on this callback.
	r = cb(e.oktoToken(nil), "/x")
	assert.Equal(t, "/login?error=configuration_not_found", r.header.Get("Location"))
	// A token too old for max_age.
	old := mint(t, []byte(acadioSecret), "", map[string]any{"iss": acadioIssuer, "email": "a@b", "iat": e.clock.Now().Add(-time.Hour).Unix()})
	r = cb(old, "/x")
	assert.Equal(t, "/login?error=token_expired", r.header.Get("Location"))

	// The session works, until the integration is removed.
	r = e.get("/v1/session", "Cookie", session.Name+"="+session.Value)
	require.Equal(t, http.StatusOK, r.status, r.body)

	cfg := e.testConfig("")
	start := strings.Index(cfg, "  # Acadio")
	end := strings.Index(cfg, "service:")
	cfg = cfg[:start] + cfg[end:]
	cfg = strings.Replace(cfg, "    jwt-auth:\n      default_redirect: /dashboard\n      error_redirect: /login\n", "", 1)
	e.write(cfg)
	require.NoError(t, e.srv.Reload())

	tok := e.acadioToken(nil)
	r = cb(tok, "/x", "Accept", "application/json")
	assert.Equal(t, http.StatusUnauthorized, r.status)
	assert.Equal(t, "configuration_not_found", r.json["error"])
	r = e.verify(tok)
	assert.Equal(t, "configuration_not_found", r.json["error"])
	r = e.get("/v1/session", "Cookie", session.Name+"="+session.Value)
	assert.Equal(t, http.StatusUnauthorized, r.status)
	assert.Equal(t, "configuration_not_found", r.json["error"])
}

// The stored subject keeps first and last seen.
func TestSubjectTimes(t *testing.T) {
	e := newEnv(t, envOptions{})
	e.get("/auth/callback/jwt-auth?token=" + url.QueryEscape(e.acadioToken(nil)))
	e.clock.Advance(time.Minute)
	e.get("/auth/callback/jwt-auth?token=" + url.QueryEscape(e.acadioToken(nil)))
	sub, err := e.subject("acadio-school", "jwt-auth", "student@school.example")
	require.NoError(t, err)
	assert.True(t, sub.FirstSeen.Equal(t0), sub.FirstSeen)
	assert.True(t, sub.LastSeen.Equal(t0.Add(time.Minute)), sub.LastSeen)
	_, err = e.subject("acadio-school", "jwt-auth", "nobody")
	assert.ErrorIs(t, err, store.ErrNotFound)
}

// A one-time token accepted by the validation endpoint is used up in the
// store just as the core would: a replay is refused whichever path sees it.
func TestRemoteValidationOneTimeJTI(t *testing.T) {
	e := newEnv(t, envOptions{noStart: true})
	e.write(strings.Replace(e.testConfig(""), "    headers:\n      X-User: sub\n", "    one_time_use: true\n    headers:\n      X-User: sub\n", 1))
	e.srv = e.start(t.TempDir())
	e.url = httptestServer(t, e.srv)

	e.remote.set(answer(http.StatusOK, `{"sub":"john.doe"}`))
	tok := e.okeraToken(0, "okera-1", map[string]any{"jti": "once-1"})
	require.Equal(t, http.StatusOK, e.verify(tok).status)
	r := e.verify(tok)
	assert.Equal(t, "token_replayed", r.json["error"])
	e.remote.set(answer(http.StatusUnauthorized, `{}`))
	r = e.verify(tok)
	assert.Equal(t, "token_replayed", r.json["error"], "the keys' path shares the used jtis")

	// And the other way round.
	tok = e.okeraToken(0, "okera-1", map[string]any{"jti": "once-2"})
	require.Equal(t, http.StatusOK, e.verify(tok).status)
	e.remote.set(answer(http.StatusOK, `{"sub":"john.doe"}`))
	assert.Equal(t, "token_replayed", e.verify(tok).json["error"])
	// Without a jti the endpoint's word is not enough.
	assert.Equal(t, "required_claims_failed", e.verify(e.okeraToken(0, "okera-1", nil)).json["error"])
}

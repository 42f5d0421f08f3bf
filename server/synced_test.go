package server

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/jwtgate/jwtgate/core"
	"github.com/jwtgate/jwtgate/internal/jwttest"
)

// acadioSettings are the seed configuration's service settings of Acadio's
// integration, to which a test adds its own.
const acadioSettings = "    jwt-auth:\n      default_redirect: /dashboard\n      error_redirect: /login\n"

// acadioLimits is the end of Acadio's integration in the seed policy.
const acadioLimits = "    subject_claim: email\n    max_age: 10m\n"

// syncedEnv is the seeds' environment on the store of dsn ("" SQLite),
// with settings added to Acadio's integration, whose tokens may be of up
// to 64 KiB (so that a synced claim can reach its own bound).
func syncedEnv(t *testing.T, dsn, settings string) *env {
	t.Helper()
	e := newEnv(t, envOptions{dsn: dsn, noStart: true})
	e.writeSynced(settings)
	e.srv = e.start(filepath.Join(e.dir, "data"))
	e.url = httptestServer(t, e.srv)
	return e
}

// writeSynced writes the seeds' configuration with settings added to
// Acadio's integration.
func (e *env) writeSynced(settings string) {
	e.t.Helper()
	cfg := e.testConfig("")
	require.Equal(e.t, 1, strings.Count(cfg, acadioSettings))
	require.Equal(e.t, 1, strings.Count(cfg, acadioLimits))
	cfg = strings.Replace(cfg, acadioLimits, acadioLimits+"    max_token_bytes: 65536\n", 1)
	e.write(strings.Replace(cfg, acadioSettings, acadioSettings+settings, 1))
}

// callback is Acadio's sign-in, /auth/callback/jwt-auth?token=…&go=….
func (e *env) callback(tok, goTo string, headers ...string) response {
	e.t.Helper()
	return e.get("/auth/callback/jwt-auth?token="+url.QueryEscape(tok)+"&go="+url.QueryEscape(goTo), headers...)
}

// Acadio's credits follow the groups rule: present replaces, [] clears,
// absent (or null) leaves them alone; each value is kept as the token
// spells it, and /v1/session returns them. A claim not in synced_claims is
// not kept (nor answered, once dropped from it); one of the wrong type or over a bound refuses the sign-in and
// changes nothing.
func TestAcadioCreditsSynced(t *testing.T) {
	eachStore(t, func(t *testing.T, dsn string) {
		e := syncedEnv(t, dsn, "      synced_claims: [groups, credits]\n")
		synced := func() map[string]string {
			t.Helper()
			sub, err := e.subject("acadio-school", "jwt-auth", "student@school.example")
			require.NoError(t, err)
			return jwttest.RawStrings(sub.Synced)
		}
		// Key order as the issuer wrote it, not sorted: kept as given.
		credits := json.RawMessage(`[{"orderId":"o-1","id":7},{"orderId":"o-2","id":8}]`)
		r := e.callback(e.acadioToken(map[string]any{"credits": credits, "groups": []string{"g-1"}, "badges": []string{"b"}}), "/courses/42")
		require.Equal(t, http.StatusSeeOther, r.status, r.body)
		assert.Equal(t, "/courses/42", r.header.Get("Location"))
		assert.Equal(t, map[string]string{"credits": string(credits)}, synced(), "badges is not a synced claim; groups has its own field")
		ck := r.resp.Cookies()[0]
		cookie := ck.Name + "=" + ck.Value

		session := e.get("/v1/session", "Cookie", cookie)
		require.Equal(t, http.StatusOK, session.status, session.body)
		assert.JSONEq(t, `{"credits":`+string(credits)+`}`, mustJSON(t, session.json["synced_claims"]))
		assert.Equal(t, []any{"g-1"}, session.json["groups"])

		// Absent, or null: left alone.
		e.callback(e.acadioToken(nil), "/x")
		assert.Equal(t, map[string]string{"credits": string(credits)}, synced())
		e.callback(e.acadioToken(map[string]any{"credits": json.RawMessage(`null`)}), "/x")
		assert.Equal(t, map[string]string{"credits": string(credits)}, synced())
		// Present: replaces.
		e.callback(e.acadioToken(map[string]any{"credits": json.RawMessage(`[{"orderId":"o-3","id":9}]`)}), "/x")
		assert.Equal(t, map[string]string{"credits": `[{"orderId":"o-3","id":9}]`}, synced())
		// Empty: clears, and the answer says so.
		e.callback(e.acadioToken(map[string]any{"credits": []any{}}), "/x")
		assert.Equal(t, map[string]string{"credits": `[]`}, synced())
		session = e.get("/v1/session", "Cookie", cookie)
		assert.JSONEq(t, `{"credits":[]}`, mustJSON(t, session.json["synced_claims"]))

		// Refused: not a list, or over a bound; the stored value stays.
		long := make([]int, maxSyncedListLen+1)
		big := []string{strings.Repeat("x", maxSyncedValueBytes)}
		for name, bad := range map[string]any{
			"a string": "o-1", "an object": map[string]any{"orderId": "o-1", "id": 1}, "a number": 7,
			"too long": long, "too big": big,
		} {
			r = e.callback(e.acadioToken(map[string]any{"credits": bad}), "/x")
			assert.Equal(t, "/login?error=required_claims_failed", r.header.Get("Location"), name)
			r = e.callback(e.acadioToken(map[string]any{"credits": bad}), "/x", "Accept", "application/json")
			assert.Equal(t, http.StatusUnauthorized, r.status, name)
			assert.Equal(t, "required_claims_failed", r.json["error"], name)
			assert.Equal(t, "Required claims validation failed", r.json["message"], name)
		}
		assert.Equal(t, map[string]string{"credits": `[]`}, synced())
		assert.Contains(t, e.logs.String(), `synced claim \"credits\" must be an array, found a string`)
		// At the bounds: kept.
		e.callback(e.acadioToken(map[string]any{"credits": long[1:]}), "/x")
		assert.Len(t, synced()["credits"], 2*maxSyncedListLen+1, "[0,0,…]")

		// credits no longer synced: no longer answered, though kept.
		e.writeSynced("      synced_claims: [groups]\n")
		require.NoError(t, e.srv.Reload())
		session = e.get("/v1/session", "Cookie", cookie)
		require.Equal(t, http.StatusOK, session.status, session.body)
		assert.NotContains(t, session.json, "synced_claims")
		assert.Len(t, synced()["credits"], 2*maxSyncedListLen+1)
	})
}

// The token exchange stores the subject too: its synced claims are read
// and bounded as at sign-in.
func TestSyncedClaimsTokenExchange(t *testing.T) {
	e := syncedEnv(t, "", "      synced_claims: [credits]\n")
	exchange := func(tok string) response {
		return e.post("/oauth2/token", "application/x-www-form-urlencoded", form(
			"grant_type", grantTokenExchange, "subject_token", tok, "subject_token_type", tokenTypeJWT))
	}
	r := exchange(e.acadioToken(map[string]any{"credits": json.RawMessage(`[{"orderId":"o-1","id":7}]`)}))
	require.Equal(t, http.StatusOK, r.status, r.body)
	sub, err := e.subject("acadio-school", "jwt-auth", "student@school.example")
	require.NoError(t, err)
	assert.Equal(t, map[string]string{"credits": `[{"orderId":"o-1","id":7}]`}, jwttest.RawStrings(sub.Synced))

	r = exchange(e.acadioToken(map[string]any{"credits": "o-2"}))
	assert.Equal(t, http.StatusBadRequest, r.status)
	assert.Equal(t, "invalid_request", r.json["error"])
	sub, err = e.subject("acadio-school", "jwt-auth", "student@school.example")
	require.NoError(t, err)
	assert.Equal(t, map[string]string{"credits": `[{"orderId":"o-1","id":7}]`}, jwttest.RawStrings(sub.Synced))
}

// onboard: true (the JSON boolean) on the sign-in that creates the
// subject goes to onboarding_redirect instead of go; on a later sign-in,
// as a string, or without an onboarding_redirect, to go as always.
func TestAcadioOnboarding(t *testing.T) {
	eachStore(t, func(t *testing.T, dsn string) {
		e := syncedEnv(t, dsn, "      onboarding_redirect: /welcome?step=1\n")
		as := func(email string, onboard any) string {
			return e.acadioToken(map[string]any{"email": email, "onboard": onboard})
		}
		r := e.callback(as("new@school.example", true), "/courses/42")
		require.Equal(t, http.StatusSeeOther, r.status, r.body)
		assert.Equal(t, "/welcome?step=1", r.header.Get("Location"), "created: onboarding")
		r = e.callback(as("new@school.example", true), "/courses/42")
		assert.Equal(t, "/courses/42", r.header.Get("Location"), "existing: go")

		r = e.callback(as("json@school.example", true), "/courses/42", "Accept", "application/json")
		require.Equal(t, http.StatusOK, r.status, r.body)
		assert.Equal(t, true, r.json["created"])
		assert.Equal(t, "/welcome?step=1", r.json["redirect"])

		for _, notTrue := range []any{"true", 1, false, nil} {
			email := fmt.Sprintf("other-%v@school.example", notTrue)
			r = e.callback(as(email, notTrue), "/courses/42")
			assert.Equal(t, "/courses/42", r.header.Get("Location"), "onboard: %#v", notTrue)
		}
		// go refused: the default, as without onboard.
		r = e.callback(as("third@school.example", false), "https://evil.example/")
		assert.Equal(t, "/dashboard", r.header.Get("Location"))
	})

	e := syncedEnv(t, "", "")
	r := e.callback(e.acadioToken(map[string]any{"email": "new@school.example", "onboard": true}), "/courses/42")
	assert.Equal(t, "/courses/42", r.header.Get("Location"), "no onboarding_redirect: go")
}

// synced_claims and onboarding_redirect are checked at load: each problem
// at its line.
func TestSyncedClaimsConfig(t *testing.T) {
	policy := "integrations:\n  - name: okto\n    issuer: " + oktoIssuer + "\n    algorithms: [HS256]\n    keys: [{secret: " + oktoSecret + "}]\n"
	parse := func(settings string) ([]string, *config) {
		t.Helper()
		p, err := core.ParsePolicy("jwtgate.yaml", []byte(policy), core.LoadOptions{})
		require.NoError(t, err)
		c, err := parseService("jwtgate.yaml", []byte(policy+"service:\n  integrations:\n    okto:\n"+settings), p, fileReader("jwtgate.yaml"), lookupEnv)
		if err != nil {
			return strings.Split(err.Error(), "\n"), nil
		}
		return nil, c
	}
	problems, c := parse("      synced_claims: [groups, credits, roles, badges]\n      onboarding_redirect: https://school.example/welcome\n")
	require.Nil(t, problems)
	assert.Equal(t, []string{"credits", "badges"}, c.integrations["okto"].synced, "groups and roles have their own fields")
	assert.Equal(t, "https://school.example/welcome", c.integrations["okto"].onboardingRedirect)

	problems, _ = parse("      synced_claims: [credits, credits, sub, meta, '', ' x', onboard]\n")
	assert.Equal(t, []string{
		`jwtgate.yaml:9: field service.integrations.okto.synced_claims[1]: claim "credits" is named twice`,
		`jwtgate.yaml:9: field service.integrations.okto.synced_claims[2]: claim "sub" cannot be synced: a registered claim`,
		`jwtgate.yaml:9: field service.integrations.okto.synced_claims[3]: claim "meta" cannot be synced: kept as the subject's metadata`,
		`jwtgate.yaml:9: field service.integrations.okto.synced_claims[4]: want a claim name of 1-64 printable bytes without surrounding spaces, found ""`,
		`jwtgate.yaml:9: field service.integrations.okto.synced_claims[5]: want a claim name of 1-64 printable bytes without surrounding spaces, found " x"`,
		`jwtgate.yaml:9: field service.integrations.okto.synced_claims[6]: claim "onboard" cannot be synced: read at sign-in (onboarding_redirect), not kept`,
	}, problems)

	many := make([]string, maxSyncedClaims+1)
	for i := range many {
		many[i] = fmt.Sprintf("c%d", i)
	}
	problems, _ = parse("      synced_claims: [" + strings.Join(many, ", ") + "]\n")
	assert.Equal(t, []string{`jwtgate.yaml:9: field service.integrations.okto.synced_claims: at most 16 claims, found 17`}, problems)

	for _, bad := range []string{"//evil.example/x", "javascript:alert(1)", "welcome", "/\\evil.example", "https:///x"} {
		problems, _ = parse("      onboarding_redirect: " + mustJSON(t, bad) + "\n")
		assert.Equal(t, []string{fmt.Sprintf(`jwtgate.yaml:9: field service.integrations.okto.onboarding_redirect: want a path such as /welcome or an http(s) URL, found %q`, bad)}, problems, bad)
	}
}

// TestConfiguredRedirectsAllowed: with a redirect section, the URLs of
// onboarding_redirect (and default_redirect, error_redirect) must be ones
// it allows, as a token's redirect claim must.
func TestConfiguredRedirectsAllowed(t *testing.T) {
	policy := "integrations:\n  - name: okto\n    issuer: " + oktoIssuer + "\n    algorithms: [HS256]\n    keys: [{secret: " + oktoSecret + "}]\n    redirect: {allowed_domains: [school.example]}\n"
	p, err := core.ParsePolicy("jwtgate.yaml", []byte(policy), core.LoadOptions{})
	require.NoError(t, err)
	parse := func(settings string) error {
		_, err := parseService("jwtgate.yaml", []byte(policy+"service:\n  integrations:\n    okto:\n"+settings), p, fileReader("jwtgate.yaml"), lookupEnv)
		return err
	}
	assert.NoError(t, parse("      onboarding_redirect: https://school.example/welcome\n      default_redirect: /home\n"))
	for _, field := range []string{"onboarding_redirect", "default_redirect", "error_redirect"} {
		for _, bad := range []string{"https://evil.example/welcome", "http://school.example/welcome"} {
			err := parse("      " + field + ": " + bad + "\n")
			assert.ErrorContains(t, err, fmt.Sprintf("field service.integrations.okto.%s: %q is not an allowed redirect target of the integration", field, bad))
		}
	}
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	require.NoError(t, err)
	return string(b)
}

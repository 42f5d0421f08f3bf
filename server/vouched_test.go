package server

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const (
	vouchedIssuer = "https://vouched.example"
	vouchedSecret = "vouched-secret-0123456789abcdef0123456789abcdef"
)

// vouchedEnv serves one integration with every claims rule, whose remote
// validation endpoint is e.okto.
func vouchedEnv(t *testing.T) *env {
	e := newEnv(t, envOptions{noStart: true})
	e.write(`integrations:
  - name: vouched
    tenant: vt
    issuer: ` + vouchedIssuer + `
    algorithms: [HS256]
    keys: [{secret: ` + vouchedSecret + `}]
    subject_claim: user_id
    clock_skew: 10m
    one_time_use: true
    required_claims: [email]
    require_roles: {any: [admin]}
    redirect: {claim: redirect_url, allowed_domains: [app.example.com], default: 'https://app.example.com/home'}
    headers: {X-Email: email}
service:
  public_url: http://localhost:8080
  integrations:
    vouched:
      remote_validation: {url: ` + e.okto.URL + `/verify, subject_field: user_id, timeout: 2s}
`)
	e.srv = e.start(t.TempDir())
	e.url = httptestServer(t, e.srv)
	return e
}

func (e *env) vouchedToken(extra map[string]any) string {
	base := map[string]any{"user_id": "u-1", "email": "u@example.com", "roles": []string{"admin"}, "jti": "j-" + randomID()}
	for k, v := range extra {
		if v == nil {
			delete(base, k)
		} else {
			base[k] = v
		}
	}
	return mint(e.t, []byte(vouchedSecret), "", claims(e.clock.Now(), vouchedIssuer, base))
}

// echoPayload is a validation endpoint that vouches for every token and
// answers with its payload.
func echoPayload(w http.ResponseWriter, r *http.Request) {
	tok := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
	parts := strings.Split(tok, ".")
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Write(payload)
}

// A remote validation endpoint's "valid" is not the end of the decision:
// the integration's requirements still apply to what it vouched for.
// Before the core judged vouched claims, this token passed with 200.
func TestVouchedRequirementsApply(t *testing.T) {
	e := vouchedEnv(t)
	tok := e.vouchedToken(nil)
	e.okto.set(answer(http.StatusOK, `{"user_id":"u-1","email":"u@example.com","roles":["user"]}`))
	r := e.verify(tok)
	require.Equal(t, http.StatusUnauthorized, r.status, r.body)
	assert.Equal(t, "permission_denied", r.json["error"])

	// The endpoint vouches for the admin role: accepted once, then replayed.
	e.okto.set(answer(http.StatusOK, `{"user_id":"u-1","email":"u@example.com","roles":["admin"]}`))
	r = e.verify(tok)
	require.Equal(t, http.StatusOK, r.status, r.body)
	assert.Equal(t, "u-1", r.json["user_id"])
	r = e.verify(tok)
	require.Equal(t, http.StatusUnauthorized, r.status, r.body)
	assert.Equal(t, "token_replayed", r.json["error"])

	// A required claim the endpoint does not vouch for, and the token
	// lacks: refused.
	e.okto.set(answer(http.StatusOK, `{"user_id":"u-1","roles":["admin"]}`))
	r = e.verify(e.vouchedToken(map[string]any{"email": nil}))
	require.Equal(t, http.StatusUnauthorized, r.status, r.body)
	assert.Equal(t, "required_claims_failed", r.json["error"])
}

// Both paths give the same answer for the same claims: the keys (the
// endpoint refuses, so the server falls back to them) and the endpoint
// (which vouches, answering the token's own claims).
func TestVouchedMatchesKeys(t *testing.T) {
	e := vouchedEnv(t)
	now := e.clock.Now()
	cases := []struct {
		name  string
		extra map[string]any
		want  string // "" for 200
	}{
		{"valid", nil, ""},
		{"role missing", map[string]any{"roles": []string{"user"}}, "permission_denied"},
		{"no roles", map[string]any{"roles": nil}, "permission_denied"},
		{"email missing", map[string]any{"email": nil}, "required_claims_failed"},
		{"no jti", map[string]any{"jti": nil}, "required_claims_failed"},
		{"expired within the integration's skew", map[string]any{"exp": now.Add(-5 * time.Minute).Unix()}, ""},
		{"expired beyond it", map[string]any{"exp": now.Add(-20 * time.Minute).Unix()}, "token_expired"},
		{"not yet valid", map[string]any{"nbf": now.Add(time.Hour).Unix()}, "token_not_yet_valid"},
		{"header with a line break", map[string]any{"email": "u@example.com\r\nX-Admin: 1"}, "invalid_token"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var got [2]response
			for i, endpoint := range []http.HandlerFunc{answer(http.StatusUnauthorized, `{}`), echoPayload} {
				e.okto.set(endpoint)
				got[i] = e.verify(e.vouchedToken(tc.extra))
			}
			for i, r := range got {
				if tc.want == "" {
					require.Equal(t, http.StatusOK, r.status, "path %d: %s", i, r.body)
				} else {
					require.Equal(t, http.StatusUnauthorized, r.status, "path %d: %s", i, r.body)
					assert.Equal(t, tc.want, r.json["error"], "path %d", i)
				}
			}
			assert.Equal(t, got[0].json, got[1].json)
		})
	}
}

// Sign-in through a vouched token follows the integration's redirect rules
// (allowed_domains and the redirect_url claim), not a same-site-path check.
func TestVouchedSignInRedirect(t *testing.T) {
	e := vouchedEnv(t)
	e.okto.set(echoPayload)
	for _, tc := range []struct{ claim, param, want string }{
		{"https://app.example.com/courses", "", "https://app.example.com/courses"},
		{"https://evil.example/", "", "https://app.example.com/home"},
		{"", "/relative", "/relative"},
		{"", "//evil.example/x", "https://app.example.com/home"},
		{"", "https://app.example.com/p", "https://app.example.com/p"},
	} {
		extra := map[string]any{}
		if tc.claim != "" {
			extra["redirect_url"] = tc.claim
		}
		body, err := json.Marshal(map[string]string{"token": e.vouchedToken(extra), "redirect_url": tc.param})
		require.NoError(t, err)
		r := e.post("/auth/jwt", "application/json", string(body), "Accept", "application/json")
		require.Equal(t, http.StatusOK, r.status, r.body)
		assert.Equal(t, tc.want, r.json["redirect"], "claim %q, param %q", tc.claim, tc.param)
	}
}

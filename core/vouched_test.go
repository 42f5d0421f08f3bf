package core

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/jwtgate/jwtgate/internal/jwttest"
)

// vouchedPolicy has every rule of the claims stage that a remote
// validation endpoint's answer must not skip.
func vouchedPolicy() string {
	return vtPolicy(
		vtIntegration{Name: "strict", Issuer: vtIssA, Algs: "HS256", Keys: []string{vtSecretKey(vtSecret, "", "")}, Extra: []string{
			"tenant: acme",
			"audiences: [app]",
			"clock_skew: 2m",
			"max_age: 1h",
			"one_time_use: true",
			"required_claims: [email, {name: level, type: integer}]",
			"require_roles: {any: [admin]}",
			"require_permissions: ['reports:read:team']",
			"redirect: {claim: redirect_url, allowed_domains: [app.example.com], default: 'https://app.example.com/home'}",
			"headers: {X-Email: email}",
		}},
		vtIntegration{Name: "loose", Issuer: vtIssB, Algs: "HS256", Keys: []string{vtSecretKey(vtSecret, "", "")}},
	)
}

func vouchedVerifier(t *testing.T) *Verifier {
	t.Helper()
	v, err := NewVerifier(mustPolicy(t, vouchedPolicy()), Config{Replay: NewMemoryReplayStore(0)})
	require.NoError(t, err)
	return v
}

// payloadOf returns the payload of a compact JWS.
func payloadOf(t *testing.T, tok string) json.RawMessage {
	parts := strings.Split(tok, ".")
	b, err := base64.RawURLEncoding.DecodeString(parts[1])
	require.NoError(t, err)
	return b
}

// The same claims get the same decision whichever path verified them:
// keys (Verify) or a trusted endpoint that answers with those claims
// (VerifyVouched). Each path has its own verifier and replay store, so that
// both see each jti fresh.
func TestVouchedMatchesVerify(t *testing.T) {
	good := map[string]any{
		"aud": "app", "jti": "j-1", "email": "a@example.com", "level": 3,
		"roles": []string{"admin"}, "permissions": []string{"reports:read:team"},
		"redirect_url": "https://app.example.com/x",
	}
	with := func(changes map[string]any) map[string]any {
		return jwttest.Merge(claims(vtIssA, good), changes)
	}
	cases := []struct {
		name   string
		claims map[string]any
		redir  string
		want   Code
	}{
		{"valid", with(nil), "", ""},
		{"redirect param allowed", with(map[string]any{"redirect_url": nil}), "https://app.example.com/p", ""},
		{"redirect param foreign", with(map[string]any{"redirect_url": "https://evil.example/"}), "https://evil.example/", ""},
		{"role missing", with(map[string]any{"roles": []string{"user"}}), "", CodePermissionDenied},
		{"permission missing", with(map[string]any{"permissions": []string{"reports:read:own"}}), "", CodePermissionDenied},
		{"required claim missing", with(map[string]any{"email": nil}), "", CodeRequiredClaimsFailed},
		{"required claim of the wrong type", with(map[string]any{"level": "3"}), "", CodeRequiredClaimsFailed},
		{"audience missing", with(map[string]any{"aud": nil}), "", CodeRequiredClaimsFailed},
		{"audience foreign", with(map[string]any{"aud": "other"}), "", CodeInvalidToken},
		{"expired beyond the skew", with(map[string]any{"exp": testNow.Add(-3 * time.Minute).Unix()}), "", CodeTokenExpired},
		{"expired within the skew", with(map[string]any{"exp": testNow.Add(-time.Minute).Unix()}), "", ""},
		{"not yet valid", with(map[string]any{"nbf": testNow.Add(5 * time.Minute).Unix()}), "", CodeTokenNotYetValid},
		{"older than max_age", with(map[string]any{"iat": testNow.Add(-2 * time.Hour).Unix()}), "", CodeTokenExpired},
		{"no iat under max_age", with(map[string]any{"iat": nil}), "", CodeRequiredClaimsFailed},
		{"no jti under one_time_use", with(map[string]any{"jti": nil}), "", CodeRequiredClaimsFailed},
		{"no subject", with(map[string]any{"sub": nil}), "", CodeRequiredClaimsFailed},
		{"header with a control character", with(map[string]any{"email": "a@example.com\r\nX: y"}), "", CodeInvalidToken},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tok := vtHS(t, tc.claims)
			req := Request{Token: tok, Now: testNow, RedirectParam: tc.redir}
			byKeys := vouchedVerifier(t).Verify(context.Background(), req)
			sub, _ := tc.claims["sub"].(string)
			req.Integration = "strict"
			byEndpoint := vouchedVerifier(t).VerifyVouched(context.Background(), req, Vouched{Subject: sub, Claims: payloadOf(t, tok)})
			require.Equal(t, tc.want, byKeys.Code, "keys: %s", byKeys.Reason)
			require.Equal(t, string(byKeys.JSON()), string(byEndpoint.JSON()))
		})
	}
}

// The endpoint's answer is laid over the token's payload: its roles win,
// so a token the endpoint vouches for with roles [user] does not pass an
// integration that demands admin, whatever the token itself says.
func TestVouchedAnswerWins(t *testing.T) {
	v := vouchedVerifier(t)
	c := claims(vtIssA, map[string]any{
		"aud": "app", "jti": "j-2", "email": "a@example.com", "level": 3,
		"roles": []string{"admin"}, "permissions": []string{"reports:read:team"},
	})
	tok := vtHS(t, c)
	d := v.VerifyVouched(context.Background(), Request{Token: tok, Now: testNow, Explain: true, Integration: "strict"},
		Vouched{Subject: "alice", Claims: json.RawMessage(`{"sub":"alice","roles":["user"]}`)})
	vtCheck(t, d, vtReject(CodePermissionDenied, "roles", ""))
	// The jti was not used up by the refused token.
	d = v.VerifyVouched(context.Background(), Request{Token: tok, Now: testNow, Explain: true, Integration: "strict"},
		Vouched{Subject: "alice", Claims: json.RawMessage(`{"sub":"alice","roles":["admin"]}`)})
	vtCheck(t, d, vtValid())
	require.Equal(t, "alice", d.Subject)
	d = v.VerifyVouched(context.Background(), Request{Token: tok, Now: testNow, Explain: true, Integration: "strict"},
		Vouched{Subject: "alice", Claims: json.RawMessage(`{"sub":"alice","roles":["admin"]}`)})
	vtCheck(t, d, vtReject(CodeTokenReplayed, "jti", ""))
}

// The subject is the one the endpoint named, also when its answer calls it
// something else (user_id) or gives a number; the answer's iss does not
// reroute the token.
func TestVouchedSubjectAndIssuer(t *testing.T) {
	v := vouchedVerifier(t)
	tok := vtHS(t, claims(vtIssB, map[string]any{"sub": "token-sub"}))
	d := v.VerifyVouched(context.Background(), Request{Token: tok, Now: testNow, Explain: true, Integration: "loose"},
		Vouched{Subject: "42", Claims: json.RawMessage(`{"user_id":42,"iss":"https://a.example","groups":["g"]}`)})
	vtCheck(t, d, vtValid())
	require.Equal(t, "42", d.Subject)
	require.Equal(t, "loose", d.Integration)
	require.Equal(t, vtIssB, d.Issuer)
	require.Equal(t, []string{"g"}, d.Groups)
	var got map[string]any
	require.NoError(t, json.Unmarshal(d.Claims, &got))
	require.Equal(t, vtIssB, got["iss"])
	require.Equal(t, "42", got["sub"])

	// An answer without claims: the payload and the subject.
	d = v.VerifyVouched(context.Background(), Request{Token: tok, Now: testNow, Explain: true}, Vouched{Subject: "bob"})
	vtCheck(t, d, vtValid())
	require.Equal(t, "bob", d.Subject)
}

// What cannot be judged is refused, never accepted: the integration that
// vouched must be the token's, the token must be a readable JWS, and the
// answer an object.
func TestVouchedRefusals(t *testing.T) {
	v := vouchedVerifier(t)
	ok := vtHS(t, claims(vtIssB, nil))
	dup := "eyJhbGciOiJIUzI1NiJ9." + base64.RawURLEncoding.EncodeToString([]byte(`{"iss":"`+vtIssB+`","sub":"a","sub":"b","exp":9999999999}`)) + ".c2ln"
	cases := []struct {
		name    string
		tok     string
		pin     string
		answer  string
		now     time.Time
		code    Code
		reasons string
	}{
		{"another integration's token", ok, "strict", "", testNow, CodeConfigurationNotFound, "is not integration"},
		{"unknown issuer", vtHS(t, claims("https://c.example", nil)), "", "", testNow, CodeConfigurationNotFound, "no integration"},
		{"JWE", "a.b.c.d.e", "", "", testNow, CodeInvalidToken, "3 parts"},
		{"two parts", "a.b", "", "", testNow, CodeInvalidToken, "3 parts"},
		{"bad base64", "a.!!!.c", "", "", testNow, CodeInvalidToken, "base64url"},
		{"duplicate claims", dup, "", "", testNow, CodeInvalidToken, "duplicate"},
		{"answer not an object", ok, "", `["x"]`, testNow, CodeInvalidToken, "answer"},
		{"no time", ok, "", "", time.Time{}, CodeInvalidToken, "time"},
		{"empty", "", "", "", testNow, CodeInvalidToken, "empty"},
		{"too large", strings.Repeat("a", 2<<20), "", "", testNow, CodeInvalidToken, "limit"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var answer json.RawMessage
			if tc.answer != "" {
				answer = json.RawMessage(tc.answer)
			}
			d := v.VerifyVouched(context.Background(), Request{Token: tc.tok, Now: tc.now, Integration: tc.pin}, Vouched{Subject: "a", Claims: answer})
			require.False(t, d.Valid)
			require.Equal(t, tc.code, d.Code, d.Reason)
			require.Contains(t, d.Reason, tc.reasons)
		})
	}
}

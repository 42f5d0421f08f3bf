package core

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/require"
)

// requireParsedAsUnmarshal: ParseDecision reads d's JSON as encoding/json
// does, and the decision it gives writes the JSON encoding/json writes for
// that one (not always d's: an invalid UTF-8 byte comes back as U+FFFD).
func requireParsedAsUnmarshal(t *testing.T, d *Decision) {
	t.Helper()
	data := d.JSON()
	var want Decision
	require.NoError(t, json.Unmarshal(data, &want))
	got, err := ParseDecision(data)
	require.NoError(t, err, "%s", data)
	require.Equal(t, exported(&want), exported(got), "%s", data)
	again, err := json.Marshal(&want)
	require.NoError(t, err)
	require.Equal(t, string(again), string(got.JSON()))
}

// exported is d without what only the core sets.
func exported(d *Decision) Decision {
	e := *d
	e.perms, e.window, e.windowed, e.ownedClaims = nil, TimeWindow{}, false, nil
	if len(e.Claims) == 0 {
		e.Claims = nil
	}
	return e
}

// TestParseDecision: the verifier's decisions, valid and refused, with and
// without a trace, and every field holding every awkward value.
func TestParseDecision(t *testing.T) {
	v := headersVerifier(t)
	extra := map[string]any{"email": "a<b>&c@example.com", "name": "x&y", "note": "\u2028x", "groups": []string{}, "roles": []string{"r"}, "permissions": []string{"p:read"}}
	for _, explain := range []bool{false, true} {
		tok := sign(t, "HS256", []byte(hsSecret), "", claims("https://hs.example", extra), nil)
		d := v.Verify(t.Context(), Request{Token: tok, Now: testNow, Explain: explain})
		require.True(t, d.Valid, d.Reason)
		requireParsedAsUnmarshal(t, d)
		requireParsedAsUnmarshal(t, v.Verify(t.Context(), Request{Token: tok + "x", Now: testNow, Explain: explain}))
	}
	for _, s := range jsonAwkward {
		requireParsedAsUnmarshal(t, &Decision{Code: Code(s), Message: s, Reason: s, Integration: s, Tenant: s, Issuer: s, Subject: s,
			Audience: []string{s, s}, ExpiresAt: -1 << 62, Groups: []string{s}, Roles: []string{}, Redirect: s,
			Headers: map[string]string{s: s, "b" + s: s}, Trace: []Step{{Name: s, Outcome: s, Detail: s}, {Name: s, Outcome: s}}})
	}
}

// TestParseDecisionRefuses: what is not a decision's JSON is an error,
// never a decision.
func TestParseDecisionRefuses(t *testing.T) {
	for _, bad := range []string{
		``, `[]`, `{"valid":"true"}`, `{"valid":true,"valid":false}`, `{"expires_at":1.5}`,
		`{"claims":[1]}`, `{"audience":"api"}`, `{"headers":{"X":1}}`, `{"trace":[{"step":1}]}`,
		`{"valid":true`, `{"subject":null}`,
	} {
		_, err := ParseDecision([]byte(bad))
		require.Error(t, err, "%s", bad)
	}
	d, err := ParseDecision([]byte(`{"valid":false,"future_member":{"x":[1]}}`))
	require.NoError(t, err, "unknown members are ignored, as encoding/json ignores them")
	require.False(t, d.Valid)
}

// FuzzParseDecision: any strings, any valid claims.
func FuzzParseDecision(f *testing.F) {
	for _, s := range jsonAwkward {
		f.Add(s, `{"k":"`+s+`"}`, int64(7))
	}
	f.Fuzz(func(t *testing.T, s, claimsJSON string, exp int64) {
		d := &Decision{Valid: len(s)%2 == 0, Reason: s, Subject: s, Audience: []string{s}, ExpiresAt: exp,
			Permissions: []string{s}, Headers: map[string]string{s: s}, Trace: []Step{{Name: s, Outcome: s, Detail: s}}}
		if json.Valid([]byte(claimsJSON)) && jsonKind(claimsJSON) == "object" {
			d.Claims = []byte(claimsJSON)
			d.ownedClaims = d.Claims
		}
		requireParsedAsUnmarshal(t, d)
	})
}

func jsonKind(s string) string {
	var v any
	if json.Unmarshal([]byte(s), &v) != nil {
		return ""
	}
	if _, ok := v.(map[string]any); ok {
		return "object"
	}
	return "other"
}

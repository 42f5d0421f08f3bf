package core

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/require"
)

// jsonAwkward are strings encoding/json escapes in every way it has.
var jsonAwkward = []string{
	"", "plain", `quote " and \ backslash`, "<script>&amp;</script>", "line\nfeed\r\ttab\b\f",
	"\x00\x01\x1f\x7f", "caf\u00e9 \u2028 \u2029 \U0001F600", "bad \xff utf-8 \xc3", "\xe2\x80", "\u00e2\u0080\u00a8",
}

// TestDecisionJSONMatchesMarshal: the hand-written JSON is json.Marshal's,
// for decisions of the verifier and for every field holding every kind of
// awkward value.
func TestDecisionJSONMatchesMarshal(t *testing.T) {
	v := headersVerifier(t)
	for _, extra := range []map[string]any{
		nil,
		{"email": "a<b>&c@example.com", "name": "x&y", "note": "\u2028x\u2029", "groups": []string{}, "roles": []string{"r<"}},
	} {
		for _, explain := range []bool{false, true} {
			tok := sign(t, "HS256", []byte(hsSecret), "", claims("https://hs.example", extra), nil)
			d := v.Verify(t.Context(), Request{Token: tok, Now: testNow, Explain: explain})
			require.True(t, d.Valid, d.Reason)
			requireMarshalEqual(t, d)
			requireMarshalEqual(t, v.Verify(t.Context(), Request{Token: tok + "x", Now: testNow, Explain: explain}))
		}
	}
	for _, s := range jsonAwkward {
		d := &Decision{Code: Code(s), Message: s, Reason: s, Integration: s, Tenant: s, Issuer: s, Subject: s,
			Audience: []string{s, s}, ExpiresAt: -1, Groups: []string{s}, Roles: []string{}, Redirect: s,
			Headers: map[string]string{s: s, "b" + s: s, "a": s}, Trace: []Step{{Name: s, Outcome: s, Detail: s}, {Name: s, Outcome: s}}}
		requireMarshalEqual(t, d)
	}
	// Claims the core did not read are validated as encoding/json does.
	requireMarshalEqual(t, &Decision{Claims: json.RawMessage(` { "a" : [1, "<\u2028>"] } `)})
	require.Contains(t, string((&Decision{Claims: json.RawMessage(`{"a":`)}).JSON()), "decision could not be encoded")
}

// headersVerifier verifies HS256 tokens of https://hs.example, with two
// claim headers: decisions with most of their fields set.
func headersVerifier(t *testing.T) *Verifier {
	return mustVerifier(t, `
integrations:
  - name: hs
    issuer: https://hs.example
    algorithms: [HS256]
    keys: [{secret: "`+hsSecret+`"}]
    headers: {X-Email: email, X-Name: name}
`)
}

func requireMarshalEqual(t *testing.T, d *Decision) {
	t.Helper()
	want, err := json.Marshal(d)
	require.NoError(t, err)
	require.Equal(t, string(want), string(d.JSON()))
}

// FuzzDecisionJSON: any strings and any valid claims JSON the core read.
func FuzzDecisionJSON(f *testing.F) {
	for _, s := range jsonAwkward {
		f.Add(s, `{"k":"`+s+`"}`)
	}
	f.Add("x", " {\n \"a\" : [ 1 , 2 ] , \"b\":\"<&>\\\" \" } ")
	f.Fuzz(func(t *testing.T, s, claimsJSON string) {
		d := &Decision{Reason: s, Subject: s, Audience: []string{s}, Headers: map[string]string{s: s}, Trace: []Step{{Name: s, Outcome: s, Detail: s}}}
		if json.Valid([]byte(claimsJSON)) {
			d.Claims = []byte(claimsJSON)
			d.ownedClaims = d.Claims // as if the core had read them
		}
		want, err := json.Marshal(d)
		require.NoError(t, err)
		require.Equal(t, string(want), string(d.JSON()))
	})
}

package core

import (
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/stretchr/testify/assert"
)

// TestFarTimesAreNotCapped: a time further than a time.Duration reaches
// is worded as a lower bound in years, never as the capped duration
// printed as if it were the true one.
func TestFarTimesAreNotCapped(t *testing.T) {
	v := mustVerifier(t, `integrations:
  - name: a
    issuer: https://a.example
    algorithms: [HS256]
    keys: [{secret: "`+hsSecret+`"}]
`)
	tok := func(extra map[string]any) string {
		return sign(t, jose.HS256, []byte(hsSecret), "", claims("https://a.example", extra), nil)
	}
	vtRun(t, v, []vtCase{
		{name: "expired in 1970", token: tok(map[string]any{"exp": 1, "iat": 0}),
			want: vtReject(CodeTokenExpired, "exp", "expired more than 56 years ago (exp 1970-01-01T00:00:01Z")},
		{name: "not before year 3000", token: tok(map[string]any{"nbf": 32503680000}),
			want: vtReject(CodeTokenNotYetValid, "nbf", "not valid yet: valid in more than 973 years (nbf 3000-01-01T00:00:00Z")},
		{name: "an hour is an hour", token: tok(map[string]any{"exp": testNow.Add(-time.Hour).Unix()}),
			want: vtReject(CodeTokenExpired, "exp", "expired 1h0m0s ago")},
	})
	d := verifyAt(v, tok(map[string]any{"exp": 32503680000}), testNow)
	vtCheck(t, d, vtValid())
	for _, s := range d.Trace {
		assert.False(t, s.Name == "exp" && s.Detail != "expires in more than 973 years (exp 3000-01-01T00:00:00Z)", "exp step: %q", s.Detail)
	}
}

package edge

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/jwtgate/jwtgate/core"
)

func TestUpstreamHeaders(t *testing.T) {
	d := &core.Decision{Valid: true, Subject: "user-1", Tenant: "acme", Integration: "idp",
		Headers: map[string]string{"X-User": "user-1", "X-Email": "a@example.com"}}
	id := IdentityOf(d)
	assert.Equal(t, [][2]string{{"x-email", "a@example.com"}, {"x-user", "user-1"},
		{"x-jwtgate-subject", "user-1"}, {"x-jwtgate-tenant", "acme"}, {"x-jwtgate-integration", "idp"}}, id.UpstreamHeaders(true))
	assert.Equal(t, [][2]string{{"x-email", "a@example.com"}, {"x-user", "user-1"}}, id.UpstreamHeaders(false))
	assert.Empty(t, Identity{}.UpstreamHeaders(false))
}

// Every X-Jwtgate-* header and every claim header of the policy, in any
// case, is reserved; others are not.
func TestReservedHeaders(t *testing.T) {
	p, err := core.ParsePolicy("policy", []byte(`integrations:
  - {name: a, issuer: "https://a.example", algorithms: [HS256], keys: [{secret: "0123456789abcdef0123456789abcdef"}], headers: {X-User: sub}}
  - {name: b, issuer: "https://b.example", algorithms: [HS256], keys: [{secret: "0123456789abcdef0123456789abcdef"}], headers: {X-Groups: groups}}
`), core.LoadOptions{})
	require.NoError(t, err)
	r := ReservedHeaders(p)
	for name, want := range map[string]bool{
		"x-user": true, "X-USER": true, "x-groups": true, "x-jwtgate-subject": true, "X-Jwtgate-Role": true, "x-jwtgate-": true,
		"x-users": false, "authorization": false, "x-jwtgate": false, "accept": false,
	} {
		assert.Equal(t, want, r.Has(name), name)
	}
}

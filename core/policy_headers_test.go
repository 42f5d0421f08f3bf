package core

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

// HeaderNames lists every integration's claim headers once, in lower
// case, whatever case each spells them in.
func TestPolicyHeaderNames(t *testing.T) {
	p := mustPolicy(t, `integrations:
  - {name: a, issuer: "https://a.example", algorithms: [HS256], keys: [{secret: `+ptQ(hsSecret)+`}], headers: {X-User: sub, X-Email: email}}
  - {name: b, issuer: "https://b.example", algorithms: [HS256], keys: [{secret: `+ptQ(hsSecret)+`}], headers: {x-user: user_id, X-Groups: groups}}
  - {name: c, issuer: "https://c.example", algorithms: [HS256], keys: [{secret: `+ptQ(hsSecret)+`}]}
`)
	assert.Equal(t, []string{"x-email", "x-groups", "x-user"}, p.HeaderNames())
	assert.Empty(t, mustPolicy(t, ptMinimal("")).HeaderNames())
}

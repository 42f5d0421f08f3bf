package core

import (
	"testing"

	"github.com/go-jose/go-jose/v4"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/jwtgate/jwtgate/internal/jwttest"
)

// HasKeyID answers from the keys of the parsed set, so that a host can
// refetch a set that lacks the key a token asks for.
func TestKeySetHasKeyID(t *testing.T) {
	k := jwttest.Keys()
	doc := jwttest.JWKS(t,
		jose.JSONWebKey{Key: k.EC.Public(), KeyID: "es-1", Algorithm: "ES256", Use: "sig"},
		jose.JSONWebKey{Key: k.Ed25519.Public(), Algorithm: "EdDSA", Use: "sig"},
	)
	set, err := ParseKeySet([]byte(doc))
	require.NoError(t, err)
	assert.True(t, set.HasKeyID("es-1"))
	assert.False(t, set.HasKeyID("rs-1"))
	assert.False(t, set.HasKeyID("ES-1"), "kids are compared exactly")
	assert.True(t, set.HasKeyID(""), "the key without a kid")
}

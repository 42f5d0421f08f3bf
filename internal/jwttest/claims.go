package jwttest

import (
	"encoding/json"
	"maps"
	"testing"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/stretchr/testify/require"
)

// Merge returns a copy of base with extra set on top; a nil value in
// extra deletes the field. It builds claim sets and headers from a
// package's typical ones.
func Merge(base, extra map[string]any) map[string]any {
	out := maps.Clone(base)
	if out == nil {
		out = map[string]any{}
	}
	for k, v := range extra {
		if v == nil {
			delete(out, k)
			continue
		}
		out[k] = v
	}
	return out
}

// JWKS renders keys as a JWK set document (private keys stay private
// only if the caller passes their public halves).
func JWKS(t testing.TB, keys ...jose.JSONWebKey) string {
	t.Helper()
	b, err := json.Marshal(jose.JSONWebKeySet{Keys: keys})
	require.NoError(t, err)
	return string(b)
}

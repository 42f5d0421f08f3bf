package core

import (
	"context"
	"errors"
	"sync"
	"testing"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/stretchr/testify/require"
)

// fixedKeySource hands out the same parsed sets every time, as a host's
// cache does, so that the sets' bindings are reused.
type fixedKeySource map[string]*KeySet

func (s fixedKeySource) KeySet(_ context.Context, url, _ string) (*KeySet, error) {
	if set := s[url]; set != nil {
		return set, nil
	}
	return nil, errors.New("not found")
}

// One parsed set serves integrations with different algorithm lists, and
// an integration with two sets and no inline keys, concurrently: each gets
// the keys its own algorithms bind, and a set's bound keys are never
// extended in place (the race detector watches the shared lists).
func TestKeySetBindingsShared(t *testing.T) {
	vtKeys(t)
	rsSet, err := ParseKeySet([]byte(publicJWKS(t, jose.JSONWebKey{Key: rsaKey.Public(), KeyID: "rs"})))
	require.NoError(t, err)
	ecSet, err := ParseKeySet([]byte(publicJWKS(t, jose.JSONWebKey{Key: ecKey.Public(), KeyID: "ec"})))
	require.NoError(t, err)
	src := fixedKeySource{"https://k.example/rs": rsSet, "https://k.example/ec": ecSet}
	p := mustPolicy(t, vtPolicy(
		vtIntegration{Name: "rs", Issuer: vtIssA, Algs: "RS256", Keys: []string{"{jwks_url: https://k.example/rs}"}},
		vtIntegration{Name: "ps", Issuer: vtIssB, Algs: "PS256", Keys: []string{"{jwks_url: https://k.example/rs}"}},
		vtIntegration{Name: "both", Issuer: vtIssMixed, Algs: "RS256, ES256", Keys: []string{"{jwks_url: https://k.example/rs}", "{jwks_url: https://k.example/ec}"}},
	))
	v, err := NewVerifier(p, Config{Keys: src})
	require.NoError(t, err)
	cases := []struct {
		tok   string
		valid bool
	}{
		{sign(t, jose.RS256, rsaKey, "rs", claims(vtIssA, nil), nil), true},
		{sign(t, jose.PS256, rsaKey, "rs", claims(vtIssA, nil), nil), false}, // rs allows RS256 only
		{sign(t, jose.PS256, rsaKey, "rs", claims(vtIssB, nil), nil), true},
		{sign(t, jose.RS256, rsaKey, "rs", claims(vtIssB, nil), nil), false},
		{sign(t, jose.RS256, rsaKey, "rs", claims(vtIssMixed, nil), nil), true},
		{sign(t, jose.ES256, ecKey, "ec", claims(vtIssMixed, nil), nil), true},
		{sign(t, jose.ES256, ecKey2, "ec", claims(vtIssMixed, nil), nil), false},
	}
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for range 20 {
				for i, c := range cases {
					d := verifyAt(v, c.tok, testNow)
					require.Equal(t, c.valid, d.Valid, "case %d: %s", i, d.Reason)
				}
			}
		})
	}
	wg.Wait()
	require.Len(t, rsSet.bind.m, 3, "one binding per algorithm list that uses the set")
}

package core

import (
	"math/rand/v2"
	"testing"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/stretchr/testify/require"

	"github.com/jwtgate/jwtgate/core/internal/keys"
)

// pickSigningKeys' contiguous fast path picks exactly the keys the rule
// picks (kid match, else the keys without a kid; no kid: every key of the
// algorithm), in order, for random key lists.
func TestPickSigningKeysMatchesRule(t *testing.T) {
	rule := func(all []keys.VerificationKey, alg jose.SignatureAlgorithm, kid string) (out []string) {
		var byKid, unnamed, any []string
		for _, k := range all {
			if !k.Allows(alg) {
				continue
			}
			any = append(any, k.Source)
			if k.ID == kid && kid != "" {
				byKid = append(byKid, k.Source)
			}
			if k.ID == "" {
				unnamed = append(unnamed, k.Source)
			}
		}
		switch {
		case kid == "":
			return any
		case len(byKid) > 0:
			return byKid
		}
		return unnamed
	}
	rng := rand.New(rand.NewPCG(3, 4))
	ids := []string{"", "a", "b"}
	algs := []jose.SignatureAlgorithm{jose.HS256, jose.RS256}
	for range 2000 {
		all := make([]keys.VerificationKey, rng.IntN(6))
		for i := range all {
			all[i] = keys.VerificationKey{ID: ids[rng.IntN(3)], Algorithms: algs[rng.IntN(2):][:1], Source: string(rune('A' + i))}
		}
		alg, kid := algs[rng.IntN(2)], ids[rng.IntN(3)]
		var got []string
		for _, k := range pickSigningKeys(all, alg, kid) {
			got = append(got, k.Source)
		}
		require.Equal(t, rule(all, alg, kid), got, "keys %v alg %s kid %q", all, alg, kid)
	}
}

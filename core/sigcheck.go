package core

import (
	"slices"

	jose "github.com/jwtgate/jwtgate/core/internal/joseid"
	"github.com/jwtgate/jwtgate/core/internal/keys"
)

// The signature layer of signed: the selection of candidate keys and the
// signature check with them (see readJWS).

// pickSigningKeys returns the keys that may verify a token with this alg
// and kid: with a kid, the keys carrying that kid, else the keys without
// any kid; without a kid, every key of the algorithm.
func pickSigningKeys(all []keys.VerificationKey, alg jose.SignatureAlgorithm, kid string) []keys.VerificationKey {
	if picked, ok := pickContiguous(all, alg, kid); ok {
		return picked
	}
	var byKid, unnamed, any []keys.VerificationKey
	for _, k := range all {
		if !k.Allows(alg) {
			continue
		}
		any = append(any, k)
		switch k.ID {
		case kid:
			byKid = append(byKid, k)
		case "":
			unnamed = append(unnamed, k)
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

// pickContiguous is pickSigningKeys without an allocation for the usual
// case, where the keys it picks sit next to each other in all (a single
// key, or one kid): it returns that part of all, and false otherwise.
func pickContiguous(all []keys.VerificationKey, alg jose.SignatureAlgorithm, kid string) ([]keys.VerificationKey, bool) {
	want := func(k *keys.VerificationKey, id string) bool { return k.Allows(alg) && (kid == "" || k.ID == id) }
	id := kid
	if kid != "" && !slices.ContainsFunc(all, func(k keys.VerificationKey) bool { return want(&k, kid) }) {
		id = "" // no key has the kid: the keys without one
	}
	first, last, n := -1, -1, 0
	for i := range all {
		if want(&all[i], id) {
			if first < 0 {
				first = i
			}
			last, n = i, n+1
		}
	}
	if n == 0 {
		return nil, true
	}
	return all[first : last+1 : last+1], n == last-first+1
}

package core

import (
	jose "github.com/go-jose/go-jose/v4"

	"github.com/jwtgate/jwtgate/core/internal/keys"
)

// The signature layer of signed: the selection of candidate keys and the
// signature check with them (see readJWS).

// pickSigningKeys returns the keys that may verify a token with this alg
// and kid: with a kid, the keys carrying that kid, else the keys without
// any kid; without a kid, every key of the algorithm.
func pickSigningKeys(all []keys.VerificationKey, alg jose.SignatureAlgorithm, kid string) []keys.VerificationKey {
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

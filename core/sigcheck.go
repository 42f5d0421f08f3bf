package core

import (
	"bytes"
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/sha512"
	"hash"

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

// verifyWithKeys checks a parsed compact JWS against candidate keys: at most
// maxKeyTries keys are tried, and a key verifies the token only when go-jose
// returns exactly payload, the strictly decoded payload segment. It returns
// the key that verified (nil when none did) and the number of keys tried.
func verifyWithKeys(jws *jose.JSONWebSignature, alg jose.SignatureAlgorithm, payload []byte, candidates []keys.VerificationKey) (*keys.VerificationKey, int) {
	tries := 0
	for i := range candidates {
		if tries == maxKeyTries {
			break
		}
		tries++
		k := &candidates[i]
		material := k.Material
		if pub, ok := material.(*rsa.PublicKey); ok && keys.FamilyOf(alg) == keys.FamilyRSAPSS {
			material = pssVerifier{pub}
		}
		out, err := jws.Verify(material)
		if err == nil && bytes.Equal(out, payload) {
			return k, tries
		}
	}
	return nil, tries
}

// pssVerifier verifies RSA-PSS signatures whose salt is as long as the hash
// output, as RFC 7518 section 3.5 requires. go-jose verifies PS256/384/512
// with rsa.PSSSaltLengthAuto, which accepts any salt length.
type pssVerifier struct{ key *rsa.PublicKey }

func (v pssVerifier) VerifyPayload(payload, signature []byte, alg jose.SignatureAlgorithm) error {
	var h hash.Hash
	var id crypto.Hash
	switch alg {
	case jose.PS256:
		h, id = sha256.New(), crypto.SHA256
	case jose.PS384:
		h, id = sha512.New384(), crypto.SHA384
	case jose.PS512:
		h, id = sha512.New(), crypto.SHA512
	default:
		return jose.ErrUnsupportedAlgorithm
	}
	h.Write(payload)
	return rsa.VerifyPSS(v.key, id, h.Sum(nil), signature, &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthEqualsHash})
}

package core

import (
	"bytes"
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/sha512"
	"errors"
	"fmt"
	"hash"
	"strings"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/jwtgate/jwtgate/core/internal/keys"
)

// The signature layer of signed: the selection of candidate keys and the
// signature check. It is kept apart so that the public test vectors, whose
// payloads are not JWT claims, are checked by the very code that verifies
// tokens (see verifySignatureOnly).

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

// verifySignatureOnly verifies the signature of a compact JWS whose payload
// need not be JWT claims, by the steps signed takes around its integration
// lookup: the token's characters (compactChars), the strict header parse
// (parseHeader), the strict base64url payload and signature, the allowed
// algorithms, go-jose parsing that accepts only the header's algorithm,
// pickSigningKeys and verifyWithKeys. The payload's UTF-8 and JSON checks
// belong to the claims and are not made. It returns the verified payload.
// Only the tests call it; keep it in step with signed.
func verifySignatureOnly(tok string, candidates []keys.VerificationKey, allowed []jose.SignatureAlgorithm) ([]byte, error) {
	if dots := strings.Count(tok, "."); dots != 2 {
		return nil, fmt.Errorf("token has %s; a JWS has 3", parts(dots+1))
	}
	if verr := compactChars(tok); verr != nil {
		return nil, errors.New(verr.reason)
	}
	i1 := strings.IndexByte(tok, '.')
	i2 := i1 + 1 + strings.IndexByte(tok[i1+1:], '.')
	h, verr := parseHeader(&run{d: &Decision{}}, tok[:i1])
	if verr != nil {
		return nil, errors.New(verr.reason)
	}
	payload, err := b64.DecodeString(tok[i1+1 : i2])
	if err != nil {
		return nil, fmt.Errorf("payload is not base64url: %v", err)
	}
	if _, err := b64.DecodeString(tok[i2+1:]); err != nil {
		return nil, fmt.Errorf("signature is not base64url: %v", err)
	}
	alg, ok := keys.ParseSignatureAlgorithm(h.alg)
	if !ok || !containsAlg(allowed, alg) {
		return nil, fmt.Errorf("alg %q is not allowed", h.alg)
	}
	jws, err := jose.ParseSignedCompact(tok, []jose.SignatureAlgorithm{alg})
	if err != nil {
		return nil, fmt.Errorf("malformed JWS: %v", err)
	}
	picked := pickSigningKeys(candidates, alg, h.kid)
	if len(picked) == 0 {
		return nil, fmt.Errorf("no %s key for kid %q", alg, h.kid)
	}
	if k, tries := verifyWithKeys(jws, alg, payload, picked); k == nil {
		return nil, fmt.Errorf("%s signature does not verify with any of %d candidate keys", alg, tries)
	}
	return payload, nil
}

package core

import (
	"errors"

	jose "github.com/jwtgate/jwtgate/core/internal/joseid"
	"github.com/jwtgate/jwtgate/core/internal/keys"
)

// SignatureChecker checks JWS signatures for the core: a plugin's host,
// whose native crypto is many times faster than the same Go code compiled
// to WebAssembly (wasm/ABI.md, capability "signatures"). The core still
// chooses the key and the algorithm, and judges everything else.
type SignatureChecker interface {
	// CheckSignature reports whether sig is a valid alg signature of input
	// by the key jwk (a JWK of the key material alone; the core has bound
	// it to alg). An error means the signature could not be checked; the
	// token is refused.
	CheckSignature(alg string, jwk, input, sig []byte) (bool, error)
}

// SignatureKey is a key parsed from a JWK for one algorithm, as a
// SignatureChecker holds it.
type SignatureKey struct {
	alg jose.SignatureAlgorithm
	key keys.VerificationKey
}

// ParseSignatureKey parses jwk (one public key, or an HMAC secret) and
// binds it to alg with the rules of the policy: the key must fit alg's
// family and be strong enough for it.
func ParseSignatureKey(jwk []byte, alg string) (*SignatureKey, error) {
	a, ok := keys.ParseSignatureAlgorithm(alg)
	if !ok {
		return nil, errors.New("unsupported signature algorithm")
	}
	set, err := keys.ParseJWKS(jwk)
	if err != nil || len(set) != 1 {
		return nil, errors.New("not one JWK")
	}
	if !set[0].IsPublic() {
		if _, secret := set[0].Key.([]byte); !secret {
			return nil, errors.New("a private key")
		}
	}
	algs, err := keys.BindSignature(set[0].Key, alg, []jose.SignatureAlgorithm{a})
	if err != nil {
		return nil, err
	}
	return &SignatureKey{alg: a, key: keys.NewVerificationKey("", set[0].Key, algs, "checker")}, nil
}

// Verify reports whether sig is a valid signature of input by the key.
func (k *SignatureKey) Verify(input, sig []byte) bool { return k.key.Verify(k.alg, input, sig) }

// verifyWith checks one candidate key: with the configured checker when
// there is one, else here.
func verifyWith(sc SignatureChecker, k *keys.VerificationKey, alg jose.SignatureAlgorithm, j *jwsToken) bool {
	if sc == nil {
		return k.Verify(alg, j.input, j.sig)
	}
	if !k.Allows(alg) {
		return false
	}
	jwk, err := k.JWK()
	if err != nil {
		return false
	}
	ok, err := sc.CheckSignature(string(alg), jwk, j.input, j.sig)
	return err == nil && ok
}

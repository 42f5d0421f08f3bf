// Package keys turns configured key material (PEM, JWK, JWKS, shared secrets)
// into verification and decryption keys, each bound to the algorithms it may
// be used with.
//
// Binding is where algorithm-confusion attacks are stopped: a key is usable
// by exactly one algorithm family (HMAC, RSA PKCS#1 v1.5, RSA-PSS, ECDSA,
// EdDSA), so an RSA public key can never be used as an HMAC secret and a
// token cannot pick a weaker scheme for a key than the one it was made for.
package keys

import (
	"fmt"

	jose "github.com/jwtgate/jwtgate/core/internal/joseid"
)

// MinRSABits is the smallest RSA modulus accepted for any key.
const MinRSABits = 2048

// Family groups signature algorithms that share one kind of key and scheme.
type Family string

// The algorithm families. A key is bound to exactly one.
const (
	FamilyHMAC    Family = "HMAC"
	FamilyRSA     Family = "RSA-PKCS1v15"
	FamilyRSAPSS  Family = "RSA-PSS"
	FamilyECDSA   Family = "ECDSA"
	FamilyEdDSA   Family = "EdDSA"
	familyUnknown Family = ""
)

// SignatureAlgorithms lists every signature algorithm jwtgate verifies, in a
// stable order. "none" is deliberately absent.
var SignatureAlgorithms = []jose.SignatureAlgorithm{
	jose.HS256, jose.HS384, jose.HS512,
	jose.RS256, jose.RS384, jose.RS512,
	jose.PS256, jose.PS384, jose.PS512,
	jose.ES256, jose.ES384, jose.ES512,
	jose.EdDSA,
}

// FamilyOf returns the family of a signature algorithm, or "" if the
// algorithm is not one jwtgate verifies.
func FamilyOf(alg jose.SignatureAlgorithm) Family {
	switch alg {
	case jose.HS256, jose.HS384, jose.HS512:
		return FamilyHMAC
	case jose.RS256, jose.RS384, jose.RS512:
		return FamilyRSA
	case jose.PS256, jose.PS384, jose.PS512:
		return FamilyRSAPSS
	case jose.ES256, jose.ES384, jose.ES512:
		return FamilyECDSA
	case jose.EdDSA:
		return FamilyEdDSA
	}
	return familyUnknown
}

// ParseSignatureAlgorithm returns the algorithm with exactly this name (case
// sensitive, as RFC 7515 requires), refusing "none" and unknown names.
func ParseSignatureAlgorithm(name string) (jose.SignatureAlgorithm, bool) {
	for _, a := range SignatureAlgorithms {
		if string(a) == name {
			return a, true
		}
	}
	return "", false
}

// hmacMinBytes is the shortest secret accepted for each HMAC algorithm: the
// hash output size (RFC 7518 section 3.2).
func hmacMinBytes(alg jose.SignatureAlgorithm) int {
	switch alg {
	case jose.HS384:
		return 48
	case jose.HS512:
		return 64
	}
	return 32
}

// VerificationKey is a key that may verify signatures of the listed
// algorithms, all of one family.
type VerificationKey struct {
	// ID is the key's "kid", or "" when it has none.
	ID string
	// Material is []byte (HMAC), *rsa.PublicKey, *ecdsa.PublicKey or
	// ed25519.PublicKey.
	Material any
	// Algorithms are the signature algorithms this key verifies.
	Algorithms []jose.SignatureAlgorithm
	// Source says where the key was configured, for traces and errors.
	Source string

	shared *keyShared // shared by the key's copies (NewVerificationKey)
}

// Allows reports whether the key may verify alg.
func (k *VerificationKey) Allows(alg jose.SignatureAlgorithm) bool {
	for _, a := range k.Algorithms {
		if a == alg {
			return true
		}
	}
	return false
}

// Describe names the key for traces: its kind, size and kid.
func (k *VerificationKey) Describe() string {
	d := Describe(k.Material)
	if k.ID != "" {
		d += fmt.Sprintf(" kid %q", k.ID)
	}
	return d
}

// BindSignature works out which of the allowed algorithms a key may verify.
// declared is the algorithm named by the key itself (a JWK "alg" or the
// configuration's "algorithm"), or "". The result is never empty and never
// spans two families; otherwise an error says what to change.
func BindSignature(material any, declared string, allowed []jose.SignatureAlgorithm) ([]jose.SignatureAlgorithm, error) {
	if err := checkStrength(material); err != nil {
		return nil, err
	}
	var out []jose.SignatureAlgorithm
	families := map[Family]bool{}
	for _, alg := range allowed {
		if declared != "" && string(alg) != declared {
			continue
		}
		if !fits(material, alg) {
			continue
		}
		if s, ok := material.([]byte); ok && len(s) < hmacMinBytes(alg) {
			return nil, fmt.Errorf("HMAC secret is %d bytes, %s needs at least %d", len(s), alg, hmacMinBytes(alg))
		}
		out = append(out, alg)
		families[FamilyOf(alg)] = true
	}
	if declared != "" {
		if _, ok := ParseSignatureAlgorithm(declared); !ok {
			return nil, fmt.Errorf("algorithm %q is not supported", declared)
		}
	}
	if len(out) == 0 {
		if declared != "" {
			return nil, fmt.Errorf("%s cannot be used with algorithm %s, or %s is not in the integration's algorithms %v", Describe(material), declared, declared, allowed)
		}
		return nil, fmt.Errorf("%s fits none of the integration's algorithms %v", Describe(material), allowed)
	}
	if len(families) > 1 {
		return nil, fmt.Errorf("%s would be usable by two algorithm families (%v); set its algorithm", Describe(material), out)
	}
	return out, nil
}

// VerificationKeysFromJWKS binds every signing key of a JWK set. Keys marked
// for encryption ("use": "enc") are skipped; so are keys that fit none of the
// allowed algorithms, or that this build cannot use (JWK.Unsupported), when
// lenient is set (a remote set may publish keys for other consumers);
// otherwise such keys are an error.
func VerificationKeysFromJWKS(set []JWK, allowed []jose.SignatureAlgorithm, source string, lenient bool) ([]VerificationKey, []string, error) {
	var out []VerificationKey
	var skipped []string
	for i, jwk := range set {
		where := fmt.Sprintf("%s key %d", source, i)
		if jwk.KeyID != "" {
			where = fmt.Sprintf("%s kid %q", source, jwk.KeyID)
		}
		var reason string
		switch {
		case jwk.Use == "enc":
			skipped = append(skipped, where+": use is enc")
			continue
		case jwk.Unsupported != "":
			reason = jwk.Unsupported
		case jwk.Private:
			if lenient {
				skipped = append(skipped, where+": private key published")
				continue
			}
			return nil, nil, fmt.Errorf("%s is a private key; configure the public key", where)
		}
		var algs []jose.SignatureAlgorithm
		if reason == "" {
			var err error
			if algs, err = BindSignature(jwk.Key, jwk.Algorithm, allowed); err != nil {
				reason = err.Error()
			}
		}
		if reason != "" {
			if lenient {
				skipped = append(skipped, where+": "+reason)
				continue
			}
			return nil, nil, fmt.Errorf("%s: %v", where, reason)
		}
		out = append(out, NewVerificationKey(jwk.KeyID, jwk.Key, algs, where))
	}
	return out, skipped, nil
}

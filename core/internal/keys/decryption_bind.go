//go:build !jwtgate_webcrypto

package keys

import (
	"crypto/ecdsa"
	"crypto/rsa"
	"fmt"

	jose "github.com/go-jose/go-jose/v4"
)

// The binding of decryption keys, whose material is the standard library's
// private keys: not in the browser module's build (jwtgate_webcrypto),
// which reads no decryption keys.

func fitsDecryption(material any, alg jose.KeyAlgorithm) bool {
	switch m := material.(type) {
	case *rsa.PrivateKey:
		return keyFamily(alg) == "RSA-OAEP"
	case *ecdsa.PrivateKey:
		return keyFamily(alg) == "ECDH-ES"
	case []byte:
		switch alg {
		case jose.A128KW:
			return len(m) == 16
		case jose.A192KW:
			return len(m) == 24
		case jose.A256KW:
			return len(m) == 32
		case jose.DIRECT:
			// Any content-encryption key size; the cipher checks it.
			return len(m) == 16 || len(m) == 24 || len(m) == 32 || len(m) == 48 || len(m) == 64
		case jose.PBES2_HS256_A128KW, jose.PBES2_HS384_A192KW, jose.PBES2_HS512_A256KW:
			return len(m) >= 16
		}
	}
	return false
}

// BindDecryption works out which of the allowed key-management algorithms a
// decryption key may be used with, refusing keys that fit none or that would
// span two families (a symmetric key usable both as a key-wrapping key and as
// a direct content key, for example).
func BindDecryption(material any, declared string, allowed []jose.KeyAlgorithm) ([]jose.KeyAlgorithm, error) {
	switch m := material.(type) {
	case *rsa.PrivateKey, *ecdsa.PrivateKey:
		if err := checkStrength(m); err != nil {
			return nil, err
		}
	case []byte:
		if len(m) == 0 {
			return nil, fmt.Errorf("secret is empty")
		}
	default:
		return nil, fmt.Errorf("%s cannot decrypt; configure an RSA or EC private key or a secret", Describe(material))
	}
	if declared != "" {
		if _, ok := ParseKeyAlgorithm(declared); !ok {
			return nil, fmt.Errorf("key algorithm %q is not supported", declared)
		}
	}
	var out []jose.KeyAlgorithm
	families := map[string]bool{}
	for _, alg := range allowed {
		if declared != "" && string(alg) != declared {
			continue
		}
		if fitsDecryption(material, alg) {
			out = append(out, alg)
			families[keyFamily(alg)] = true
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s fits none of the allowed key algorithms %v", Describe(material), allowed)
	}
	if len(families) > 1 {
		return nil, fmt.Errorf("%s would be usable by two key-management families (%v); set its algorithm", Describe(material), out)
	}
	return out, nil
}

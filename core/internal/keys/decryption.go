package keys

import (
	"crypto/ecdsa"
	"crypto/rsa"
	"fmt"

	jose "github.com/go-jose/go-jose/v4"
)

// KeyAlgorithms lists the JWE key-management algorithms jwtgate accepts, in
// a stable order. RSA1_5 is absent (Bleichenbacher padding oracle); PBES2 is
// listed separately because it is off unless an integration allows it.
var KeyAlgorithms = []jose.KeyAlgorithm{
	jose.RSA_OAEP, jose.RSA_OAEP_256,
	jose.ECDH_ES, jose.ECDH_ES_A128KW, jose.ECDH_ES_A192KW, jose.ECDH_ES_A256KW,
	jose.A128KW, jose.A192KW, jose.A256KW,
	jose.DIRECT,
}

// PBES2Algorithms are the password-based key-management algorithms.
var PBES2Algorithms = []jose.KeyAlgorithm{
	jose.PBES2_HS256_A128KW, jose.PBES2_HS384_A192KW, jose.PBES2_HS512_A256KW,
}

// ContentEncryptions lists the JWE content-encryption algorithms accepted.
var ContentEncryptions = []jose.ContentEncryption{
	jose.A128GCM, jose.A192GCM, jose.A256GCM,
	jose.A128CBC_HS256, jose.A192CBC_HS384, jose.A256CBC_HS512,
}

// ParseKeyAlgorithm returns the key-management algorithm with this name.
func ParseKeyAlgorithm(name string) (jose.KeyAlgorithm, bool) {
	for _, a := range append(KeyAlgorithms[:len(KeyAlgorithms):len(KeyAlgorithms)], PBES2Algorithms...) {
		if string(a) == name {
			return a, true
		}
	}
	return "", false
}

// ParseContentEncryption returns the content-encryption algorithm with this name.
func ParseContentEncryption(name string) (jose.ContentEncryption, bool) {
	for _, e := range ContentEncryptions {
		if string(e) == name {
			return e, true
		}
	}
	return "", false
}

// DecryptionKey is a private or symmetric key that may unwrap JWEs with the
// listed key-management algorithms, all of one family.
type DecryptionKey struct {
	// ID is the key's "kid", or "".
	ID string
	// Material is *rsa.PrivateKey, *ecdsa.PrivateKey or []byte.
	Material any
	// Algorithms are the key-management algorithms this key accepts.
	Algorithms []jose.KeyAlgorithm
	// Source says where the key was configured.
	Source string
}

// Allows reports whether the key may be used with alg.
func (k *DecryptionKey) Allows(alg jose.KeyAlgorithm) bool {
	for _, a := range k.Algorithms {
		if a == alg {
			return true
		}
	}
	return false
}

func keyFamily(alg jose.KeyAlgorithm) string {
	switch alg {
	case jose.RSA_OAEP, jose.RSA_OAEP_256:
		return "RSA-OAEP"
	case jose.ECDH_ES, jose.ECDH_ES_A128KW, jose.ECDH_ES_A192KW, jose.ECDH_ES_A256KW:
		return "ECDH-ES"
	case jose.A128KW, jose.A192KW, jose.A256KW:
		return "AESKW"
	case jose.DIRECT:
		return "dir"
	case jose.PBES2_HS256_A128KW, jose.PBES2_HS384_A192KW, jose.PBES2_HS512_A256KW:
		return "PBES2"
	}
	return ""
}

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

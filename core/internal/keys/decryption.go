package keys

import (
	jose "github.com/jwtgate/jwtgate/core/internal/joseid"
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

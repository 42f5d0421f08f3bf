// Package keygen makes fresh signing keys, written once for jwtgate keys
// generate and for the key ring of jwtgate serve.
package keygen

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"errors"
	"fmt"
	"slices"
)

// The RSA sizes Generate makes: the least the core accepts, and a bound on
// the time one generation takes (16384 bits take minutes).
const (
	MinRSABits = 2048
	MaxRSABits = 8192
)

// ErrUnsupported is matched (errors.Is) by the error for an algorithm
// Generate has no key for.
var ErrUnsupported = errors.New("unsupported signing algorithm")

// ErrRSABits is matched by the error for an RSA size outside
// [MinRSABits, MaxRSABits].
var ErrRSABits = fmt.Errorf("RSA keys must be from %d to %d bits", MinRSABits, MaxRSABits)

// Algorithms returns the algorithms Generate makes keys for (the ones the
// core verifies), in a slice of the caller's own.
func Algorithms() []string {
	return []string{
		"HS256", "HS384", "HS512",
		"RS256", "RS384", "RS512",
		"PS256", "PS384", "PS512",
		"ES256", "ES384", "ES512",
		"EdDSA",
	}
}

// RSAAlgorithms returns the algorithms whose keys rsaBits sizes.
func RSAAlgorithms() []string {
	return []string{"RS256", "RS384", "RS512", "PS256", "PS384", "PS512"}
}

// hmacBytes is each HMAC algorithm's secret length: the hash output's (RFC
// 7518 section 3.2).
var hmacBytes = map[string]int{"HS256": 32, "HS384": 48, "HS512": 64}

// Generate returns a fresh private key for alg: an *rsa.PrivateKey of
// rsaBits bits, an *ecdsa.PrivateKey, an ed25519.PrivateKey, or the []byte
// secret of an HMAC algorithm. rsaBits is read for RSA algorithms only.
func Generate(alg string, rsaBits int) (any, error) {
	if n, ok := hmacBytes[alg]; ok {
		b := make([]byte, n)
		if _, err := rand.Read(b); err != nil {
			return nil, err
		}
		return b, nil
	}
	if slices.Contains(RSAAlgorithms(), alg) {
		if rsaBits < MinRSABits || rsaBits > MaxRSABits {
			return nil, ErrRSABits
		}
		return rsa.GenerateKey(rand.Reader, rsaBits)
	}
	switch alg {
	case "ES256":
		return ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	case "ES384":
		return ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	case "ES512":
		return ecdsa.GenerateKey(elliptic.P521(), rand.Reader)
	case "EdDSA":
		_, k, err := ed25519.GenerateKey(rand.Reader)
		return k, err
	}
	return nil, fmt.Errorf("%w %q", ErrUnsupported, alg)
}

package main

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"fmt"
	"slices"
	"strings"
)

// hmacMinBytes is the shortest secret each HS algorithm takes: the hash
// size (RFC 7518 section 3.2), as the core requires.
var hmacMinBytes = map[string]int{"HS256": 32, "HS384": 48, "HS512": 64}

// keySigns describes a private key for messages and lists the algorithms
// it signs.
func keySigns(key any) (desc string, algs []string) {
	switch k := key.(type) {
	case []byte:
		for _, alg := range []string{"HS256", "HS384", "HS512"} {
			if len(k) >= hmacMinBytes[alg] {
				algs = append(algs, alg)
			}
		}
		return fmt.Sprintf("a %d-byte shared secret", len(k)), algs
	case *rsa.PrivateKey:
		return "an RSA key", []string{"RS256", "RS384", "RS512", "PS256", "PS384", "PS512"}
	case *ecdsa.PrivateKey:
		curve := k.Curve.Params().Name
		alg := map[string]string{"P-256": "ES256", "P-384": "ES384", "P-521": "ES512"}[curve]
		if alg == "" {
			return "an EC " + curve + " key", nil
		}
		return "an EC " + curve + " key", []string{alg}
	case ed25519.PrivateKey:
		return "an Ed25519 key", []string{"EdDSA"}
	}
	return fmt.Sprintf("a key of type %T", key), nil
}

// algNeeds says what key alg signs with.
func algNeeds(alg string, key any) string {
	switch {
	case strings.HasPrefix(alg, "HS"):
		if _, secret := key.([]byte); secret {
			return fmt.Sprintf("a shared secret of at least %d bytes", hmacMinBytes[alg])
		}
		return "a shared secret (an oct JWK)"
	case strings.HasPrefix(alg, "RS"), strings.HasPrefix(alg, "PS"):
		return "an RSA key"
	case alg == "EdDSA":
		return "an Ed25519 key (OKP)"
	}
	return "an EC " + map[string]string{"ES256": "P-256", "ES384": "P-384", "ES512": "P-521"}[alg] + " key"
}

// checkSigningKey refuses an algorithm jwtgate does not mint, or one the
// key in file cannot sign, saying what is possible instead. fromFlag: alg
// is --alg's, else the JWK's own.
func checkSigningKey(file, alg string, key any, fromFlag bool) error {
	if alg == "" {
		desc, _ := keySigns(key)
		return fmt.Errorf("%s holds %s, which jwtgate cannot sign with", file, desc)
	}
	who := fmt.Sprintf("--alg %q", alg)
	if !fromFlag {
		who = fmt.Sprintf("the key's alg %q (from %s)", alg, file)
	}
	if !slices.Contains(signingAlgorithms, alg) {
		msg := fmt.Sprintf("%s is not a signing algorithm jwtgate mints (%s)", who, strings.Join(signingAlgorithms, ", "))
		if i := slices.IndexFunc(signingAlgorithms, func(a string) bool { return strings.EqualFold(a, alg) }); i >= 0 {
			msg = fmt.Sprintf("%s is not a signing algorithm jwtgate mints; did you mean %s?", who, signingAlgorithms[i])
		}
		return fmt.Errorf("%s", msg)
	}
	desc, algs := keySigns(key)
	if _, secret := key.([]byte); secret && len(algs) == 0 {
		return fmt.Errorf("%s holds %s, too short to sign: HS256 needs at least %d bytes", file, desc, hmacMinBytes["HS256"])
	}
	if slices.Contains(algs, alg) {
		return nil
	}
	if fromFlag {
		who = "--alg " + alg
	} else {
		who = fmt.Sprintf("the key's alg %s (from %s; override it with --alg)", alg, file)
	}
	msg := fmt.Sprintf("%s needs %s; %s holds %s", who, algNeeds(alg, key), file, desc)
	if len(algs) > 0 {
		msg += ", which signs " + orList(algs)
	}
	return fmt.Errorf("%s", msg)
}

// orList is "A", "A or B", "A, B or C".
func orList(s []string) string {
	if len(s) <= 1 {
		return strings.Join(s, "")
	}
	return strings.Join(s[:len(s)-1], ", ") + " or " + s[len(s)-1]
}

// joseReason is a go-jose error's text without the library's prefix.
func joseReason(err error) string {
	return strings.TrimPrefix(err.Error(), "go-jose/go-jose: ")
}

//go:build !jwtgate_webcrypto

package keys

import (
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"strings"

	jose "github.com/go-jose/go-jose/v4"
)

// PEM keys and go-jose's JWK reader (decryption keys): every build but the
// browser module's, which reads neither (pem_webcrypto.go).

// ParsePEM returns the public keys in PEM data: "PUBLIC KEY", "RSA PUBLIC
// KEY" and "CERTIFICATE" blocks. Private keys are refused: a verifier must
// not hold the signer's secret.
func ParsePEM(data []byte) ([]any, error) {
	out, err := pemKeys(data, map[string]func([]byte) (any, error){
		"PUBLIC KEY":     x509.ParsePKIXPublicKey,
		"RSA PUBLIC KEY": func(der []byte) (any, error) { return x509.ParsePKCS1PublicKey(der) },
		"CERTIFICATE": func(der []byte) (any, error) {
			cert, err := x509.ParseCertificate(der)
			if err != nil {
				return nil, err
			}
			return cert.PublicKey, nil
		},
	}, func(blockType string) error {
		if strings.Contains(blockType, "PRIVATE") {
			return fmt.Errorf("PEM block %q is a private key; configure the public key", blockType)
		}
		return fmt.Errorf("unsupported PEM block %q", blockType)
	})
	if err == nil && len(out) == 0 {
		return nil, errors.New("no PEM public key found")
	}
	return out, err
}

// ParsePrivatePEM returns the private keys in PEM data (PKCS#8, PKCS#1, SEC 1).
func ParsePrivatePEM(data []byte) ([]any, error) {
	out, err := pemKeys(data, map[string]func([]byte) (any, error){
		"PRIVATE KEY":     x509.ParsePKCS8PrivateKey,
		"RSA PRIVATE KEY": func(der []byte) (any, error) { return x509.ParsePKCS1PrivateKey(der) },
		"EC PRIVATE KEY":  func(der []byte) (any, error) { return x509.ParseECPrivateKey(der) },
	}, func(blockType string) error {
		return fmt.Errorf("unsupported PEM block %q for a private key", blockType)
	})
	if err == nil && len(out) == 0 {
		return nil, errors.New("no PEM private key found")
	}
	return out, err
}

// pemKeys parses each PEM block of data with the parser of its type; a
// block of another type is unknown's error, a bad DER names its block.
func pemKeys(data []byte, parsers map[string]func([]byte) (any, error), unknown func(blockType string) error) ([]any, error) {
	var out []any
	for rest := data; ; {
		var block *pem.Block
		if block, rest = pem.Decode(rest); block == nil {
			return out, nil
		}
		parse, ok := parsers[block.Type]
		if !ok {
			return nil, unknown(block.Type)
		}
		key, err := parse(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("PEM block %q: %s", block.Type, derReason(err))
		}
		out = append(out, key)
	}
}

// ParseJoseJWKS parses a JWK Set ({"keys": [...]}) or a single JWK with
// go-jose, private keys included: for decryption keys. Verification keys
// are read by ParseJWKS.
func ParseJoseJWKS(data []byte) ([]jose.JSONWebKey, error) {
	var probe struct {
		Keys json.RawMessage `json:"keys"`
	}
	if err := json.Unmarshal(data, &probe); err != nil {
		return nil, fmt.Errorf("not a JSON object: %s", jsonReason(err))
	}
	if probe.Keys == nil {
		var k jose.JSONWebKey
		if err := json.Unmarshal(data, &k); err != nil {
			return nil, fmt.Errorf("invalid JWK: %s", jsonReason(err))
		}
		var ops keyOps
		if err := json.Unmarshal(data, &ops); err != nil {
			return nil, fmt.Errorf("invalid JWK: %s", jsonReason(err))
		}
		return applyKeyOps([]jose.JSONWebKey{k}, []keyOps{ops})
	}
	var set jose.JSONWebKeySet
	if err := json.Unmarshal(data, &set); err != nil {
		return nil, fmt.Errorf("invalid JWK set: %s", jsonReason(err))
	}
	var ops struct {
		Keys []keyOps `json:"keys"`
	}
	if err := json.Unmarshal(data, &ops); err != nil {
		return nil, fmt.Errorf("invalid JWK set: %s", jsonReason(err))
	}
	return applyKeyOps(set.Keys, ops.Keys)
}

// keyOps is a JWK's "key_ops", which go-jose does not keep.
type keyOps struct {
	Ops []string `json:"key_ops"`
}

// applyKeyOps gives each key the use its "key_ops" imply (RFC 7517 section
// 4.3), so that a key whose operations are all encryption ones never
// verifies a signature, and a signing key never decrypts. A "use" that
// contradicts "key_ops" is an error.
func applyKeyOps(set []jose.JSONWebKey, ops []keyOps) ([]jose.JSONWebKey, error) {
	for i := range set {
		if i >= len(ops) {
			continue
		}
		use := impliedUse(ops[i].Ops)
		if use == "" {
			continue
		}
		if set[i].Use != "" && set[i].Use != use {
			return nil, fmt.Errorf("key %d: use %q contradicts key_ops %q", i, set[i].Use, ops[i].Ops)
		}
		set[i].Use = use
	}
	return set, nil
}

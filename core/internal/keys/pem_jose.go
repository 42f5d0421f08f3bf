//go:build !jwtgate_webcrypto

package keys

import (
	"crypto/ed25519"
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
	var out []any
	rest := data
	for {
		var block *pem.Block
		block, rest = pem.Decode(rest)
		if block == nil {
			break
		}
		var key any
		var err error
		switch block.Type {
		case "PUBLIC KEY":
			key, err = x509.ParsePKIXPublicKey(block.Bytes)
		case "RSA PUBLIC KEY":
			key, err = x509.ParsePKCS1PublicKey(block.Bytes)
		case "CERTIFICATE":
			var cert *x509.Certificate
			cert, err = x509.ParseCertificate(block.Bytes)
			if err == nil {
				key = cert.PublicKey
			}
		default:
			if strings.Contains(block.Type, "PRIVATE") {
				return nil, fmt.Errorf("PEM block %q is a private key; configure the public key", block.Type)
			}
			return nil, fmt.Errorf("unsupported PEM block %q", block.Type)
		}
		if err != nil {
			return nil, fmt.Errorf("PEM block %q: %s", block.Type, derReason(err))
		}
		out = append(out, key)
	}
	if len(out) == 0 {
		return nil, errors.New("no PEM public key found")
	}
	return out, nil
}

// ParsePrivatePEM returns the private keys in PEM data (PKCS#8, PKCS#1, SEC 1).
func ParsePrivatePEM(data []byte) ([]any, error) {
	var out []any
	rest := data
	for {
		var block *pem.Block
		block, rest = pem.Decode(rest)
		if block == nil {
			break
		}
		var key any
		var err error
		switch block.Type {
		case "PRIVATE KEY":
			key, err = x509.ParsePKCS8PrivateKey(block.Bytes)
		case "RSA PRIVATE KEY":
			key, err = x509.ParsePKCS1PrivateKey(block.Bytes)
		case "EC PRIVATE KEY":
			key, err = x509.ParseECPrivateKey(block.Bytes)
		default:
			return nil, fmt.Errorf("unsupported PEM block %q for a private key", block.Type)
		}
		if err != nil {
			return nil, fmt.Errorf("PEM block %q: %s", block.Type, derReason(err))
		}
		if k, ok := key.(ed25519.PrivateKey); ok {
			key = k // kept as is; Ed25519 is not used for decryption
		}
		out = append(out, key)
	}
	if len(out) == 0 {
		return nil, errors.New("no PEM private key found")
	}
	return out, nil
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

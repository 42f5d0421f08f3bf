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
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"strings"

	jose "github.com/go-jose/go-jose/v4"
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

// Describe names key material without revealing it.
func Describe(material any) string {
	switch m := material.(type) {
	case []byte:
		return fmt.Sprintf("%d-byte secret", len(m))
	case *rsa.PublicKey:
		return fmt.Sprintf("RSA-%d public key", m.N.BitLen())
	case *rsa.PrivateKey:
		return fmt.Sprintf("RSA-%d private key", m.N.BitLen())
	case *ecdsa.PublicKey:
		return fmt.Sprintf("EC %s public key", m.Curve.Params().Name)
	case *ecdsa.PrivateKey:
		return fmt.Sprintf("EC %s private key", m.Curve.Params().Name)
	case ed25519.PublicKey:
		return "Ed25519 public key"
	case ed25519.PrivateKey:
		return "Ed25519 private key"
	}
	return fmt.Sprintf("%T", material)
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

// fits reports whether material is the right kind of key for alg.
func fits(material any, alg jose.SignatureAlgorithm) bool {
	switch m := material.(type) {
	case []byte:
		return FamilyOf(alg) == FamilyHMAC
	case *rsa.PublicKey:
		f := FamilyOf(alg)
		return f == FamilyRSA || f == FamilyRSAPSS
	case *ecdsa.PublicKey:
		switch alg {
		case jose.ES256:
			return m.Curve == elliptic.P256()
		case jose.ES384:
			return m.Curve == elliptic.P384()
		case jose.ES512:
			return m.Curve == elliptic.P521()
		}
	case ed25519.PublicKey:
		return alg == jose.EdDSA
	}
	return false
}

func checkStrength(material any) error {
	switch m := material.(type) {
	case *rsa.PublicKey:
		if m.N.BitLen() < MinRSABits {
			return fmt.Errorf("RSA key is %d bits, at least %d are required", m.N.BitLen(), MinRSABits)
		}
	case *rsa.PrivateKey:
		if m.N.BitLen() < MinRSABits {
			return fmt.Errorf("RSA key is %d bits, at least %d are required", m.N.BitLen(), MinRSABits)
		}
	case []byte:
		if len(m) == 0 {
			return errors.New("secret is empty")
		}
	case *ecdsa.PublicKey, ed25519.PublicKey, *ecdsa.PrivateKey, ed25519.PrivateKey:
	default:
		return fmt.Errorf("unsupported key type %T", material)
	}
	return nil
}

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

package keys

import (
	"encoding/base64"
	"errors"
	"fmt"

	"github.com/jwtgate/jwtgate/core/internal/jsonscan"
)

// JWK is one key of a JWK set as the core reads it to verify signatures
// (RFC 7517, RFC 7518 §6, RFC 8037): its public material, or a shared
// secret, with its kid, alg and use. The core parses JWKs itself, with
// its strict JSON scanner, so that the builds that must stay small (the
// browser module) link neither go-jose nor crypto/x509; go-jose stays the
// oracle (FuzzParseJWKS) and parses decryption keys.
type JWK struct {
	// Key is []byte (kty oct), *rsa.PublicKey, *ecdsa.PublicKey or
	// ed25519.PublicKey: for a private key, its public part.
	Key       any
	KeyID     string
	Algorithm string
	Use       string
	// Type is the JWK's kty.
	Type string
	// Private reports that the JWK holds private parameters ("d"): a
	// verifier must not hold the signer's secret, so it never verifies.
	Private bool
	// Unsupported says why a well-formed key cannot verify here (a kty or
	// curve jwtgate does not verify with, an RSA modulus over MaxRSABits);
	// Key is nil. A fetched set's such keys are skipped (RFC 7517 §5), a
	// configured one is an error.
	Unsupported string
}

// IsPublic reports whether the key is a public key (not a private one, not
// a shared secret).
func (k *JWK) IsPublic() bool {
	_, secret := k.Key.([]byte)
	return !k.Private && !secret
}

// MaxRSABits is the largest RSA modulus a JWK may have, as go-jose's
// MaxRSAModulusBits: a larger one costs a verifier too much per token.
const MaxRSABits = 4096

var jwkLimits = jsonscan.Limits{MaxDepth: 8, MaxMembers: 100_000}

// ParseJWKS parses a JWK set ({"keys": [...]}) or a single JWK, for
// verification. A malformed key (a member of the wrong type, a missing or
// undecodable parameter, a point off its curve) refuses the set whole, as
// go-jose does; a well-formed key this reader cannot use is kept, marked
// Unsupported. x5c, x5t and x5u are not read: the key is its own
// parameters.
func ParseJWKS(data []byte) ([]JWK, error) {
	obj, err := jsonscan.ParseObject(data, jwkLimits)
	if err != nil {
		return nil, fmt.Errorf("not a JSON object: %v", err)
	}
	raw, ok := obj.Get("keys")
	if !ok {
		k, err := parseJWK(obj)
		if err != nil {
			return nil, fmt.Errorf("invalid JWK: %v", err)
		}
		return []JWK{k}, nil
	}
	if jsonscan.Kind(raw) == "null" {
		return []JWK{}, nil // as go-jose reads it: a set without keys
	}
	elems, err := jsonscan.ObjectArray(raw)
	if err != nil {
		return nil, fmt.Errorf("invalid JWK set: keys: %v", err)
	}
	out := make([]JWK, len(elems))
	for i, e := range elems {
		o, err := jsonscan.ParseObject(e, jwkLimits)
		if err == nil {
			out[i], err = parseJWK(o)
		}
		if err != nil {
			return nil, fmt.Errorf("invalid JWK set: key %d: %v", i, err)
		}
	}
	return out, nil
}

// parseJWK reads one JWK object.
func parseJWK(o *jsonscan.Object) (JWK, error) {
	var k JWK
	var crv string
	var err error
	for _, f := range []struct {
		name string
		to   *string
	}{{"kid", &k.KeyID}, {"alg", &k.Algorithm}, {"use", &k.Use}, {"kty", &k.Type}, {"crv", &crv}} {
		if *f.to, err = optionalString(o, f.name); err != nil {
			return k, err
		}
	}
	if k.Use, err = useOf(o, k.Use); err != nil {
		return k, err
	}
	for _, name := range jwkBinaries {
		if _, _, err := b64Member(o, name); err != nil {
			return k, err
		}
	}
	switch k.Type {
	case "RSA":
		k.Key, err = rsaJWK(o)
	case "EC":
		k.Key, err = ecJWK(o, crv)
	case "OKP":
		k.Key, err = okpJWK(o, crv)
	case "oct":
		var secret []byte
		var present bool
		if secret, present, err = b64Member(o, "k"); err == nil && !present {
			err = errors.New("invalid oct key, missing k")
		}
		k.Key = append([]byte{}, secret...) // "" is an empty secret, refused when bound
	case "":
		err = errors.New("missing kty")
	default:
		err = unsupported(fmt.Sprintf("kty %q is not one jwtgate verifies with", k.Type))
	}
	var u unsupported
	if errors.As(err, &u) {
		k.Key, k.Unsupported, err = nil, string(u), nil
	}
	if err != nil {
		return k, err
	}
	if _, secret := k.Key.([]byte); !secret {
		raw, ok := o.Get("d")
		k.Private = ok && jsonscan.Kind(raw) != "null"
	}
	return k, nil
}

// jwkBinaries are the base64url members of the key types go-jose knows: a
// bad one refuses the key, used or not, as go-jose refuses it.
var jwkBinaries = []string{"k", "x", "y", "n", "e", "d", "p", "q", "dp", "dq", "qi", "pub", "priv"}

// unsupported is why a well-formed key cannot be used: not a parse error.
type unsupported string

func (u unsupported) Error() string { return string(u) }

// optionalString is a string member; absent or null is "".
func optionalString(o *jsonscan.Object, name string) (string, error) {
	raw, ok := o.Get(name)
	if !ok || jsonscan.Kind(raw) == "null" {
		return "", nil
	}
	s, err := jsonscan.String(raw)
	if err != nil {
		return "", fmt.Errorf("%s: want a string", name)
	}
	return s, nil
}

// b64Member decodes a base64url member (RFC 7515 §2, no padding); present
// is false when it is absent or null. "" is present and empty, as go-jose
// reads it (an RSA modulus of 0 bits, an empty secret: refused when the
// key is bound).
// b64Pair reads the two members a key of kty needs, both required: RSA's
// n and e, EC's x and y.
func b64Pair(o *jsonscan.Object, kty, first, second string) ([]byte, []byte, error) {
	a, hasA, err := b64Member(o, first)
	if err != nil {
		return nil, nil, err
	}
	b, hasB, err := b64Member(o, second)
	if err != nil {
		return nil, nil, err
	}
	if !hasA || !hasB {
		return nil, nil, fmt.Errorf("invalid %s key, missing %s or %s", kty, first, second)
	}
	return a, b, nil
}

// ed25519KeySize is ed25519.PublicKeySize (crypto/ed25519 is not linked
// into the browser module).
const ed25519KeySize = 32

// ed25519X reads an OKP key's x for crv, which must be Ed25519: 32 bytes,
// not a point of small order (smallOrder: each build's own check).
func ed25519X(o *jsonscan.Object, crv string, smallOrder func([]byte) bool) ([]byte, error) {
	if crv != "Ed25519" {
		return nil, unsupported(fmt.Sprintf("OKP curve %q is not one jwtgate verifies with", crv))
	}
	x, hasX, err := b64Member(o, "x")
	switch {
	case err != nil:
		return nil, err
	case !hasX:
		return nil, errors.New("invalid Ed25519 key, missing x")
	case len(x) != ed25519KeySize:
		return nil, fmt.Errorf("invalid Ed25519 key, x must be %d bytes", ed25519KeySize)
	case smallOrder(x):
		return nil, errors.New("invalid Ed25519 key, a point of small order")
	}
	return x, nil
}

func b64Member(o *jsonscan.Object, name string) (b []byte, present bool, err error) {
	raw, ok := o.Get(name)
	if !ok || jsonscan.Kind(raw) == "null" {
		return nil, false, nil
	}
	s, err := jsonscan.String(raw)
	if err != nil {
		return nil, true, fmt.Errorf("%s: want a string", name)
	}
	if b, err = base64.RawURLEncoding.DecodeString(s); err != nil {
		return nil, true, fmt.Errorf("%s: not base64url", name)
	}
	return b, true, nil
}

// useOf is the key's use, with what its "key_ops" imply (RFC 7517 §4.3),
// so that a key whose operations are all encryption ones never verifies a
// signature. A "use" that contradicts "key_ops" is an error.
func useOf(o *jsonscan.Object, use string) (string, error) {
	raw, ok := o.Get("key_ops")
	if !ok || jsonscan.Kind(raw) == "null" {
		return use, nil
	}
	ops, err := jsonscan.StringArray(raw)
	if err != nil {
		return "", errors.New("key_ops: want an array of strings")
	}
	implied := impliedUse(ops)
	switch {
	case implied == "":
		return use, nil
	case use != "" && use != implied:
		return "", fmt.Errorf("use %q contradicts key_ops %q", use, ops)
	}
	return implied, nil
}

// impliedUse is "sig" for signing operations only, "enc" for encryption
// ones only, else "".
func impliedUse(ops []string) string {
	var sig, enc bool
	for _, op := range ops {
		switch op {
		case "sign", "verify":
			sig = true
		case "encrypt", "decrypt", "wrapKey", "unwrapKey", "deriveKey", "deriveBits":
			enc = true
		}
	}
	switch {
	case sig && !enc:
		return "sig"
	case enc && !sig:
		return "enc"
	}
	return ""
}

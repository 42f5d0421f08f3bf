//go:build !jwtgate_webcrypto

package keys

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/sha512"
	"encoding/base64"
	"errors"
	"fmt"
	"math"
	"math/big"
	"strconv"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/jwtgate/jwtgate/core/internal/jsonscan"
)

// Public key material as the standard library's types, checked with its
// arithmetic: every build but the browser module's (material_webcrypto.go).

func rsaJWK(o *jsonscan.Object) (*rsa.PublicKey, error) {
	n, e, err := b64Pair(o, "RSA", "n", "e")
	if err != nil {
		return nil, err
	}
	key := &rsa.PublicKey{N: new(big.Int).SetBytes(n)}
	if key.N.BitLen() > MaxRSABits {
		return nil, unsupported(fmt.Sprintf("RSA key of %d bits, at most %d are supported", key.N.BitLen(), MaxRSABits))
	}
	exp := new(big.Int).SetBytes(e)
	if !exp.IsInt64() || exp.Int64() < 2 || exp.Int64() > math.MaxInt {
		return nil, errors.New("invalid RSA key, bad e")
	}
	key.E = int(exp.Int64())
	return key, nil
}

func ecJWK(o *jsonscan.Object, crv string) (*ecdsa.PublicKey, error) {
	var curve elliptic.Curve
	switch crv {
	case "P-256":
		curve = elliptic.P256()
	case "P-384":
		curve = elliptic.P384()
	case "P-521":
		curve = elliptic.P521()
	default:
		return nil, unsupported(fmt.Sprintf("EC curve %q is not one jwtgate verifies with", crv))
	}
	x, y, err := b64Pair(o, "EC", "x", "y")
	if err != nil {
		return nil, err
	}
	size := (curve.Params().BitSize + 7) / 8
	switch {
	case len(x) != size || len(y) != size:
		// RFC 7518 §6.2.1.2: the full size of a coordinate.
		return nil, fmt.Errorf("invalid EC key, x and y must be %d bytes each for %s", size, crv)
	}
	key := &ecdsa.PublicKey{Curve: curve, X: new(big.Int).SetBytes(x), Y: new(big.Int).SetBytes(y)}
	if !curve.IsOnCurve(key.X, key.Y) {
		return nil, fmt.Errorf("invalid EC key, the point is not on %s", crv)
	}
	return key, nil
}

func okpJWK(o *jsonscan.Object, crv string) (ed25519.PublicKey, error) {
	x, err := ed25519X(o, crv, lowOrderEd25519)
	if err != nil {
		return nil, err
	}
	return ed25519.PublicKey(x), nil
}

// The field of edwards25519, and the y of its points of order 8 (the other
// is p − y): with y = 0, 1 and p − 1, the y coordinates of its points of
// small order.
var (
	ed25519P, _    = new(big.Int).SetString("7fffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffed", 16)
	ed25519Ord8, _ = new(big.Int).SetString("5fc536d880238b13933c6d305acdfd5f098eff289f4c345b027b2c28f95e826", 16)
)

// lowOrderEd25519 reports whether x encodes a point of small order: with
// one, a forger's signature verifies for one message in eight (Go's
// ed25519.Verify accepts such keys). The encoding is y, little-endian, its
// top bit x's sign; a y of p or p + 1 (non-canonical) is one of 0 and 1.
func lowOrderEd25519(x []byte) bool {
	le := make([]byte, len(x))
	for i, b := range x {
		le[len(x)-1-i] = b
	}
	le[0] &= 0x7f
	y := new(big.Int).Mod(new(big.Int).SetBytes(le), ed25519P)
	if y.IsInt64() && y.Int64() <= 1 {
		return true
	}
	for _, small := range []*big.Int{new(big.Int).Sub(ed25519P, big.NewInt(1)), ed25519Ord8, new(big.Int).Sub(ed25519P, ed25519Ord8)} {
		if y.Cmp(small) == 0 {
			return true
		}
	}
	return false
}

// MarshalJWK writes key material alone as a JWK (no kid, alg or use): what
// a host's signature check is handed (core.SignatureChecker). EC
// coordinates are written at the curve's full size.
func MarshalJWK(material any) ([]byte, error) {
	b64 := base64.RawURLEncoding.EncodeToString
	switch m := material.(type) {
	case []byte:
		return []byte(`{"kty":"oct","k":"` + b64(m) + `"}`), nil
	case *rsa.PublicKey:
		e := big.NewInt(int64(m.E)).Bytes()
		return []byte(`{"kty":"RSA","n":"` + b64(m.N.Bytes()) + `","e":"` + b64(e) + `"}`), nil
	case *ecdsa.PublicKey:
		size := (m.Curve.Params().BitSize + 7) / 8
		return []byte(`{"kty":"EC","crv":` + strconv.Quote(m.Curve.Params().Name) + `,"x":"` + b64(m.X.FillBytes(make([]byte, size))) +
			`","y":"` + b64(m.Y.FillBytes(make([]byte, size))) + `"}`), nil
	case ed25519.PublicKey:
		return []byte(`{"kty":"OKP","crv":"Ed25519","x":"` + b64(m) + `"}`), nil
	}
	return nil, fmt.Errorf("%T cannot be written as a JWK", material)
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

// verifyPublic checks a signature with public key material.
func verifyPublic(material any, alg jose.SignatureAlgorithm, input, sig []byte) bool {
	switch m := material.(type) {
	case *rsa.PublicKey:
		return verifyRSA(m, alg, input, sig)
	case *ecdsa.PublicKey:
		return verifyECDSA(m, alg, input, sig)
	case ed25519.PublicKey:
		// ed25519.Verify panics on a key of another length.
		return alg == jose.EdDSA && len(m) == ed25519.PublicKeySize && ed25519.Verify(m, input, sig)
	}
	return false
}

func verifyRSA(pub *rsa.PublicKey, alg jose.SignatureAlgorithm, input, sig []byte) bool {
	var buf [sha512.Size]byte
	id, d := digest(alg, input, &buf)
	if d == nil {
		return false
	}
	switch FamilyOf(alg) {
	case FamilyRSA:
		return rsa.VerifyPKCS1v15(pub, id, d, sig) == nil
	case FamilyRSAPSS:
		// RFC 7518 section 3.5: the salt is as long as the hash output
		// (go-jose itself would accept any salt length).
		return rsa.VerifyPSS(pub, id, d, sig, &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthEqualsHash}) == nil
	}
	return false
}

// verifyECDSA checks a JWS ECDSA signature: r‖s, each exactly the curve's
// size (RFC 7518 section 3.4); any other length is refused, not padded.
func verifyECDSA(pub *ecdsa.PublicKey, alg jose.SignatureAlgorithm, input, sig []byte) bool {
	if !fits(pub, alg) {
		return false
	}
	size := (pub.Curve.Params().BitSize + 7) / 8
	if len(sig) != 2*size {
		return false
	}
	var buf [sha512.Size]byte
	_, d := digest(alg, input, &buf)
	var der [2*(66+3) + 3]byte
	return ecdsa.VerifyASN1(pub, d, asn1Signature(der[:0], sig[:size], sig[size:]))
}

// asn1Signature appends the DER SEQUENCE { INTEGER r, INTEGER s } that
// crypto/ecdsa reads, for r and s of at most 66 bytes each (P-521).
func asn1Signature(dst, r, s []byte) []byte {
	body := len(derInteger(nil, r)) + len(derInteger(nil, s))
	dst = append(dst, 0x30)
	if body >= 0x80 {
		dst = append(dst, 0x81)
	}
	dst = append(dst, byte(body))
	return derInteger(derInteger(dst, r), s)
}

// derInteger appends an unsigned big-endian integer as a DER INTEGER:
// leading zeros dropped, one zero put back when the high bit is set.
func derInteger(dst, n []byte) []byte {
	for len(n) > 1 && n[0] == 0 {
		n = n[1:]
	}
	pad := len(n) > 0 && n[0]&0x80 != 0
	l := len(n)
	if pad {
		l++
	}
	if len(n) == 0 {
		return append(dst, 0x02, 0x01, 0x00)
	}
	dst = append(dst, 0x02, byte(l))
	if pad {
		dst = append(dst, 0)
	}
	return append(dst, n...)
}

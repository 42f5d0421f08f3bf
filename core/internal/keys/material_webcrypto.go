//go:build jwtgate_webcrypto

package keys

import (
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"

	jose "github.com/jwtgate/jwtgate/core/internal/joseid"
	"github.com/jwtgate/jwtgate/core/internal/jsonscan"
)

// Public key material as its JWK parameters, for the build that leaves the
// signature arithmetic to the page's WebCrypto (the browser module, tag
// jwtgate_webcrypto), so that it links no RSA, ECDSA, Ed25519 or math/big.
// The keys are checked at load on their bytes (params.go), refusing what
// material_native.go refuses with the same errors; Verify checks no
// signature of them: the module requires a SignatureChecker.

// rsaPublicKey is an RSA key's modulus (big-endian, no leading zeros) and
// public exponent.
type rsaPublicKey struct {
	n []byte
	e int
}

// ecPublicKey is a point of one of the NIST curves, its coordinates at
// the curve's full size.
type ecPublicKey struct {
	curve *nistCurve
	x, y  []byte
}

// edPublicKey is an Ed25519 public key's 32 bytes.
type edPublicKey []byte

func rsaJWK(o *jsonscan.Object) (*rsaPublicKey, error) {
	n, e, err := b64Pair(o, "RSA", "n", "e")
	if err != nil {
		return nil, err
	}
	if bits := rsaModulusBits(n); bits > MaxRSABits {
		return nil, unsupported(fmt.Sprintf("RSA key of %d bits, at most %d are supported", bits, MaxRSABits))
	}
	exp, ok := rsaExponent(e)
	if !ok {
		return nil, errors.New("invalid RSA key, bad e")
	}
	return &rsaPublicKey{n: trimZeros(n), e: exp}, nil
}

func ecJWK(o *jsonscan.Object, crv string) (*ecPublicKey, error) {
	curve := curveByName(crv)
	if curve == nil {
		return nil, unsupported(fmt.Sprintf("EC curve %q is not one jwtgate verifies with", crv))
	}
	x, y, err := b64Pair(o, "EC", "x", "y")
	if err != nil {
		return nil, err
	}
	switch {
	case len(x) != curve.size || len(y) != curve.size:
		// RFC 7518 §6.2.1.2: the full size of a coordinate.
		return nil, fmt.Errorf("invalid EC key, x and y must be %d bytes each for %s", curve.size, crv)
	case !curve.onCurve(x, y):
		return nil, fmt.Errorf("invalid EC key, the point is not on %s", crv)
	}
	return &ecPublicKey{curve: curve, x: x, y: y}, nil
}

func okpJWK(o *jsonscan.Object, crv string) (edPublicKey, error) {
	x, err := ed25519X(o, crv, smallOrderEd25519)
	if err != nil {
		return nil, err
	}
	return edPublicKey(x), nil
}

// MarshalJWK writes key material alone as a JWK (no kid, alg or use), as
// material_native.go writes it.
func MarshalJWK(material any) ([]byte, error) {
	b64 := base64.RawURLEncoding.EncodeToString
	switch m := material.(type) {
	case []byte:
		return []byte(`{"kty":"oct","k":"` + b64(m) + `"}`), nil
	case *rsaPublicKey:
		var e []byte
		for v := m.e; v > 0; v >>= 8 {
			e = append([]byte{byte(v)}, e...)
		}
		return []byte(`{"kty":"RSA","n":"` + b64(m.n) + `","e":"` + b64(e) + `"}`), nil
	case *ecPublicKey:
		return []byte(`{"kty":"EC","crv":` + strconv.Quote(m.curve.name) + `,"x":"` + b64(m.x) + `","y":"` + b64(m.y) + `"}`), nil
	case edPublicKey:
		return []byte(`{"kty":"OKP","crv":"Ed25519","x":"` + b64(m) + `"}`), nil
	}
	return nil, fmt.Errorf("%T cannot be written as a JWK", material)
}

// Describe names key material without revealing it.
func Describe(material any) string {
	switch m := material.(type) {
	case []byte:
		return fmt.Sprintf("%d-byte secret", len(m))
	case *rsaPublicKey:
		return fmt.Sprintf("RSA-%d public key", rsaModulusBits(m.n))
	case *ecPublicKey:
		return fmt.Sprintf("EC %s public key", m.curve.name)
	case edPublicKey:
		return "Ed25519 public key"
	}
	return fmt.Sprintf("%T", material)
}

// fits reports whether material is the right kind of key for alg.
func fits(material any, alg jose.SignatureAlgorithm) bool {
	switch m := material.(type) {
	case []byte:
		return FamilyOf(alg) == FamilyHMAC
	case *rsaPublicKey:
		f := FamilyOf(alg)
		return f == FamilyRSA || f == FamilyRSAPSS
	case *ecPublicKey:
		switch alg {
		case jose.ES256:
			return m.curve.name == "P-256"
		case jose.ES384:
			return m.curve.name == "P-384"
		case jose.ES512:
			return m.curve.name == "P-521"
		}
	case edPublicKey:
		return alg == jose.EdDSA
	}
	return false
}

func checkStrength(material any) error {
	switch m := material.(type) {
	case *rsaPublicKey:
		if bits := rsaModulusBits(m.n); bits < MinRSABits {
			return fmt.Errorf("RSA key is %d bits, at least %d are required", bits, MinRSABits)
		}
	case []byte:
		if len(m) == 0 {
			return errors.New("secret is empty")
		}
	case *ecPublicKey, edPublicKey:
	default:
		return fmt.Errorf("unsupported key type %T", material)
	}
	return nil
}

// verifyPublic checks no signature: this build links no public-key
// arithmetic, and the browser module refuses to load without a
// SignatureChecker (WebCrypto), which checks them in its place.
func verifyPublic(any, jose.SignatureAlgorithm, []byte, []byte) bool { return false }

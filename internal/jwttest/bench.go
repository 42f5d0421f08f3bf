package jwttest

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/hmac"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"math/big"
	"strings"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
)

// The benchmark tokens live here, not in the core's tests, so that the
// core's benchmarks and the peer libraries' (internal/peerbench) verify
// the very same bytes under the very same policy: a ratio between two
// benchmarks is only worth something if their inputs are identical.
const (
	BenchIssuer   = "https://bench.example"
	BenchAudience = "authonomy"
	BenchSecret   = "0123456789abcdef0123456789abcdef-test-secret"
	// BenchLeeway is the core's default clock skew, which the peers are
	// given too.
	BenchLeeway = time.Minute
)

// BenchNow is the time every benchmark verifies at.
var BenchNow = time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)

// BenchRequired are the claims the benchmark policy requires (tenant_id a
// string).
var BenchRequired = []string{"email", "tenant_id"}

// BenchCase is one algorithm's benchmark token and the policy that
// accepts it.
type BenchCase struct {
	Alg    string
	Token  string
	Policy string // the jwtgate policy YAML: one integration, this alg only
	Key    any    // the verification key: the secret or the public key
	Signer any    // the signing key, for variants of the token
	KID    string // the token's kid ("" for HS256)
}

// BenchClaims are the benchmark token's claims with extra set on top (a
// nil value deletes a claim).
func BenchClaims(extra map[string]any) map[string]any {
	return Merge(map[string]any{
		"iss": BenchIssuer, "sub": "user-123", "aud": BenchAudience,
		"exp": BenchNow.Add(time.Hour).Unix(), "iat": BenchNow.Add(-time.Minute).Unix(),
		"email": "john@example.com", "tenant_id": "550e8400-e29b-41d4-a716-446655440000", "name": "John Doe",
		"roles": []string{"user"}, "permissions": []string{"users:read", "reports:read:own"},
		"jti": "token-unique-id", "metadata": map[string]any{"department": "Engineering", "employee_id": "E-1234"},
	}, extra)
}

// Sign signs claims as this case's token is signed.
func (c BenchCase) Sign(claims map[string]any) string {
	hdr := map[string]any{}
	if c.KID != "" {
		hdr["kid"] = c.KID
	}
	return Sign(c.Alg, c.Signer, hdr, claims)
}

// BenchCases are the four benchmark algorithms in name order.
func BenchCases(t testing.TB) []BenchCase {
	k := Keys()
	policy := func(alg, keyYAML string) string {
		return `
integrations:
  - name: bench
    issuer: ` + BenchIssuer + `
    audiences: [` + BenchAudience + `]
    algorithms: [` + alg + `]
    required_claims: [email, {name: tenant_id, type: string}]
    keys:
      - ` + keyYAML + `
`
	}
	jwk := func(key any, alg string) string {
		return "jwks: " + JWKS(t, jose.JSONWebKey{Key: key, KeyID: "k1", Algorithm: alg, Use: "sig"})
	}
	cases := []BenchCase{
		{Alg: "EdDSA", Policy: policy("EdDSA", jwk(k.Ed25519.Public(), "EdDSA")), Key: k.Ed25519.Public(), Signer: k.Ed25519, KID: "k1"},
		{Alg: "ES256", Policy: policy("ES256", jwk(k.EC.Public(), "ES256")), Key: k.EC.Public(), Signer: k.EC, KID: "k1"},
		{Alg: "HS256", Policy: policy("HS256", `secret: "`+BenchSecret+`"`), Key: []byte(BenchSecret), Signer: []byte(BenchSecret)},
		{Alg: "RS256", Policy: policy("RS256", jwk(k.RSA.Public(), "RS256")), Key: k.RSA.Public(), Signer: k.RSA, KID: "k1"},
	}
	for i := range cases {
		cases[i].Token = cases[i].Sign(BenchClaims(nil))
	}
	return cases
}

// BareCheck returns the floor of a verification: hashing the signing
// input and checking the signature with the standard library, the token
// already split and decoded.
func (c BenchCase) BareCheck(t testing.TB) func() bool {
	dot := strings.LastIndexByte(c.Token, '.')
	input := []byte(c.Token[:dot])
	sig, err := base64.RawURLEncoding.DecodeString(c.Token[dot+1:])
	if err != nil {
		t.Fatal(err)
	}
	switch k := c.Key.(type) {
	case []byte:
		return func() bool {
			m := hmac.New(sha256.New, k)
			m.Write(input)
			return hmac.Equal(m.Sum(nil), sig)
		}
	case *rsa.PublicKey:
		return func() bool {
			h := sha256.Sum256(input)
			return rsa.VerifyPKCS1v15(k, crypto.SHA256, h[:], sig) == nil
		}
	case *ecdsa.PublicKey:
		r, s := new(big.Int).SetBytes(sig[:32]), new(big.Int).SetBytes(sig[32:])
		return func() bool {
			h := sha256.Sum256(input)
			return ecdsa.Verify(k, h[:], r, s)
		}
	case ed25519.PublicKey:
		return func() bool { return ed25519.Verify(k, input, sig) }
	}
	t.Fatalf("no bare check for %T", c.Key)
	return nil
}

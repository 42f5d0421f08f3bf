package core

import (
	"context"
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

	jose "github.com/go-jose/go-jose/v4"
	"github.com/stretchr/testify/require"
)

// The benchmarks measure a whole verification (parse, signature, claims,
// decision) beside the bare signature check of the same token with the
// standard library, and beside go-jose's own ParseSigned + Verify, in the
// same run, so that `make bench` can report ratios:
//
//	BenchmarkVerify/ALG / BenchmarkBareCheck/ALG: what jwtgate adds to the crypto
//	BenchmarkVerify/ALG / BenchmarkGoJose/ALG:    what policy and decision add to JOSE

type benchCase struct {
	alg   jose.SignatureAlgorithm
	token string
	v     *Verifier
	key   any // the verification key material
}

func benchCases(b *testing.B) []benchCase {
	const iss = "https://bench.example"
	policy := func(alg, keyYAML string) *Verifier {
		return mustVerifier(b, `
integrations:
  - name: bench
    issuer: `+iss+`
    audiences: [authonomy]
    algorithms: [`+alg+`]
    required_claims: [email, {name: tenant_id, type: string}]
    keys:
      - `+keyYAML+`
`)
	}
	extra := map[string]any{
		"email": "john@example.com", "tenant_id": "550e8400-e29b-41d4-a716-446655440000", "name": "John Doe",
		"roles": []string{"user"}, "permissions": []string{"users:read", "reports:read:own"},
		"jti": "token-unique-id", "metadata": map[string]any{"department": "Engineering", "employee_id": "E-1234"},
	}
	c := claims(iss, extra)
	jwk := func(k any, alg string) string {
		return "jwks: " + publicJWKS(b, jose.JSONWebKey{Key: k, KeyID: "k1", Algorithm: alg, Use: "sig"})
	}
	return []benchCase{
		{jose.HS256, sign(b, jose.HS256, []byte(hsSecret), "", c, nil), policy("HS256", `secret: "`+hsSecret+`"`), []byte(hsSecret)},
		{jose.RS256, sign(b, jose.RS256, rsaKey, "k1", c, nil), policy("RS256", jwk(rsaKey.Public(), "RS256")), rsaKey.Public()},
		{jose.ES256, sign(b, jose.ES256, ecKey, "k1", c, nil), policy("ES256", jwk(ecKey.Public(), "ES256")), ecKey.Public()},
		{jose.EdDSA, sign(b, jose.EdDSA, edKey, "k1", c, nil), policy("EdDSA", jwk(edKey.Public(), "EdDSA")), edKey.Public()},
	}
}

func BenchmarkVerify(b *testing.B) {
	for _, bc := range benchCases(b) {
		b.Run(string(bc.alg), func(b *testing.B) {
			req := Request{Token: bc.token, Now: testNow}
			if d := bc.v.Verify(context.Background(), req); !d.Valid {
				b.Fatalf("benchmark token rejected: %s", d.Reason)
			}
			b.ReportAllocs()
			for b.Loop() {
				bc.v.Verify(context.Background(), req)
			}
		})
	}
}

func BenchmarkGoJose(b *testing.B) {
	for _, bc := range benchCases(b) {
		b.Run(string(bc.alg), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				jws, err := jose.ParseSignedCompact(bc.token, []jose.SignatureAlgorithm{bc.alg})
				require.NoError(b, err)
				if _, err := jws.Verify(bc.key); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkBareCheck is the floor: hashing the signing input and checking
// the signature with the standard library, the token already split and
// decoded.
func BenchmarkBareCheck(b *testing.B) {
	for _, bc := range benchCases(b) {
		b.Run(string(bc.alg), func(b *testing.B) {
			dot := strings.LastIndexByte(bc.token, '.')
			input := []byte(bc.token[:dot])
			sig, err := base64.RawURLEncoding.DecodeString(bc.token[dot+1:])
			require.NoError(b, err)
			var check func() bool
			switch k := bc.key.(type) {
			case []byte:
				check = func() bool {
					m := hmac.New(sha256.New, k)
					m.Write(input)
					return hmac.Equal(m.Sum(nil), sig)
				}
			case *rsa.PublicKey:
				check = func() bool {
					h := sha256.Sum256(input)
					return rsa.VerifyPKCS1v15(k, crypto.SHA256, h[:], sig) == nil
				}
			case *ecdsa.PublicKey:
				r, s := new(big.Int).SetBytes(sig[:32]), new(big.Int).SetBytes(sig[32:])
				check = func() bool {
					h := sha256.Sum256(input)
					return ecdsa.Verify(k, h[:], r, s)
				}
			case ed25519.PublicKey:
				check = func() bool { return ed25519.Verify(k, input, sig) }
			}
			require.True(b, check(), "bare check failed")
			b.ReportAllocs()
			for b.Loop() {
				check()
			}
		})
	}
}

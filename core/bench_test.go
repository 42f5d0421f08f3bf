package core

import (
	"context"
	"testing"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/stretchr/testify/require"

	"github.com/jwtgate/jwtgate/internal/jwttest"
)

// The benchmarks measure a whole verification (parse, signature, claims,
// decision) beside the bare signature check of the same token with the
// standard library, and beside go-jose's own ParseSigned + Verify, in the
// same run:
//
//	BenchmarkVerify/ALG / BenchmarkBareCheck/ALG: what jwtgate adds to the crypto
//	BenchmarkVerify/ALG / BenchmarkGoJose/ALG:    what policy and decision add to JOSE
//
// The tokens and policy are jwttest.BenchCases, which internal/peerbench
// (what `make bench` reports: these beside golang-jwt, go-jose and jwx
// making the same checks) verifies too.

type benchCase struct {
	jwttest.BenchCase
	alg jose.SignatureAlgorithm
	v   *Verifier
}

func benchCases(b *testing.B) []benchCase {
	var out []benchCase
	for _, c := range jwttest.BenchCases(b) {
		out = append(out, benchCase{c, jose.SignatureAlgorithm(c.Alg), mustVerifier(b, c.Policy)})
	}
	return out
}

func BenchmarkVerify(b *testing.B) {
	for _, bc := range benchCases(b) {
		b.Run(bc.Alg, func(b *testing.B) {
			req := Request{Token: bc.Token, Now: jwttest.BenchNow}
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
		b.Run(bc.Alg, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				jws, err := jose.ParseSignedCompact(bc.Token, []jose.SignatureAlgorithm{bc.alg})
				require.NoError(b, err)
				if _, err := jws.Verify(bc.Key); err != nil {
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
		b.Run(bc.Alg, func(b *testing.B) {
			check := bc.BareCheck(b)
			require.True(b, check(), "bare check failed")
			b.ReportAllocs()
			for b.Loop() {
				check()
			}
		})
	}
}

package core

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/sha512"
	"hash"
	"math/rand/v2"
	"strings"
	"testing"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/stretchr/testify/require"

	"github.com/jwtgate/jwtgate/core/internal/keys"
)

// The lean signature check (checkJWS with keys.VerificationKey.Verify, and
// as a plugin's host does it from the key's JWK: ParseSignatureKey)
// against go-jose, the oracle it replaced: every token of the attack
// catalogue, the differential corpus and the public vectors that reaches
// the signature check must get the same verdict from both, with the same
// key. TestAttackCatalogue and vecCheckSig call sigDiff on each of their
// tokens; the tests here add the corpus and corrupted signatures.

// oracleCheck is the signature check as it was done with go-jose: parse the
// compact JWS for alg alone, then try each candidate (PSS with the salt
// length RFC 7518 requires), accepting only go-jose's payload equal to the
// strictly decoded one.
func oracleCheck(tok string, alg jose.SignatureAlgorithm, payload []byte, candidates []keys.VerificationKey) *keys.VerificationKey {
	jws, err := jose.ParseSignedCompact(tok, []jose.SignatureAlgorithm{alg})
	if err != nil {
		return nil
	}
	for i := range candidates[:min(len(candidates), maxKeyTries)] {
		k := &candidates[i]
		material := k.Material
		if pub, ok := material.(*rsa.PublicKey); ok && keys.FamilyOf(alg) == keys.FamilyRSAPSS {
			material = oraclePSS{pub}
		}
		if out, err := jws.Verify(material); err == nil && bytes.Equal(out, payload) {
			return k
		}
	}
	return nil
}

type oraclePSS struct{ key *rsa.PublicKey }

func (v oraclePSS) VerifyPayload(payload, signature []byte, alg jose.SignatureAlgorithm) error {
	var h hash.Hash
	var id crypto.Hash
	switch alg {
	case jose.PS256:
		h, id = sha256.New(), crypto.SHA256
	case jose.PS384:
		h, id = sha512.New384(), crypto.SHA384
	default:
		h, id = sha512.New(), crypto.SHA512
	}
	h.Write(payload)
	return rsa.VerifyPSS(v.key, id, h.Sum(nil), signature, &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthEqualsHash})
}

// sigDiff requires the lean check and the oracle to agree on tok, checked
// against candidates for the algorithms allowed. Tokens refused before the
// signature check (format, header, algorithm, keys) are not compared; it
// returns whether tok reached the check.
func sigDiff(t testing.TB, tok string, candidates []keys.VerificationKey, allowed []jose.SignatureAlgorithm) bool {
	t.Helper()
	if strings.Count(tok, ".") != 2 {
		return false
	}
	j := &jwsToken{}
	if verr := readJWS(&run{d: &Decision{}}, tok, j); verr != nil {
		return false
	}
	alg, verr := allowedAlg(&j.h, allowed)
	if verr != nil {
		return false
	}
	picked := pickSigningKeys(candidates, alg, j.h.kid)
	if len(picked) == 0 {
		return false
	}
	lean, _ := checkJWS(nil, j, alg, picked)
	hosted, _ := checkJWS(jwkChecker{}, j, alg, picked)
	oracle := oracleCheck(tok, alg, j.payload, picked)
	require.Equal(t, lean, hosted, "a host's check (SignatureChecker) and the core's disagree")
	require.Equal(t, oracle != nil, lean != nil, "lean and go-jose disagree on %.80s…", tok)
	if oracle != nil {
		require.Equal(t, oracle.Source, lean.Source, "verified by another key")
	}
	return true
}

// sigDiffVerifier is sigDiff for a token v would verify: the integration
// its issuer selects, with the keys it would fetch.
func sigDiffVerifier(t testing.TB, v *Verifier, tok string) bool {
	t.Helper()
	if strings.Count(tok, ".") != 2 {
		return false
	}
	r := &run{d: &Decision{}}
	j := &jwsToken{}
	if verr := readJWS(r, tok, j); verr != nil {
		return false
	}
	in, _, verr := v.routeClaims(r, &Request{Now: testNow}, j.payload)
	if verr != nil {
		return false
	}
	alg, verr := allowedAlg(&j.h, in.algorithms)
	if verr != nil {
		return false
	}
	candidates, verr := v.signingKeys(context.Background(), r, in, alg, j.h.kid)
	if verr != nil {
		return false
	}
	return sigDiff(t, tok, candidates, []jose.SignatureAlgorithm{alg})
}

// TestSigDiffCorrupted corrupts genuine signatures of every algorithm
// family (bit flips, truncation, extension, zeroed halves, another
// token's signature) and requires the lean check to agree with go-jose on
// each, the genuine ones accepted by both.
func TestSigDiffCorrupted(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, tc := range sigDiffKeys(t) {
		t.Run(string(tc.alg), func(t *testing.T) {
			ks, allowed, err := vecSigPolicy(tc.jwks, string(tc.alg))
			require.NoError(t, err)
			good := sign(t, tc.alg, tc.priv, "", claims("https://diff.example", nil), nil)
			other := sign(t, tc.alg, tc.priv, "", claims("https://other.example", nil), nil)
			require.True(t, sigDiff(t, good, ks, allowed))
			lean, _ := checkJWS(nil, mustReadJWS(t, good), tc.alg, ks)
			require.NotNil(t, lean, "a genuine token verifies")
			dot := strings.LastIndexByte(good, '.')
			sig, err := b64.DecodeString(good[dot+1:])
			require.NoError(t, err)
			for _, bad := range corruptions(rng, sig, other) {
				sigDiff(t, good[:dot+1]+b64.EncodeToString(bad), ks, allowed)
			}
		})
	}
}

func mustReadJWS(t testing.TB, tok string) *jwsToken {
	j := &jwsToken{}
	require.Nil(t, readJWS(&run{d: &Decision{}}, tok, j))
	return j
}

// corruptions returns variants of a signature: every way a verifier's
// length, encoding or arithmetic checks could be dodged.
func corruptions(rng *rand.Rand, sig []byte, other string) [][]byte {
	otherSig, _ := b64.DecodeString(other[strings.LastIndexByte(other, '.')+1:])
	out := [][]byte{nil, {0}, sig[:len(sig)-1], append(bytes.Clone(sig), 0), append([]byte{0}, sig...), otherSig, make([]byte, len(sig))}
	half := len(sig) / 2
	out = append(out, append(make([]byte, half), sig[half:]...), append(bytes.Clone(sig[:half]), make([]byte, len(sig)-half)...))
	for range 40 {
		c := bytes.Clone(sig)
		c[rng.IntN(len(c))] ^= 1 << rng.IntN(8)
		out = append(out, c)
	}
	return out
}

type sigDiffKey struct {
	alg  jose.SignatureAlgorithm
	priv any
	jwks string
}

// sigDiffKeys is one key per algorithm jwtgate verifies.
func sigDiffKeys(t testing.TB) []sigDiffKey {
	vtKeys(t)
	secret := []byte(strings.Repeat("s", 64))
	var out []sigDiffKey
	for _, alg := range keys.SignatureAlgorithms {
		var priv, pub any
		switch keys.FamilyOf(alg) {
		case keys.FamilyHMAC:
			priv, pub = secret, secret
		case keys.FamilyRSA, keys.FamilyRSAPSS:
			priv, pub = rsaKey, rsaKey.Public()
		case keys.FamilyECDSA:
			k := map[jose.SignatureAlgorithm]*ecdsa.PrivateKey{jose.ES256: ecKey, jose.ES384: ec384Key, jose.ES512: ec521Key}[alg]
			priv, pub = k, k.Public()
		case keys.FamilyEdDSA:
			priv, pub = edKey, edKey.Public()
		}
		out = append(out, sigDiffKey{alg, priv, publicJWKS(t, jose.JSONWebKey{Key: pub, Algorithm: string(alg), Use: "sig"})})
	}
	return out
}

// FuzzSigDiff: arbitrary signatures, for every algorithm, get the same
// verdict from the lean check and from go-jose.
func FuzzSigDiff(f *testing.F) {
	ks := sigDiffKeys(f)
	toks := make([]string, len(ks))
	for i, k := range ks {
		toks[i] = sign(f, k.alg, k.priv, "", claims("https://diff.example", nil), nil)
		sig, _ := b64.DecodeString(toks[i][strings.LastIndexByte(toks[i], '.')+1:])
		f.Add(uint8(i), sig)
	}
	f.Fuzz(func(t *testing.T, which uint8, sig []byte) {
		k := ks[int(which)%len(ks)]
		set, allowed, err := vecSigPolicy(k.jwks, string(k.alg))
		require.NoError(t, err)
		tok := toks[int(which)%len(ks)]
		sigDiff(t, tok[:strings.LastIndexByte(tok, '.')+1]+b64.EncodeToString(sig), set, allowed)
	})
}

// TestSigDiffIgnoredHeaderKeys pins where the lean check and go-jose
// differ by design: go-jose parses header members jwtgate never reads
// (jwk, x5c) and refuses a token whose copy is malformed; jwtgate, which
// takes no key from a token, verifies it with the configured key alone,
// as it does when those members are well formed.
func TestSigDiffIgnoredHeaderKeys(t *testing.T) {
	v := mustVerifier(t, `
integrations:
  - name: hs
    issuer: https://hs.example
    algorithms: [HS256]
    keys: [{secret: "`+hsSecret+`"}]
`)
	for _, h := range []string{`{"alg":"HS256","jwk":5}`, `{"alg":"HS256","x5c":["not base64"]}`} {
		tok := vtRawJWS(t, jose.HS256, []byte(hsSecret), h, vtClaimsJSON(t, "https://hs.example", nil))
		d := verifyAt(v, tok, testNow)
		require.True(t, d.Valid, "%s: %s", h, d.Reason)
		j := mustReadJWS(t, tok)
		require.Nil(t, oracleCheck(tok, jose.HS256, j.payload, v.policy.integrations[0].keys), "go-jose refuses %s", h)
	}
}

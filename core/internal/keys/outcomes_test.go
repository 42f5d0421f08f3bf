package keys

import (
	"crypto/elliptic"
	"encoding/base64"
	"flag"
	"fmt"
	"math/big"
	"math/rand/v2"
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var update = flag.Bool("update", false, "rewrite testdata/outcomes.golden (native build only)")

// TestKeyOutcomes reads a set of public JWKs, good and bad, and writes
// down what the reader makes of each (its error, or each key's
// description, the algorithms it binds to, the JWK a signature checker is
// handed): testdata/outcomes.golden is the native build's answer, and the
// browser module's build (tag jwtgate_webcrypto, its keys checked on their
// bytes) must give the same, byte for byte: `make check-wasm-build` runs
// this test with the tag.
func TestKeyOutcomes(t *testing.T) {
	var out strings.Builder
	for _, in := range outcomeInputs() {
		fmt.Fprintf(&out, "== %s\n%s\n", in, keyOutcome(in))
	}
	const golden = "testdata/outcomes.golden"
	if *update {
		require.True(t, nativeBuild, "-update in the native build only")
		require.NoError(t, os.WriteFile(golden, []byte(out.String()), 0o644))
	}
	want, err := os.ReadFile(golden)
	require.NoError(t, err)
	assert.Equal(t, string(want), out.String())
}

func keyOutcome(text string) string {
	set, err := ParseJWKS([]byte(text))
	if err != nil {
		return "error: " + err.Error()
	}
	var b strings.Builder
	for i, k := range set {
		fmt.Fprintf(&b, "key %d: kty %q kid %q use %q private %v", i, k.Type, k.KeyID, k.Use, k.Private)
		if k.Unsupported != "" {
			fmt.Fprintf(&b, " unsupported: %s\n", k.Unsupported)
			continue
		}
		fmt.Fprintf(&b, " %s\n", Describe(k.Key))
		algs, err := BindSignature(k.Key, k.Algorithm, SignatureAlgorithms)
		fmt.Fprintf(&b, "  bind: %v %v\n", algs, err)
		jwk, err := MarshalJWK(k.Key)
		fmt.Fprintf(&b, "  jwk: %s %v\n", jwk, err)
	}
	return b.String()
}

// outcomeInputs are deterministic JWKs: RSA moduli around the size
// limits and exponents around theirs, points on and off each curve and
// at p, Ed25519 keys of small order and not.
func outcomeInputs() []string {
	b64 := base64.RawURLEncoding.EncodeToString
	r := rand.New(rand.NewPCG(1, 2))
	random := func(n int) []byte {
		b := make([]byte, n)
		for i := range b {
			b[i] = byte(r.Uint32())
		}
		return b
	}
	var out []string
	rsa := func(n, e []byte, extra string) {
		out = append(out, fmt.Sprintf(`{"kty":"RSA","n":%q,"e":%q%s}`, b64(n), b64(e), extra))
	}
	top := func(n int) []byte { b := random(n); b[0] |= 0x80; return b }
	f4 := []byte{1, 0, 1}
	rsa(top(256), f4, `,"kid":"r1","alg":"RS256"`)
	rsa(top(256), f4, `,"alg":"PS384"`)
	rsa(top(256), f4, "")
	rsa(append([]byte{0, 0}, top(256)...), f4, `,"alg":"RS512"`)
	rsa(top(255), f4, `,"alg":"RS256"`)
	rsa([]byte{0x7f, 0xff}, f4, `,"alg":"RS256"`)
	rsa(top(512), f4, `,"alg":"RS256"`)
	rsa(append([]byte{1}, random(512)...), f4, `,"alg":"RS256"`)
	rsa(append([]byte{0}, top(512)...), f4, `,"alg":"RS256"`)
	rsa([]byte{}, f4, `,"alg":"RS256"`)
	for _, e := range [][]byte{{}, {0}, {1}, {2}, {3}, {0, 0, 0, 1, 0, 1}, {0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff},
		{0x80, 0, 0, 0, 0, 0, 0, 0}, {1, 0, 0, 0, 0, 0, 0, 0, 0}, {0, 0x80, 0, 0, 0, 0, 0, 0, 1}} {
		rsa(top(256), e, `,"alg":"RS256"`)
	}
	for _, c := range []elliptic.Curve{elliptic.P256(), elliptic.P384(), elliptic.P521()} {
		p := c.Params()
		size := (p.BitSize + 7) / 8
		fill := func(n *big.Int) string {
			if n.BitLen() > 8*size { // past the size: all ones, also past p
				return b64([]byte(strings.Repeat("\xff", size)))
			}
			return b64(n.FillBytes(make([]byte, size)))
		}
		ec := func(x, y *big.Int, extra string) {
			out = append(out, fmt.Sprintf(`{"kty":"EC","crv":%q,"x":%q,"y":%q%s}`, p.Name, fill(x), fill(y), extra))
		}
		x, y := c.ScalarBaseMult(random(size))
		ec(x, y, `,"kid":"e1"`)
		ec(x, y, `,"alg":"ES256"`)
		ec(x, y, `,"alg":"ES512","use":"sig"`)
		ec(x, new(big.Int).Add(y, big.NewInt(1)), "")
		ec(x, new(big.Int).Sub(p.P, y), "")
		ec(new(big.Int).Add(x, p.P), y, "")
		ec(new(big.Int), new(big.Int), "")
		ec(p.Gx, p.Gy, `,"key_ops":["verify"]`)
		ec(p.P, p.P, "")
		out = append(out, fmt.Sprintf(`{"kty":"EC","crv":%q,"x":%q,"y":%q}`, p.Name, b64(x.Bytes()[1:]), fill(y)))
	}
	out = append(out, `{"kty":"EC","crv":"P-224","x":"AA","y":"AA"}`, `{"kty":"EC","crv":"secp256k1","x":"AA","y":"AA"}`)
	ed := func(x []byte, extra string) {
		out = append(out, fmt.Sprintf(`{"kty":"OKP","crv":"Ed25519","x":%q%s}`, b64(x), extra))
	}
	ed(random(32), `,"alg":"EdDSA","kid":"d1"`)
	ed(random(32), `,"alg":"ES256"`)
	ed(random(31), "")
	for _, s := range ed25519SmallOrder {
		le := make([]byte, 32)
		for i, b := range s {
			le[len(s)-1-i] = b
		}
		ed(le, "")
		le[31] |= 0x80
		ed(le, "")
		le[0] ^= 2
		ed(le, "")
	}
	out = append(out, `{"kty":"OKP","crv":"X25519","x":"AA"}`,
		`{"kty":"oct","k":"`+b64(random(32))+`","alg":"HS256"}`, `{"kty":"oct","k":""}`,
		`{"keys":[{"kty":"OKP","crv":"Ed25519","x":"`+b64(random(32))+`","d":"`+b64(random(32))+`"},{"kty":"AKP","alg":"ML-DSA-44"}]}`)
	return out
}

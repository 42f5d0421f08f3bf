//go:build !jwtgate_webcrypto

package keys

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// sameMaterial reports whether two keys are the same public key or secret.
func sameMaterial(a, b any) bool {
	type equaler interface{ Equal(crypto.PublicKey) bool }
	switch m := a.(type) {
	case []byte:
		o, ok := b.([]byte)
		return ok && bytes.Equal(m, o)
	case equaler:
		return m.Equal(b)
	}
	return false
}

// publicPart is go-jose's key as a verifier holds it: a private key's
// public half.
func publicPart(k any) any {
	switch m := k.(type) {
	case *rsa.PrivateKey:
		return &m.PublicKey
	case *ecdsa.PrivateKey:
		return &m.PublicKey
	case ed25519.PrivateKey:
		return m.Public()
	}
	return k
}

// checkAgainstJose: where go-jose reads a JWK (set) the core's reader
// gives the same keys, kids, algs and uses, and marks go-jose's private
// keys private; where go-jose refuses one, the core refuses it too, or
// keeps the key it cannot use marked unsupported or private (a malformed
// private key, a kty or curve go-jose does not know either). The core is
// stricter in two ways, by design: a member given twice is refused (its
// JSON scanner's rule), and text that is not UTF-8.
func checkAgainstJose(t *testing.T, data []byte) {
	if bytes.Contains(data, []byte(`"x5`)) {
		return // x5c, x5t, x5u: go-jose checks them, the core does not read them
	}
	ours, errO := ParseJWKS(data)
	theirs, errJ := ParseJoseJWKS(data)
	if errJ != nil {
		if errO == nil {
			for _, k := range ours {
				if k.Unsupported != "" || k.Private {
					return
				}
			}
			t.Fatalf("%s: go-jose refuses it (%v), the core reads %+v", data, errJ, ours)
		}
		return
	}
	if errO != nil {
		if strings.Contains(errO.Error(), "duplicate") || !utf8.Valid(data) || caseVariant(data) {
			return
		}
		t.Fatalf("%s: go-jose reads it, the core refuses it: %v", data, errO)
	}
	require.Len(t, ours, len(theirs), "%s", data)
	for i, j := range theirs {
		o := ours[i]
		assert.Equal(t, [3]string{j.KeyID, j.Algorithm, j.Use}, [3]string{o.KeyID, o.Algorithm, o.Use}, "%s: key %d", data, i)
		if o.Unsupported != "" {
			continue // go-jose reads a kty jwtgate does not verify with (AKP)
		}
		_, secret := j.Key.([]byte)
		assert.Equal(t, !j.IsPublic() && !secret, o.Private, "%s: key %d private", data, i)
		assert.True(t, sameMaterial(o.Key, publicPart(j.Key)), "%s: key %d: %v, go-jose %v", data, i, o.Key, j.Key)
	}
}

// caseVariant reports whether data spells a member's name in another case
// ("keYs"): member names are case-sensitive (RFC 7159 §8.3), as the core
// reads them; encoding/json, which go-jose's set goes through, is not.
func caseVariant(data []byte) bool {
	lower := strings.ToLower(string(data))
	for _, name := range []string{"keys", "kty", "kid", "alg", "use", "crv", "key_ops", "k", "x", "y", "n", "e", "d", "p", "q", "dp", "dq", "qi", "pub", "priv"} {
		quoted := `"` + name + `"`
		if strings.Count(lower, quoted) != strings.Count(string(data), quoted) {
			return true
		}
	}
	return false
}

func jwkSeeds(t testing.TB) [][]byte {
	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	require.NoError(t, err)
	var out [][]byte
	add := func(k any, kid, alg, use string) {
		b, err := json.Marshal(jose.JSONWebKey{Key: k, KeyID: kid, Algorithm: alg, Use: use})
		require.NoError(t, err)
		out = append(out, b)
	}
	add(&rsaKey.PublicKey, "rs", "RS256", "sig")
	add(rsaKey, "rs-private", "", "")
	for _, c := range []elliptic.Curve{elliptic.P256(), elliptic.P384(), elliptic.P521()} {
		k, err := ecdsa.GenerateKey(c, rand.Reader)
		require.NoError(t, err)
		add(&k.PublicKey, "ec", "", "sig")
		add(k, "", "", "")
	}
	pub, priv, _ := ed25519.GenerateKey(rand.Reader)
	add(pub, "ed", "EdDSA", "")
	add(priv, "ed-private", "", "")
	add([]byte("0123456789abcdef0123456789abcdef"), "hs", "HS256", "")
	set, _ := json.Marshal(map[string]any{"keys": []json.RawMessage{out[0], out[2], out[len(out)-3]}})
	out = append(out, set,
		[]byte(`{"keys":[]}`), []byte(`{"keys":null,"kty":"oct","k":"YWJj"}`),
		[]byte(`{"kty":"RSA","n":"","e":"AQAB"}`), []byte(`{"kty":"RSA","n":"AQAB","e":"AA"}`),
		[]byte(`{"kty":"EC","crv":"P-256","x":"AQ","y":"AQ"}`), []byte(`{"kty":"EC","crv":"secp256k1","x":"AQ","y":"AQ"}`),
		[]byte(`{"kty":"OKP","crv":"X25519","x":"AQ"}`), []byte(`{"kty":"foo"}`), []byte(`{"kty":"oct"}`),
		[]byte(`{"kty":"OKP","crv":"Ed25519","x":"AQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"}`),
		[]byte(`{"kty":"oct","k":"YWJj","key_ops":["encrypt"],"use":"sig"}`), []byte(`{"kty":"oct","k":"YWJj","key_ops":["verify"]}`),
		[]byte(`{"kty":"oct","k":"YWJj","kid":7}`), []byte(`{"kty":"oct","k":"YW Jj"}`), []byte(`{"kty":"oct","k":"YWJj=="}`),
		[]byte(`{"keys":[{"kty":"oct","k":"YWJj"},{"kty":"AKP","alg":"ML-DSA-44","pub":"AQ"}]}`))
	return out
}

func TestParseJWKSMatchesJose(t *testing.T) {
	for _, s := range jwkSeeds(t) {
		checkAgainstJose(t, s)
	}
}

// TestParseJWKSLowOrderEd25519: the points of small order, as every
// encoding go-jose refuses them in, are refused; a random key is not.
func TestParseJWKSLowOrderEd25519(t *testing.T) {
	weak := 0
	for _, y := range []string{"0000000000000000000000000000000000000000000000000000000000000000", "0100000000000000000000000000000000000000000000000000000000000000",
		"ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f", "edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
		"eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f", "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05",
		"c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a"} {
		for _, sign := range []byte{0, 0x80} {
			x := mustHex(t, y)
			x[31] |= sign
			assert.True(t, lowOrderEd25519(x), "%x", x)
			weak++
		}
	}
	assert.Equal(t, 14, weak)
	pub, _, _ := ed25519.GenerateKey(rand.Reader)
	assert.False(t, lowOrderEd25519(pub))
}

func mustHex(t *testing.T, s string) []byte {
	b := make([]byte, len(s)/2)
	for i := range b {
		var v byte
		for _, c := range s[2*i : 2*i+2] {
			v <<= 4
			switch {
			case c >= '0' && c <= '9':
				v |= byte(c - '0')
			default:
				v |= byte(c-'a') + 10
			}
		}
		b[i] = v
	}
	return b
}

// TestMarshalJWKRoundTrips: the JWK written for a host's signature check
// reads back as the same key, with go-jose too.
func TestMarshalJWKRoundTrips(t *testing.T) {
	for _, s := range jwkSeeds(t)[:9] {
		set, err := ParseJWKS(s)
		require.NoError(t, err)
		b, err := MarshalJWK(set[0].Key)
		require.NoError(t, err)
		back, err := ParseJWKS(b)
		require.NoError(t, err)
		assert.True(t, sameMaterial(back[0].Key, set[0].Key), "%s", b)
		var j jose.JSONWebKey
		require.NoError(t, j.UnmarshalJSON(b), "%s", b)
		assert.True(t, sameMaterial(publicPart(j.Key), set[0].Key), "%s", b)
	}
}

func FuzzParseJWKS(f *testing.F) {
	for _, s := range jwkSeeds(f) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data []byte) { checkAgainstJose(t, data) })
}

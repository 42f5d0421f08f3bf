package jwttest

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"encoding/asn1"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math/big"
	"strings"
)

// B64 is base64url without padding, the encoding of every JOSE segment.
func B64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

// Sign makes a compact JWS over payload (claims as a map or struct, or raw
// []byte or string) with the header {"alg": alg, "typ": "JWT"} plus hdr
// (a nil value deletes a field).
func Sign(alg string, key any, hdr map[string]any, payload any) string {
	h := Merge(map[string]any{"alg": alg, "typ": "JWT"}, hdr)
	var body []byte
	switch p := payload.(type) {
	case []byte:
		body = p
	case string:
		body = []byte(p)
	default:
		body = mustJSON(p)
	}
	return SignRaw(alg, key, string(mustJSON(h)), string(body))
}

// SignRaw signs header and payload given as exact JSON text, so that they
// may hold what an encoder would never write (duplicate members, odd
// spellings).
func SignRaw(alg string, key any, header, payload string) string {
	input := B64([]byte(header)) + "." + B64([]byte(payload))
	return input + "." + B64(Signature(alg, key, []byte(input)))
}

// Signature signs a JWS signing input as alg does with key: the key's type
// picks the primitive (so that an attack may sign HS256 with a public
// key's bytes), alg's digits the hash. A nil key gives no signature (alg
// none). HMAC, RSA PKCS #1 v1.5, ECDSA (RFC 6979) and Ed25519 signatures
// are deterministic; RSA-PSS ones are not.
func Signature(alg string, key any, input []byte) []byte {
	h := hashOf(alg)
	sum := h.New()
	sum.Write(input)
	digest := sum.Sum(nil)
	switch k := key.(type) {
	case nil:
		return nil
	case []byte:
		m := hmac.New(h.New, k)
		m.Write(input)
		return m.Sum(nil)
	case *rsa.PrivateKey:
		if strings.HasPrefix(alg, "PS") {
			sig, err := rsa.SignPSS(rand.Reader, k, h, digest, &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthEqualsHash})
			must(err)
			return sig
		}
		sig, err := rsa.SignPKCS1v15(nil, k, h, digest)
		must(err)
		return sig
	case *ecdsa.PrivateKey:
		der, err := k.Sign(nil, digest, h) // nil: RFC 6979, deterministic
		must(err)
		var rs struct{ R, S *big.Int }
		_, err = asn1.Unmarshal(der, &rs)
		must(err)
		size := (k.Curve.Params().BitSize + 7) / 8
		out := make([]byte, 2*size)
		rs.R.FillBytes(out[:size])
		rs.S.FillBytes(out[size:])
		return out
	case ed25519.PrivateKey:
		return ed25519.Sign(k, input)
	}
	panic(fmt.Sprintf("jwttest: no signer for %T (%s)", key, alg))
}

func hashOf(alg string) crypto.Hash {
	switch {
	case strings.HasSuffix(alg, "384"):
		return crypto.SHA384
	case strings.HasSuffix(alg, "512"):
		return crypto.SHA512
	}
	return crypto.SHA256
}

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	must(err)
	return b
}

func must(err error) {
	if err != nil {
		panic(err)
	}
}

package keys

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/hmac"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/sha512"
	"errors"
	"hash"
	"sync"

	jose "github.com/go-jose/go-jose/v4"
)

// The signature check of a compact JWS, with the standard library's crypto
// and nothing else: go-jose's JWS parsing (reflection-based JSON, copies of
// every segment) cost more than the HMAC itself. go-jose stays the oracle:
// core's differential tests run every corpus, attack and vector token
// through both and require the same verdict.

// NewVerificationKey returns a key that verifies algs with material. An
// HMAC key gets a pool of keyed MACs, so that a check does not rebuild the
// HMAC state (two hashes and the padded key) for every token.
func NewVerificationKey(id string, material any, algs []jose.SignatureAlgorithm, source string) VerificationKey {
	k := VerificationKey{ID: id, Material: material, Algorithms: algs, Source: source, shared: &keyShared{}}
	if secret, ok := material.([]byte); ok {
		k.shared.macs = &macPools{secret: secret}
	}
	return k
}

// keyShared is what the copies of one VerificationKey share.
type keyShared struct {
	macs    *macPools // an HMAC key's keyed MACs
	jwkOnce sync.Once
	jwk     []byte
}

// JWK returns the key as a JWK (no kid, no alg: the material alone), made
// once per key: what a plugin hands its host to check a signature with.
func (k *VerificationKey) JWK() ([]byte, error) {
	if k.shared == nil {
		return MarshalJWK(k.Material)
	}
	var err error
	k.shared.jwkOnce.Do(func() { k.shared.jwk, err = MarshalJWK(k.Material) })
	if err != nil || k.shared.jwk == nil {
		return nil, errors.New("key cannot be written as a JWK")
	}
	return k.shared.jwk, nil
}

// Verify reports whether sig is a valid alg signature of input (the
// token's "header.payload") by this key. The key must allow alg; Verify
// checks it again, so that a caller's mistake cannot pair a key with
// another family's scheme.
func (k *VerificationKey) Verify(alg jose.SignatureAlgorithm, input, sig []byte) bool {
	if !k.Allows(alg) {
		return false
	}
	switch m := k.Material.(type) {
	case []byte:
		return k.verifyMAC(m, alg, input, sig)
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

// hashOf returns the hash an algorithm signs with.
func hashOf(alg jose.SignatureAlgorithm) (crypto.Hash, func() hash.Hash) {
	switch alg {
	case jose.HS256, jose.RS256, jose.PS256, jose.ES256:
		return crypto.SHA256, sha256.New
	case jose.HS384, jose.RS384, jose.PS384, jose.ES384:
		return crypto.SHA384, sha512.New384
	case jose.HS512, jose.RS512, jose.PS512, jose.ES512:
		return crypto.SHA512, sha512.New
	}
	return 0, nil
}

// digest hashes input with the algorithm's hash into buf, and says which
// hash that was (0 and nil for an algorithm without one).
func digest(alg jose.SignatureAlgorithm, input []byte, buf *[sha512.Size]byte) (crypto.Hash, []byte) {
	id, _ := hashOf(alg)
	switch id {
	case crypto.SHA256:
		*(*[sha256.Size]byte)(buf[:]) = sha256.Sum256(input)
		return id, buf[:sha256.Size]
	case crypto.SHA384:
		*(*[sha512.Size384]byte)(buf[:]) = sha512.Sum384(input)
		return id, buf[:sha512.Size384]
	case crypto.SHA512:
		*buf = sha512.Sum512(input)
		return id, buf[:]
	}
	return 0, nil
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

// macPools holds, per hash, a pool of MACs keyed with one secret.
type macPools struct {
	secret           []byte
	p256, p384, p512 sync.Pool
}

type pooledMAC struct {
	h   hash.Hash
	sum [sha512.Size]byte
}

func (p *macPools) pool(alg jose.SignatureAlgorithm) (*sync.Pool, func() hash.Hash) {
	_, newHash := hashOf(alg)
	switch alg {
	case jose.HS256:
		return &p.p256, newHash
	case jose.HS384:
		return &p.p384, newHash
	case jose.HS512:
		return &p.p512, newHash
	}
	return nil, nil
}

// verifyMAC compares the MAC of input with sig in constant time.
func (k *VerificationKey) verifyMAC(secret []byte, alg jose.SignatureAlgorithm, input, sig []byte) bool {
	if FamilyOf(alg) != FamilyHMAC {
		return false
	}
	if k.shared == nil || k.shared.macs == nil {
		_, newHash := hashOf(alg)
		m := hmac.New(newHash, secret)
		m.Write(input)
		return hmac.Equal(m.Sum(nil), sig)
	}
	macs := k.shared.macs
	pool, newHash := macs.pool(alg)
	pm, _ := pool.Get().(*pooledMAC)
	if pm == nil {
		pm = &pooledMAC{h: hmac.New(newHash, macs.secret)}
	}
	defer pool.Put(pm)
	pm.h.Reset()
	pm.h.Write(input)
	return hmac.Equal(pm.h.Sum(pm.sum[:0]), sig)
}

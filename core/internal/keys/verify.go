package keys

import (
	"crypto"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/sha512"
	"errors"
	"hash"
	"sync"

	jose "github.com/jwtgate/jwtgate/core/internal/joseid"
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
	if m, ok := k.Material.([]byte); ok {
		return k.verifyMAC(m, alg, input, sig)
	}
	return verifyPublic(k.Material, alg, input, sig)
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

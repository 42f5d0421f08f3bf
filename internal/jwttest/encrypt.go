package jwttest

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/sha256"
	"testing"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/stretchr/testify/require"
)

// Encrypt makes a compact JWE (alg dir, enc A256GCM; hdr adds fields) of
// plaintext under the 32-byte key, with a fixed IV derived from seed: the
// same bytes on every run.
func Encrypt(key string, hdr map[string]any, plaintext []byte, seed string) string {
	h := Merge(map[string]any{"alg": "dir", "enc": "A256GCM"}, hdr)
	protected := B64(mustJSON(h))
	block, err := aes.NewCipher([]byte(key))
	must(err)
	gcm, err := cipher.NewGCM(block)
	must(err)
	ivFull := sha256.Sum256([]byte("jwtgate corpus iv " + seed))
	iv := ivFull[:12]
	sealed := gcm.Seal(nil, iv, plaintext, []byte(protected))
	ct, tag := sealed[:len(sealed)-16], sealed[len(sealed)-16:]
	return protected + ".." + B64(iv) + "." + B64(ct) + "." + B64(tag)
}

// EncryptJOSE makes a compact JWE of plaintext for the recipient key with
// go-jose, for the key-management algorithms Encrypt does not write; p2c
// is the PBES2 count (0: go-jose's default).
func EncryptJOSE(t testing.TB, alg jose.KeyAlgorithm, enc jose.ContentEncryption, key any, plaintext []byte, opts *jose.EncrypterOptions, p2c int) string {
	t.Helper()
	e, err := jose.NewEncrypter(enc, jose.Recipient{Algorithm: alg, Key: key, PBES2Count: p2c}, opts)
	require.NoError(t, err)
	obj, err := e.Encrypt(plaintext)
	require.NoError(t, err)
	s, err := obj.CompactSerialize()
	require.NoError(t, err)
	return s
}

package jwttest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"testing"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Every signature Sign writes verifies with go-jose, an independent
// implementation, under the public key.
func TestSignVerifiesElsewhere(t *testing.T) {
	k := Keys()
	ec384, err := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	require.NoError(t, err)
	ec521, err := ecdsa.GenerateKey(elliptic.P521(), rand.Reader)
	require.NoError(t, err)
	secret := []byte("0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef")
	cases := []struct {
		alg      jose.SignatureAlgorithm
		key, pub any
	}{
		{jose.HS256, secret, secret}, {jose.HS384, secret, secret}, {jose.HS512, secret, secret},
		{jose.RS256, k.RSA, &k.RSA.PublicKey}, {jose.RS384, k.RSA, &k.RSA.PublicKey}, {jose.RS512, k.RSA, &k.RSA.PublicKey},
		{jose.PS256, k.RSA, &k.RSA.PublicKey}, {jose.PS512, k.RSAOther, &k.RSAOther.PublicKey},
		{jose.ES256, k.EC, &k.EC.PublicKey}, {jose.ES384, ec384, &ec384.PublicKey}, {jose.ES512, ec521, &ec521.PublicKey},
		{jose.EdDSA, k.Ed25519, k.Ed25519.Public()},
	}
	for _, c := range cases {
		t.Run(string(c.alg), func(t *testing.T) {
			tok := Sign(string(c.alg), c.key, map[string]any{"kid": "k1"}, map[string]any{"sub": "a"})
			jws, err := jose.ParseSigned(tok, []jose.SignatureAlgorithm{c.alg})
			require.NoError(t, err)
			assert.Equal(t, "k1", jws.Signatures[0].Header.KeyID)
			payload, err := jws.Verify(c.pub)
			require.NoError(t, err)
			assert.JSONEq(t, `{"sub":"a"}`, string(payload))
		})
	}
}

// The corpus relies on it: the deterministic algorithms sign alike twice.
func TestSignDeterministic(t *testing.T) {
	k := Keys()
	for alg, key := range map[string]any{"HS256": []byte("s"), "RS256": k.RSA, "ES256": k.EC, "EdDSA": k.Ed25519} {
		assert.Equal(t, Sign(alg, key, nil, "x"), Sign(alg, key, nil, "x"), alg)
	}
	assert.Equal(t, Encrypt("0123456789abcdef0123456789abcdef", nil, []byte("p"), "s"),
		Encrypt("0123456789abcdef0123456789abcdef", nil, []byte("p"), "s"))
}

func TestSignHeader(t *testing.T) {
	tok := Sign("none", nil, map[string]any{"typ": nil, "x": 1}, []byte("{}"))
	assert.Equal(t, B64([]byte(`{"alg":"none","x":1}`))+"."+B64([]byte("{}"))+".", tok)
}

func TestEncryptDecryptsElsewhere(t *testing.T) {
	key := "0123456789abcdef0123456789abcdef"
	tok := Encrypt(key, map[string]any{"kid": "e1"}, []byte("secret"), "seed")
	jwe, err := jose.ParseEncrypted(tok, []jose.KeyAlgorithm{jose.DIRECT}, []jose.ContentEncryption{jose.A256GCM})
	require.NoError(t, err)
	assert.Equal(t, "e1", jwe.Header.KeyID)
	plain, err := jwe.Decrypt([]byte(key))
	require.NoError(t, err)
	assert.Equal(t, "secret", string(plain))

	other := EncryptJOSE(t, jose.A128KW, jose.A128GCM, []byte(key[:16]), []byte("p"), nil, 0)
	jwe, err = jose.ParseEncrypted(other, []jose.KeyAlgorithm{jose.A128KW}, []jose.ContentEncryption{jose.A128GCM})
	require.NoError(t, err)
	plain, err = jwe.Decrypt([]byte(key[:16]))
	require.NoError(t, err)
	assert.Equal(t, "p", string(plain))
}

func TestMerge(t *testing.T) {
	base := map[string]any{"a": 1, "b": 2}
	got := Merge(base, map[string]any{"b": nil, "c": 3})
	assert.Equal(t, map[string]any{"a": 1, "c": 3}, got)
	assert.Equal(t, map[string]any{"a": 1, "b": 2}, base, "base is not changed")
	assert.Equal(t, map[string]any{"x": 1}, Merge(nil, map[string]any{"x": 1, "y": nil}))
}

func TestBufferAwait(t *testing.T) {
	var b Buffer
	early := b.Await("hello", 1)
	twice := b.Await("o", 3)
	_, _ = b.Write([]byte("hel"))
	select {
	case <-early:
		require.FailNow(t, "signalled before the line was complete")
	default:
	}
	_, _ = b.Write([]byte("lo world\n"))
	<-early
	<-b.Await("world", 1) // already there
	select {
	case <-twice:
		require.FailNow(t, "signalled at the second of three")
	default:
	}
	_, _ = b.Write([]byte("o\n"))
	<-twice
	assert.Equal(t, "hello world\no\n", b.String())
	b.Reset()
	assert.Empty(t, b.String())
}

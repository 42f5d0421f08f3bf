package core

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"sync"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/stretchr/testify/require"
)

// testNow is the fixed "current time" of the tests.
var testNow = time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)

const hsSecret = "0123456789abcdef0123456789abcdef-test-secret"

var (
	keysOnce sync.Once
	rsaKey   *rsa.PrivateKey
	ecKey    *ecdsa.PrivateKey
	edKey    ed25519.PrivateKey
	rsaKey2  *rsa.PrivateKey
)

func testKeys(t testing.TB) {
	keysOnce.Do(func() {
		var err error
		rsaKey, err = rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			panic(err)
		}
		rsaKey2, err = rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			panic(err)
		}
		ecKey, _ = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		_, edKey, _ = ed25519.GenerateKey(rand.Reader)
	})
}

// publicJWKS renders public keys as an inline JWKS for a policy.
func publicJWKS(t testing.TB, entries ...jose.JSONWebKey) string {
	b, err := json.Marshal(jose.JSONWebKeySet{Keys: entries})
	require.NoError(t, err)
	return string(b)
}

// sign makes a compact JWS of claims with the given key, alg and extra headers.
func sign(t testing.TB, alg jose.SignatureAlgorithm, key any, kid string, claims any, extra map[jose.HeaderKey]any) string {
	opts := &jose.SignerOptions{}
	opts.WithType("JWT")
	for k, v := range extra {
		opts.WithHeader(k, v)
	}
	var sk any = key
	if kid != "" {
		sk = jose.JSONWebKey{Key: key, KeyID: kid, Algorithm: string(alg)}
	}
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: alg, Key: sk}, opts)
	require.NoError(t, err)
	payload, ok := claims.([]byte)
	if !ok {
		payload, err = json.Marshal(claims)
		require.NoError(t, err)
	}
	obj, err := signer.Sign(payload)
	require.NoError(t, err)
	s, err := obj.CompactSerialize()
	require.NoError(t, err)
	return s
}

// claims returns a fresh set of valid claims for issuer iss.
func claims(iss string, extra map[string]any) map[string]any {
	c := map[string]any{
		"iss": iss,
		"sub": "user-123",
		"aud": "authonomy",
		"exp": testNow.Add(time.Hour).Unix(),
		"iat": testNow.Add(-time.Minute).Unix(),
	}
	for k, v := range extra {
		if v == nil {
			delete(c, k)
			continue
		}
		c[k] = v
	}
	return c
}

func mustPolicy(t testing.TB, doc string) *Policy {
	t.Helper()
	p, err := ParsePolicy("test.yaml", []byte(doc), LoadOptions{})
	require.NoError(t, err)
	return p
}

func mustVerifier(t testing.TB, doc string) *Verifier {
	t.Helper()
	v, err := NewVerifier(mustPolicy(t, doc), Config{Replay: NewMemoryReplayStore(0)})
	require.NoError(t, err)
	return v
}

func verifyAt(v *Verifier, tok string, now time.Time) *Decision {
	return v.Verify(context.Background(), Request{Token: tok, Now: now, Explain: true})
}

var _ = crypto.SHA256

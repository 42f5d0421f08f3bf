package core

import (
	"context"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/stretchr/testify/require"

	"github.com/jwtgate/jwtgate/internal/jwttest"
)

// testNow is the fixed "current time" of the tests.
var testNow = time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)

const hsSecret = "0123456789abcdef0123456789abcdef-test-secret"

// The package's test keys: the fixed ones every package's tests share
// (rsaKey2 is the wrong key, the attacker's).
var (
	rsaKey  = jwttest.Keys().RSA
	rsaKey2 = jwttest.Keys().RSAOther
	ecKey   = jwttest.Keys().EC
	edKey   = jwttest.Keys().Ed25519
)

// publicJWKS renders public keys as an inline JWKS for a policy.
func publicJWKS(t testing.TB, entries ...jose.JSONWebKey) string {
	return jwttest.JWKS(t, entries...)
}

// sign makes a compact JWS of claims with the given key, alg, kid (none
// when "") and extra headers, through jwttest.Sign.
func sign(t testing.TB, alg jose.SignatureAlgorithm, key any, kid string, claims any, extra map[jose.HeaderKey]any) string {
	t.Helper()
	hdr := map[string]any{}
	if kid != "" {
		hdr["kid"] = kid
	}
	for k, v := range extra {
		hdr[string(k)] = v
	}
	return jwttest.Sign(string(alg), key, hdr, claims)
}

// claims returns a fresh set of valid claims for issuer iss, with extra
// set on top (a nil value deletes a claim).
func claims(iss string, extra map[string]any) map[string]any {
	return jwttest.Merge(map[string]any{
		"iss": iss,
		"sub": "user-123",
		"aud": "authonomy",
		"exp": testNow.Add(time.Hour).Unix(),
		"iat": testNow.Add(-time.Minute).Unix(),
	}, extra)
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

package core

import (
	"crypto/ed25519"
	"errors"
	"testing"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/jwtgate/jwtgate/core/internal/keys"
	"github.com/stretchr/testify/require"
)

// jwkChecker is a SignatureChecker as a plugin's host is one: it parses
// the key the core hands it and checks with it. calls counts its checks.
type jwkChecker struct{ calls *int }

func (c jwkChecker) CheckSignature(alg string, jwk, input, sig []byte) (bool, error) {
	if c.calls != nil {
		*c.calls++
	}
	k, err := ParseSignatureKey(jwk, alg)
	if err != nil {
		return false, err
	}
	return k.Verify(input, sig), nil
}

type brokenChecker struct{}

func (brokenChecker) CheckSignature(string, []byte, []byte, []byte) (bool, error) {
	return true, errors.New("host unavailable")
}

// With a checker, the checker does every signature check and the
// decisions are those of the core's own checks; a checker that fails
// refuses the token (fail closed, even when it says "valid" beside its
// error).
func TestSignatureChecker(t *testing.T) {
	doc := `
integrations:
  - name: hs
    issuer: https://hs.example
    algorithms: [HS256]
    keys: [{secret: "` + hsSecret + `"}]
`
	calls := 0
	plain := mustVerifier(t, doc)
	checked, err := NewVerifier(plain.Policy(), Config{Signatures: jwkChecker{&calls}})
	require.NoError(t, err)
	broken, err := NewVerifier(plain.Policy(), Config{Signatures: brokenChecker{}})
	require.NoError(t, err)
	good := sign(t, jose.HS256, []byte(hsSecret), "", claims("https://hs.example", nil), nil)
	bad := good[:len(good)-2] + "AA"
	for _, tok := range []string{good, bad} {
		want := verifyAt(plain, tok, testNow)
		require.Equal(t, string(want.JSON()), string(verifyAt(checked, tok, testNow).JSON()))
	}
	require.Equal(t, 2, calls)
	d := verifyAt(broken, good, testNow)
	require.False(t, d.Valid)
	require.Equal(t, CodeInvalidToken, d.Code)
}

// The checker binds the key it is handed to the algorithm as the policy
// does: an RSA public key is no HMAC secret, a weak key is refused.
func TestParseSignatureKeyBinds(t *testing.T) {
	rsaJWK, err := jose.JSONWebKey{Key: rsaKey.Public()}.MarshalJSON()
	require.NoError(t, err)
	_, err = ParseSignatureKey(rsaJWK, "HS256")
	require.Error(t, err)
	_, err = ParseSignatureKey(rsaJWK, "none")
	require.Error(t, err)
	short, err := jose.JSONWebKey{Key: []byte("short")}.MarshalJSON()
	require.NoError(t, err)
	_, err = ParseSignatureKey(short, "HS256")
	require.Error(t, err)
	priv, err := jose.JSONWebKey{Key: rsaKey}.MarshalJSON()
	require.NoError(t, err)
	_, err = ParseSignatureKey(priv, "RS256")
	require.Error(t, err)
	k, err := ParseSignatureKey(rsaJWK, "RS256")
	require.NoError(t, err)
	require.NotNil(t, k)
}

// A key of the wrong size for its algorithm is refused, never a panic
// (ed25519.Verify panics on a short key; a JWK parser's bug must not
// become a crash in a host's sig_check).
func TestVerifyWrongSizedKeys(t *testing.T) {
	k := keys.NewVerificationKey("", ed25519.PublicKey(make([]byte, 10)), []jose.SignatureAlgorithm{jose.EdDSA}, "test")
	require.NotPanics(t, func() { require.False(t, k.Verify(jose.EdDSA, []byte("a.b"), make([]byte, 64))) })
	ec := keys.NewVerificationKey("", &ecKey.PublicKey, []jose.SignatureAlgorithm{jose.ES256}, "test")
	require.False(t, ec.Verify(jose.ES384, []byte("a.b"), make([]byte, 96)), "an algorithm the key does not allow")
	require.False(t, ec.Verify(jose.ES256, []byte("a.b"), make([]byte, 63)), "a signature of the wrong size")
}

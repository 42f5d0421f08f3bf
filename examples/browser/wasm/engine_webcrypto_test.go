//go:build jwtgate_webcrypto

package main

import (
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The build the site ships (tag jwtgate_webcrypto) links no signature
// arithmetic: it loads no policy without a SignatureChecker, and checks
// every signature with the one it is given. (Its decisions are held to
// native ones by the Chromium corpus test, examples/browser.)

// edChecker checks Ed25519 signatures as the page's WebCrypto would, with
// the JWK it is handed, and records it.
type edChecker struct{ jwks []string }

func (c *edChecker) CheckSignature(alg string, jwk, input, sig []byte) (bool, error) {
	c.jwks = append(c.jwks, alg+" "+string(jwk))
	var k struct{ X string }
	if err := json.Unmarshal(jwk, &k); err != nil {
		return false, err
	}
	x, err := base64.RawURLEncoding.DecodeString(k.X)
	if err != nil || len(x) != ed25519.PublicKeySize {
		return false, errors.New("bad key")
	}
	return ed25519.Verify(x, input, sig), nil
}

func TestWebCryptoBuild(t *testing.T) {
	b64 := base64.RawURLEncoding.EncodeToString
	priv := ed25519.NewKeyFromSeed(make([]byte, ed25519.SeedSize))
	x := b64(priv.Public().(ed25519.PublicKey))
	policy := `{"integrations":[{"name":"a","issuer":"https://a.example","audiences":["app"],"algorithms":["EdDSA"],` +
		`"keys":[{"jwks":{"keys":[{"kty":"OKP","crv":"Ed25519","x":"` + x + `"}]}}]}]}`
	e := newEngine()

	_, err := e.load("p.json", policy, nil, nil, false)
	var ue *usageError
	require.True(t, errors.As(err, &ue), "load without a checker: %v, want a usage error", err)
	assert.Equal(t, "Error", ue.kind)
	assert.Contains(t, ue.msg, "WebCrypto")

	c := &edChecker{}
	r, err := e.load("p.json", policy, nil, c, false)
	require.NoError(t, err)
	now := time.Unix(1_800_000_000, 0).UTC()
	input := b64([]byte(`{"alg":"EdDSA","typ":"JWT"}`)) + "." + b64([]byte(`{"iss":"https://a.example","aud":"app","sub":"u","exp":1800000600}`))
	good := input + "." + b64(ed25519.Sign(priv, []byte(input)))
	bad := input + "." + b64(make([]byte, ed25519.SignatureSize))
	for tok, valid := range map[string]bool{good: true, bad: false} {
		d, err := e.verify(r.Handle, verifyArgs{Token: tok, Now: now})
		require.NoError(t, err)
		assert.Equal(t, valid, strings.Contains(string(d), `"valid":true`), "%s", d)
	}
	require.Len(t, c.jwks, 2, "the checker was not asked for each token")
	assert.Equal(t, `EdDSA {"kty":"OKP","crv":"Ed25519","x":"`+x+`"}`, c.jwks[0])
}

//go:build !jwtgate_webcrypto

package main

import (
	"crypto/ed25519"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"

	"github.com/jwtgate/jwtgate/core"
	"github.com/jwtgate/jwtgate/internal/jwttest"
	"github.com/jwtgate/jwtgate/internal/testcorpus"
)

// The engine is the module's logic without syscall/js; these tests run it
// natively. browser_test.go runs it in Chromium.

func TestNowFromSeconds(t *testing.T) {
	for _, want := range []time.Time{
		testcorpus.Now, testcorpus.Now.Add(500 * time.Millisecond), testcorpus.Now.Add(-time.Millisecond),
		time.Unix(0, 0).UTC(), time.Unix(-1, 250_000_000).UTC(),
	} {
		sec := float64(want.Unix()) + float64(want.Nanosecond())/1e9
		got, err := nowFromSeconds(sec)
		assert.False(t, err != nil || !got.Equal(want), "nowFromSeconds(%v) = %v, %v; want %v", sec, got, err, want)
	}
	zero, err := nowFromSeconds(zeroTimeSeconds)
	assert.False(t, err != nil || !zero.IsZero(), "nowFromSeconds(zeroTimeSeconds) = %v, %v; want the zero time", zero, err)
	// Date.now()/1000 keeps milliseconds.
	got, _ := nowFromSeconds(1795780800.123)
	assert.Equal(t, 123_000_000, got.Nanosecond(), "milliseconds lost: %v", got)
	for _, bad := range []float64{nan(), inf(1), inf(-1), 1e14, -1e14} {
		var ue *usageError
		_, err := nowFromSeconds(bad)
		assert.False(t, !errors.As(err, &ue) || ue.kind != "RangeError", "nowFromSeconds(%v): %v, want a RangeError", bad, err)
	}
}

func nan() float64         { z := 0.0; return z / z }
func inf(sign int) float64 { z := 0.0; return float64(sign) / z }

// TestEngineCorpus runs the public-key corpus through the engine, its
// signatures checked in the module and by a checker as the page's WebCrypto
// would (a SignatureChecker outside the core), against native decisions.
//
// With the decision cache on, the corpus runs twice through one gate (the
// second pass answered from the cache wherever it may be), against a
// native verifier without a cache run twice the same way: the same
// decisions, byte for byte, the one-time cases' replays included.
func TestEngineCorpus(t *testing.T) {
	t.Run("module", func(t *testing.T) { engineCorpus(t, nil, 1) })
	checker := &countingChecker{}
	t.Run("checker", func(t *testing.T) { engineCorpus(t, checker, 1) })
	assert.NotZero(t, checker.calls, "the checker was never asked")
	cold := checker.calls
	t.Run("cached", func(t *testing.T) { engineCorpus(t, checker, 2) })
	assert.Less(t, checker.calls-cold, 2*cold, "the second pass was not answered from the cache")
}

// countingChecker checks signatures with core.ParseSignatureKey, as a host
// does, and counts the calls.
type countingChecker struct{ calls int }

func (c *countingChecker) CheckSignature(alg string, jwk, input, sig []byte) (bool, error) {
	c.calls++
	k, err := core.ParseSignatureKey(jwk, alg)
	if err != nil {
		return false, err
	}
	return k.Verify(input, sig), nil
}

// engineCorpus runs each corpus group passes times through one gate (the
// decision cache on when passes > 1) and through one native verifier.
func engineCorpus(t *testing.T, checker core.SignatureChecker, passes int) {
	e := newEngine()
	for _, g := range testcorpus.Groups(testcorpus.PublicKeyCases()) {
		r, err := e.load("testcorpus.json", bundle(t, g.Policy), nil, checker, passes > 1)
		require.NoError(t, err)
		p, _ := core.ParsePolicy("testcorpus.yaml", g.Policy, loadOptions)
		v, _ := core.NewVerifier(p, core.Config{Replay: core.NewMemoryReplayStore(0)})
		var cases []testcorpus.Case
		for range passes {
			cases = append(cases, g.Cases...)
		}
		for _, c := range cases {
			now, err := nowFromSeconds(float64(c.Now.Unix()) + float64(c.Now.Nanosecond())/1e9)
			require.NoError(t, err)
			got, err := e.verify(r.Handle, verifyArgs{Token: c.Token, Now: now, Explain: c.Explain, Redirect: c.RedirectParam, Integration: c.Integration})
			require.NoError(t, err)
			want := v.Verify(t.Context(), c.Request()).JSON()
			assert.Equal(t, string(want), string(got), "%s:\n got %s\nwant %s", c.Name, got, want)
		}
		e.close(r.Handle)
		_, err = e.verify(r.Handle, verifyArgs{Token: "x", Now: testcorpus.Now})
		assert.Error(t, err, "verify after close: no error")
	}
}

func TestEngineRefusesFilesAndEnv(t *testing.T) {
	e := newEngine()
	for field, policy := range map[string]string{
		"keys[0].pem_file":    "pem_file: /k.pem",
		"keys[0].jwks_file":   "jwks_file: /k.json",
		"keys[0].secret_file": "secret_file: /s",
		"keys[0].secret_env":  "secret_env: SECRET",
	} {
		text := "integrations:\n  - name: a\n    issuer: https://a.example\n    algorithms: [HS256]\n    keys:\n      - " + policy + "\n"
		_, err := e.load("p.json", asJSON(t, text), nil, nil, false)
		var pe *core.PolicyError
		assert.False(t, !errors.As(err, &pe) || pe.Field != field || !strings.Contains(pe.Reason, "here; inline"), "%s: %v, want a PolicyError on %s saying to inline it", policy, err, field)
	}
}

// TestEngineRefusesSecrets: a policy shipped to a page is public, so a
// shared secret or a decryption key in it is refused at load, with the
// error the core gives for a public-key-only policy; and a PEM key, which
// the module (it links no crypto/x509) reads only as a JWK.
func TestEngineRefusesSecrets(t *testing.T) {
	e := newEngine()
	for field, policy := range map[string]string{
		"keys[0].secret":  "algorithms: [HS256]\n    keys:\n      - secret: corpus-hmac-secret-0123456789abcdefghij",
		"keys[0].jwks":    "algorithms: [HS256]\n    keys:\n      - jwks: {\"keys\": [{\"kty\": \"oct\", \"k\": \"Y29ycHVzLWhtYWMtc2VjcmV0LTAxMjM0NTY3ODlhYmNkZWZnaGlq\"}]}",
		"decryption_keys": "algorithms: [EdDSA]\n    keys:\n      - jwks: " + edJWKS() + "\n    decryption_keys:\n      - {secret: 0123456789abcdef0123456789abcdef, algorithm: dir}",
		"keys[0].pem":     "algorithms: [EdDSA]\n    keys:\n      - pem: \"" + strings.ReplaceAll(edPEM(t), "\n", "\\n") + "\"",
	} {
		text := "integrations:\n  - name: a\n    issuer: https://a.example\n    " + policy + "\n"
		_, err := e.load("p.json", asJSON(t, text), nil, nil, false)
		var pe *core.PolicyError
		assert.False(t, !errors.As(err, &pe) || pe.Field != field, "%s: %v, want a PolicyError on %s", field, err, field)
		_, native := core.ParsePolicy("p.yaml", []byte(text), core.LoadOptions{})
		assert.NoError(t, native, "%s: the policy is refused natively too: the test proves nothing", field)
	}
}

// edJWKS is the corpus's Ed25519 key as an inline JWK set.
func edJWKS() string {
	return `{"keys": [{"kty": "OKP", "crv": "Ed25519", "x": "` + b64(jwttest.Keys().Ed25519.Public().(ed25519.PublicKey)) + `"}]}`
}

func edPEM(t *testing.T) string {
	der, err := x509.MarshalPKIXPublicKey(jwttest.Keys().Ed25519.Public())
	require.NoError(t, err)
	return string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))
}

func TestEngineKeyProvider(t *testing.T) {
	e := newEngine()
	const url = "https://keys.example/jwks.json"
	text := "integrations:\n  - name: a\n    issuer: " + testcorpus.IssRS + "\n    algorithms: [RS256]\n    keys:\n      - jwks_url: " + url + "\n"
	calls := 0
	var answer string
	var fail error
	r, err := e.load("p.json", asJSON(t, text), func(u, kid string) (string, error) {
		calls++
		assert.False(t, u != url || kid != "rs-1", "provider(%q, %q)", u, kid)
		return answer, fail
	}, nil, false)
	require.NoError(t, err)
	require.Len(t, r.JWKSURLs, 1, "JWKSURLs = %q", r.JWKSURLs)
	require.Equal(t, url, r.JWKSURLs[0], "JWKSURLs = %q", r.JWKSURLs)
	var tok string
	for _, c := range testcorpus.Cases() {
		if c.Name == "valid/RS256" {
			tok = c.Token
		}
	}
	decide := func() string {
		b, err := e.verify(r.Handle, verifyArgs{Token: tok, Now: testcorpus.Now})
		require.NoError(t, err)
		return string(b)
	}
	fail = errors.New("fetching the key set failed: HTTP 500")
	d := decide()
	assert.Contains(t, d, `"code":"keys_unavailable"`, "a failing provider")
	assert.Contains(t, d, "HTTP 500", "a failing provider")
	fail, answer = nil, `{"keys": [}`
	d = decide()
	assert.Contains(t, d, `"code":"keys_unavailable"`, "an unparsable set")
	assert.Contains(t, d, "does not parse", "an unparsable set")
	k := jwttest.Keys()
	answer = `{"keys":[{"kty":"RSA","kid":"rs-1","n":"` + b64(k.RSA.N.Bytes()) + `","e":"AQAB"}]}`
	for i := 0; i < 3; i++ {
		d := decide()
		require.True(t, strings.HasPrefix(d, `{"valid":true`), "a good set: %s", d)
	}
	assert.Equal(t, 5, calls, "provider called %d times, want once per verification (5)", calls)
}

// TestEngineCacheDroppedOnKeyChange: a decision the cache holds is not
// given once the page says a key set changed (a new key epoch), so a key
// the issuer removed stops verifying at once, as without the cache.
func TestEngineCacheDroppedOnKeyChange(t *testing.T) {
	const url = "https://keys.example/jwks.json"
	text := "integrations:\n  - name: a\n    issuer: " + testcorpus.IssRS + "\n    algorithms: [RS256]\n    keys:\n      - jwks_url: " + url + "\n"
	k := jwttest.Keys()
	answer := `{"keys":[{"kty":"RSA","kid":"rs-1","n":"` + b64(k.RSA.N.Bytes()) + `","e":"AQAB"}]}`
	calls := 0
	e := newEngine()
	r, err := e.load("p.json", asJSON(t, text), func(string, string) (string, error) { calls++; return answer, nil }, nil, true)
	require.NoError(t, err)
	var tok string
	for _, c := range testcorpus.PublicKeyCases() {
		if c.Name == "valid/RS256" {
			tok = c.Token
		}
	}
	decide := func(epoch uint64) string {
		b, err := e.verify(r.Handle, verifyArgs{KeyEpoch: epoch, Token: tok, Now: testcorpus.Now})
		require.NoError(t, err)
		return string(b)
	}
	require.True(t, strings.HasPrefix(decide(0), `{"valid":true`))
	require.True(t, strings.HasPrefix(decide(0), `{"valid":true`))
	assert.Equal(t, 1, calls, "the second decision came from the cache")
	answer = `{"keys":[{"kty":"RSA","kid":"rs-2","n":"` + b64(k.RSAOther.N.Bytes()) + `","e":"AQAB"}]}` // rs-1 rotated away
	assert.Contains(t, decide(1), `"valid":false`, "a cached decision outlived the key that made it")
	assert.Equal(t, 2, calls)
}

func b64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

// bundle is the JSON bundle of a corpus policy, as the page loads one.
func bundle(t *testing.T, policy []byte) string {
	b, err := core.BuildBundle("testcorpus.yaml", policy, core.LoadOptions{})
	require.NoError(t, err)
	return string(b)
}

// asJSON writes a YAML policy as JSON, for a policy a bundle cannot hold
// (one the module must refuse).
func asJSON(t *testing.T, text string) string {
	var doc any
	require.NoError(t, yaml.Unmarshal([]byte(text), &doc))
	b, err := json.Marshal(doc)
	require.NoError(t, err)
	return string(b)
}

// TestEngineReadsJSONOnly: the module reads JSON policies; YAML is refused
// with what to do (it links no YAML parser).
func TestEngineReadsJSONOnly(t *testing.T) {
	_, err := newEngine().load("p.yaml", string(testcorpus.PublicKeyPolicy()), nil, nil, false)
	var pe *core.PolicyError
	assert.False(t, !errors.As(err, &pe) || !strings.Contains(pe.Reason, "JSON policies only; jwtgate policy build writes one from YAML"), "a YAML policy: %v", err)
}

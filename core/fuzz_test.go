package core

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/stretchr/testify/require"
)

// Fuzz tests. Besides the seeds added here, the committed corpora under
// testdata/fuzz/FuzzVerify and testdata/fuzz/FuzzParsePolicy run with every
// "go test"; they hold structural inputs only (keys are generated per run,
// so a valid token saved there would not stay valid). Run the fuzzers with
//
//	go test -run='^$' -fuzz=FuzzVerify -fuzztime=45s ./core/
//	go test -run='^$' -fuzz=FuzzParsePolicy -fuzztime=45s ./core/
//
// and keep any input the fuzzer saves under testdata/fuzz as a regression seed.

const (
	fzIss       = "https://fuzz.example"
	fzOtherIss  = "https://other.fuzz.example"
	fzOtherHMAC = "fedcba9876543210fedcba9876543210-other-secret"
)

// fzSlow is how long one fuzz input may take: far more than any input
// needs, so that only a pathological one (a resource-exhaustion bug) fails.
const fzSlow = 3 * time.Second

var (
	fzOnce     sync.Once
	fzVerifier *Verifier
)

// fzPolicy accepts HS256, RS256 and ES256 tokens, nested in a JWE or not.
// Claims that are only encrypted (to a public key) are refused.
func fzPolicy(t testing.TB) *Verifier {
	fzOnce.Do(func() {
		doc := `integrations:
  - name: fuzz
    tenant: t
    issuer: ` + fzIss + `
    audiences: [authonomy]
    algorithms: [HS256, RS256, ES256]
    keys:
      - secret: ` + ptQ(hsSecret) + `
      - jwks: ` + publicJWKS(t, jose.JSONWebKey{Key: rsaKey.Public(), KeyID: "r1", Algorithm: "RS256", Use: "sig"}) + `
      - pem: ` + ptQ(ptPublicPEM(t, ecKey.Public())) + `
        kid: e1
    decryption_keys:
      - pem: ` + ptQ(ptPrivatePEM(t, rsaKey2)) + `
    encryption: {allow_compression: true}
    required_claims: [sub]
    redirect: {allowed_domains: [app.example.com], default: /home}
    headers: {X-User: sub, X-Groups: groups}
  - name: other
    issuer: ` + fzOtherIss + `
    algorithms: [HS256]
    keys: [{secret: ` + ptQ(fzOtherHMAC) + `}]
    require_permissions: ["users:read"]
    require_roles: {any: [admin]}
    max_age: 1h
`
		p, err := ParsePolicy("fuzz.yaml", []byte(doc), LoadOptions{})
		if err != nil {
			panic(err)
		}
		fzVerifier, err = NewVerifier(p, Config{})
		if err != nil {
			panic(err)
		}
	})
	return fzVerifier
}

// fzVerificationKeys are all the keys fzPolicy verifies with, for the
// independent check of a valid decision.
func fzVerificationKeys() []any {
	return []any{[]byte(hsSecret), []byte(fzOtherHMAC), rsaKey.Public(), ecKey.Public()}
}

var fzAlgs = []jose.SignatureAlgorithm{jose.HS256, jose.RS256, jose.ES256}

// fzIndependent checks, with go-jose alone, that tok is authentic: a JWS
// that one of the policy's keys verifies, or a JWE that its decryption key
// opens and that holds such a JWS. It returns the authenticated claims.
func fzIndependent(tok string) ([]byte, error) {
	switch strings.Count(tok, ".") {
	case 2:
		jws, err := jose.ParseSignedCompact(tok, fzAlgs)
		if err != nil {
			return nil, err
		}
		for _, k := range fzVerificationKeys() {
			if out, err := jws.Verify(k); err == nil {
				return out, nil
			}
		}
		return nil, errors.New("no key verifies it")
	case 4:
		jwe, err := jose.ParseEncryptedCompact(tok,
			[]jose.KeyAlgorithm{jose.RSA_OAEP, jose.RSA_OAEP_256},
			[]jose.ContentEncryption{jose.A128GCM, jose.A192GCM, jose.A256GCM, jose.A128CBC_HS256, jose.A192CBC_HS384, jose.A256CBC_HS512})
		if err != nil {
			return nil, err
		}
		pt, err := jwe.Decrypt(rsaKey2)
		if err != nil {
			return nil, err
		}
		inner := bytes.TrimSpace(pt)
		if len(inner) > 0 && inner[0] == '{' {
			return nil, errors.New("encrypted to a public key but not signed")
		}
		return fzIndependent(string(inner))
	}
	return nil, errors.New("neither a JWS nor a JWE")
}

// fzSeeds are valid tokens (minted per run) and broken ones.
func fzSeeds(t testing.TB) (valid, broken []string) {
	c := claims(fzIss, map[string]any{"groups": []string{"a", "b"}, "redirect_url": "https://app.example.com/x"})
	hs := sign(t, jose.HS256, []byte(hsSecret), "", c, nil)
	rs := sign(t, jose.RS256, rsaKey, "r1", c, nil)
	es := sign(t, jose.ES256, ecKey, "e1", c, nil)
	other := sign(t, jose.HS256, []byte(fzOtherHMAC), "", claims(fzOtherIss, map[string]any{"permissions": []string{"users:*"}, "roles": []string{"admin"}}), nil)
	claimsJSON, _ := json.Marshal(c)
	valid = []string{
		hs, rs, es, other,
		ptEncrypt(t, jose.RSA_OAEP_256, jose.A256GCM, rsaKey2.Public(), rs),
		ptEncrypt(t, jose.RSA_OAEP, jose.A128CBC_HS256, rsaKey2.Public(), hs),
	}
	b64 := base64.RawURLEncoding.EncodeToString
	parts := strings.Split(hs, ".")
	broken = []string{
		"", ".", "..", "....", "a.b.c", "a.b.c.d.e", strings.Repeat(".", 100),
		b64([]byte(`{"alg":"none"}`)) + "." + parts[1] + ".",
		b64([]byte(`{"alg":"HS256","crit":["exp"]}`)) + "." + parts[1] + "." + parts[2],
		b64([]byte(`{"alg":"HS256","alg":"none"}`)) + "." + parts[1] + "." + parts[2],
		parts[0] + "." + parts[1] + "." + parts[2][:len(parts[2])-2],
		parts[0] + "." + parts[1] + "." + parts[2] + "=",
		parts[0] + "." + b64([]byte(`{"iss":"`+fzIss+`","sub":"x","exp":1e300}`)) + "." + parts[2],
		hs + "x",
		sign(t, jose.HS256, []byte(ptPublicPEM(t, rsaKey.Public())), "r1", c, nil), // RSA public key as an HMAC secret
		b64([]byte(`{"alg":"PBES2-HS256+A128KW","enc":"A128GCM","p2c":100000000,"p2s":"AAAAAAAAAAAAAAAAAAAAAA"}`)) + ".AAAA.AAAA.AAAA.AAAA",
		b64([]byte(`{"alg":"dir","enc":"A128GCM","zip":"DEF"}`)) + "..AAAAAAAAAAAAAAAA.AAAA.AAAAAAAAAAAAAAAAAAAAAA",
		b64([]byte(`{"alg":"RSA1_5","enc":"A128GCM"}`)) + ".AAAA.AAAA.AAAA.AAAA",
		strings.Repeat("A", 20000),
		ptEncrypt(t, jose.RSA_OAEP_256, jose.A128GCM, rsaKey2.Public(), string(claimsJSON)), // encrypted, not signed
	}
	return valid, broken
}

func FuzzVerify(f *testing.F) {
	v := fzPolicy(f)
	valid, broken := fzSeeds(f)
	seeds := map[string]bool{}
	for _, tok := range valid {
		seeds[tok] = true
		f.Add(tok)
	}
	for _, tok := range broken {
		f.Add(tok)
	}
	// Make sure the valid seeds are valid, so that the property below is
	// not vacuous.
	for _, tok := range valid {
		if d := verifyAt(v, tok, testNow); !d.Valid {
			f.Fatalf("seed %.40s… is not valid: %s", tok, d.Reason)
		}
	}
	f.Fuzz(func(t *testing.T, tok string) {
		ctx := context.Background()
		start := time.Now()
		d := v.Verify(ctx, Request{Token: tok, Now: testNow, Explain: true})
		require.NotNil(t, d, "nil decision")
		quiet := v.Verify(ctx, Request{Token: tok, Now: testNow})
		took := time.Since(start)
		require.LessOrEqual(t, took, fzSlow, "two verifications")
		require.NotNil(t, quiet, "explain changed the decision: %+v vs %+v", quiet, d)
		require.Equal(t, d.Valid, quiet.Valid, "explain changed the decision: %+v vs %+v", quiet, d)
		require.Equal(t, d.Code, quiet.Code, "explain changed the decision: %+v vs %+v", quiet, d)
		require.Equal(t, d.Reason, quiet.Reason, "explain changed the decision: %+v vs %+v", quiet, d)
		require.Zero(t, len(quiet.Trace), "a trace without explain")
		require.True(t, json.Valid(d.JSON()), "decision JSON is not valid: %s", d.JSON())
		if !d.Valid {
			known := false
			for _, c := range Codes() {
				known = known || c == d.Code
			}
			require.True(t, known, "unknown code %q (%s)", d.Code, d.Reason)
			require.Equal(t, d.Code.Message(), d.Message, "code %q with message %q and reason %q", d.Code, d.Message, d.Reason)
			require.NotEmpty(t, d.Reason, "code %q with message %q and reason %q", d.Code, d.Message, d.Reason)
			require.NotContains(t, d.Reason, "internal error", "Verify recovered from a panic: %s", d.Reason)
			return
		}
		require.Empty(t, d.Code, "valid decision with code %q", d.Code)
		require.Empty(t, d.Message, "valid decision with code %q", d.Code)
		require.Empty(t, d.Reason, "valid decision with code %q", d.Code)
		if seeds[tok] {
			return
		}
		// A valid decision for a token that is not a seed: it must be a
		// re-encoding of an authentic token, which go-jose verifies too,
		// with the same claims.
		authentic, err := fzIndependent(tok)
		require.NoError(t, err, "Verify accepted %q, which go-jose refuses", tok)
		require.Equal(t, d.Claims, authentic, "Verify accepted %q with claims %s, go-jose authenticates %s", tok, d.Claims, authentic)
	})
}

// fzPolicySeeds are sample policies for FuzzParsePolicy.
func fzPolicySeeds(t testing.TB) []string {
	return []string{
		ptMinimal(""),
		ptMinimal("    audiences: [a]\n    clock_skew: 30s\n    max_age: 5m\n    required_claims: [email, {name: n, type: integer}]\n    redirect: {allowed_domains: [\"*.example.com\"], default: /}\n    headers: {X-User: sub}\n    require_permissions: [\"a:b:own\"]\n    require_roles: {any: [x]}\n    one_time_use: true\n"),
		ptWithKeys("RS256, ES256", "      - jwks: "+publicJWKS(t, jose.JSONWebKey{Key: rsaKey.Public(), KeyID: "r", Algorithm: "RS256"})+"\n      - pem: "+ptQ(ptPublicPEM(t, ecKey.Public()))+"\n      - jwks_url: https://keys.example/jwks\n"),
		ptMinimal("    decryption_keys:\n      - pem: " + ptQ(ptPrivatePEM(t, rsaKey2)) + "\n      - secret: " + ptQ(strings.Repeat("k", 32)) + "\n        algorithm: dir\n    encryption: {content_algorithms: [A256GCM], allow_unsigned: true}\n"),
		ptWithKeys("HS256", "      - secret_file: secret.txt\n      - secret_env: SECRET\n      - jwks_file: keys.json\n"),
		`{"integrations": [{"name": "j", "issuer": "i", "algorithms": ["HS256"], "keys": [{"secret": "` + hsSecret + `"}], "max_age": "1m"}]}`,
		"integrations:\n  - &a {name: a, issuer: i, algorithms: [HS256], keys: [{secret: " + ptQ(hsSecret) + "}]}\n  - <<: *a\n    name: b\n    issuer: j\n",
		"integrations: [{name: x}]\n---\nintegrations: []\n",
		"",
	}
}

func FuzzParsePolicy(f *testing.F) {
	for _, s := range fzPolicySeeds(f) {
		f.Add([]byte(s))
	}
	files := ptFS{"secret.txt": hsSecret + "\n", "keys.json": publicJWKS(f, jose.JSONWebKey{Key: rsaKey.Public(), KeyID: "f"})}
	opts := LoadOptions{
		ReadFile:  files.read,
		LookupEnv: func(name string) (string, bool) { return hsSecret, name == "SECRET" },
	}
	tok := sign(f, jose.HS256, []byte(hsSecret), "", claims("i", nil), nil)
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > 64<<10 {
			return // the interesting structure is small; keep iterations fast
		}
		start := time.Now()
		p, err := ParsePolicy("fuzz.yaml", data, opts)
		took := time.Since(start)
		require.LessOrEqual(t, took, fzSlow, "ParsePolicy")
		if err != nil {
			var pe *PolicyError
			require.True(t, errors.As(err, &pe), "%T is not a *PolicyError: %v", err, err)
			require.Nil(t, p, "bad error %#v", pe)
			require.Equal(t, "fuzz.yaml", pe.File, "bad error %#v", pe)
			require.NotEmpty(t, pe.Reason, "bad error %#v", pe)
			require.True(t, strings.HasPrefix(err.Error(), "fuzz.yaml"), "bad error %#v", pe)
			return
		}
		require.NotNil(t, p, "a policy without integrations loaded")
		require.NotZero(t, len(p.Integrations()), "a policy without integrations loaded")
		v, err := NewVerifier(p, Config{Replay: NewMemoryReplayStore(0)})
		require.NoError(t, err, "NewVerifier")
		for _, name := range append(p.Integrations(), "") {
			d := v.Verify(context.Background(), Request{Token: tok, Now: testNow, Explain: true, Integration: name})
			require.NotNil(t, d, "nil decision")
			require.False(t, !d.Valid && strings.Contains(d.Reason, "internal error"), "Verify panicked: %s", d.Reason)
			_ = fmt.Sprint(d.JSON())
		}
		_ = v.Verify(context.Background(), Request{Token: "a.b.c", Now: testNow.Add(time.Hour)})
	})
}

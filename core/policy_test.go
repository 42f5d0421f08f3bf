package core

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"strings"
	"sync"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/stretchr/testify/require"

	"github.com/jwtgate/jwtgate/internal/jwttest"
)

// Helpers of the policy tests carry a "pt" prefix so that they cannot clash
// with helpers of the other test files of the package.

const (
	ptFile = "policy.yaml"
	ptIss  = "https://issuer.example"
)

var (
	ptKeysOnce sync.Once
	ptRSA1024  *rsa.PrivateKey
	ptEC384    *ecdsa.PrivateKey
	ptECDH     *ecdsa.PrivateKey // P-256, for ECDH-ES decryption
)

func ptKeys(t testing.TB) {
	ptKeysOnce.Do(func() {
		var err error
		// Go 1.26 still generates 1024-bit keys (it refuses < 1024).
		ptRSA1024, err = rsa.GenerateKey(rand.Reader, 1024)
		if err != nil {
			panic(err)
		}
		if ptEC384, err = ecdsa.GenerateKey(elliptic.P384(), rand.Reader); err != nil {
			panic(err)
		}
		if ptECDH, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader); err != nil {
			panic(err)
		}
	})
}

// ptQ quotes s as a JSON string, which is also a YAML double-quoted scalar.
func ptQ(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

func ptPublicPEM(t testing.TB, pub any) string {
	der, err := x509.MarshalPKIXPublicKey(pub)
	require.NoError(t, err)
	return string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))
}

func ptPrivatePEM(t testing.TB, priv any) string {
	der, err := x509.MarshalPKCS8PrivateKey(priv)
	require.NoError(t, err)
	return string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}))
}

func ptJWK(t testing.TB, k jose.JSONWebKey) string {
	b, err := json.Marshal(k)
	require.NoError(t, err)
	return string(b)
}

// ptEncrypt wraps plaintext (usually a signed JWT) in a compact JWE.
func ptEncrypt(t testing.TB, alg jose.KeyAlgorithm, enc jose.ContentEncryption, key any, plaintext string) string {
	t.Helper()
	return jwttest.EncryptJOSE(t, alg, enc, key, []byte(plaintext), (&jose.EncrypterOptions{}).WithContentType("JWT"), 0)
}

// ptMinimal is a valid one-integration policy; extra is appended to the
// integration (indent it by four spaces).
func ptMinimal(extra string) string {
	return "integrations:\n  - name: app\n    issuer: " + ptIss + "\n    algorithms: [HS256]\n    keys:\n      - secret: " + ptQ(hsSecret) + "\n" + extra
}

// ptWithKeys is a one-integration policy with the given algorithms and keys
// section (the lines under "keys:", indented by six spaces).
func ptWithKeys(algs, keyLines string) string {
	return "integrations:\n  - name: app\n    issuer: " + ptIss + "\n    algorithms: [" + algs + "]\n    keys:\n" + keyLines
}

// ptVerifierFor builds a verifier from a policy that must load.
func ptVerifierFor(t testing.TB, doc string, opts LoadOptions) *Verifier {
	t.Helper()
	p, err := ParsePolicy(ptFile, []byte(doc), opts)
	require.NoError(t, err)
	v, err := NewVerifier(p, Config{Replay: NewMemoryReplayStore(0)})
	require.NoError(t, err)
	return v
}

func ptValid(t testing.TB, v *Verifier, tok string) {
	t.Helper()
	d := verifyAt(v, tok, testNow)
	require.True(t, d.Valid, "%s: %s", d.Code, d.Reason)
}

func ptHS(t testing.TB, secret string, extra map[string]any) string {
	return sign(t, jose.HS256, []byte(secret), "", claims(ptIss, extra), nil)
}

// ptErr is one policy that must be refused.
type ptErr struct {
	name        string
	doc         string
	opts        LoadOptions
	integration string // PolicyError.Integration
	field       string // PolicyError.Field, exactly
	reason      string // a substring of PolicyError.Reason
	line        int    // PolicyError.Line, when not 0
	more        int    // the other problems the policy has
}

func ptCheckErr(t *testing.T, c ptErr) {
	t.Helper()
	p, err := ParsePolicy(ptFile, []byte(c.doc), c.opts)
	require.Error(t, err, "the policy loaded")
	require.Nil(t, p)
	var list PolicyErrors
	require.True(t, errors.As(err, &list), "%T is not PolicyErrors", err)
	require.Len(t, list, 1+c.more, "problems of %q", err)
	// The problem of the case: the first, or the one of its field.
	pe := list[0]
	for _, e := range list {
		if e.Field == c.field && e.Integration == c.integration {
			pe = e
			break
		}
	}
	require.Equal(t, ptFile, pe.File)
	require.Equal(t, c.integration, pe.Integration, "integration of %q", err)
	require.Equal(t, c.field, pe.Field, "field of %q", err)
	require.Contains(t, pe.Reason, c.reason)
	if c.line > 0 {
		require.Equal(t, c.line, pe.Line, "line of %q", err)
	}
	msg := pe.Error()
	require.True(t, strings.HasPrefix(msg, ptFile), msg)
	if c.integration != "" {
		require.Contains(t, msg, fmt.Sprintf("integration %q", c.integration))
	}
	if c.field != "" {
		require.Contains(t, msg, "field "+c.field)
	}
}

func ptRunErrs(t *testing.T, cases []ptErr) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) { ptCheckErr(t, c) })
	}
}

// --- a full policy, in YAML and in JSON -------------------------------------

func TestParsePolicyFullYAMLAndJSON(t *testing.T) {
	ptKeys(t)
	rsaJWKS := publicJWKS(t, jose.JSONWebKey{Key: rsaKey.Public(), KeyID: "rsa-1", Algorithm: "RS256", Use: "sig"})
	ecPEM := ptPublicPEM(t, ecKey.Public())
	decPEM := ptPrivatePEM(t, rsaKey2)

	yamlDoc := `# a complete policy
integrations:
  - name: full
    tenant: tenant-1
    issuer: ` + ptIss + `
    audiences: [api, other]
    algorithms: [RS256, ES256, HS256]
    keys:
      - jwks: ` + rsaJWKS + `
      - pem: ` + ptQ(ecPEM) + `
        kid: ec-1
      - secret: ` + ptQ(hsSecret) + `
        algorithm: HS256
    decryption_keys:
      - pem: ` + ptQ(decPEM) + `
        kid: enc-1
    encryption:
      key_algorithms: [RSA-OAEP-256]
      content_algorithms: [A256GCM]
      max_plaintext_bytes: 8192
    required_claims:
      - email
      - {name: tenant_id, type: string}
    clock_skew: 30s
    max_age: 5m
    max_token_bytes: 8192
    subject_claim: sub
    groups_claim: groups
    roles_claim: roles
    permissions_claim: permissions
    redirect:
      claim: redirect_url
      param: go
      allowed_domains: [app.example.com, "*.example.org"]
      default: /home
    headers:
      X-User: sub
      X-Email: email
    require_permissions: ["users:read"]
    require_roles: {any: [admin, user]}
    require_groups: {all: [staff]}
  - name: second
    issuer: https://second.example
    algorithms: [HS256]
    keys:
      - secret: ` + ptQ(hsSecret) + `
    one_time_use: true
`
	jsonDoc := `{
  "integrations": [
    {
      "name": "full",
      "tenant": "tenant-1",
      "issuer": "` + ptIss + `",
      "audiences": ["api", "other"],
      "algorithms": ["RS256", "ES256", "HS256"],
      "keys": [
        {"jwks": ` + ptQ(rsaJWKS) + `},
        {"pem": ` + ptQ(ecPEM) + `, "kid": "ec-1"},
        {"secret": ` + ptQ(hsSecret) + `, "algorithm": "HS256"}
      ],
      "decryption_keys": [{"pem": ` + ptQ(decPEM) + `, "kid": "enc-1"}],
      "encryption": {"key_algorithms": ["RSA-OAEP-256"], "content_algorithms": ["A256GCM"], "max_plaintext_bytes": 8192},
      "required_claims": ["email", {"name": "tenant_id", "type": "string"}],
      "clock_skew": "30s",
      "max_age": "5m",
      "max_token_bytes": 8192,
      "subject_claim": "sub",
      "groups_claim": "groups",
      "roles_claim": "roles",
      "permissions_claim": "permissions",
      "redirect": {"claim": "redirect_url", "param": "go", "allowed_domains": ["app.example.com", "*.example.org"], "default": "/home"},
      "headers": {"X-User": "sub", "X-Email": "email"},
      "require_permissions": ["users:read"],
      "require_roles": {"any": ["admin", "user"]},
      "require_groups": {"all": ["staff"]}
    },
    {
      "name": "second",
      "issuer": "https://second.example",
      "algorithms": ["HS256"],
      "keys": [{"secret": ` + ptQ(hsSecret) + `}],
      "one_time_use": true
    }
  ]
}`
	good := map[string]any{
		"aud": "api", "email": "a@example.com", "tenant_id": "t1",
		"permissions": []string{"users:read"}, "roles": []string{"user"}, "groups": []string{"staff"},
		"redirect_url": "https://app.example.com/next",
	}
	signed := sign(t, jose.RS256, rsaKey, "rsa-1", claims(ptIss, good), nil)
	tokens := map[string]string{
		"RS256":  signed,
		"ES256":  sign(t, jose.ES256, ecKey, "ec-1", claims(ptIss, good), nil),
		"HS256":  sign(t, jose.HS256, []byte(hsSecret), "", claims(ptIss, good), nil),
		"JWE":    ptEncrypt(t, jose.RSA_OAEP_256, jose.A256GCM, rsaKey2.Public(), signed),
		"second": sign(t, jose.HS256, []byte(hsSecret), "", claims("https://second.example", map[string]any{"jti": "one"}), nil),
	}
	bad := map[string]string{
		"wrong audience":     sign(t, jose.RS256, rsaKey, "rsa-1", claims(ptIss, ptMerge(good, map[string]any{"aud": "nope"})), nil),
		"missing claim":      sign(t, jose.RS256, rsaKey, "rsa-1", claims(ptIss, ptMerge(good, map[string]any{"email": nil})), nil),
		"missing permission": sign(t, jose.RS256, rsaKey, "rsa-1", claims(ptIss, ptMerge(good, map[string]any{"permissions": []string{"users:write"}})), nil),
		"no role":            sign(t, jose.RS256, rsaKey, "rsa-1", claims(ptIss, ptMerge(good, map[string]any{"roles": []string{"guest"}})), nil),
		"older than max_age": sign(t, jose.RS256, rsaKey, "rsa-1", claims(ptIss, ptMerge(good, map[string]any{"iat": testNow.Add(-6 * time.Minute).Unix()})), nil),
		"expired past skew":  sign(t, jose.RS256, rsaKey, "rsa-1", claims(ptIss, ptMerge(good, map[string]any{"exp": testNow.Add(-31 * time.Second).Unix()})), nil),
		"wrong JWE alg":      ptEncrypt(t, jose.RSA_OAEP, jose.A256GCM, rsaKey2.Public(), signed),
	}

	decisions := map[string]map[string]string{}
	for _, doc := range []struct{ name, text string }{{"yaml", yamlDoc}, {"json", jsonDoc}} {
		p, err := ParsePolicy(ptFile, []byte(doc.text), LoadOptions{})
		require.NoError(t, err, doc.name)
		require.Equal(t, []string{"full", "second"}, p.Integrations())
		require.Empty(t, p.JWKSURLs())
		require.True(t, p.OneTimeUse())
		v, err := NewVerifier(p, Config{Replay: NewMemoryReplayStore(0)})
		require.NoError(t, err)
		decisions[doc.name] = map[string]string{}
		for name, tok := range tokens {
			d := verifyAt(v, tok, testNow)
			require.True(t, d.Valid, "%s %s: %s %s", doc.name, name, d.Code, d.Reason)
			decisions[doc.name][name] = string(d.JSON())
			if name == "second" {
				continue
			}
			require.Equal(t, "full", d.Integration)
			require.Equal(t, "tenant-1", d.Tenant)
			require.Equal(t, "https://app.example.com/next", d.Redirect)
			require.Equal(t, map[string]string{"X-User": "user-123", "X-Email": "a@example.com"}, d.Headers)
		}
		for name, tok := range bad {
			d := verifyAt(v, tok, testNow)
			require.False(t, d.Valid, "%s %s", doc.name, name)
			decisions[doc.name]["bad "+name] = string(d.JSON())
		}
		// Clock skew 30s: an exp 20s past is still accepted.
		d := verifyAt(v, sign(t, jose.HS256, []byte(hsSecret), "", claims(ptIss, ptMerge(good, map[string]any{"exp": testNow.Add(-20 * time.Second).Unix()})), nil), testNow)
		require.True(t, d.Valid, d.Reason)
		// Without a valid redirect in the token, the default is used.
		d = verifyAt(v, sign(t, jose.HS256, []byte(hsSecret), "", claims(ptIss, ptMerge(good, map[string]any{"redirect_url": "https://evil.example/"})), nil), testNow)
		require.True(t, d.Valid, d.Reason)
		require.Equal(t, "/home", d.Redirect)
	}
	require.Equal(t, decisions["yaml"], decisions["json"], "the YAML and JSON forms decide alike")
	require.Len(t, decisions["yaml"], len(tokens)+len(bad))
}

// ptMerge is a with b on top (a nil value deletes).
func ptMerge(a, b map[string]any) map[string]any { return jwttest.Merge(a, b) }

// --- unknown fields, duplicate keys, duplicates -----------------------------

func TestParsePolicyUnknownFields(t *testing.T) {
	ptRunErrs(t, []ptErr{
		{name: "top level", field: "extra", line: 7, doc: ptMinimal("") + "extra: 1\n", reason: "unknown field at the top level"},
		{name: "top level misspelt", field: "integration", line: 1, doc: strings.Replace(ptMinimal(""), "integrations:", "integration:", 1), reason: "did you mean integrations?"},
		{name: "integration", integration: "app", field: "issuer_url", line: 7, doc: ptMinimal("    issuer_url: https://x.example\n"), reason: "unknown field in an integration"},
		{name: "key entry", integration: "app", field: "keys[0].algo", line: 7, doc: ptWithKeys("HS256", "      - secret: "+ptQ(hsSecret)+"\n        algo: HS256\n"), reason: "unknown field in keys[0]"},
		{name: "decryption key entry", integration: "app", doc: ptMinimal("    decryption_keys:\n      - secret: " + ptQ(strings.Repeat("k", 32)) + "\n        algorithm: A256KW\n        usage: enc\n"), field: "decryption_keys[0].usage", reason: "unknown field in decryption_keys[0]"},
		{name: "redirect", integration: "app", field: "redirect.allowed_domain", doc: ptMinimal("    redirect: {allowed_domain: [app.example.com]}\n"), reason: "unknown field in redirect"},
		{name: "encryption", integration: "app", field: "encryption.allow_zip", doc: ptMinimal("    encryption: {allow_zip: true}\n"), reason: "unknown field in encryption"},
		{name: "require_roles", integration: "app", field: "require_roles.some", doc: ptMinimal("    require_roles: {some: [admin]}\n"), reason: "unknown field in require_roles"},
		{name: "require_groups", integration: "app", field: "require_groups.none", doc: ptMinimal("    require_groups: {any: [a], none: [b]}\n"), reason: "unknown field in require_groups"},
		{name: "required claim object", integration: "app", field: "required_claims[0].typ", doc: ptMinimal("    required_claims: [{name: email, typ: string}]\n"), reason: "unknown field in required_claims[0]"},
		{name: "unnamed integration", integration: "#1", field: "bogus", line: 3, more: 3, doc: "integrations:\n  - issuer: x\n    bogus: 1\n", reason: "unknown field in an integration"},
		{name: "json", integration: "app", doc: `{"integrations": [{"name": "app", "issuer": "x", "algorithms": ["HS256"], "keys": [{"secret": ` + ptQ(hsSecret) + `}], "Issuer": "y"}]}`, field: "Issuer", reason: "unknown field in an integration; did you mean issuer?"},
	})
}

func TestParsePolicyDuplicateKeys(t *testing.T) {
	ptRunErrs(t, []ptErr{
		{name: "top level", field: "integrations", line: 7, doc: ptMinimal("") + "integrations: []\n", reason: `"integrations" already defined (first on line 1)`},
		{name: "integration", integration: "app", field: "issuer", line: 7, doc: ptMinimal("    issuer: https://other.example\n"), reason: `"issuer" already defined (first on line 3)`},
		{name: "key entry", integration: "app", doc: ptWithKeys("HS256", "      - secret: "+ptQ(hsSecret)+"\n        secret: "+ptQ(hsSecret+"x")+"\n"), field: "keys[0].secret", reason: `"secret" already defined`},
		{name: "headers", integration: "app", field: "headers.X-User", line: 9, doc: ptMinimal("    headers:\n      X-User: sub\n      X-User: email\n"), reason: `"X-User" already defined`},
		{name: "json", integration: "app", doc: `{"integrations": [{"name": "app", "issuer": "x", "algorithms": ["HS256"], "algorithms": ["RS256"], "keys": [{"secret": ` + ptQ(hsSecret) + `}]}]}`, field: "algorithms", reason: `"algorithms" already defined`},
	})
}

func TestParsePolicyDuplicateIntegrations(t *testing.T) {
	second := func(name, iss string) string {
		return "  - name: " + name + "\n    issuer: " + iss + "\n    algorithms: [HS256]\n    keys:\n      - secret: " + ptQ(hsSecret) + "\n"
	}
	ptRunErrs(t, []ptErr{
		{name: "name", integration: "app", field: "name", doc: ptMinimal("") + second("app", "https://other.example"), reason: "duplicate integration name"},
		{name: "issuer", integration: "other", field: "issuer", doc: ptMinimal("") + second("other", ptIss), reason: `issuer "` + ptIss + `" is already used by integration "app"`},
	})
	// Distinct names and issuers load.
	p := mustPolicy(t, ptMinimal("")+second("other", "https://other.example"))
	require.Equal(t, []string{"app", "other"}, p.Integrations())
}

func TestParsePolicyRequiredFields(t *testing.T) {
	ptRunErrs(t, []ptErr{
		{name: "name", integration: "#1", field: "name", doc: "integrations:\n  - issuer: x\n    algorithms: [HS256]\n    keys: [{secret: " + ptQ(hsSecret) + "}]\n", reason: `found ""`},
		{name: "issuer", integration: "app", field: "issuer", doc: "integrations:\n  - name: app\n    algorithms: [HS256]\n    keys: [{secret: " + ptQ(hsSecret) + "}]\n", reason: "required"},
		{name: "algorithms", integration: "app", field: "algorithms", doc: "integrations:\n  - name: app\n    issuer: x\n    keys: [{secret: " + ptQ(hsSecret) + "}]\n", reason: "required"},
		{name: "empty algorithms", integration: "app", field: "algorithms", doc: "integrations:\n  - name: app\n    issuer: x\n    algorithms: []\n    keys: [{secret: " + ptQ(hsSecret) + "}]\n", reason: "required"},
		{name: "keys", integration: "app", field: "keys", doc: "integrations:\n  - name: app\n    issuer: x\n    algorithms: [HS256]\n", reason: "at least one key"},
		{name: "empty keys", integration: "app", field: "keys", doc: "integrations:\n  - name: app\n    issuer: x\n    algorithms: [HS256]\n    keys: []\n", reason: "at least one key"},
		{name: "second integration", integration: "#2", field: "name", doc: ptMinimal("") + "  - issuer: y\n    algorithms: [HS256]\n    keys: [{secret: " + ptQ(hsSecret) + "}]\n", reason: "want 1-63 characters"},
		{name: "empty audience", integration: "app", field: "audiences[1]", doc: ptMinimal("    audiences: [a, \"\"]\n"), reason: "empty audience"},
		{name: "integrations not a list", field: "integrations", doc: "integrations: {name: app}\n", reason: "want a list of integrations, found a mapping"},
	})
}

func TestParsePolicyEmpty(t *testing.T) {
	for _, doc := range []string{"", "\n", "   \n\n", "# only a comment\n", "---\n", "integrations: []\n", "integrations:\n", "{}", `{"integrations": []}`} {
		_, err := ParsePolicy(ptFile, []byte(doc), LoadOptions{})
		var pe *PolicyError
		require.True(t, errors.As(err, &pe), "%q: %v", doc, err)
		require.Equal(t, ptFile, pe.File)
		require.Equal(t, "", pe.Integration)
		require.Contains(t, pe.Reason, "no integrations", "%q", doc)
	}
	for _, doc := range []string{"integrations: [", "\x00", "- a\n- b\n", "just a string", "{\"integrations\": [}"} {
		_, err := ParsePolicy(ptFile, []byte(doc), LoadOptions{})
		var pe *PolicyError
		require.True(t, errors.As(err, &pe), "%q: %v", doc, err)
	}
}

// A second YAML document is refused rather than silently ignored.
func TestParsePolicySingleDocument(t *testing.T) {
	for _, doc := range []string{
		ptMinimal("") + "---\nintegrations:\n  - name: second\n",
		ptMinimal("") + "---\n",
		ptMinimal("") + "...\ngarbage: [\n",
		"---\n" + ptMinimal("") + "---\n# nothing\n",
	} {
		ptCheckErr(t, ptErr{doc: doc, reason: "the policy must be a single YAML document"})
	}
	// A leading "---" and a final "..." are fine.
	_, err := ParsePolicy(ptFile, []byte("---\n"+ptMinimal("")+"...\n"), LoadOptions{})
	require.NoError(t, err)
}

// YAML anchors may be shared between integrations: each integration is
// decoded on its own, with the aliases it uses expanded.
func TestParsePolicyYAMLAnchors(t *testing.T) {
	doc := `integrations:
  - &base
    name: a
    issuer: https://a.example
    algorithms: &algs [HS256]
    keys: &keys
      - secret: ` + ptQ(hsSecret) + `
    required_claims: [email]
  - <<: *base
    name: b
    issuer: https://b.example
  - name: c
    issuer: https://c.example
    algorithms: *algs
    keys: *keys
`
	p, err := ParsePolicy(ptFile, []byte(doc), LoadOptions{})
	require.NoError(t, err)
	require.Equal(t, []string{"a", "b", "c"}, p.Integrations())
	v, err := NewVerifier(p, Config{})
	require.NoError(t, err)
	for _, iss := range []string{"https://a.example", "https://b.example"} {
		require.Equal(t, CodeRequiredClaimsFailed, verifyAt(v, sign(t, jose.HS256, []byte(hsSecret), "", claims(iss, nil), nil), testNow).Code, "%s inherits required_claims", iss)
		ptValid(t, v, sign(t, jose.HS256, []byte(hsSecret), "", claims(iss, map[string]any{"email": "e"}), nil))
	}
	ptValid(t, v, sign(t, jose.HS256, []byte(hsSecret), "", claims("https://c.example", nil), nil))

	// An unknown field reached through an alias is still refused.
	ptCheckErr(t, ptErr{integration: "b", doc: "integrations:\n  - &base {name: a, issuer: x, algorithms: [HS256], keys: [{secret: " + ptQ(hsSecret) + "}]}\n  - name: b\n    issuer: y\n    algorithms: [HS256]\n    keys: [{secret: " + ptQ(hsSecret) + "}]\n    redirect: &r {bogus: 1}\n", field: "redirect.bogus", reason: "unknown field in redirect"})

	// "Billion laughs": refused, quickly.
	var b strings.Builder
	b.WriteString("      l0: &l0 [x, x, x, x, x, x, x, x, x, x]\n")
	for i := 1; i < 12; i++ {
		fmt.Fprintf(&b, "      l%d: &l%d [*l%d, *l%d, *l%d, *l%d, *l%d, *l%d, *l%d, *l%d, *l%d, *l%d]\n", i, i, i-1, i-1, i-1, i-1, i-1, i-1, i-1, i-1, i-1, i-1)
	}
	bomb := "integrations:\n  - name: a\n    issuer: x\n    algorithms: [HS256]\n    keys: [{secret: " + ptQ(hsSecret) + "}]\n    headers:\n" + b.String() +
		"  - name: b\n    issuer: y\n    algorithms: [HS256]\n    keys: [{secret: " + ptQ(hsSecret) + "}]\n    audiences: *l11\n"
	// Lists where claim names and audiences go are refused as such,
	// without expanding them.
	start := time.Now()
	ptCheckErr(t, ptErr{integration: "a", field: "headers.l0", more: 21, doc: bomb, reason: "want a claim name, found a list"})
	require.Less(t, time.Since(start), 5*time.Second)
	// Where anything goes (an inline jwks), the expansion is bounded.
	bomb = "service:\n" + b.String() + "integrations:\n  - name: a\n    issuer: x\n    algorithms: [HS256]\n    keys: [{jwks: *l11}]\n"
	start = time.Now()
	ptCheckErr(t, ptErr{integration: "a", field: "keys[0].jwks", line: 18, doc: bomb, reason: "YAML aliases expand to too many nodes"})
	require.Less(t, time.Since(start), 5*time.Second)
}

func TestParsePolicySizeLimit(t *testing.T) {
	base := ptMinimal("")
	// Exactly at the limit (padded with a comment): accepted.
	pad := MaxPolicyBytes - len(base) - len("#\n")
	atLimit := base + "#" + strings.Repeat("x", pad) + "\n"
	require.Len(t, atLimit, MaxPolicyBytes)
	_, err := ParsePolicy(ptFile, []byte(atLimit), LoadOptions{})
	require.NoError(t, err)
	// One byte over: refused before parsing.
	over := base + "#" + strings.Repeat("x", pad+1) + "\n"
	ptCheckErr(t, ptErr{doc: over, reason: fmt.Sprintf("the limit is %d", MaxPolicyBytes)})
	// Even when the excess is not valid YAML.
	ptCheckErr(t, ptErr{doc: strings.Repeat("{", MaxPolicyBytes+1), reason: "the limit is"})
}

// --- names and algorithms --------------------------------------------------

func TestParsePolicyNames(t *testing.T) {
	doc := func(name string) string {
		return "integrations:\n  - name: " + ptQ(name) + "\n    issuer: x\n    algorithms: [HS256]\n    keys: [{secret: " + ptQ(hsSecret) + "}]\n"
	}
	for _, good := range []string{"a", "0", "app", "app-1", "a_b", "9lives", strings.Repeat("a", 63)} {
		p, err := ParsePolicy(ptFile, []byte(doc(good)), LoadOptions{})
		require.NoError(t, err, good)
		require.Equal(t, []string{good}, p.Integrations())
	}
	for _, bad := range []string{"App", "-app", "_app", "a b", "a.b", "a/b", "é", strings.Repeat("a", 64), " app", "app\n"} {
		integration := bad
		t.Run(bad, func(t *testing.T) {
			ptCheckErr(t, ptErr{doc: doc(bad), integration: integration, field: "name", reason: "want 1-63 characters"})
		})
	}
}

func TestParsePolicyAlgorithms(t *testing.T) {
	doc := func(algs string) string {
		return ptWithKeys(algs, "      - secret: "+ptQ(strings.Repeat("s", 64))+"\n")
	}
	for _, bad := range []struct{ algs, field, alg string }{
		{"none", "algorithms[0]", "none"},
		{"HS256, none", "algorithms[1]", "none"},
		{"NONE", "algorithms[0]", "NONE"},
		{"None", "algorithms[0]", "None"},
		{"hs256", "algorithms[0]", "hs256"},
		{"RS257", "algorithms[0]", "RS257"},
		{"HS256, ES256K", "algorithms[1]", "ES256K"},
		{"RSA-OAEP", "algorithms[0]", "RSA-OAEP"},
		{`""`, "algorithms[0]", ""},
	} {
		t.Run(bad.algs, func(t *testing.T) {
			ptCheckErr(t, ptErr{doc: doc(bad.algs), integration: "app", field: bad.field, reason: fmt.Sprintf("%q is not a supported signature algorithm", bad.alg)})
		})
	}
	for _, good := range []string{"HS256", "HS384", "HS512", "HS256, HS384, HS512"} {
		_, err := ParsePolicy(ptFile, []byte(doc(good)), LoadOptions{})
		require.NoError(t, err, good)
	}
	// A key's algorithm must be supported, and be one of the integration's.
	ptRunErrs(t, []ptErr{
		{name: "key algorithm none", integration: "app", field: "keys[0].secret", doc: ptWithKeys("HS256", "      - secret: "+ptQ(hsSecret)+"\n        algorithm: none\n"), reason: `algorithm "none" is not supported`},
		{name: "key algorithm not allowed", integration: "app", field: "keys[0].secret", doc: ptWithKeys("HS256", "      - secret: "+ptQ(strings.Repeat("s", 64))+"\n        algorithm: HS512\n"), reason: "HS512 is not in the integration's algorithms"},
		{name: "jwks algorithm none", integration: "app", field: "keys[0].jwks.algorithm", doc: ptWithKeys("HS256", "      - jwks: {kty: oct, k: "+strings.Repeat("A", 43)+"}\n        algorithm: none\n"), reason: `"none" is not a supported signature algorithm`},
	})
}

// --- key material ----------------------------------------------------------

func TestParsePolicyHMACSecretLength(t *testing.T) {
	for _, c := range []struct {
		alg  jose.SignatureAlgorithm
		need int
	}{{jose.HS256, 32}, {jose.HS384, 48}, {jose.HS512, 64}} {
		t.Run(string(c.alg), func(t *testing.T) {
			short := strings.Repeat("s", c.need-1)
			ptCheckErr(t, ptErr{
				doc: ptWithKeys(string(c.alg), "      - secret: "+ptQ(short)+"\n"), integration: "app", field: "keys[0].secret",
				reason: fmt.Sprintf("HMAC secret is %d bytes, %s needs at least %d", c.need-1, c.alg, c.need),
			})
			// The same through an inline JWK.
			jwk := ptJWK(t, jose.JSONWebKey{Key: []byte(short), KeyID: "k"})
			ptCheckErr(t, ptErr{
				doc: ptWithKeys(string(c.alg), "      - jwks: "+jwk+"\n"), integration: "app", field: "keys[0].jwks",
				reason: fmt.Sprintf("needs at least %d", c.need),
			})
			exact := strings.Repeat("s", c.need)
			v := ptVerifierFor(t, ptWithKeys(string(c.alg), "      - secret: "+ptQ(exact)+"\n"), LoadOptions{})
			ptValid(t, v, sign(t, c.alg, []byte(exact), "", claims(ptIss, nil), nil))
		})
	}
	// A secret long enough for HS256 but not HS512, with both allowed: refused,
	// so that the key is never silently limited to the weaker algorithm.
	ptCheckErr(t, ptErr{
		doc: ptWithKeys("HS256, HS512", "      - secret: "+ptQ(strings.Repeat("s", 40))+"\n"), integration: "app", field: "keys[0].secret",
		reason: "HS512 needs at least 64",
	})
	ptCheckErr(t, ptErr{doc: ptWithKeys("HS256", "      - secret: \"\"\n        kid: k\n"), integration: "app", field: "keys[0]", reason: "give exactly one of"})
}

func TestParsePolicyRSAKeySize(t *testing.T) {
	ptKeys(t)
	require.Equal(t, 1024, ptRSA1024.N.BitLen())
	ptRunErrs(t, []ptErr{
		{name: "pem", integration: "app", field: "keys[0].pem", doc: ptWithKeys("RS256", "      - pem: "+ptQ(ptPublicPEM(t, ptRSA1024.Public()))+"\n"), reason: "RSA key is 1024 bits, at least 2048 are required"},
		{name: "jwks", integration: "app", field: "keys[0].jwks", doc: ptWithKeys("RS256", "      - jwks: "+publicJWKS(t, jose.JSONWebKey{Key: ptRSA1024.Public(), KeyID: "small", Algorithm: "RS256"})+"\n"), reason: "RSA key is 1024 bits"},
		{name: "decryption pem", integration: "app", field: "decryption_keys[0].pem", doc: ptMinimal("    decryption_keys:\n      - pem: " + ptQ(ptPrivatePEM(t, ptRSA1024)) + "\n"), reason: "RSA key is 1024 bits"},
	})
}

func TestParsePolicyKeyFamilies(t *testing.T) {
	ptKeys(t)
	rsaPEM := ptQ(ptPublicPEM(t, rsaKey.Public()))
	ptRunErrs(t, []ptErr{
		{name: "RSA key for RS256 and PS256", integration: "app", field: "keys[0].pem", doc: ptWithKeys("RS256, PS256", "      - pem: "+rsaPEM+"\n"), reason: "would be usable by two algorithm families"},
		{name: "RSA JWK without alg for RS256 and PS256", integration: "app", field: "keys[0].jwks", doc: ptWithKeys("RS256, PS256", "      - jwks: "+publicJWKS(t, jose.JSONWebKey{Key: rsaKey.Public(), KeyID: "r"})+"\n"), reason: "two algorithm families"},
		{name: "EC P-384 with ES256 only", integration: "app", field: "keys[0].pem", doc: ptWithKeys("ES256", "      - pem: "+ptQ(ptPublicPEM(t, ptEC384.Public()))+"\n"), reason: "EC P-384 public key fits none of the integration's algorithms [ES256]"},
		{name: "EC P-256 declared ES384", integration: "app", field: "keys[0].pem", doc: ptWithKeys("ES256, ES384", "      - pem: "+ptQ(ptPublicPEM(t, ecKey.Public()))+"\n        algorithm: ES384\n"), reason: "cannot be used with algorithm ES384"},
		{name: "RSA key with HS256 only", integration: "app", field: "keys[0].pem", doc: ptWithKeys("HS256", "      - pem: "+rsaPEM+"\n"), reason: "fits none"},
		{name: "RSA key declared HS256", integration: "app", field: "keys[0].pem", doc: ptWithKeys("HS256, RS256", "      - pem: "+rsaPEM+"\n        algorithm: HS256\n"), reason: "cannot be used with algorithm HS256"},
		{name: "private RSA PEM", integration: "app", field: "keys[0].pem", doc: ptWithKeys("RS256", "      - pem: "+ptQ(ptPrivatePEM(t, rsaKey))+"\n"), reason: `"PRIVATE KEY" is a private key; configure the public key`},
		{name: "private PKCS1 PEM", integration: "app", field: "keys[0].pem", doc: ptWithKeys("RS256", "      - pem: "+ptQ(string(pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(rsaKey)})))+"\n"), reason: "is a private key"},
		{name: "private EC PEM", integration: "app", field: "keys[0].pem", doc: ptWithKeys("ES256", "      - pem: "+ptQ(ptPrivatePEM(t, ecKey))+"\n"), reason: "is a private key"},
		{name: "private JWK", integration: "app", field: "keys[0].jwks", doc: ptWithKeys("ES256", "      - jwks: "+publicJWKS(t, jose.JSONWebKey{Key: ecKey, KeyID: "p"})+"\n"), reason: `kid "p" is a private key`},
		{name: "garbage PEM", integration: "app", field: "keys[0].pem", doc: ptWithKeys("RS256", "      - pem: not a pem\n"), reason: "no PEM public key found"},
		{name: "kid on a jwks", integration: "app", field: "keys[0].jwks", doc: ptWithKeys("RS256", "      - jwks: "+publicJWKS(t, jose.JSONWebKey{Key: rsaKey.Public(), Algorithm: "RS256"})+"\n        kid: x\n"), reason: "remove kid"},
		{name: "jwks of encryption keys only", integration: "app", field: "keys[0].jwks", doc: ptWithKeys("RS256", "      - jwks: "+publicJWKS(t, jose.JSONWebKey{Key: rsaKey.Public(), Use: "enc"})+"\n"), reason: "no signing keys"},
		{name: "bad jwks", integration: "app", field: "keys[0].jwks", doc: ptWithKeys("RS256", "      - jwks: '{\"keys\": 1}'\n"), reason: "invalid JWK set"},
		// key_ops (RFC 7517 section 4.3), which go-jose drops, is honoured like use.
		{name: "key_ops encrypt only", integration: "app", field: "keys[0].jwks", doc: ptWithKeys("RS256", "      - jwks: "+ptWithKeyOps(t, rsaKey.Public(), "", "encrypt")+"\n"), reason: "no signing keys"},
		{name: "key_ops wrapKey only", integration: "app", field: "keys[0].jwks", doc: ptWithKeys("ES256", "      - jwks: "+ptWithKeyOps(t, ecKey.Public(), "", "wrapKey", "deriveKey")+"\n"), reason: "no signing keys"},
		{name: "key_ops contradicts use", integration: "app", field: "keys[0].jwks", doc: ptWithKeys("RS256", "      - jwks: "+ptWithKeyOps(t, rsaKey.Public(), "sig", "encrypt")+"\n"), reason: `use "sig" contradicts key_ops`},
		{name: "key_ops not a list", integration: "app", field: "keys[0].jwks", doc: ptWithKeys("RS256", "      - jwks: "+strings.Replace(ptWithKeyOps(t, rsaKey.Public(), "", "verify"), `["verify"]`, `"verify"`, 1)+"\n"), reason: "invalid JWK"},
		{name: "signing key_ops to decrypt", integration: "app", field: "decryption_keys[0].jwks", doc: ptMinimal("    decryption_keys:\n      - jwks: " + ptWithKeyOps(t, rsaKey2, "", "sign") + "\n"), reason: "no decryption keys in the set"},
		{name: "signing use to decrypt", integration: "app", field: "decryption_keys[0].jwks", doc: ptMinimal("    decryption_keys:\n      - jwks: " + ptJWK(t, jose.JSONWebKey{Key: rsaKey2, Use: "sig"}) + "\n"), reason: "no decryption keys in the set"},
		{name: "empty decryption set", integration: "app", field: "decryption_keys[0].jwks", doc: ptMinimal("    decryption_keys:\n      - jwks: {keys: []}\n"), reason: "no decryption keys in the set"},
	})
	// key_ops naming verify, or both families, or unknown operations only, loads.
	for _, ops := range [][]string{{"verify"}, {"sign", "verify"}, {"verify", "encrypt"}, {"frobnicate"}} {
		v := ptVerifierFor(t, ptWithKeys("RS256", "      - jwks: "+ptWithKeyOps(t, rsaKey.Public(), "", ops...)+"\n"), LoadOptions{})
		ptValid(t, v, sign(t, jose.RS256, rsaKey, "", claims(ptIss, nil), nil))
	}
	// And through a key set fetched from a jwks_url: the encryption-only key is skipped.
	set, err := ParseKeySet([]byte(`{"keys": [` + ptWithKeyOps(t, rsaKey.Public(), "", "encrypt") + `]}`))
	require.NoError(t, err)
	p := mustPolicy(t, ptWithKeys("RS256", "      - jwks_url: https://keys.example/\n"))
	v0, err := NewVerifier(p, Config{Keys: ptKeySource{sets: map[string]*KeySet{"https://keys.example/": set}}})
	require.NoError(t, err)
	require.False(t, verifyAt(v0, sign(t, jose.RS256, rsaKey, "", claims(ptIss, nil), nil), testNow).Valid)

	// With its algorithm set, the RSA key loads, for RS256 only.
	v := ptVerifierFor(t, ptWithKeys("RS256, PS256", "      - pem: "+rsaPEM+"\n        algorithm: RS256\n"), LoadOptions{})
	ptValid(t, v, sign(t, jose.RS256, rsaKey, "", claims(ptIss, nil), nil))
	d := verifyAt(v, sign(t, jose.PS256, rsaKey, "", claims(ptIss, nil), nil), testNow)
	require.False(t, d.Valid)
	require.Equal(t, CodeInvalidToken, d.Code)
	// The same through a JWK's alg.
	v = ptVerifierFor(t, ptWithKeys("RS256, PS256", "      - jwks: "+publicJWKS(t, jose.JSONWebKey{Key: rsaKey.Public(), Algorithm: "PS256"})+"\n"), LoadOptions{})
	ptValid(t, v, sign(t, jose.PS256, rsaKey, "", claims(ptIss, nil), nil))
	require.False(t, verifyAt(v, sign(t, jose.RS256, rsaKey, "", claims(ptIss, nil), nil), testNow).Valid)
	// One RSA key may serve several algorithms of one family.
	v = ptVerifierFor(t, ptWithKeys("RS256, RS512", "      - pem: "+rsaPEM+"\n"), LoadOptions{})
	ptValid(t, v, sign(t, jose.RS512, rsaKey, "", claims(ptIss, nil), nil))
	// EC P-384 loads for ES384.
	v = ptVerifierFor(t, ptWithKeys("ES256, ES384", "      - pem: "+ptQ(ptPublicPEM(t, ptEC384.Public()))+"\n"), LoadOptions{})
	ptValid(t, v, sign(t, jose.ES384, ptEC384, "", claims(ptIss, nil), nil))
	// A certificate's public key.
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), NotBefore: testNow.Add(-time.Hour), NotAfter: testNow.Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, ecKey.Public(), ecKey)
	require.NoError(t, err)
	cert := string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))
	v = ptVerifierFor(t, ptWithKeys("ES256", "      - pem: "+ptQ(cert)+"\n"), LoadOptions{})
	ptValid(t, v, sign(t, jose.ES256, ecKey, "", claims(ptIss, nil), nil))
	// Ed25519.
	v = ptVerifierFor(t, ptWithKeys("EdDSA", "      - pem: "+ptQ(ptPublicPEM(t, edKey.Public()))+"\n"), LoadOptions{})
	ptValid(t, v, sign(t, jose.EdDSA, edKey, "", claims(ptIss, nil), nil))
}

// ptWithKeyOps renders key as a JWK with the given use and key_ops.
func ptWithKeyOps(t testing.TB, key any, use string, ops ...string) string {
	var m map[string]any
	require.NoError(t, json.Unmarshal([]byte(ptJWK(t, jose.JSONWebKey{Key: key, Use: use})), &m))
	m["key_ops"] = ops
	b, err := json.Marshal(m)
	require.NoError(t, err)
	return string(b)
}

// ptFS is a fake file system for LoadOptions.ReadFile.
type ptFS map[string]string

func (fs ptFS) read(name string) ([]byte, error) {
	if s, ok := fs[name]; ok {
		return []byte(s), nil
	}
	return nil, fmt.Errorf("open %s: no such file", name)
}

type ptKeySource struct{ sets map[string]*KeySet }

func (s ptKeySource) KeySet(_ context.Context, url, _ string) (*KeySet, error) {
	if set, ok := s.sets[url]; ok {
		return set, nil
	}
	return nil, errors.New("not found")
}

func TestParsePolicyKeySources(t *testing.T) {
	ptKeys(t)
	rsaJWKS := publicJWKS(t, jose.JSONWebKey{Key: rsaKey.Public(), KeyID: "r1", Algorithm: "RS256", Use: "sig"})
	fs := ptFS{
		"keys.json":      rsaJWKS,
		"ec.pem":         ptPublicPEM(t, ecKey.Public()),
		"secret.txt":     hsSecret + "\n",
		"secret-crlf":    hsSecret + "\r\n",
		"secret-nonl":    hsSecret,
		"secret-twonl":   hsSecret + "\n\n",
		"secret-spaces":  " " + hsSecret + " \n",
		"not-a-key.json": "{",
	}
	env := map[string]string{"JWT_SECRET": hsSecret, "EMPTY": ""}
	opts := LoadOptions{ReadFile: fs.read, LookupEnv: func(n string) (string, bool) { v, ok := env[n]; return v, ok }}

	rs := sign(t, jose.RS256, rsaKey, "r1", claims(ptIss, nil), nil)
	es := sign(t, jose.ES256, ecKey, "", claims(ptIss, nil), nil)
	hs := ptHS(t, hsSecret, nil)
	rsaYAML := strings.ReplaceAll(strings.ReplaceAll(rsaJWKS, `"`, ""), ":", ": ") // a YAML flow mapping, not JSON
	for _, c := range []struct {
		name, algs, key, token string
	}{
		{"jwks as a YAML mapping", "RS256", "jwks: " + rsaYAML, rs},
		{"jwks as a JSON object", "RS256", "jwks: " + rsaJWKS, rs},
		{"jwks as a string of JSON", "RS256", "jwks: " + ptQ(rsaJWKS), rs},
		{"jwks as a single JWK", "RS256", "jwks: " + ptJWK(t, jose.JSONWebKey{Key: rsaKey.Public(), KeyID: "r1"}), rs},
		{"jwks block mapping", "RS256", "jwks:\n          keys:\n            - {kty: RSA, kid: r1, e: AQAB, n: " + ptModulus(rsaJWKS) + "}", rs},
		{"jwks_file", "RS256", "jwks_file: keys.json", rs},
		{"pem_file", "ES256", "pem_file: ec.pem", es},
		{"pem", "ES256", "pem: " + ptQ(fs["ec.pem"]), es},
		{"pem block scalar", "ES256", "pem: |\n" + ptIndent(fs["ec.pem"], "          "), es},
		{"secret", "HS256", "secret: " + ptQ(hsSecret), hs},
		{"secret_file with a newline", "HS256", "secret_file: secret.txt", hs},
		{"secret_file with CRLF", "HS256", "secret_file: secret-crlf", hs},
		{"secret_file without a newline", "HS256", "secret_file: secret-nonl", hs},
		{"secret_file with two newlines", "HS256", "secret_file: secret-twonl", hs},
		{"secret_env", "HS256", "secret_env: JWT_SECRET", hs},
	} {
		t.Run(c.name, func(t *testing.T) {
			doc := ptWithKeys(c.algs, "      - "+c.key+"\n")
			v := ptVerifierFor(t, doc, opts)
			ptValid(t, v, c.token)
			// Another key of the same kind does not verify.
			require.False(t, verifyAt(v, sign(t, jose.HS256, []byte(hsSecret+"x"), "", claims(ptIss, nil), nil), testNow).Valid)
		})
	}
	// A secret file's spaces are part of the secret: only line ends are trimmed.
	v := ptVerifierFor(t, ptWithKeys("HS256", "      - secret_file: secret-spaces\n"), opts)
	require.False(t, verifyAt(v, hs, testNow).Valid)
	ptValid(t, v, ptHS(t, " "+hsSecret+" ", nil))

	// jwks_url is recorded for the host to fetch, in file order.
	doc := `integrations:
  - name: a
    issuer: https://a.example
    algorithms: [RS256]
    keys:
      - jwks_url: https://a.example/.well-known/jwks.json
      - jwks_url: http://internal.example/keys
  - name: b
    issuer: https://b.example
    algorithms: [HS256]
    keys: [{secret: ` + ptQ(hsSecret) + `}]
  - name: c
    issuer: ` + ptIss + `
    algorithms: [RS256]
    keys: [{jwks_url: "https://c.example/keys"}]
`
	p, err := ParsePolicy(ptFile, []byte(doc), LoadOptions{})
	require.NoError(t, err)
	require.Equal(t, []string{"https://a.example/.well-known/jwks.json", "http://internal.example/keys", "https://c.example/keys"}, p.JWKSURLs())
	v, err = NewVerifier(p, Config{})
	require.NoError(t, err)
	d := verifyAt(v, rs, testNow)
	require.Equal(t, CodeKeysUnavailable, d.Code, d.Reason)
	set, err := ParseKeySet([]byte(rsaJWKS))
	require.NoError(t, err)
	v, err = NewVerifier(p, Config{Keys: ptKeySource{sets: map[string]*KeySet{"https://c.example/keys": set}}})
	require.NoError(t, err)
	ptValid(t, v, rs)

	ptRunErrs(t, []ptErr{
		{name: "jwks_url not http", integration: "app", field: "keys[0].jwks_url", doc: ptWithKeys("RS256", "      - jwks_url: file:///etc/keys\n"), reason: "want an http(s) URL"},
		{name: "jwks_url with kid", integration: "app", field: "keys[0].jwks_url", doc: ptWithKeys("RS256", "      - jwks_url: https://x.example/k\n        kid: a\n"), reason: "remove them"},
		{name: "jwks_url with algorithm", integration: "app", field: "keys[0].jwks_url", doc: ptWithKeys("RS256", "      - jwks_url: https://x.example/k\n        algorithm: RS256\n"), reason: "remove them"},
		{name: "missing file", opts: opts, integration: "app", field: "keys[0].pem_file", doc: ptWithKeys("ES256", "      - pem_file: nope.pem\n"), reason: "open nope.pem: no such file"},
		{name: "bad jwks_file", opts: opts, integration: "app", field: "keys[0].jwks_file", doc: ptWithKeys("RS256", "      - jwks_file: not-a-key.json\n"), reason: "not a JSON object"},
		{name: "secret_env unset", opts: opts, integration: "app", field: "keys[0].secret_env", doc: ptWithKeys("HS256", "      - secret_env: NOT_SET\n"), reason: "environment variable NOT_SET is not set"},
		{name: "secret_env empty", opts: opts, integration: "app", field: "keys[0].secret_env", doc: ptWithKeys("HS256", "      - secret_env: EMPTY\n"), reason: "is not set"},
	})
}

func TestParsePolicyKeySourcesNeedIO(t *testing.T) {
	files := "files cannot be read here"
	envs := "the environment cannot be read here"
	ptRunErrs(t, []ptErr{
		{name: "jwks_file", integration: "app", field: "keys[0].jwks_file", doc: ptWithKeys("RS256", "      - jwks_file: keys.json\n"), reason: files},
		{name: "pem_file", integration: "app", field: "keys[0].pem_file", doc: ptWithKeys("RS256", "      - pem_file: key.pem\n"), reason: files},
		{name: "secret_file", integration: "app", field: "keys[0].secret_file", doc: ptWithKeys("HS256", "      - secret_file: secret\n"), reason: files},
		{name: "secret_env", integration: "app", field: "keys[0].secret_env", doc: ptWithKeys("HS256", "      - secret_env: SECRET\n"), reason: envs},
		{name: "decryption pem_file", integration: "app", field: "decryption_keys[0].pem_file", doc: ptMinimal("    decryption_keys: [{pem_file: k.pem}]\n"), reason: files},
		{name: "decryption secret_env", integration: "app", field: "decryption_keys[0].secret_env", doc: ptMinimal("    decryption_keys: [{secret_env: K}]\n"), reason: envs},
		// ReadFile set but LookupEnv nil, and the other way round.
		{name: "env without LookupEnv", opts: LoadOptions{ReadFile: ptFS{}.read}, integration: "app", field: "keys[0].secret_env", doc: ptWithKeys("HS256", "      - secret_env: SECRET\n"), reason: envs},
		{name: "file without ReadFile", opts: LoadOptions{LookupEnv: func(string) (string, bool) { return "x", true }}, integration: "app", field: "keys[0].secret_file", doc: ptWithKeys("HS256", "      - secret_file: s\n"), reason: files},
	})
}

func TestParsePolicyKeySourceCount(t *testing.T) {
	ptRunErrs(t, []ptErr{
		{name: "pem and secret", integration: "app", field: "keys[0]", doc: ptWithKeys("HS256", "      - secret: "+ptQ(hsSecret)+"\n        pem: x\n"), reason: "(found [pem secret])"},
		{name: "jwks and jwks_url", integration: "app", field: "keys[1]", doc: ptWithKeys("HS256", "      - secret: "+ptQ(hsSecret)+"\n      - jwks: {keys: []}\n        jwks_url: https://x.example/\n"), reason: "(found [jwks jwks_url])"},
		{name: "secret_file and secret_env", integration: "app", field: "keys[0]", doc: ptWithKeys("HS256", "      - secret_file: a\n        secret_env: B\n"), reason: "(found [secret_file secret_env])"},
		{name: "none", integration: "app", field: "keys[0]", doc: ptWithKeys("HS256", "      - kid: lonely\n"), reason: "give exactly one of jwks, jwks_file, jwks_url, pem_file, pem, secret, secret_file, secret_env, discovery (found [])"},
		{name: "empty entry", integration: "app", field: "keys[0]", doc: ptWithKeys("HS256", "      - {}\n"), reason: "(found [])"},
		{name: "decryption key", integration: "app", field: "decryption_keys[0]", doc: ptMinimal("    decryption_keys:\n      - secret: " + ptQ(strings.Repeat("k", 32)) + "\n        pem: x\n"), reason: "(found [pem secret])"},
	})
}

// --- durations, claims, redirects, headers, requirements -------------------

func TestParsePolicyDurations(t *testing.T) {
	v := ptVerifierFor(t, ptMinimal("    clock_skew: 30s\n    max_age: 5m\n"), LoadOptions{})
	at := func(exp, iat time.Duration) *Decision {
		return verifyAt(v, ptHS(t, hsSecret, map[string]any{"exp": testNow.Add(exp).Unix(), "iat": testNow.Add(iat).Unix()}), testNow)
	}
	require.True(t, at(-29*time.Second, -time.Minute).Valid, "within the 30s skew")
	require.Equal(t, CodeTokenExpired, at(-31*time.Second, -time.Minute).Code, "beyond the 30s skew")
	require.True(t, at(time.Hour, -5*time.Minute).Valid, "5m old, within max_age")
	require.Equal(t, CodeTokenExpired, at(time.Hour, -5*time.Minute-31*time.Second).Code, "older than max_age plus skew")
	require.True(t, at(time.Hour, 29*time.Second).Valid, "iat within the skew")
	require.Equal(t, CodeTokenNotYetValid, at(time.Hour, 31*time.Second).Code, "iat beyond the skew")
	// The default skew is 60s.
	v = ptVerifierFor(t, ptMinimal(""), LoadOptions{})
	require.True(t, verifyAt(v, ptHS(t, hsSecret, map[string]any{"exp": testNow.Add(-59 * time.Second).Unix()}), testNow).Valid)
	require.False(t, verifyAt(v, ptHS(t, hsSecret, map[string]any{"exp": testNow.Add(-61 * time.Second).Unix()}), testNow).Valid)
	// Zero skew is allowed.
	v = ptVerifierFor(t, ptMinimal("    clock_skew: 0s\n"), LoadOptions{})
	require.False(t, verifyAt(v, ptHS(t, hsSecret, map[string]any{"exp": testNow.Add(-time.Second).Unix()}), testNow).Valid)
	// Quoted and JSON forms.
	_, err := ParsePolicy(ptFile, []byte(ptMinimal("    clock_skew: \"1m30s\"\n    max_age: '1h'\n")), LoadOptions{})
	require.NoError(t, err)

	ptRunErrs(t, []ptErr{
		{name: "bare number", integration: "app", field: "clock_skew", doc: ptMinimal("    clock_skew: 30\n"), reason: `want a duration such as "30s" or "5m", found the number 30`},
		{name: "bare float", integration: "app", field: "max_age", doc: ptMinimal("    max_age: 1.5\n"), reason: "want a duration"},
		{name: "quoted number", integration: "app", field: "clock_skew", doc: ptMinimal("    clock_skew: \"30\"\n"), reason: "missing unit"},
		{name: "list", integration: "app", field: "clock_skew", doc: ptMinimal("    clock_skew: [30s]\n"), reason: "want a duration such as \"30s\" or \"5m\", found a list"},
		{name: "overflow", integration: "app", field: "max_age", doc: ptMinimal("    max_age: 9999999999h\n"), reason: "invalid duration"},
		{name: "negative skew", integration: "app", field: "clock_skew", doc: ptMinimal("    clock_skew: -1s\n"), reason: "want between 0s and 10m0s, found -1s"},
		{name: "skew too large", integration: "app", field: "clock_skew", doc: ptMinimal("    clock_skew: 10m1s\n"), reason: "want between 0s and 10m0s, found 10m1s"},
		{name: "negative max_age", integration: "app", field: "max_age", doc: ptMinimal("    max_age: -5m\n"), reason: "want a positive duration"},
		{name: "zero max_age", integration: "app", field: "max_age", doc: ptMinimal("    max_age: 0s\n"), reason: "want a positive duration"},
		{name: "json number", integration: "app", field: "clock_skew", doc: `{"integrations": [{"name": "app", "issuer": "x", "algorithms": ["HS256"], "keys": [{"secret": ` + ptQ(hsSecret) + `}], "clock_skew": 30}]}`, reason: "want a duration"},
	})
	// null is YAML's "absent": the default applies.
	_, err = ParsePolicy(ptFile, []byte(ptMinimal("    max_age: null\n    clock_skew: ~\n")), LoadOptions{})
	require.NoError(t, err)
	// The largest skew loads.
	_, err = ParsePolicy(ptFile, []byte(ptMinimal("    clock_skew: 10m\n")), LoadOptions{})
	require.NoError(t, err)
}

func TestParsePolicyRequiredClaims(t *testing.T) {
	v := ptVerifierFor(t, ptMinimal("    required_claims:\n      - email\n      - {name: age, type: integer}\n      - name: groups\n        type: string_array\n"), LoadOptions{})
	ok := map[string]any{"email": "a@b.c", "age": 42, "groups": []string{"a"}}
	ptValid(t, v, ptHS(t, hsSecret, ok))
	require.Equal(t, CodeRequiredClaimsFailed, verifyAt(v, ptHS(t, hsSecret, ptMerge(ok, map[string]any{"email": nil})), testNow).Code)
	require.Equal(t, CodeRequiredClaimsFailed, verifyAt(v, ptHS(t, hsSecret, ptMerge(ok, map[string]any{"age": 4.5})), testNow).Code)
	require.Equal(t, CodeRequiredClaimsFailed, verifyAt(v, ptHS(t, hsSecret, ptMerge(ok, map[string]any{"age": "42"})), testNow).Code)

	for _, typ := range []string{"string", "number", "integer", "boolean", "array", "object", "string_array"} {
		_, err := ParsePolicy(ptFile, []byte(ptMinimal("    required_claims: [{name: c, type: "+typ+"}]\n")), LoadOptions{})
		require.NoError(t, err, typ)
	}
	ptRunErrs(t, []ptErr{
		{name: "bad type", integration: "app", field: "required_claims[1].type", doc: ptMinimal("    required_claims: [email, {name: age, type: int}]\n"), reason: `found "int"`},
		{name: "type case", integration: "app", field: "required_claims[0].type", doc: ptMinimal("    required_claims: [{name: age, type: String}]\n"), reason: `found "String"`},
		{name: "empty name", integration: "app", field: "required_claims[0]", doc: ptMinimal("    required_claims: [\"\"]\n"), reason: "empty claim name"},
		{name: "object without name", integration: "app", field: "required_claims[0]", doc: ptMinimal("    required_claims: [{type: string}]\n"), reason: "empty claim name"},
		{name: "list entry", integration: "app", field: "required_claims[0]", doc: ptMinimal("    required_claims: [[email]]\n"), reason: "want a claim name or {name: NAME, type: TYPE}, found a list"},
	})
}

func TestParsePolicyRedirect(t *testing.T) {
	v := ptVerifierFor(t, ptMinimal("    redirect: {allowed_domains: [app.example.com, \"*.example.org\", \"127.0.0.1\", \"[::1]\"]}\n"), LoadOptions{})
	d := verifyAt(v, ptHS(t, hsSecret, map[string]any{"redirect_url": "https://a.b.example.org/x"}), testNow)
	require.True(t, d.Valid, d.Reason)
	require.Equal(t, "https://a.b.example.org/x", d.Redirect)
	d = verifyAt(v, ptHS(t, hsSecret, map[string]any{"redirect_url": "https://example.org/x"}), testNow)
	require.True(t, d.Valid)
	require.Empty(t, d.Redirect, "the wildcard does not cover the bare domain")
	// Without a port in the entry only the scheme's default port is allowed;
	// an entry with one pins it.
	d = verifyAt(v, ptHS(t, hsSecret, map[string]any{"redirect_url": "https://app.example.com:8443/x"}), testNow)
	require.True(t, d.Valid)
	require.Empty(t, d.Redirect, "another port than 443")
	v = ptVerifierFor(t, ptMinimal("    redirect: {allowed_domains: [\"app.example.com:8443\"]}\n"), LoadOptions{})
	d = verifyAt(v, ptHS(t, hsSecret, map[string]any{"redirect_url": "https://app.example.com:8443/x"}), testNow)
	require.True(t, d.Valid)
	require.Equal(t, "https://app.example.com:8443/x", d.Redirect)

	bad := func(name, domain, reason string) ptErr {
		return ptErr{name: name, integration: "app", field: "redirect.allowed_domains[1]", doc: ptMinimal("    redirect:\n      allowed_domains: [ok.example.com, " + ptQ(domain) + "]\n"), reason: reason}
	}
	ptRunErrs(t, []ptErr{
		bad("scheme", "https://app.example.com", "must not include a scheme"),
		bad("path", "app.example.com/x", "must not include a path"),
		bad("port", "app.example.com:0", "invalid port"),
		bad("userinfo", "user@app.example.com", "must not include userinfo"),
		bad("bare star", "*", `a bare "*" is not allowed`),
		bad("star TLD", "*.com", "at least two labels"),
		bad("inner star", "a.*.example.com", `"*" is only allowed as a leading "*." label`),
		bad("trailing dot", "example.com.", "must not end with a dot"),
		bad("empty", "", "is empty"),
		bad("space", "exa mple.com", "whitespace"),
		bad("non-ASCII", "exämple.com", "punycode"),
		bad("IPv6 without brackets", "::1", "in brackets"),
		bad("odd IPv4", "127.1", "canonical dotted-decimal"),
		bad("wildcard IP", "*.1.2.3.4", "wildcard must not be applied to an IP address"),
		{name: "default off-list", integration: "app", field: "redirect.default", doc: ptMinimal("    redirect: {allowed_domains: [app.example.com], default: \"https://evil.example/\"}\n"), reason: "evil.example"},
		{name: "default http", integration: "app", field: "redirect.default", doc: ptMinimal("    redirect: {allowed_domains: [app.example.com], default: \"http://app.example.com/\"}\n"), reason: "http"},
		{name: "default protocol-relative", integration: "app", field: "redirect.default", doc: ptMinimal("    redirect: {default: \"//evil.example/\"}\n"), reason: ""},
	})
	// http is allowed for the default only with allow_http.
	_, err := ParsePolicy(ptFile, []byte(ptMinimal("    redirect: {allowed_domains: [app.example.com], default: \"http://app.example.com/\", allow_http: true}\n")), LoadOptions{})
	require.NoError(t, err)
	_, err = ParsePolicy(ptFile, []byte(ptMinimal("    redirect: {default: /home}\n")), LoadOptions{})
	require.NoError(t, err)
}

func TestParsePolicyHeaders(t *testing.T) {
	v := ptVerifierFor(t, ptMinimal("    headers: {X-User: sub, X-Tenant-Id: tenant, x-lower: sub}\n"), LoadOptions{})
	d := verifyAt(v, ptHS(t, hsSecret, map[string]any{"tenant": "t"}), testNow)
	require.True(t, d.Valid)
	require.Equal(t, map[string]string{"X-User": "user-123", "X-Tenant-Id": "t", "x-lower": "user-123"}, d.Headers)
	for _, h := range []string{"X User", "X_User", "X:User", "X-Üser", "", strings.Repeat("X", 65), "X\nY"} {
		t.Run(fmt.Sprintf("%q", h), func(t *testing.T) {
			ptCheckErr(t, ptErr{integration: "app", field: "headers", doc: ptMinimal("    headers: {" + ptQ(h) + ": sub}\n"), reason: fmt.Sprintf("%q is not a valid header name", h)})
		})
	}
	ptCheckErr(t, ptErr{integration: "app", field: "headers.X-User", doc: ptMinimal("    headers: {X-User: \"\"}\n"), reason: "empty claim name"})
	_, err := ParsePolicy(ptFile, []byte(ptMinimal("    headers: {"+strings.Repeat("X", 64)+": sub}\n")), LoadOptions{})
	require.NoError(t, err)
}

func TestParsePolicyRequirements(t *testing.T) {
	v := ptVerifierFor(t, ptMinimal("    require_permissions: [\"reports:read\", \"users:write:team\"]\n    require_roles: {all: [staff], any: [admin, editor]}\n"), LoadOptions{})
	good := map[string]any{"permissions": []string{"reports:*", "users:write:tenant"}, "roles": []string{"staff", "editor"}}
	ptValid(t, v, ptHS(t, hsSecret, good))
	require.Equal(t, CodePermissionDenied, verifyAt(v, ptHS(t, hsSecret, ptMerge(good, map[string]any{"permissions": []string{"reports:read"}})), testNow).Code)
	require.Equal(t, CodePermissionDenied, verifyAt(v, ptHS(t, hsSecret, ptMerge(good, map[string]any{"roles": []string{"editor"}})), testNow).Code)
	require.Equal(t, CodePermissionDenied, verifyAt(v, ptHS(t, hsSecret, ptMerge(good, map[string]any{"roles": []string{"staff"}})), testNow).Code)

	perm := func(p string) string { return ptMinimal("    require_permissions: [\"users:read\", " + ptQ(p) + "]\n") }
	ptRunErrs(t, []ptErr{
		{name: "no action", integration: "app", field: "require_permissions[1]", doc: perm("users"), reason: "missing action"},
		{name: "wildcard", integration: "app", field: "require_permissions[1]", doc: perm("users:*"), reason: `permission "users:*"`},
		{name: "empty", integration: "app", field: "require_permissions[1]", doc: perm(""), reason: "empty"},
		{name: "unknown scope", integration: "app", field: "require_permissions[1]", doc: perm("users:read:planet"), reason: `unknown scope "planet"`},
		{name: "too many segments", integration: "app", field: "require_permissions[1]", doc: perm("a:b:own:t:x"), reason: "too many segments"},
		{name: "empty roles", integration: "app", field: "require_roles", doc: ptMinimal("    require_roles: {}\n"), reason: `give "any" or "all"`},
		{name: "empty groups lists", integration: "app", field: "require_groups", doc: ptMinimal("    require_groups: {any: [], all: []}\n"), reason: `give "any" or "all"`},
		{name: "claim name spaces", integration: "app", field: "roles_claim", doc: ptMinimal("    roles_claim: \" roles\"\n"), reason: "surrounding spaces"},
		{name: "max_token_bytes too small", integration: "app", field: "max_token_bytes", doc: ptMinimal("    max_token_bytes: 63\n"), reason: "want between 64 and"},
		{name: "max_token_bytes too large", integration: "app", field: "max_token_bytes", doc: ptMinimal(fmt.Sprintf("    max_token_bytes: %d\n", MaxTokenBytesLimit+1)), reason: "want between 64 and"},
	})
}

// --- decryption keys and encryption settings -------------------------------

func TestParsePolicyDecryptionKeys(t *testing.T) {
	ptKeys(t)
	inner := ptHS(t, hsSecret, nil)
	secret32 := strings.Repeat("k", 32)
	pkcs1 := string(pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(rsaKey2)}))
	ecDER, err := x509.MarshalECPrivateKey(ptECDH)
	require.NoError(t, err)
	sec1 := string(pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: ecDER}))
	// A standard JWKS: each oct key's own alg binds it (RFC 7517 4.4), so
	// 32-byte secrets need no algorithm in the policy.
	wrapKey, directKey := []byte(strings.Repeat("w", 32)), []byte(strings.Repeat("d", 32))
	twoOct, err := json.Marshal(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{
		{Key: wrapKey, KeyID: "wrap", Algorithm: "A256KW", Use: "enc"},
		{Key: directKey, KeyID: "direct", Algorithm: "A256GCM", Use: "enc"},
	}})
	require.NoError(t, err)
	for _, c := range []struct {
		name, keys, encryption string
		alg                    jose.KeyAlgorithm
		enc                    jose.ContentEncryption
		key                    any
	}{
		{"RSA private PEM (PKCS#8), RSA-OAEP-256", "pem: " + ptQ(ptPrivatePEM(t, rsaKey2)), "", jose.RSA_OAEP_256, jose.A256GCM, rsaKey2.Public()},
		{"RSA private PEM (PKCS#8), RSA-OAEP", "pem: " + ptQ(ptPrivatePEM(t, rsaKey2)), "", jose.RSA_OAEP, jose.A128CBC_HS256, rsaKey2.Public()},
		{"RSA private PEM (PKCS#1)", "pem: " + ptQ(pkcs1), "", jose.RSA_OAEP_256, jose.A128GCM, rsaKey2.Public()},
		{"EC private JWK, ECDH-ES+A256KW", "jwks: " + ptJWK(t, jose.JSONWebKey{Key: ptECDH, KeyID: "ec", Use: "enc"}), "", jose.ECDH_ES_A256KW, jose.A256GCM, ptECDH.Public()},
		{"EC private JWK, ECDH-ES", "jwks: " + ptJWK(t, jose.JSONWebKey{Key: ptECDH}), "", jose.ECDH_ES, jose.A256GCM, ptECDH.Public()},
		{"EC private PEM (SEC 1)", "pem: " + ptQ(sec1), "", jose.ECDH_ES_A128KW, jose.A192GCM, ptECDH.Public()},
		{"32-byte secret as A256KW", "secret: " + ptQ(secret32), "    encryption: {key_algorithms: [A256KW]}\n", jose.A256KW, jose.A256GCM, []byte(secret32)},
		{"32-byte secret with algorithm A256KW", "secret: " + ptQ(secret32) + "\n        algorithm: A256KW", "", jose.A256KW, jose.A128CBC_HS256, []byte(secret32)},
		{"32-byte secret with algorithm dir", "secret: " + ptQ(secret32) + "\n        algorithm: dir", "", jose.DIRECT, jose.A256GCM, []byte(secret32)},
		{"oct JWK with alg A128KW", "jwks: " + ptJWK(t, jose.JSONWebKey{Key: []byte(secret32[:16]), Algorithm: "A128KW"}), "", jose.A128KW, jose.A128GCM, []byte(secret32[:16])},
		{"JWKS of oct keys bound by their alg: A256KW", "jwks: " + ptQ(string(twoOct)), "", jose.A256KW, jose.A256GCM, wrapKey},
		{"JWKS of oct keys bound by their alg: direct", "jwks: " + ptQ(string(twoOct)), "", jose.DIRECT, jose.A256GCM, directKey},
		{"PBES2 password", "secret: " + ptQ("correct horse battery staple"), "    encryption: {allow_pbes2: true, key_algorithms: [PBES2-HS256+A128KW]}\n", jose.PBES2_HS256_A128KW, jose.A128GCM, []byte("correct horse battery staple")},
	} {
		t.Run(c.name, func(t *testing.T) {
			doc := ptMinimal("    decryption_keys:\n      - " + c.keys + "\n" + c.encryption)
			v := ptVerifierFor(t, doc, LoadOptions{})
			tok := ptEncrypt(t, c.alg, c.enc, c.key, inner)
			if c.alg == jose.PBES2_HS256_A128KW {
				tok = jwttest.EncryptJOSE(t, c.alg, c.enc, c.key, []byte(inner), (&jose.EncrypterOptions{}).WithContentType("JWT"), 10_000)
			}
			ptValid(t, v, tok)
		})
	}

	ptRunErrs(t, []ptErr{
		{name: "secret both A256KW and dir", integration: "app", field: "decryption_keys[0].secret", doc: ptMinimal("    decryption_keys: [{secret: " + ptQ(secret32) + "}]\n"), reason: "would be usable by two key-management families ([A256KW dir])"},
		{name: "secret both, key_algorithms lists both", integration: "app", field: "decryption_keys[0].secret", doc: ptMinimal("    decryption_keys: [{secret: " + ptQ(secret32) + "}]\n    encryption: {key_algorithms: [A256KW, dir]}\n"), reason: "two key-management families"},
		{name: "16-byte secret both A128KW and dir", integration: "app", field: "decryption_keys[0].secret", doc: ptMinimal("    decryption_keys: [{secret: " + ptQ(secret32[:16]) + "}]\n"), reason: "two key-management families ([A128KW dir])"},
		{name: "JWK alg against the policy's algorithm", integration: "app", field: "decryption_keys[0].jwks", doc: ptMinimal("    decryption_keys: [{jwks: " + ptQ(string(twoOct)) + ", algorithm: dir}]\n"), reason: `key "wrap" says alg "A256KW", but the policy sets algorithm "dir"`},
		{name: "secret of no key size", integration: "app", field: "decryption_keys[0].secret", doc: ptMinimal("    decryption_keys: [{secret: " + ptQ(secret32[:20]) + "}]\n"), reason: "20-byte secret fits none of the allowed key algorithms"},
		{name: "PBES2 without allow_pbes2", integration: "app", field: "encryption.key_algorithms[0]", doc: ptMinimal("    decryption_keys: [{secret: " + ptQ(secret32) + "}]\n    encryption: {key_algorithms: [PBES2-HS256+A128KW]}\n"), reason: "PBES2 needs allow_pbes2"},
		{name: "PBES2 algorithm on a key without allow_pbes2", integration: "app", field: "decryption_keys[0].secret", doc: ptMinimal("    decryption_keys: [{secret: " + ptQ(secret32) + ", algorithm: PBES2-HS256+A128KW}]\n"), reason: "fits none"},
		{name: "RSA1_5", integration: "app", field: "encryption.key_algorithms[1]", doc: ptMinimal("    decryption_keys: [{pem: " + ptQ(ptPrivatePEM(t, rsaKey2)) + "}]\n    encryption: {key_algorithms: [RSA-OAEP, RSA1_5]}\n"), reason: `"RSA1_5" is not an accepted key algorithm`},
		{name: "RSA1_5 on a key", integration: "app", field: "decryption_keys[0].pem", doc: ptMinimal("    decryption_keys: [{pem: " + ptQ(ptPrivatePEM(t, rsaKey2)) + ", algorithm: RSA1_5}]\n"), reason: `key algorithm "RSA1_5" is not supported`},
		{name: "RSA1_5 JWK", integration: "app", field: "decryption_keys[0].jwks", doc: ptMinimal("    decryption_keys: [{jwks: " + ptJWK(t, jose.JSONWebKey{Key: rsaKey2, Algorithm: "RSA1_5"}) + "}]\n"), reason: `key algorithm "RSA1_5" is not supported`},
		{name: "unknown content algorithm", integration: "app", field: "encryption.content_algorithms[0]", doc: ptMinimal("    decryption_keys: [{pem: " + ptQ(ptPrivatePEM(t, rsaKey2)) + "}]\n    encryption: {content_algorithms: [A512GCM]}\n"), reason: "not a supported content encryption"},
		{name: "public key to decrypt", integration: "app", field: "decryption_keys[0].pem", doc: ptMinimal("    decryption_keys: [{pem: " + ptQ(ptPublicPEM(t, rsaKey2.Public())) + "}]\n"), reason: "unsupported PEM block"},
		{name: "EC public JWK to decrypt", integration: "app", field: "decryption_keys[0].jwks", doc: ptMinimal("    decryption_keys: [{jwks: " + ptJWK(t, jose.JSONWebKey{Key: ptECDH.Public()}) + "}]\n"), reason: "cannot decrypt"},
		{name: "Ed25519 to decrypt", integration: "app", field: "decryption_keys[0].pem", doc: ptMinimal("    decryption_keys: [{pem: " + ptQ(ptPrivatePEM(t, edKey)) + "}]\n"), reason: "cannot decrypt"},
		{name: "jwks_url", integration: "app", field: "decryption_keys[0].jwks_url", doc: ptMinimal("    decryption_keys: [{jwks_url: \"https://x.example/k\"}]\n"), reason: "cannot be fetched from a URL"},
		{name: "settings without keys", integration: "app", field: "encryption", doc: ptMinimal("    encryption: {allow_unsigned: true}\n"), reason: "without decryption_keys"},
		{name: "key_algorithms without keys", integration: "app", field: "encryption", doc: ptMinimal("    encryption: {key_algorithms: [A256KW]}\n"), reason: "without decryption_keys"},
		{name: "max_pbes2_count without allow", integration: "app", field: "encryption.max_pbes2_count", doc: ptMinimal("    decryption_keys: [{secret: " + ptQ(secret32) + ", algorithm: A256KW}]\n    encryption: {max_pbes2_count: 5000}\n"), reason: "only together with allow_pbes2"},
		{name: "max_pbes2_count too large", integration: "app", field: "encryption.max_pbes2_count", doc: ptMinimal("    decryption_keys: [{secret: " + ptQ(secret32) + "}]\n    encryption: {allow_pbes2: true, key_algorithms: [PBES2-HS256+A128KW], max_pbes2_count: 1000001}\n"), reason: "want between 1000 and 1000000"},
		{name: "max_plaintext_bytes too small", integration: "app", field: "encryption.max_plaintext_bytes", doc: ptMinimal("    decryption_keys: [{secret: " + ptQ(secret32) + ", algorithm: dir}]\n    encryption: {max_plaintext_bytes: 255}\n"), reason: "want between 256 and"},
	})

	// A key restricted by key_algorithms refuses the other algorithms.
	v := ptVerifierFor(t, ptMinimal("    decryption_keys: [{pem: "+ptQ(ptPrivatePEM(t, rsaKey2))+"}]\n    encryption: {key_algorithms: [RSA-OAEP-256], content_algorithms: [A256GCM]}\n"), LoadOptions{})
	ptValid(t, v, ptEncrypt(t, jose.RSA_OAEP_256, jose.A256GCM, rsaKey2.Public(), inner))
	require.False(t, verifyAt(v, ptEncrypt(t, jose.RSA_OAEP, jose.A256GCM, rsaKey2.Public(), inner), testNow).Valid)
	require.False(t, verifyAt(v, ptEncrypt(t, jose.RSA_OAEP_256, jose.A128GCM, rsaKey2.Public(), inner), testNow).Valid)
}

func ptModulus(jwks string) string {
	var set struct {
		Keys []struct {
			N string `json:"n"`
		} `json:"keys"`
	}
	if err := json.Unmarshal([]byte(jwks), &set); err != nil || len(set.Keys) == 0 {
		panic("rsaModulus: " + jwks)
	}
	return set.Keys[0].N
}

func ptIndent(s, prefix string) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	for i, l := range lines {
		lines[i] = prefix + l
	}
	return strings.Join(lines, "\n")
}

// Encrypted-only claims are authenticated by the encryption alone, which
// holds only when the decryption key is a shared secret.
func TestPolicyAllowUnsignedNeedsSharedSecret(t *testing.T) {
	_, err := ParsePolicy("p.yaml", []byte(ptMinimal("    decryption_keys:\n      - pem: "+ptQ(ptPrivatePEM(t, rsaKey2))+"\n    encryption: {allow_unsigned: true}\n")), LoadOptions{})
	var pe *PolicyError
	require.ErrorAs(t, err, &pe)
	require.Equal(t, "encryption.allow_unsigned", pe.Field)
	_, err = ParsePolicy("p.yaml", []byte(ptMinimal("    decryption_keys:\n      - secret: "+ptQ(strings.Repeat("k", 32))+"\n        algorithm: A256KW\n    encryption: {allow_unsigned: true}\n")), LoadOptions{})
	require.NoError(t, err)
}

package core

import (
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// peMessages parses doc and returns every message of its refusal, one per
// problem, checking that the error is the documented PolicyErrors list.
func peMessages(t *testing.T, file, doc string) []string {
	t.Helper()
	p, err := ParsePolicy(file, []byte(doc), LoadOptions{})
	require.Error(t, err, "the policy loaded")
	require.Nil(t, p)
	var list PolicyErrors
	require.True(t, errors.As(err, &list), "%T is not PolicyErrors", err)
	var first *PolicyError
	require.True(t, errors.As(err, &first))
	require.Same(t, list[0], first, "errors.As finds the first problem")
	var out []string
	for _, pe := range list {
		out = append(out, pe.Error())
	}
	require.Equal(t, strings.Join(out, "\n"), err.Error(), "one problem per line, the first first")
	return out
}

const peTypo = `integrations:
  - name: acme
    issuer: https://acme.example
    algorithms: [RS256]
    audience: [api]
    keys:
      - jwks_url: https://acme.example/keys
`

// Item 3 of issue 9: one line number, the field's, and a suggestion.
func TestPolicyErrorTypoOneLine(t *testing.T) {
	require.Equal(t, []string{
		`typo.yaml:5: integration "acme": field audience: unknown field in an integration; did you mean audiences?`,
	}, peMessages(t, "typo.yaml", peTypo))
}

// Wrong types are described in the policy's terms: what was expected, what
// was found, never a Go type or a YAML tag.
func TestPolicyErrorWrongTypes(t *testing.T) {
	base := func(field string) string {
		return strings.Replace(peTypo, "    audience: [api]\n", field, 1)
	}
	for _, c := range []struct{ name, doc, want string }{
		{"algorithms a string", strings.Replace(peTypo, "algorithms: [RS256]\n    audience: [api]", "algorithms: RS256", 1),
			`p.yaml:4: integration "acme": field algorithms: want a list of algorithm names, found a string "RS256"`},
		{"keys a mapping", "integrations:\n  - name: acme\n    issuer: https://acme.example\n    algorithms: [RS256]\n    keys: {jwks_url: https://acme.example/keys}\n",
			`p.yaml:5: integration "acme": field keys: want a list of keys, found a mapping`},
		{"integrations a mapping", "integrations: {name: acme}\n",
			`p.yaml:1: field integrations: want a list of integrations, found a mapping`},
		{"max_token_bytes a string", base("    max_token_bytes: lots\n"),
			`p.yaml:5: integration "acme": field max_token_bytes: want a whole number, found a string "lots"`},
		{"max_token_bytes a fraction", base("    max_token_bytes: 8192.5\n"),
			`p.yaml:5: integration "acme": field max_token_bytes: want a whole number, found the number 8192.5`},
		{"one_time_use a list", base("    one_time_use: [true]\n"),
			`p.yaml:5: integration "acme": field one_time_use: want true or false, found a list`},
		{"clock_skew a number", base("    clock_skew: 30\n"),
			`p.yaml:5: integration "acme": field clock_skew: want a duration such as "30s" or "5m", found the number 30`},
		{"headers a list", base("    headers: [X-User]\n"),
			`p.yaml:5: integration "acme": field headers: want a mapping of header names to claim names, found a list`},
		{"a header a list", base("    headers:\n      X-User: [sub]\n"),
			`p.yaml:6: integration "acme": field headers.X-User: want a claim name, found a list`},
		{"required claim a list", base("    required_claims: [[email]]\n"),
			`p.yaml:5: integration "acme": field required_claims[0]: want a claim name or {name: NAME, type: TYPE}, found a list`},
		{"a key a string", "integrations:\n  - name: acme\n    issuer: https://acme.example\n    algorithms: [RS256]\n    keys:\n      - https://acme.example/keys\n",
			`p.yaml:6: integration "acme": field keys[0]: want a key such as {jwks_url: URL}, found a string "https://acme.example/keys"`},
		{"an integration a string", "integrations:\n  - acme\n",
			`p.yaml:2: integration "#1": want an integration (a mapping with name, issuer, algorithms and keys), found a string "acme"`},
		{"require_roles a list", base("    require_roles: [admin]\n"),
			`p.yaml:5: integration "acme": field require_roles: want {any: [...], all: [...]}, found a list`},
	} {
		t.Run(c.name, func(t *testing.T) {
			got := peMessages(t, "p.yaml", c.doc)
			require.Equal(t, []string{c.want}, got)
		})
	}
}

// No message of any refusal names a Go type, a YAML tag or the decoder.
func TestPolicyErrorsSpeakPolicy(t *testing.T) {
	docs := []string{
		"integration: []\n",
		"integrations: {name: acme}\n",
		"integrations: [acme]\n",
		strings.Replace(peTypo, "algorithms: [RS256]", "algorithms: RS256", 1),
		strings.Replace(peTypo, "algorithms: [RS256]", "algorithms: {RS256: true}", 1),
		strings.Replace(peTypo, "audience: [api]", "keys: 1", 1),
		strings.Replace(peTypo, "audience: [api]", "encryption: [x]", 1),
		strings.Replace(peTypo, "audience: [api]", "redirect: yes", 1),
		strings.Replace(peTypo, "audience: [api]", "max_age: {x: 1}", 1),
		strings.Replace(peTypo, "audience: [api]", "headers: {X: {y: z}}", 1),
		strings.Replace(peTypo, "audience: [api]", "require_groups: {any: x}", 1),
		strings.Replace(peTypo, "- jwks_url: https://acme.example/keys", "- {jwks_url: [a]}", 1),
		`{"integrations": [{"name": "acme", "issuer": 1, "algorithms": "RS256", "keys": {}}]}`,
		// Key material the JSON and DER decoders refuse.
		ptWithKeys("RS256", "      - jwks: '{\"keys\": 1}'\n"),
		ptWithKeys("RS256", "      - jwks: {keys: [{kty: RSA, n: 1, e: AQAB}]}\n"),
		ptWithKeys("RS256", "      - jwks: {kty: RSA, n: 1, e: AQAB}\n"),
		ptWithKeys("RS256", "      - jwks: {keys: [{kty: RSA, key_ops: verify, n: abc, e: AQAB}]}\n"),
		ptWithKeys("RS256", "      - jwks: {keys: [{kty: XYZ}]}\n"),
		ptWithKeys("RS256", "      - jwks: [1, 2]\n"),
		ptWithKeys("RS256", "      - pem: \"-----BEGIN PUBLIC KEY-----\\nAAAA\\n-----END PUBLIC KEY-----\\n\"\n"),
		ptMinimal("    decryption_keys: [{pem: \"-----BEGIN PRIVATE KEY-----\\nAAAA\\n-----END PRIVATE KEY-----\\n\"}]\n"),
	}
	for _, doc := range docs {
		_, err := ParsePolicy("p.yaml", []byte(doc), LoadOptions{})
		require.Error(t, err, doc)
		for _, bad := range []string{"!!", "core.", "[]", "unmarshal", " yaml:", "map[", "interface", "Go ", "jose", "asn1", "x509", "Parse"} {
			assert.NotContains(t, err.Error(), bad, doc)
		}
		assert.NotRegexp(t, `line \d+:`, err.Error(), "one line number, in front")
	}
}

// Every strict section refuses an unknown field, names its section and
// suggests the nearest valid name.
func TestPolicyUnknownFieldSuggestions(t *testing.T) {
	in := func(extra string) string { return ptMinimal(extra) }
	for _, c := range []struct{ name, doc, want string }{
		{"top level", "integration:\n  - name: app\n",
			`p.yaml:1: field integration: unknown field at the top level; did you mean integrations?`},
		{"top level, nothing near", ptMinimal("") + "extra: 1\n",
			`p.yaml:7: field extra: unknown field at the top level; the fields are integrations, service and bundle`},
		{"integration", in("    issuer_url: https://x.example\n"),
			`p.yaml:7: integration "app": field issuer_url: unknown field in an integration; did you mean issuer?`},
		{"integration, case", in("    Tenant: t\n"),
			`p.yaml:7: integration "app": field Tenant: unknown field in an integration; did you mean tenant?`},
		{"keys entry", ptWithKeys("HS256", "      - secret: "+ptQ(hsSecret)+"\n        algo: HS256\n"),
			`p.yaml:7: integration "app": field keys[0].algo: unknown field in keys[0]; did you mean algorithm?`},
		{"decryption key entry", in("    decryption_keys:\n      - secret: " + ptQ(strings.Repeat("k", 32)) + "\n        algorithm: A256KW\n        kidd: a\n"),
			`p.yaml:10: integration "app": field decryption_keys[0].kidd: unknown field in decryption_keys[0]; did you mean kid?`},
		{"encryption", in("    encryption: {allow_compresion: true}\n"),
			`p.yaml:7: integration "app": field encryption.allow_compresion: unknown field in encryption; did you mean allow_compression?`},
		{"redirect", in("    redirect: {allowed_domain: [app.example.com]}\n"),
			`p.yaml:7: integration "app": field redirect.allowed_domain: unknown field in redirect; did you mean allowed_domains?`},
		{"require_roles", in("    require_roles: {some: [admin]}\n"),
			`p.yaml:7: integration "app": field require_roles.some: unknown field in require_roles; the fields are any and all`},
		{"require_groups", in("    require_groups: {any: [a], alll: [b]}\n"),
			`p.yaml:7: integration "app": field require_groups.alll: unknown field in require_groups; did you mean all?`},
		{"required claim", in("    required_claims: [{name: email, typ: string}]\n"),
			`p.yaml:7: integration "app": field required_claims[0].typ: unknown field in required_claims[0]; did you mean type?`},
	} {
		t.Run(c.name, func(t *testing.T) {
			require.Equal(t, []string{c.want}, peMessages(t, "p.yaml", c.doc))
		})
	}
}

// Checks after decoding name the line of the field at fault, not the line
// where the integration starts.
func TestPolicyErrorFieldLine(t *testing.T) {
	doc := "integrations:\n  - name: app\n    issuer: " + ptIss + "\n    algorithms: [HS256]\n    keys:\n      - secret: short\n    redirect:\n      allowed_domains: [ok.example.com, \"https://x.example\"]\n"
	require.Equal(t, []string{
		`p.yaml:6: integration "app": field keys[0].secret: HMAC secret is 5 bytes, HS256 needs at least 32`,
		`p.yaml:8: integration "app": field redirect.allowed_domains[1]: allowed domain "https://x.example": must not include a scheme`,
	}, peMessages(t, "p.yaml", doc))
}

// Every problem is reported at once, in file order.
func TestPolicyErrorsAll(t *testing.T) {
	doc := `integrations:
  - name: acme
    issuer: https://acme.example
    algorithms: [RS256, RS257]
    audience: [api]
    keys:
      - jwks_url: ftp://acme.example/keys
  - name: Second
    issuer: https://second.example
    algorithms: [HS256]
    keys: [{secret: short}]
    max_token_bytes: lots
  - name: third
    issuer: https://acme.example
    algorithms: [HS256]
    keys: [{secret: ` + ptQ(hsSecret) + `}]
extra: 1
`
	got := peMessages(t, "p.yaml", doc)
	require.Equal(t, []string{
		`p.yaml:4: integration "acme": field algorithms[1]: "RS257" is not a supported signature algorithm (supported: [HS256 HS384 HS512 RS256 RS384 RS512 PS256 PS384 PS512 ES256 ES384 ES512 EdDSA])`,
		`p.yaml:5: integration "acme": field audience: unknown field in an integration; did you mean audiences?`,
		`p.yaml:7: integration "acme": field keys[0].jwks_url: want an http(s) URL, found "ftp://acme.example/keys"`,
		`p.yaml:8: integration "Second": field name: want 1-63 characters of a-z, 0-9, '_' and '-', starting with a letter or digit, found "Second"`,
		`p.yaml:11: integration "Second": field keys[0].secret: HMAC secret is 5 bytes, HS256 needs at least 32`,
		`p.yaml:12: integration "Second": field max_token_bytes: want a whole number, found a string "lots"`,
		`p.yaml:14: integration "third": field issuer: issuer "https://acme.example" is already used by integration "acme"`,
		`p.yaml:17: field extra: unknown field at the top level; the fields are integrations, service and bundle`,
	}, got)
}

// The number of problems reported is bounded.
func TestPolicyErrorsBounded(t *testing.T) {
	var b strings.Builder
	b.WriteString("integrations:\n")
	for i := 0; i < 300; i++ {
		b.WriteString("  - name: a\n    bogus: 1\n")
	}
	got := peMessages(t, "p.yaml", b.String())
	require.Len(t, got, maxPolicyProblems+1)
	require.Equal(t, "p.yaml: more problems not shown; fix these and load the policy again", got[maxPolicyProblems])
}

// Item 4 of issue 9: syntax errors at the line and column of the problem.
func TestPolicySyntaxErrorPosition(t *testing.T) {
	for _, c := range []struct{ name, file, doc, want string }{
		{"tab in the indentation on line 3", "p.yaml", "integrations:\n  - name: acme\n\tissuer: https://acme.example\n",
			`p.yaml:3:1: YAML syntax: a tab in the indentation; indent with spaces`},
		{"tab on a line of its own", "p.yaml", "integrations:\n  - name: acme\n    issuer: x\n\t\n",
			`p.yaml:4:1: YAML syntax: a tab in the indentation; indent with spaces`},
		{"unclosed [ reports where it was opened", "p.yaml", "integrations:\n  - name: acme\n    algorithms: [RS256, ES256\n    keys: []\n",
			`p.yaml:3:17: YAML syntax: this "[" is not closed: a "," or "]" is missing`},
		{"unclosed [ over several lines", "p.yaml", "integrations:\n  - name: acme\n    algorithms: [\n      RS256,\n      ES256\n    keys: []\n",
			`p.yaml:3:17: YAML syntax: this "[" is not closed: a "," or "]" is missing`},
		{"unclosed {", "p.yaml", "integrations:\n  - {name: acme, issuer: x\n",
			`p.yaml:2:5: YAML syntax: this "{" is not closed: a "," or "}" is missing`},
		{"a colon in a value", "p.yaml", "integrations:\n  - name: acme: corp\n",
			`p.yaml:2:15: YAML syntax: a ":" where a value was expected; quote a value that holds ": "`},
		{"a character that starts nothing", "p.yaml", "integrations:\n  - name: @acme\n",
			"p.yaml:2:11: YAML syntax: \"@\" cannot start a value; quote the value"},
		{"an unterminated quote", "p.yaml", "integrations:\n  - name: 'acme\n    issuer: x\n",
			`p.yaml:2:11: YAML syntax: this quote is not closed`},
		{"bad indentation", "p.yaml", "integrations:\n  - name: acme\n issuer: x\n",
			`p.yaml:3:2: YAML syntax: want a field name here; check the indentation`},
		{"JSON: a stray }", "p.json", `{"integrations": [}`,
			`p.json:1:19: JSON syntax: invalid character '}' looking for beginning of value`},
		{"JSON: a missing comma", "p.json", "{\n  \"integrations\": [\n    {\"name\": \"a\"\n     \"issuer\": \"x\"}\n  ]\n}\n",
			`p.json:4:6: JSON syntax: invalid character '"' after object key:value pair`},
		{"JSON: unclosed [", "p.json", "{\"integrations\": [\n  {\"name\": \"a\"}\n",
			`p.json:1:18: JSON syntax: this "[" is not closed`},
	} {
		t.Run(c.name, func(t *testing.T) {
			got := peMessages(t, c.file, c.doc)
			require.Equal(t, []string{c.want}, got)
			var pe *PolicyError
			_, err := ParsePolicy(c.file, []byte(c.doc), LoadOptions{})
			require.ErrorAs(t, err, &pe)
			require.Positive(t, pe.Line)
			require.Positive(t, pe.Column)
		})
	}
}

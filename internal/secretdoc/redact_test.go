package secretdoc

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// Secrets of the documents below, long enough to be looked for in output.
const (
	hmacSecret = "hmac-secret-0123456789abcdef0123456789"
	kwSecret   = "kw-secret-0123456789ab"
	pemKey     = "-----BEGIN PRIVATE KEY-----\nMIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQg\n-----END PRIVATE KEY-----\n"
	octK       = "c2hhcmVkLXNlY3JldC0wMTIzNDU2Nzg5YWJjZGVmMDEy"
	privD      = "cHJpdmF0ZS1leHBvbmVudC0wMTIzNDU2Nzg5YWJjZGVm"
)

// fp is the fingerprint of a string's bytes, spelled out here rather than
// by fingerprint, so that the test holds the format.
func fp(s string) string {
	sum := sha256.Sum256([]byte(s))
	return "sha256:" + hex.EncodeToString(sum[:])[:16]
}

// placeholderJSON is a placeholder as Redact writes it.
func placeholderJSON(s string) string { return `{"fingerprint":"` + fp(s) + `"}` }

// requireSameJSON fails unless a and b are one JSON value.
func requireSameJSON(t *testing.T, want, got string) {
	t.Helper()
	var w, g any
	require.NoError(t, json.Unmarshal([]byte(want), &w), "want")
	require.NoError(t, json.Unmarshal([]byte(got), &g), "got")
	require.Equal(t, w, g)
}

func TestRedactSecretPlaces(t *testing.T) {
	octSet := `{"keys":[{"kty":"oct","kid":"h","k":"` + octK + `"}]}`
	doc := `{
	  "policy": {
	    "name": "app",
	    "max_token_bytes": 16384.0,
	    "keys": [
	      {"secret": "` + hmacSecret + `", "kid": "a"},
	      {"secret_file": "keys/app.secret", "secret_env": "APP_SECRET"},
	      {"jwks": ` + octSet + `},
	      {"pem": "-----BEGIN PUBLIC KEY-----\nMFkw\n-----END PUBLIC KEY-----\n"}
	    ],
	    "decryption_keys": [
	      {"secret": "` + kwSecret + `", "algorithm": "A128KW"},
	      {"pem": ` + jsonString(pemKey) + `},
	      {"jwks": {"kty": "EC", "crv": "P-256", "x": "xx", "y": "yy", "d": "` + privD + `"}}
	    ]
	  },
	  "service": {"ldap": {"url": "ldaps://dir.example"}, "note": "<&>"}
	}`
	public, secrets, err := Redact([]byte(doc))
	require.NoError(t, err)

	compactSet := compact(t, octSet)
	compactEC := compact(t, `{"kty":"EC","crv":"P-256","x":"xx","y":"yy","d":"`+privD+`"}`)
	require.Equal(t, []Secret{
		{"policy.keys[0].secret", fp(hmacSecret)},
		{"policy.keys[2].jwks", fp(compactSet)},
		{"policy.decryption_keys[0].secret", fp(kwSecret)},
		{"policy.decryption_keys[1].pem", fp(pemKey)},
		{"policy.decryption_keys[2].jwks", fp(compactEC)},
	}, secrets)

	requireSameJSON(t, `{
	  "policy": {
	    "name": "app",
	    "max_token_bytes": 16384.0,
	    "keys": [
	      {"secret": `+placeholderJSON(hmacSecret)+`, "kid": "a"},
	      {"secret_file": "keys/app.secret", "secret_env": "APP_SECRET"},
	      {"jwks": `+placeholderJSON(compactSet)+`},
	      {"pem": "-----BEGIN PUBLIC KEY-----\nMFkw\n-----END PUBLIC KEY-----\n"}
	    ],
	    "decryption_keys": [
	      {"secret": `+placeholderJSON(kwSecret)+`, "algorithm": "A128KW"},
	      {"pem": `+placeholderJSON(pemKey)+`},
	      {"jwks": `+placeholderJSON(compactEC)+`}
	    ]
	  },
	  "service": {"ldap": {"url": "ldaps://dir.example"}, "note": "<&>"}
	}`, string(public))

	for _, s := range []string{hmacSecret, kwSecret, "MIGHAgEA", octK, privD} {
		require.NotContains(t, string(public), s)
	}
	// Numbers as written, and no HTML escapes.
	require.Contains(t, string(public), `16384.0`)
	require.Contains(t, string(public), `"<&>"`)
}

func jsonString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// compact is doc as encode writes it: compact, members in name order.
func compact(t *testing.T, doc string) string {
	t.Helper()
	v, ok := decode([]byte(doc))
	require.True(t, ok)
	b, err := encode(v)
	require.NoError(t, err)
	return string(b)
}

// A verification key's jwks is a secret only when it holds a shared or a
// private key, in each of the forms the loader takes.
func TestRedactVerificationJWKS(t *testing.T) {
	public := `{"kty":"EC","crv":"P-256","x":"xx","y":"yy"}`
	for name, c := range map[string]struct {
		jwks   string
		secret bool
	}{
		"public set":            {`{"keys":[` + public + `]}`, false},
		"public single":         {public, false},
		"public string":         {jsonString(`{"keys":[` + public + `]}`), false},
		"public single string":  {jsonString(public), false},
		"oct set":               {`{"keys":[` + public + `,{"kty":"oct","k":"` + octK + `"}]}`, true},
		"oct single":            {`{"kty":"oct","k":"` + octK + `"}`, true},
		"oct string":            {jsonString(`{"keys":[{"kty":"oct","k":"` + octK + `"}]}`), true},
		"oct single string":     {jsonString(`{"kty":"oct","k":"` + octK + `"}`), true},
		"private d":             {`{"keys":[{"kty":"OKP","crv":"Ed25519","x":"xx","d":"` + privD + `"}]}`, true},
		"private p only":        {`{"kty":"RSA","n":"nn","e":"AQAB","p":"pp"}`, true},
		"private qi in string":  {jsonString(`{"kty":"RSA","n":"nn","e":"AQAB","qi":"qq"}`), true},
		"unparseable string":    {jsonString(`{"keys":[{"kty":"oct","k":"` + octK + `"`), true},
		"empty set":             {`{"keys":[]}`, false},
		"set of a number":       {`{"keys":[1]}`, false},
		"private name as value": {`{"kty":"EC","crv":"d","x":"k"}`, false},
	} {
		t.Run(name, func(t *testing.T) {
			doc := `{"policy":{"keys":[{"jwks":` + c.jwks + `}]}}`
			out, secrets, err := Redact([]byte(doc))
			require.NoError(t, err)
			has, err := HasSecrets([]byte(doc))
			require.NoError(t, err)
			require.Equal(t, c.secret, has)
			if !c.secret {
				require.Empty(t, secrets)
				requireSameJSON(t, doc, string(out))
				return
			}
			require.Len(t, secrets, 1)
			require.Equal(t, "policy.keys[0].jwks", secrets[0].Path)
			var v any
			require.NoError(t, json.Unmarshal([]byte(c.jwks), &v))
			if s, ok := v.(string); ok {
				// The string form's fingerprint is over the string's bytes.
				require.Equal(t, fp(s), secrets[0].Fingerprint)
			} else {
				require.Equal(t, fp(compact(t, c.jwks)), secrets[0].Fingerprint)
			}
			requireSameJSON(t, `{"policy":{"keys":[{"jwks":{"fingerprint":"`+secrets[0].Fingerprint+`"}}]}}`, string(out))
			require.NotContains(t, string(out), octK)
		})
	}
}

// A secret of another type than a string is still a secret: its
// fingerprint is over its compact JSON. Null is nothing to hide.
func TestRedactOtherValueTypes(t *testing.T) {
	doc := `{"policy":{"keys":[{"secret":12345678901234567890123456789012},{"secret":null}],
	  "decryption_keys":[{"pem":["a", {"b":1}]},{"secret":true}]}}`
	out, secrets, err := Redact([]byte(doc))
	require.NoError(t, err)
	require.Equal(t, []Secret{
		{"policy.keys[0].secret", fp("12345678901234567890123456789012")},
		{"policy.decryption_keys[0].pem", fp(`["a",{"b":1}]`)},
		{"policy.decryption_keys[1].secret", fp("true")},
	}, secrets)
	require.NotContains(t, string(out), "1234567890")
	require.Contains(t, string(out), `"secret":null`)
}

// A document of another shape than the loader's has no secret places
// there: Redact keeps it as it is (the loader refuses it).
func TestRedactOtherShapes(t *testing.T) {
	for _, doc := range []string{
		`{}`,
		`{"policy":null}`,
		`{"policy":[{"keys":[{"secret":"x"}]}]}`,
		`{"policy":{"keys":{"secret":"x"}}}`,
		`{"policy":{"keys":["secret", 1, null, [{"secret":"x"}]]}}`,
		`{"service":{"keys":[{"secret":"x"}]}}`,
		`{"policy":{"integrations":[{"keys":[{"secret":"x"}]}]}}`,
		`{"policy":{"keys":[{"pem":"-----BEGIN PUBLIC KEY-----"}]}}`,
	} {
		out, secrets, err := Redact([]byte(doc))
		require.NoError(t, err, doc)
		require.Empty(t, secrets, doc)
		requireSameJSON(t, doc, string(out))
		has, err := HasSecrets([]byte(doc))
		require.NoError(t, err)
		require.False(t, has, doc)
	}
}

func TestRedactRefusesPlaceholder(t *testing.T) {
	for path, doc := range map[string]string{
		"policy.keys[1].secret":            `{"policy":{"keys":[{"secret":"` + hmacSecret + `"},{"secret":{"fingerprint":"sha256:0011223344556677"}}]}}`,
		"policy.keys[0].jwks":              `{"policy":{"keys":[{"jwks":{"fingerprint":"x"}}]}}`,
		"policy.decryption_keys[0].pem":    `{"policy":{"decryption_keys":[{"pem":{"fingerprint":""}}]}}`,
		"policy.decryption_keys[0].jwks":   `{"policy":{"decryption_keys":[{"jwks":{"fingerprint":"f"}}]}}`,
		"policy.decryption_keys[0].secret": `{"policy":{"decryption_keys":[{"secret":{"fingerprint":"f"}}]}}`,
	} {
		_, _, err := Redact([]byte(doc))
		var pe *PlaceholderError
		require.ErrorAs(t, err, &pe, doc)
		require.Equal(t, path, pe.Path)
		require.NotContains(t, err.Error(), hmacSecret)
	}
	// An object with more members, or a fingerprint of another type, is
	// no placeholder: a value like any other.
	for _, doc := range []string{
		`{"policy":{"keys":[{"secret":{"fingerprint":"f","x":1}}]}}`,
		`{"policy":{"keys":[{"secret":{"fingerprint":1}}]}}`,
	} {
		_, secrets, err := Redact([]byte(doc))
		require.NoError(t, err, doc)
		require.Len(t, secrets, 1)
	}
	// Elsewhere a placeholder's shape means nothing.
	doc := `{"policy":{"keys":[{"pem":{"fingerprint":"f"}}]},"service":{"fingerprint":"f"}}`
	out, secrets, err := Redact([]byte(doc))
	require.NoError(t, err)
	require.Empty(t, secrets)
	requireSameJSON(t, doc, string(out))
}

func TestDocumentErrors(t *testing.T) {
	secretText := `{"policy":{"keys":[{"secret":"` + hmacSecret + `"`
	for name, c := range map[string]struct {
		doc  string
		want error
	}{
		"empty":          {"", ErrSyntax},
		"truncated":      {secretText, ErrSyntax},
		"bad character":  {`{"policy":{"keys":[{"secret":"` + hmacSecret + `"}]}x`, ErrSyntax},
		"two values":     {`{} {}`, ErrSyntax},
		"trailing comma": {`{"a":1,}`, ErrSyntax},
		"array":          {`[{"policy":{}}]`, ErrNotObject},
		"string":         {`"` + hmacSecret + `"`, ErrNotObject},
		"null":           {`null`, ErrNotObject},
		"too large":      {`{"a":"` + strings.Repeat("x", MaxDocBytes) + `"}`, ErrTooLarge},
		"too deep":       {strings.Repeat(`{"a":`, 20000) + "1" + strings.Repeat("}", 20000), ErrSyntax},
	} {
		t.Run(name, func(t *testing.T) {
			_, _, err := Redact([]byte(c.doc))
			require.ErrorIs(t, err, c.want)
			require.NotContains(t, err.Error(), hmacSecret[:12])
			_, err = HasSecrets([]byte(c.doc))
			require.ErrorIs(t, err, c.want)
		})
	}
	// Space around the object is fine.
	_, _, err := Redact([]byte(" \n{}\n "))
	require.NoError(t, err)
}

func TestHasSecrets(t *testing.T) {
	for doc, want := range map[string]bool{
		`{"policy":{"keys":[{"secret":"` + hmacSecret + `"}]}}`:              true,
		`{"policy":{"keys":[{"secret_file":"a"},{"jwks_url":"https://x"}]}}`: false,
		`{"policy":{"decryption_keys":[{"pem":"x"}]}}`:                       true,
		`{"policy":{"keys":[{"secret":` + placeholderJSON("x") + `}]}}`:      true,
		`{"policy":{"keys":[{"jwks":{"kty":"EC","x":"x","y":"y"}}]}}`:        false,
	} {
		got, err := HasSecrets([]byte(doc))
		require.NoError(t, err)
		require.Equal(t, want, got, doc)
	}
}

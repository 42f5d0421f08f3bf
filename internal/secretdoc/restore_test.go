package secretdoc

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// storedDoc is a stored document with a secret of each kind.
var storedDoc = `{"policy":{
  "keys":[{"secret":"` + hmacSecret + `","kid":"a"},{"jwks":{"keys":[{"kty":"oct","k":"` + octK + `"}]}}],
  "decryption_keys":[{"secret":"` + kwSecret + `"},{"pem":` + jsonString(pemKey) + `}]},
  "service":{}}`

// redacted is what Redact shows of doc.
func redacted(t *testing.T, doc string) string {
	t.Helper()
	public, _, err := Redact([]byte(doc))
	require.NoError(t, err)
	return string(public)
}

func TestRestoreUnchanged(t *testing.T) {
	got, err := Restore([]byte(redacted(t, storedDoc)), []byte(storedDoc))
	require.NoError(t, err)
	requireSameJSON(t, storedDoc, string(got))
}

// Entries may move: a secret is found by its fingerprint, wherever it was.
func TestRestoreReordered(t *testing.T) {
	octPH := placeholderJSON(compact(t, `{"keys":[{"kty":"oct","k":"`+octK+`"}]}`))
	incoming := `{"policy":{
	  "keys":[{"jwks":` + octPH + `},{"secret":"a-new-secret-0123456789abcdef0123"},{"secret":` + placeholderJSON(hmacSecret) + `,"kid":"b"}],
	  "decryption_keys":[{"pem":` + placeholderJSON(pemKey) + `},{"secret":` + placeholderJSON(hmacSecret) + `}]},
	  "service":{"x":1}}`
	got, err := Restore([]byte(incoming), []byte(storedDoc))
	require.NoError(t, err)
	requireSameJSON(t, `{"policy":{
	  "keys":[{"jwks":{"keys":[{"kty":"oct","k":"`+octK+`"}]}},{"secret":"a-new-secret-0123456789abcdef0123"},{"secret":"`+hmacSecret+`","kid":"b"}],
	  "decryption_keys":[{"pem":`+jsonString(pemKey)+`},{"secret":"`+hmacSecret+`"}]},
	  "service":{"x":1}}`, string(got))
}

func TestRestoreWithheld(t *testing.T) {
	for name, c := range map[string]struct {
		incoming, stored, path string
	}{
		"unknown fingerprint": {
			`{"policy":{"keys":[{"secret":` + placeholderJSON(hmacSecret) + `},{"secret":` + placeholderJSON("other") + `}]}}`,
			storedDoc, "policy.keys[1].secret",
		},
		"create": {
			`{"policy":{"decryption_keys":[{"pem":` + placeholderJSON(pemKey) + `}]}}`,
			"", "policy.decryption_keys[0].pem",
		},
		// A secret is put back only as the same member: a password given
		// as a verification key's jwks would be shown by Redact, for it
		// holds no private JWK member.
		"secret into jwks": {
			`{"policy":{"keys":[{"jwks":` + placeholderJSON(hmacSecret) + `}]}}`,
			`{"policy":{"keys":[{"secret":"12345678901234567890123456789012"}]}}`, "policy.keys[0].jwks",
		},
		"pem into secret": {
			`{"policy":{"keys":[{"secret":` + placeholderJSON(pemKey) + `}]}}`,
			storedDoc, "policy.keys[0].secret",
		},
		// A stored value that was no secret is never put back: Redact
		// showed it, so it has no placeholder.
		"public jwks": {
			`{"policy":{"keys":[{"jwks":` + placeholderJSON(compact(t, `{"kty":"EC","x":"x","y":"y"}`)) + `}]}}`,
			`{"policy":{"keys":[{"jwks":{"kty":"EC","x":"x","y":"y"}}]}}`, "policy.keys[0].jwks",
		},
		"not a secret place": {
			`{"policy":{"keys":[{"secret_file":"f"}],"decryption_keys":[{"jwks":` + placeholderJSON("x") + `}]}}`,
			`{"policy":{"decryption_keys":[{"jwks":"y"}]}}`, "policy.decryption_keys[0].jwks",
		},
	} {
		t.Run(name, func(t *testing.T) {
			var stored []byte
			if c.stored != "" {
				stored = []byte(c.stored)
			}
			_, err := Restore([]byte(c.incoming), stored)
			var we *WithheldError
			require.ErrorAs(t, err, &we)
			require.Equal(t, c.path, we.Path)
			require.Equal(t, "the secret at "+c.path+" is withheld: give its value", err.Error())
		})
	}
}

// A placeholder where no secret goes is data like any other, and a new
// document without placeholders needs no stored one.
func TestRestoreLeavesOtherValues(t *testing.T) {
	incoming := `{"policy":{"keys":[{"pem":` + placeholderJSON(pemKey) + `},{"secret":"` + hmacSecret + `"}]},"service":{"fingerprint":"f"}}`
	got, err := Restore([]byte(incoming), nil)
	require.NoError(t, err)
	requireSameJSON(t, incoming, string(got))
}

func TestRestoreDocErrors(t *testing.T) {
	for name, c := range map[string]struct {
		incoming, stored, doc string
		want                  error
	}{
		"incoming syntax":     {`{"policy":`, storedDoc, "incoming", ErrSyntax},
		"incoming not object": {`[]`, storedDoc, "incoming", ErrNotObject},
		"stored syntax":       {`{}`, `{"policy":{"keys":[{"secret":"` + hmacSecret, "stored", ErrSyntax},
		"stored empty":        {`{}`, ``, "stored", ErrSyntax},
		"stored not object":   {`{}`, `"` + hmacSecret + `"`, "stored", ErrNotObject},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := Restore([]byte(c.incoming), []byte(c.stored))
			var de *DocError
			require.ErrorAs(t, err, &de)
			require.Equal(t, c.doc, de.Doc)
			require.ErrorIs(t, err, c.want)
			require.NotContains(t, err.Error(), hmacSecret[:12])
		})
	}
}

package core_test

import (
	"errors"
	"io/fs"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"

	"github.com/jwtgate/jwtgate/core"
)

func TestInlinePolicy(t *testing.T) {
	files := map[string]string{
		"k.jwks.json": `{"keys":[]}`,
		"k.pem":       "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n",
		"k.secret":    "file-secret\r\n",
	}
	opts := core.LoadOptions{
		ReadFile: func(name string) ([]byte, error) {
			if b, ok := files[name]; ok {
				return []byte(b), nil
			}
			return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrNotExist}
		},
		LookupEnv: func(name string) (string, bool) {
			return map[string]string{"SECRET": "env-secret"}[name], name == "SECRET"
		},
	}

	// Nothing to inline (jwks_url is the host's to serve): unchanged, byte for byte.
	inline := []byte("integrations:\n  - name: a\n    keys: [{secret: s}, {jwks_url: 'https://x/jwks'}]\nservice: {}\n")
	out, err := core.InlinePolicy("p.yaml", inline, opts)
	require.NoError(t, err)
	assert.Equal(t, inline, out)

	out, err = core.InlinePolicy("p.yaml", []byte(`integrations:
  - name: a
    keys:
      - jwks_file: k.jwks.json
      - pem_file: k.pem
      - &shared {secret_file: k.secret, kid: s1}
      - jwks_url: https://x.example/jwks
    decryption_keys:
      - secret_env: SECRET
  - name: b
    keys: [*shared]
service:
  admin_token_file: admin.token
`), opts)
	require.NoError(t, err)
	var doc struct {
		Integrations []struct {
			Name           string
			Keys           []map[string]string
			DecryptionKeys []map[string]string `yaml:"decryption_keys"`
		}
		Service map[string]string
	}
	require.NoError(t, yaml.Unmarshal(out, &doc), "%s", out)
	require.Len(t, doc.Integrations, 2)
	assert.Equal(t, []map[string]string{
		{"jwks": `{"keys":[]}`},
		{"pem": files["k.pem"]},
		{"secret": "file-secret", "kid": "s1"},
		{"jwks_url": "https://x.example/jwks"},
	}, doc.Integrations[0].Keys)
	assert.Equal(t, []map[string]string{{"secret": "env-secret"}}, doc.Integrations[0].DecryptionKeys)
	assert.Equal(t, []map[string]string{{"secret": "file-secret", "kid": "s1"}}, doc.Integrations[1].Keys)
	assert.Equal(t, "admin.token", doc.Service["admin_token_file"], "the service section is not the plugin's")
	// The result needs no I/O (this policy has other problems).
	_, err = core.ParsePolicy("p.yaml", out, core.LoadOptions{})
	assert.NotContains(t, err.Error(), "cannot be read here")

	for _, c := range []struct {
		policy, field, reason string
		line                  int
	}{
		{"integrations:\n  - name: m\n    keys:\n      - secret: s\n      - secret_file: missing.secret\n", "keys[1].secret_file", "open missing.secret: file does not exist", 5},
		{"integrations:\n  - name: m\n    decryption_keys: [{secret_env: UNSET}]\n", "decryption_keys[0].secret_env", "environment variable UNSET is not set", 3},
	} {
		_, err = core.InlinePolicy("p.yaml", []byte(c.policy), opts)
		var pe *core.PolicyError
		require.True(t, errors.As(err, &pe), "%v", err)
		assert.Equal(t, core.PolicyError{File: "p.yaml", Integration: "m", Field: c.field, Line: c.line, Reason: c.reason}, *pe)
	}
	_, err = core.InlinePolicy("p.yaml", []byte("integrations:\n  - name: m\n    keys: [{pem_file: k.pem}]\n"), core.LoadOptions{})
	assert.ErrorContains(t, err, "files cannot be read here; inline the key", "the core's own words without a reader")
	_, err = core.InlinePolicy("p.yaml", []byte("integrations: [\n"), opts)
	var pe *core.PolicyError
	require.ErrorAs(t, err, &pe)
	assert.Positive(t, pe.Line, "a syntax error has its line")
}

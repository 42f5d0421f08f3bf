package wasmengine

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"

	"github.com/jwtgate/jwtgate/core"
	"github.com/jwtgate/jwtgate/internal/wasmbuild"
	"github.com/jwtgate/jwtgate/internal/wasmtest"
)

func TestInline(t *testing.T) {
	dir := t.TempDir()
	write := func(name, data string) {
		require.NoError(t, os.WriteFile(filepath.Join(dir, name), []byte(data), 0o600))
	}
	write("k.jwks.json", `{"keys":[]}`)
	write("k.pem", "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n")
	write("k.secret", "file-secret\r\n")
	t.Setenv("WASMENGINE_TEST_SECRET", "env-secret")
	file := filepath.Join(dir, "policy.yaml")

	// Already inline: unchanged, byte for byte.
	inline := []byte("integrations:\n  - name: a\n    keys: [{secret: s}]\nservice: {}\n")
	out, err := Inline(file, inline)
	require.NoError(t, err)
	assert.Equal(t, inline, out)

	out, err = Inline(file, []byte(`integrations:
  - name: a
    keys:
      - jwks_file: k.jwks.json
      - pem_file: `+filepath.Join(dir, "k.pem")+`
      - &shared {secret_file: k.secret, kid: s1}
    decryption_keys:
      - secret_env: WASMENGINE_TEST_SECRET
  - name: b
    keys: [*shared]
service:
  admin_token_file: admin.token
`))
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
	a := doc.Integrations[0]
	assert.Equal(t, []map[string]string{
		{"jwks": `{"keys":[]}`},
		{"pem": "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n"},
		{"secret": "file-secret", "kid": "s1"},
	}, a.Keys)
	assert.Equal(t, []map[string]string{{"secret": "env-secret"}}, a.DecryptionKeys)
	assert.Equal(t, []map[string]string{{"secret": "file-secret", "kid": "s1"}}, doc.Integrations[1].Keys)
	assert.Equal(t, "admin.token", doc.Service["admin_token_file"], "the service section is not the plugin's")

	_, err = Inline(file, []byte("integrations:\n  - name: r\n    keys:\n      - secret: s\n      - jwks_url: https://x.example/jwks\n"))
	var pe *core.PolicyError
	require.True(t, errors.As(err, &pe), "%v", err)
	assert.Equal(t, "r", pe.Integration)
	assert.Equal(t, "keys[1].jwks_url", pe.Field)
	assert.Equal(t, 5, pe.Line)
	assert.Contains(t, pe.Reason, "--engine native")

	_, err = Inline(file, []byte("integrations:\n  - name: m\n    keys: [{secret_file: missing.secret}]\n"))
	require.True(t, errors.As(err, &pe), "%v", err)
	assert.Equal(t, "m", pe.Integration)
	assert.Equal(t, "keys[0].secret_file", pe.Field)
}

// TestNotifySlowCompile: a compilation that takes longer than SlowAfter is
// announced while it runs, naming the compilation cache; one that is done
// in time is not. (The real threshold, 1s, is passed by a cold compile:
// TestVerifyWasmSaysItCompiles in cmd/jwtgate.)
func TestNotifySlowCompile(t *testing.T) {
	ctx := context.Background()
	module, err := wasmbuild.Build(ctx, wasmbuild.BuildOptions{})
	require.NoError(t, err)
	policy := []byte("integrations:\n  - name: a\n    issuer: https://a.example\n    algorithms: [HS256]\n    keys: [{secret: 0123456789abcdef0123456789abcdef}]\n")
	p, err := core.ParsePolicy("policy.yaml", policy, core.LoadOptions{})
	require.NoError(t, err)
	for _, c := range []struct {
		after time.Duration
		want  []string
	}{
		// Even a compilation read from the cache outlasts a nanosecond.
		{time.Nanosecond, []string{"compiling the policy plugin (first run only)…; the compiled code is cached in " + CacheDir()}},
		{time.Hour, nil},
	} {
		var got []string
		plugin, err := OpenWith(ctx, module, Options{Notify: func(msg string) { got = append(got, msg) }, SlowAfter: c.after})
		require.NoError(t, err)
		e, err := plugin.Load(ctx, "policy.yaml", policy, p, core.NewMemoryReplayStore(0))
		require.NoError(t, err)
		require.NoError(t, e.Close())
		assert.Equal(t, c.want, got, "after %v", c.after)
	}
}

// TestCacheDirIsTheTests: the tests compile the plugin into the folder the
// engine reads (internal/wasmtest), so that the CLI's and the server's
// tests find it compiled.
func TestCacheDirIsTheTests(t *testing.T) {
	assert.Equal(t, CacheDir(), wasmtest.CompileCache(t))
}

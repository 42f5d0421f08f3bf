package main

import (
	"crypto/rsa"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestKeysGenerateMintVerifyEveryAlgorithm generates a key for each of the
// 13 algorithms, mints a token with it and verifies the token against a
// policy that uses the printed public JWKS (the key file itself for HS*).
func TestKeysGenerateMintVerifyEveryAlgorithm(t *testing.T) {
	require.Len(t, signingAlgorithms, 13)
	for _, alg := range signingAlgorithms {
		t.Run(alg, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			keyFile := filepath.Join(dir, "k.jwk.json")
			r := runCmd(t, "", "keys", "generate", "--alg", alg, "--kid", "kid-"+alg, "--out", keyFile)
			require.Equal(t, exitOK, r.code, r.stderr)

			info, err := os.Stat(keyFile)
			require.NoError(t, err)
			assert.Equal(t, os.FileMode(0o600), info.Mode().Perm())
			var priv jose.JSONWebKey
			data, err := os.ReadFile(keyFile)
			require.NoError(t, err)
			require.NoError(t, json.Unmarshal(data, &priv))
			assert.Equal(t, "kid-"+alg, priv.KeyID)
			assert.Equal(t, alg, priv.Algorithm)
			assert.Equal(t, "sig", priv.Use)

			keySource := "jwks_file: k.jwk.json"
			if strings.HasPrefix(alg, "HS") {
				assert.Empty(t, r.stdout, "a shared secret has no public part")
				assert.Contains(t, r.stderr, keyFile)
				secret, ok := priv.Key.([]byte)
				require.True(t, ok)
				assert.Len(t, secret, map[string]int{"HS256": 32, "HS384": 48, "HS512": 64}[alg])
			} else {
				assert.False(t, priv.IsPublic())
				var set jose.JSONWebKeySet
				require.NoError(t, json.Unmarshal([]byte(r.stdout), &set), r.stdout)
				require.Len(t, set.Keys, 1)
				pub := set.Keys[0]
				assert.True(t, pub.IsPublic(), "only the public key is printed")
				assert.Equal(t, "kid-"+alg, pub.KeyID)
				assert.Equal(t, alg, pub.Algorithm)
				assert.Equal(t, "sig", pub.Use)
				assert.NotContains(t, r.stdout, `"d"`)
				writeFile(t, dir, "public.jwks.json", r.stdout)
				keySource = "jwks_file: public.jwks.json"
			}
			policy := writeFile(t, dir, "policy.yaml", `
integrations:
  - name: every-alg
    issuer: https://issuer.example
    algorithms: [`+alg+`]
    keys:
      - `+keySource+`
`)
			r = runCmd(t, "", "mint", "--key", keyFile, "--ttl", "1h", "--now", nowArg,
				"--claims", `{"iss":"https://issuer.example","sub":"user-1"}`)
			require.Equal(t, exitOK, r.code, r.stderr)
			tok := strings.TrimSuffix(r.stdout, "\n")
			require.Equal(t, 2, strings.Count(tok, "."), tok)

			r = runCmd(t, "", "verify", "--config", policy, "--now", nowArg, "--explain", tok)
			require.Equal(t, exitOK, r.code, r.stdout+r.stderr)
			d := decision(t, r.stdout)
			assert.True(t, d.Valid)
			assert.Equal(t, "user-1", d.Subject)
			assert.Contains(t, r.stdout, `kid \"kid-`+alg+`\"`, "the key was selected by kid")
		})
	}
}

func TestKeysGenerateRefusesOverwrite(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	r := runCmd(t, "", "keys", "generate", "--alg", "ES256", "--kid", "k1")
	require.Equal(t, exitOK, r.code, r.stderr)
	first, err := os.ReadFile("k1.jwk.json") // the default --out
	require.NoError(t, err)

	r = runCmd(t, "", "keys", "generate", "--alg", "ES256", "--kid", "k1")
	assert.Equal(t, exitUsage, r.code)
	assert.Contains(t, r.stderr, "--force")
	assert.Empty(t, r.stdout)
	again, err := os.ReadFile("k1.jwk.json")
	require.NoError(t, err)
	assert.Equal(t, first, again, "the existing key is untouched")

	r = runCmd(t, "", "keys", "generate", "--alg", "ES256", "--kid", "k1", "--force")
	require.Equal(t, exitOK, r.code, r.stderr)
	replaced, err := os.ReadFile("k1.jwk.json")
	require.NoError(t, err)
	assert.NotEqual(t, first, replaced)
	info, err := os.Stat("k1.jwk.json")
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), info.Mode().Perm())
}

func TestKeysGenerateUsageErrors(t *testing.T) {
	dir := t.TempDir()
	for _, args := range [][]string{
		{"keys"},
		{"keys", "rotate"},
		{"keys", "generate", "--kid", "k"},
		{"keys", "generate", "--alg", "ES256"},
		{"keys", "generate", "--alg", "none", "--kid", "k", "--out", filepath.Join(dir, "a")},
		{"keys", "generate", "--alg", "HS1", "--kid", "k", "--out", filepath.Join(dir, "b")},
		{"keys", "generate", "--alg", "RS256", "--kid", "k", "--bits", "1024", "--out", filepath.Join(dir, "c")},
	} {
		r := runCmd(t, "", args...)
		assert.Equal(t, exitUsage, r.code, "%v", args)
		assert.NotEmpty(t, r.stderr, "%v", args)
	}
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	assert.Empty(t, entries, "no file written on a usage error")
}

func TestKeysGenerateRSABits(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "big.jwk.json")
	r := runCmd(t, "", "keys", "generate", "--alg", "PS256", "--kid", "big", "--bits", "3072", "--out", out)
	require.Equal(t, exitOK, r.code, r.stderr)
	jwk, err := readPrivateJWK(out, "")
	require.NoError(t, err)
	priv, ok := jwk.Key.(*rsa.PrivateKey)
	require.True(t, ok)
	assert.Equal(t, 3072, priv.N.BitLen())
}

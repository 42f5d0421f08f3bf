package main

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestKeysGenerateKidIsAPlainFileName: without --out the kid names the
// file, so it must be a plain file name: a kid that would write elsewhere
// (../evil, a/b) is refused and nothing is written; with --out any kid
// goes, the file being the one named.
func TestKeysGenerateKidIsAPlainFileName(t *testing.T) {
	root := t.TempDir()
	work := filepath.Join(root, "work")
	require.NoError(t, os.Mkdir(work, 0o700))
	t.Chdir(work)
	for _, kid := range []string{"../evil", "a/b", "/tmp/abs", ".", "..", "a\\b", "tab\tkid", "nul\x00kid"} {
		r := runCmd(t, "", "keys", "generate", "--alg", "ES256", "--kid", kid)
		assert.Equal(t, exitUsage, r.code, "%q", kid)
		assert.Empty(t, r.stdout, "%q", kid)
		assert.Contains(t, r.stderr, "is not a plain file name; name the file with --out", "%q", kid)
	}
	for _, dir := range []string{root, work} {
		entries, err := os.ReadDir(dir)
		require.NoError(t, err)
		if dir == root {
			require.Len(t, entries, 1, "only work/ in %s", dir)
		} else {
			assert.Empty(t, entries, "nothing written in %s", dir)
		}
	}

	r := runCmd(t, "", "keys", "generate", "--alg", "ES256", "--kid", "../evil", "--out", "evil.jwk.json")
	require.Equal(t, exitOK, r.code, r.stderr)
	jwk, err := readPrivateJWK("evil.jwk.json", "")
	require.NoError(t, err)
	assert.Equal(t, "../evil", jwk.KeyID, "the kid is the key's, whatever it is")
	r = runCmd(t, "", "keys", "generate", "--alg", "ES256", "--kid", "acme-2026.v1")
	require.Equal(t, exitOK, r.code, r.stderr)
	_, err = os.Stat("acme-2026.v1.jwk.json")
	assert.NoError(t, err)
}

// TestKeysGenerateBitsAreForRSA: --bits applies to RSA keys only, and is
// bounded.
func TestKeysGenerateBitsAreForRSA(t *testing.T) {
	dir := t.TempDir()
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--alg", "ES256", "--bits", "4096"}, "--bits applies to RSA keys only (RS256, RS384, RS512, PS256, PS384, PS512); ES256 keys have a fixed size"},
		{[]string{"--alg", "HS256", "--bits", "2048"}, "--bits applies to RSA keys only"},
		{[]string{"--alg", "RS256", "--bits", "1024"}, "--bits must be from 2048 to 8192"},
		{[]string{"--alg", "RS256", "--bits", "1000000"}, "--bits must be from 2048 to 8192"},
	} {
		args := append([]string{"keys", "generate", "--kid", "k", "--out", filepath.Join(dir, "k.jwk.json")}, c.args...)
		r := runCmd(t, "", args...)
		assert.Equal(t, exitUsage, r.code, "%v", c.args)
		assert.Contains(t, r.stderr, c.want, "%v", c.args)
	}
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	assert.Empty(t, entries)
	r := runCmd(t, "", "keys", "generate", "--alg", "ES384", "--kid", "k", "--out", filepath.Join(dir, "k.jwk.json"))
	assert.Equal(t, exitOK, r.code, "the default --bits is not an explicit one: %s", r.stderr)
}

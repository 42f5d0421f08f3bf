package main

import (
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/stretchr/testify/require"
)

// jwtgate policy build writes a bundle (mode 0600: it may hold secrets)
// that verify loads, from another folder, with the decisions of its source.
func TestPolicyBuild(t *testing.T) {
	dir := t.TempDir()
	path, okeraKey := writeTestPolicy(t, dir, "")
	out := filepath.Join(t.TempDir(), "bundle.json")
	r := runCmd(t, "", "policy", "build", path, "-o", out)
	require.Equal(t, exitOK, r.code, r.stderr)
	fi, err := os.Stat(out)
	require.NoError(t, err)
	require.Equal(t, os.FileMode(0o600), fi.Mode().Perm())
	now := strconv.FormatInt(testNow.Unix(), 10)
	for _, tok := range []string{token(t, oktoKey, oktoClaims(nil)), token(t, okeraKey, okeraClaims(nil)), token(t, oktoKey, oktoClaims(nil)) + "x"} {
		want := runCmd(t, "", "verify", "--config", path, "--now", now, tok)
		got := runCmd(t, "", "verify", "--config", out, "--now", now, tok)
		require.Equal(t, want.code, got.code)
		require.Equal(t, want.stdout, got.stdout)
	}
	// To stdout, byte for byte the file.
	r = runCmd(t, "", "policy", "build", path)
	require.Equal(t, exitOK, r.code, r.stderr)
	b, err := os.ReadFile(out)
	require.NoError(t, err)
	require.Equal(t, string(b), r.stdout)
}

func TestPolicyBuildErrors(t *testing.T) {
	dir := t.TempDir()
	bad := writeFile(t, dir, "bad.yaml", "integrations:\n  - name: a\n    issuer: https://a.example\n    algorithms: [HS256]\n    keys: [{secret_file: missing.secret}]\n")
	r := runCmd(t, "", "policy", "build", bad)
	require.Equal(t, exitUsage, r.code)
	require.Contains(t, r.stderr, "secret_file")
	require.Empty(t, r.stdout)
	require.Equal(t, exitUsage, runCmd(t, "", "policy", "build").code)
	require.Equal(t, exitUsage, runCmd(t, "", "policy").code)
	require.Equal(t, exitOK, runCmd(t, "", "policy", "-h").code)
}

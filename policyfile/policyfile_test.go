package policyfile

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/jwtgate/jwtgate/core"
)

const secret = "0123456789abcdef0123456789abcdef"

// writeTree writes files (name → content) under a new folder.
func writeTree(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, content := range files {
		path := filepath.Join(dir, name)
		require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o700))
		require.NoError(t, os.WriteFile(path, []byte(content), 0o600))
	}
	return dir
}

func policyWith(keys string) string {
	return "integrations:\n  - name: app\n    issuer: https://issuer.example\n    algorithms: [HS256]\n    keys:\n" + keys
}

// Item 9 of issue 9: key files are found next to the policy, whatever the
// working directory, as the jwtgate command finds them.
func TestLoadResolvesAgainstThePolicyFolder(t *testing.T) {
	dir := writeTree(t, map[string]string{
		"conf/keys/app.secret": secret + "\n",
		"conf/keys/app.jwks":   `{"keys": [{"kty": "oct", "kid": "j", "k": "` + strings.Repeat("A", 43) + `"}]}`,
		"abs.secret":           secret,
	})
	abs := filepath.Join(dir, "abs.secret")
	policy := policyWith("      - secret_file: keys/app.secret\n      - jwks_file: ./keys/app.jwks\n      - secret_file: " + abs + "\n")
	path := filepath.Join(dir, "conf", "policy.yaml")
	require.NoError(t, os.WriteFile(path, []byte(policy), 0o600))

	wd, err := os.Getwd()
	require.NoError(t, err)
	require.NotEqual(t, filepath.Join(dir, "conf"), wd, "the test runs elsewhere")
	p, err := Load(path)
	require.NoError(t, err)
	require.Equal(t, []string{"app"}, p.Integrations())

	// What the core's package doc used to show resolves against the
	// working directory instead, and fails.
	_, err = core.ParsePolicy(path, []byte(policy), core.LoadOptions{ReadFile: os.ReadFile})
	require.ErrorContains(t, err, "keys/app.secret: no such file or directory")
}

func TestLoadEnvironment(t *testing.T) {
	path := filepath.Join(writeTree(t, map[string]string{"policy.yaml": policyWith("      - secret_env: POLICYFILE_TEST_SECRET\n")}), "policy.yaml")
	t.Setenv("POLICYFILE_TEST_SECRET", secret)
	_, err := Load(path)
	require.NoError(t, err)
	t.Setenv("POLICYFILE_TEST_SECRET", "")
	_, err = Load(path)
	var pe *core.PolicyError
	require.ErrorAs(t, err, &pe)
	require.Equal(t, "keys[0].secret_env", pe.Field)
	require.Equal(t, 6, pe.Line)
}

func TestLoadErrors(t *testing.T) {
	dir := t.TempDir()
	_, err := Load(filepath.Join(dir, "missing.yaml"))
	require.ErrorIs(t, err, fs.ErrNotExist)
	require.EqualError(t, err, "read policy: open "+filepath.Join(dir, "missing.yaml")+": no such file or directory")

	// A policy the core refuses: every problem, at its line.
	path := filepath.Join(writeTree(t, map[string]string{
		"policy.yaml": policyWith("      - secret_file: nope.secret\n") + "    audience: [a]\n",
	}), "policy.yaml")
	_, err = Load(path)
	var list core.PolicyErrors
	require.ErrorAs(t, err, &list)
	require.Len(t, list, 2)
	require.Equal(t, 6, list[0].Line)
	require.Equal(t, "keys[0].secret_file", list[0].Field)
	require.Contains(t, list[0].Reason, "no such file or directory")
	require.Equal(t, 7, list[1].Line)
	require.Equal(t, "audience", list[1].Field)

	// A key file over the bound is refused, not read.
	big := filepath.Join(dir, "big.secret")
	require.NoError(t, os.WriteFile(big, make([]byte, MaxFileBytes+1), 0o600))
	require.NoError(t, os.WriteFile(path, []byte(policyWith("      - secret_file: "+big+"\n")), 0o600))
	_, err = Load(path)
	require.ErrorContains(t, err, "field keys[0].secret_file: "+big+" is 8388609 bytes, the limit is 8388608")
}

func TestReadFileBounds(t *testing.T) {
	dir := t.TempDir()
	small := filepath.Join(dir, "small")
	require.NoError(t, os.WriteFile(small, []byte("0123456789"), 0o600))
	b, err := ReadFile(small, 10)
	require.NoError(t, err)
	require.Equal(t, "0123456789", string(b))
	_, err = ReadFile(small, 9)
	require.EqualError(t, err, small+" is 10 bytes, the limit is 9")
	_, err = ReadFile(dir, 1<<20)
	require.EqualError(t, err, dir+" is not a regular file (d---------)")
	if _, err := os.Stat("/dev/zero"); err == nil {
		_, err = ReadFile("/dev/zero", 1<<20)
		require.ErrorContains(t, err, "/dev/zero is not a regular file")
	}
	// Parse reads what Options names, relative to path.
	require.NoError(t, os.WriteFile(filepath.Join(dir, "s"), []byte(secret), 0o600))
	_, err = Parse(filepath.Join(dir, "policy.yaml"), []byte(policyWith("      - secret_file: s\n")))
	require.NoError(t, err)
	_, err = Reader(filepath.Join(dir, "policy.yaml"))("../" + filepath.Base(dir) + "/s")
	require.NoError(t, err)
	require.True(t, errors.Is(func() error { _, err := Reader(small)("nope"); return err }(), fs.ErrNotExist))
}

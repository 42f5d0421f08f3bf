package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestCheckLintsTheWholeFile: check loads the file as serve does, the
// policy and the service section together, and lists every problem; a
// typo in the service section, which verify does not read, fails check as
// it would fail serve.
func TestCheckLintsTheWholeFile(t *testing.T) {
	dir := t.TempDir()
	policy, _ := writeTestPolicy(t, dir, "")
	r := runCmd(t, "", "check", "--config", policy)
	assert.Equal(t, exitOK, r.code, r.stderr)
	assert.Equal(t, policy+": ok\n", r.stdout)
	assert.Empty(t, r.stderr)

	data, err := os.ReadFile(policy)
	require.NoError(t, err)
	typo := writeFile(t, dir, "typo.yaml", string(data)+"service:\n  sesion: {ttl: 1h}\n")
	v := runCmd(t, "", "verify", "--config", typo, "--now", nowArg, token(t, oktoKey, oktoClaims(nil)))
	require.Equal(t, exitOK, v.code, "verify reads the policy only: %s", v.stderr)
	r = runCmd(t, "", "check", "--config", typo)
	assert.Equal(t, exitUsage, r.code)
	assert.Contains(t, r.stderr, "sesion")
	assert.Empty(t, r.stdout)

	broken := writeFile(t, dir, "broken.yaml", strings.Replace(string(data), "algorithms: [HS256]", "algorithms: [XX999]", 1)+
		"service:\n  public_url: notaurl\n  store: mysql://u:s3cret@db/x\n")
	r = runCmd(t, "", "check", "--config", broken)
	assert.Equal(t, exitUsage, r.code)
	lines := strings.Split(strings.TrimSuffix(r.stderr, "\n"), "\n")
	require.Len(t, lines, 4, r.stderr)
	assert.Contains(t, lines[0], `integration "okto"`)
	assert.Contains(t, lines[0], "XX999")
	assert.Contains(t, lines[1], "field service.public_url")
	assert.Contains(t, lines[2], "field service.store")
	assert.Equal(t, "jwtgate check: 3 problems in "+broken, lines[3])
	assert.NotContains(t, r.stderr, "s3cret")

	// With --engine wasm, as serve --engine wasm loads it: a jwks_url is
	// served by the host, so the file is as good as natively.
	remote := writeFile(t, dir, "remote.yaml", "integrations:\n  - name: r\n    issuer: https://r.example\n    algorithms: [RS256]\n    keys:\n      - jwks_url: https://r.example/jwks.json\n")
	for _, engine := range []string{"native", "wasm"} {
		r = runCmd(t, "", "check", "--config", remote, "--engine", engine)
		assert.Equal(t, exitOK, r.code, r.stderr)
	}

	for _, args := range [][]string{{"check"}, {"check", "--config", policy, "extra"}, {"check", "--config", policy, "--engine", "v8"}} {
		r = runCmd(t, "", args...)
		assert.Equal(t, exitUsage, r.code, "%v", args)
	}
	r = runCmd(t, "", "check", "--config", filepath.Join(dir, "missing.yaml"))
	assert.Equal(t, exitUsage, r.code)
	assert.Contains(t, r.stderr, "missing.yaml")
}

package main

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestServeConfigurationErrorsExitTwo: whatever is wrong in the
// configuration — the store's DSN in the file or on the command line, the
// service section, the policy — serve exits 2, names it, and never quotes
// a DSN's password; a store that cannot be reached is a runtime failure (1).
func TestServeConfigurationErrorsExitTwo(t *testing.T) {
	dir := t.TempDir()
	policy, _ := writeTestPolicy(t, dir, "")
	withService := func(name, service string) string {
		data, err := os.ReadFile(policy)
		require.NoError(t, err)
		return writeFile(t, dir, name, string(data)+"service:\n"+service)
	}
	for _, c := range []struct {
		name string
		args []string
		want string
	}{
		{"service.store mysql", []string{"--config", withService("mysql.yaml", "  store: mysql://u:s3cret@db/jwtgate\n")}, `field service.store: store: unsupported DSN scheme "mysql"`},
		{"service.store bad port", []string{"--config", withService("port.yaml", "  store: postgres://u:s3cret@db:99999/jwtgate\n")}, "port 99999"},
		{"--store mysql", []string{"--config", policy, "--store", "mysql://u:s3cret@db/jwtgate"}, `--store: store: unsupported DSN scheme "mysql"`},
		{"--store bad port", []string{"--config", policy, "--store", "postgres://u:s3cret@db:notaport/jwtgate"}, "port"},
		{"service typo", []string{"--config", withService("typo.yaml", "  sesion: {}\n")}, "sesion"},
		{"service value", []string{"--config", withService("url.yaml", "  public_url: notaurl\n")}, "service.public_url"},
		{"policy", []string{"--config", writeFile(t, dir, "policy-bad.yaml", "integrations: [{name: x}]\n")}, `integration "x"`},
		{"missing file", []string{"--config", filepath.Join(dir, "missing.yaml")}, "missing.yaml"},
	} {
		args := append([]string{"serve", "--listen", "127.0.0.1:0", "--data-dir", filepath.Join(dir, "data")}, c.args...)
		r := runCmd(t, "", args...)
		assert.Equal(t, exitUsage, r.code, "%s: %s", c.name, r.stderr)
		assert.Contains(t, r.stderr, c.want, c.name)
		assert.NotContains(t, r.stderr, "s3cret", c.name)
	}
	r := runCmd(t, "", "serve", "--config", policy, "--listen", "127.0.0.1:0", "--data-dir", filepath.Join(dir, "data"),
		"--store", "postgres://u:s3cret@127.0.0.1:1/db?sslmode=disable&connect_timeout=5")
	assert.Equal(t, exitRejected, r.code, r.stderr)
	assert.Contains(t, r.stderr, `cannot connect to PostgreSQL at 127.0.0.1:1 as user "u", database "db": connection refused`)
	assert.NotContains(t, r.stderr, "s3cret")
}

// TestVerifyUnknownIntegrationIsUsageError: --integration naming no
// integration of the policy is a usage error that lists the names, not a
// rejected token.
func TestVerifyUnknownIntegrationIsUsageError(t *testing.T) {
	policy, _ := writeTestPolicy(t, t.TempDir(), "")
	tok := token(t, oktoKey, oktoClaims(nil))
	for _, engine := range []string{"native", "wasm"} {
		r := runCmd(t, "", "verify", "--config", policy, "--now", nowArg, "--engine", engine, "--integration", "okt", tok)
		assert.Equal(t, exitUsage, r.code, "%s: %s", engine, r.stdout)
		assert.Empty(t, r.stdout, engine)
		assert.Contains(t, r.stderr, `--integration "okt": no such integration in `+policy+` (it has okera, okto)`, engine)
	}
	r := runCmd(t, "", "verify", "--config", policy, "--now", nowArg, "--integration", "okto", tok)
	assert.Equal(t, exitOK, r.code, r.stdout)
}

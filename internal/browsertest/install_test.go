package browsertest

import (
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const testLock = `{"name": "x", "lockfileVersion": 3, "packages": {"": {}, "node_modules/playwright-core": {"version": "1.2.3"}}}`

// fakeNpm puts an npm first on PATH that runs script (sh) in the folder
// npm ci is run in, and logs every call to the returned file.
func fakeNpm(t *testing.T, script string) (calls string) {
	t.Helper()
	if runtime.GOOS == "windows" {
		t.Skip("the fake npm is a shell script")
	}
	bin := t.TempDir()
	calls = filepath.Join(bin, "calls")
	body := "#!/bin/sh\necho \"$@\" >> '" + calls + "'\n" + script + "\n"
	require.NoError(t, os.WriteFile(filepath.Join(bin, "npm"), []byte(body), 0o755))
	t.Setenv("PATH", bin+string(os.PathListSeparator)+os.Getenv("PATH"))
	return calls
}

func browserDir(t *testing.T) string {
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "package-lock.json"), []byte(testLock), 0o644))
	return dir
}

// TestInstallModulesOnce: npm ci runs when playwright-core is missing, and
// not again once the pinned version is there.
func TestInstallModulesOnce(t *testing.T) {
	calls := fakeNpm(t, `mkdir -p node_modules/playwright-core && echo '{"version": "1.2.3"}' > node_modules/playwright-core/package.json`)
	dir := browserDir(t)
	lock := filepath.Join(t.TempDir(), "npm.lock")
	require.NoError(t, installModules(dir, lock))
	require.NoError(t, installModules(dir, lock))
	log, err := os.ReadFile(calls)
	require.NoError(t, err)
	assert.Equal(t, 1, strings.Count(string(log), "ci --no-audit"), "npm calls: %s", log)
	assert.Equal(t, "1.2.3", installedVersion(dir))
}

// TestInstallModulesReplacesOtherVersion: node_modules from an older
// package-lock.json is installed again.
func TestInstallModulesReplacesOtherVersion(t *testing.T) {
	calls := fakeNpm(t, `echo '{"version": "1.2.3"}' > node_modules/playwright-core/package.json`)
	dir := browserDir(t)
	require.NoError(t, os.MkdirAll(filepath.Join(dir, "node_modules", "playwright-core"), 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "node_modules", "playwright-core", "package.json"), []byte(`{"version": "1.0.0"}`), 0o644))
	require.NoError(t, installModules(dir, filepath.Join(t.TempDir(), "npm.lock")))
	assert.FileExists(t, calls)
	assert.Equal(t, "1.2.3", installedVersion(dir))
}

// TestInstallModulesSaysWhatFailed: a failed npm ci is an error that
// quotes npm and names the likely cause.
func TestInstallModulesSaysWhatFailed(t *testing.T) {
	fakeNpm(t, `echo "npm error code ENOTFOUND" >&2; exit 1`)
	err := installModules(browserDir(t), filepath.Join(t.TempDir(), "npm.lock"))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "npm ci in examples/browser failed")
	assert.Contains(t, err.Error(), "npm registry reachable")
	assert.Contains(t, err.Error(), "ENOTFOUND")
}

// TestInstallModulesWithoutNpm says how to get npm.
func TestInstallModulesWithoutNpm(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	err := installModules(browserDir(t), filepath.Join(t.TempDir(), "npm.lock"))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "npm not found")
}

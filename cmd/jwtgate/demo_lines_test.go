package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestDemoPrintsRunnableLines: the lines demo prints call jwtgate the way
// --command says (make run: go run ./cmd/jwtgate, since jwtgate is not on
// the PATH), and the serve line has the data folder.
func TestDemoPrintsRunnableLines(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "demo")
	r := runCmd(t, "", "demo", "--dir", dir, "--command", "go run ./cmd/jwtgate")
	require.Equal(t, exitOK, r.code, r.stderr)
	assert.Contains(t, r.stdout, "Serve it (make run does this next):  go run ./cmd/jwtgate serve --config "+
		filepath.Join(dir, demoPolicy)+" --listen 127.0.0.1:8080 --data-dir "+filepath.Join(dir, "data")+"\n")
	m := regexp.MustCompile(`(?m)^go run \./cmd/jwtgate (verify --config \S+ --explain \S+)$`).FindStringSubmatch(r.stdout)
	require.NotNil(t, m, r.stdout)
	v := runCmd(t, "", strings.Fields(m[1])...)
	assert.Equal(t, exitOK, v.code, v.stdout)
	assert.NotRegexp(t, `(?m)^jwtgate `, r.stdout, "no line calls a jwtgate that is not on the PATH")

	// make run says so to demo.
	if _, err := exec.LookPath("make"); err != nil {
		require.NotEqual(t, "true", os.Getenv("CI"), "make is not on the PATH; CI=true requires it")
		t.Skip("make is not on the PATH: make run's demo line is not checked")
	}
	out, err := exec.Command("make", "-s", "-n", "-C", "../..", "run").CombinedOutput()
	require.NoError(t, err, "%s", out)
	assert.Regexp(t, `(?m)^\S*go run \./cmd/jwtgate demo .*--command ["']?\S*go run \./cmd/jwtgate`, string(out))
}

// TestSelfCommand: how demo's lines call jwtgate by default.
func TestSelfCommand(t *testing.T) {
	for _, c := range []struct{ exe, onPath, want string }{
		{"/usr/local/bin/jwtgate", "/usr/local/bin/jwtgate", "jwtgate"},
		{"/src/jwtgate/build/jwtgate", "", "/src/jwtgate/build/jwtgate"},
		{"/src/jwtgate/build/jwtgate", "/usr/local/bin/jwtgate", "/src/jwtgate/build/jwtgate"},
		{"/home/ada/my tools/jwtgate", "", "'/home/ada/my tools/jwtgate'"},
		// go run's and go test's builds are gone after the run.
		{"/tmp/go-build1234/b001/exe/jwtgate", "", "jwtgate"},
		{"/root/.cache/go-build/3e/3e3d-d/jwtgate", "", "jwtgate"},
		{"", "", "jwtgate"},
	} {
		assert.Equal(t, c.want, selfCommand(c.exe, c.onPath), "%+v", c)
	}
}

// TestDemoRefusesBadURL: --url must be an http(s) URL.
func TestDemoRefusesBadURL(t *testing.T) {
	dir := t.TempDir()
	for _, u := range []string{"notaurl", "ftp://x.example", "http://", "http://x.example/?q=1", "127.0.0.1:8080"} {
		r := runCmd(t, "", "demo", "--dir", filepath.Join(dir, "d"), "--url", u)
		assert.Equal(t, exitUsage, r.code, u)
		assert.Empty(t, r.stdout, u)
		assert.Contains(t, r.stderr, `--url: want an http(s) URL such as http://127.0.0.1:8080, found "`+u+`"`, u)
	}
	assert.NoDirExists(t, filepath.Join(dir, "d"), "nothing written")
}

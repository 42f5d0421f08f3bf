package main

import (
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	neturl "net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"

	"github.com/jwtgate/jwtgate/internal/secretdoc"
)

const (
	operatorToken = "operator-token-of-the-cmd-tests-0123456789"
	acmeIssuer    = "https://idp.acme.example"
	acmeSecret    = "acme-shared-secret-of-at-least-32-bytes!"
)

// adminServer is jwtgate serve on loopback with the admin API: the test
// policy's file integrations, a secrets key, SQLite in a temporary
// folder, and a tenant "acme". It returns the server's URL and the
// operator token's file.
func adminServer(t *testing.T) (url, tokenFile string) {
	t.Helper()
	dir := t.TempDir()
	policy, _ := writeTestPolicy(t, dir, "")
	tokenFile = writeFile(t, dir, "admin.token", operatorToken+"\n")
	_, err := secretdoc.GenerateKeyFile(filepath.Join(dir, "secrets.key"))
	require.NoError(t, err)
	data, err := os.ReadFile(policy)
	require.NoError(t, err)
	config := writeFile(t, dir, "jwtgate.yaml", string(data)+"service:\n  admin_token_file: admin.token\n  secrets_key_file: secrets.key\n")
	srv := httptest.NewServer(serveHandler(t, config, func() time.Time { return testNow }, &syncBuffer{}))
	t.Cleanup(srv.Close)
	req, err := http.NewRequest(http.MethodPost, srv.URL+"/v1/admin/tenants", strings.NewReader(`{"id":"acme"}`))
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+operatorToken)
	status, _, _, body := do(t, req)
	require.Equal(t, http.StatusCreated, status, body)
	return srv.URL, tokenFile
}

// acmeFile is a policy file of one acme integration, with service
// settings; maxAge is its max_age.
func acmeFile(maxAge string) string {
	return `integrations:
  - name: jwt-auth
    tenant: acme
    issuer: ` + acmeIssuer + `
    algorithms: [HS256]
    keys:
      - secret: "` + acmeSecret + `"
    max_age: ` + maxAge + `
service:
  integrations:
    jwt-auth:
      allowed_origins: ["https://app.acme.example"]
`
}

// adminCmd runs jwtgate integrations SUBCOMMAND against the server.
func adminCmd(t *testing.T, url, tokenFile, stdin string, args ...string) result {
	t.Helper()
	return runCmd(t, stdin, append(append([]string{"integrations"}, args...), "--server", url, "--token-file", tokenFile)...)
}

// An integration applied from a file is created, then unchanged, then
// updated with its diff; a dry run writes nothing; what export writes
// applies back unchanged and, its secrets filled in, passes check.
func TestIntegrationsApplyExportCycle(t *testing.T) {
	url, tf := adminServer(t)
	dir := t.TempDir()
	file := writeFile(t, dir, "acme.yaml", acmeFile("10m"))

	r := adminCmd(t, url, tf, "", "apply", "-f", file)
	require.Equal(t, exitOK, r.code, r.stderr)
	assert.Equal(t, "acme/jwt-auth: created (revision 1)\n", r.stdout)
	r = adminCmd(t, url, tf, "", "apply", "-f", file)
	require.Equal(t, exitOK, r.code, r.stderr)
	assert.Equal(t, "acme/jwt-auth: unchanged\n", r.stdout)

	writeFile(t, dir, "acme.yaml", acmeFile("5m"))
	r = adminCmd(t, url, tf, "", "apply", "-f", file, "--dry-run")
	require.Equal(t, exitOK, r.code, r.stderr)
	assert.Equal(t, "acme/jwt-auth: would update (revision 1)\n  ~ policy.max_age: \"10m\" -> \"5m\"\n", r.stdout)
	r = adminCmd(t, url, tf, "", "get", "jwt-auth", "--tenant", "acme", "-o", "json")
	require.Equal(t, exitOK, r.code, r.stderr)
	assert.Contains(t, r.stdout, `"revision": 1,`, "the dry run wrote nothing")
	assert.Contains(t, r.stdout, `"max_age": "10m"`)
	assert.NotContains(t, r.stdout, acmeSecret)

	r = adminCmd(t, url, tf, "", "apply", "-f", file)
	require.Equal(t, exitOK, r.code, r.stderr)
	assert.Equal(t, "acme/jwt-auth: updated (revision 2)\n  ~ policy.max_age: \"10m\" -> \"5m\"\n", r.stdout)

	r = adminCmd(t, url, tf, "", "list")
	require.Equal(t, exitOK, r.code, r.stderr)
	assert.Regexp(t, `(?m)^TENANT\s+NAME\s+SOURCE\s+STATUS\s+REVISION\s+ISSUER$`, r.stdout)
	assert.Regexp(t, `(?m)^acme\s+jwt-auth\s+api\s+active\s+2\s+`+acmeIssuer+`$`, r.stdout)
	assert.Regexp(t, `(?m)^tenant-okto\s+okto\s+file\s+active\s+-\s+https://okto.example$`, r.stdout, "the file's tenants too")
	r = adminCmd(t, url, tf, "", "list", "--tenant", "acme")
	require.Equal(t, exitOK, r.code, r.stderr)
	assert.Equal(t, 2, strings.Count(r.stdout, "\n"), r.stdout)

	exported := filepath.Join(dir, "export.yaml")
	r = adminCmd(t, url, tf, "", "export", "-o", exported)
	require.Equal(t, exitOK, r.code, r.stderr)
	data, err := os.ReadFile(exported)
	require.NoError(t, err)
	assert.True(t, strings.HasPrefix(string(data), "# Integrations exported"), string(data))
	assert.Contains(t, string(data), "name: acme--jwt-auth\n")
	assert.Contains(t, string(data), "fingerprint: sha256:")
	assert.NotContains(t, string(data), acmeSecret)
	assert.NotContains(t, string(data), "okto", "file integrations are not exported")

	r = adminCmd(t, url, tf, "", "apply", "-f", exported)
	require.Equal(t, exitOK, r.code, r.stderr)
	assert.Equal(t, "acme/jwt-auth: unchanged\n", r.stdout, "the export applies back as it is")
	r = adminCmd(t, url, tf, "", "apply", "-f", exported, "--dry-run")
	require.Equal(t, exitOK, r.code, r.stderr)
	assert.Equal(t, "acme/jwt-auth: unchanged\n", r.stdout, "placeholders compare as the secrets they stand for")

	r = runCmd(t, "", "check", "--config", exported)
	assert.Equal(t, exitUsage, r.code, "placeholders are no secrets: %s", r.stdout)
	filled := writeFile(t, dir, "filled.yaml", fillSecrets(t, data, acmeSecret))
	r = runCmd(t, "", "check", "--config", filled)
	assert.Equal(t, exitOK, r.code, r.stderr)

	r = adminCmd(t, url, tf, "", "get", "jwt-auth", "--tenant", "acme")
	require.Equal(t, exitOK, r.code, r.stderr)
	assert.Contains(t, r.stdout, "integrations:\n  - name: acme--jwt-auth\n    tenant: acme\n")
	assert.Contains(t, r.stdout, "max_age: 5m\n")
	assert.Contains(t, r.stdout, "service:\n  integrations:\n    acme--jwt-auth:\n")
}

// fillSecrets replaces every fingerprint placeholder of a policy file by
// the secret.
func fillSecrets(t *testing.T, data []byte, secret string) string {
	t.Helper()
	var root yaml.Node
	require.NoError(t, yaml.Unmarshal(data, &root))
	var walk func(n *yaml.Node)
	walk = func(n *yaml.Node) {
		for i, c := range n.Content {
			if c.Kind == yaml.MappingNode && len(c.Content) == 2 && c.Content[0].Value == "fingerprint" {
				n.Content[i] = &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: secret}
				continue
			}
			walk(c)
		}
	}
	walk(&root)
	out, err := yaml.Marshal(&root)
	require.NoError(t, err)
	return string(out)
}

// The token tester prints the decision and its trace as verify --explain,
// with verify's exit codes; delete asks, or needs --yes.
func TestIntegrationsTestAndDelete(t *testing.T) {
	url, tf := adminServer(t)
	file := writeFile(t, t.TempDir(), "acme.yaml", acmeFile("10m"))
	require.Equal(t, exitOK, adminCmd(t, url, tf, "", "apply", "-f", file).code)
	key := oktoKey
	key.Key = []byte(acmeSecret)
	tok := token(t, key, oktoClaims(map[string]any{"iss": acmeIssuer, "sub": "ada"}))

	r := adminCmd(t, url, tf, "", "test", "jwt-auth", "--tenant", "acme", tok)
	require.Equal(t, exitOK, r.code, r.stderr)
	d := decision(t, r.stdout)
	assert.True(t, d.Valid)
	assert.Equal(t, "acme--jwt-auth", d.Integration)
	assert.NotEmpty(t, d.Trace, "with its trace")
	r = adminCmd(t, url, tf, tok+"\n", "test", "jwt-auth", "--tenant", "acme", "-")
	assert.Equal(t, exitOK, r.code, "the token from stdin: %s", r.stderr)
	r = adminCmd(t, url, tf, "", "test", "jwt-auth", "--tenant", "acme", "not.a.token")
	assert.Equal(t, exitRejected, r.code)
	assert.False(t, decision(t, r.stdout).Valid)

	r = adminCmd(t, url, tf, "", "delete", "jwt-auth", "--tenant", "acme")
	assert.Equal(t, exitUsage, r.code)
	assert.Contains(t, r.stderr, "without --yes")
	r = adminCmd(t, url, tf, "", "delete", "jwt-auth", "--tenant", "acme", "--yes")
	require.Equal(t, exitOK, r.code, r.stderr)
	assert.Equal(t, "acme/jwt-auth: deleted\n", r.stdout)
	r = adminCmd(t, url, tf, "", "get", "jwt-auth", "--tenant", "acme")
	assert.Equal(t, exitRejected, r.code)
	assert.Contains(t, r.stderr, "Not found: No such integration (HTTP 404)")
}

// A refused integration shows the problem and each field at fault; the
// file's own mistakes are refused before anything is sent.
func TestIntegrationsApplyErrors(t *testing.T) {
	url, tf := adminServer(t)
	dir := t.TempDir()
	short := writeFile(t, dir, "short.yaml", strings.Replace(acmeFile("10m"), acmeSecret, "short", 1))
	r := adminCmd(t, url, tf, "", "apply", "-f", short)
	assert.Equal(t, exitUsage, r.code)
	assert.Contains(t, r.stderr, "acme/jwt-auth: The integration is refused: The integration is refused (HTTP 422)\n")
	assert.Regexp(t, `(?m)^  policy\.keys\[0\]\.secret: .*32`, r.stderr)
	// A dry run has the server check the document as the write would.
	r = adminCmd(t, url, tf, "", "apply", "-f", short, "--dry-run")
	assert.Equal(t, exitUsage, r.code)
	assert.Regexp(t, `(?m)^  policy\.keys\[0\]\.secret: .*32`, r.stderr)

	for name, c := range map[string]struct{ file, want string }{
		"service field": {acmeFile("10m") + "  store: sqlite:x.db\n", "field service.store: apply reads service.integrations only"},
		"no tenant":     {strings.Replace(acmeFile("10m"), "    tenant: acme\n", "", 1), "field integrations[0].tenant: required"},
		"lost settings": {strings.Replace(acmeFile("10m"), "    jwt-auth:\n", "    other:\n", 1), "field service.integrations.other: no entry"},
	} {
		r := adminCmd(t, url, tf, "", "apply", "-f", writeFile(t, dir, "bad.yaml", c.file))
		assert.Equal(t, exitUsage, r.code, name)
		assert.Contains(t, r.stderr, c.want, name)
		assert.Empty(t, r.stdout, name)
	}
	r = adminCmd(t, url, tf, "", "list", "--tenant", "acme")
	assert.NotContains(t, r.stdout, "jwt-auth", "nothing was stored")
}

// The credential comes from --token-file or the environment; without
// either the command says so (a usage error) and sends nothing.
func TestIntegrationsCredential(t *testing.T) {
	url, _ := adminServer(t)
	t.Setenv(envAdminToken, "")
	r := runCmd(t, "", "integrations", "list", "--server", url)
	assert.Equal(t, exitUsage, r.code)
	assert.Contains(t, r.stderr, "no admin credential: give --token-file FILE or set JWTGATE_ADMIN_TOKEN")

	t.Setenv(envAdminToken, operatorToken)
	r = runCmd(t, "", "integrations", "list", "--server", url)
	assert.Equal(t, exitOK, r.code, r.stderr)

	r = adminCmd(t, url, writeFile(t, t.TempDir(), "wrong.token", "wrong"), "", "list")
	assert.Equal(t, exitRejected, r.code)
	assert.Contains(t, r.stderr, "Authentication required")
}

// An integration changed by someone else between apply's read and its
// write is reported (412), not overwritten, and not retried.
func TestIntegrationsApplyConflict(t *testing.T) {
	url, tf := adminServer(t)
	dir := t.TempDir()
	require.Equal(t, exitOK, adminCmd(t, url, tf, "", "apply", "-f", writeFile(t, dir, "v1.yaml", acmeFile("10m"))).code)
	target, err := neturl.Parse(url)
	require.NoError(t, err)
	proxy := httputil.NewSingleHostReverseProxy(target)
	puts := 0
	front := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPut {
			puts++
			if puts == 1 { // another admin's change lands first
				other := adminCmd(t, url, tf, "", "apply", "-f", writeFile(t, dir, "other.yaml", acmeFile("7m")))
				assert.Equal(t, exitOK, other.code, other.stderr) // not require: this is the server's goroutine
			}
		}
		proxy.ServeHTTP(w, r)
	}))
	t.Cleanup(front.Close)

	r := adminCmd(t, front.URL, tf, "", "apply", "-f", writeFile(t, dir, "v2.yaml", acmeFile("5m")))
	assert.Equal(t, exitRejected, r.code)
	assert.Contains(t, r.stderr, "acme/jwt-auth: The resource changed since it was read: ")
	assert.Contains(t, r.stderr, "(HTTP 412)")
	assert.Contains(t, r.stderr, "nothing was written")
	assert.Equal(t, 1, puts, "not retried")
	g := adminCmd(t, url, tf, "", "get", "jwt-auth", "--tenant", "acme")
	assert.Contains(t, g.stdout, "max_age: 7m\n", "the other change stands")
}

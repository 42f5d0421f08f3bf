package main

import (
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// curlLine matches the curl commands demo prints.
var curlLine = regexp.MustCompile(`(?m)^curl -sS -X (\w+) -H 'Authorization: Bearer ([^']+)' (http://127\.0\.0\.1:8080)(/\S+)$`)

// TestDemoCurlLinesSucceed runs demo, serves its policy and executes the
// printed curl requests against the server.
func TestDemoCurlLinesSucceed(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "demo")
	r := runCmd(t, "", "demo", "--dir", dir)
	require.Equal(t, exitOK, r.code, r.stderr)

	for _, name := range []string{demoOkeraPrivate, demoOktoJWK, demoOktoSecret} {
		info, err := os.Stat(filepath.Join(dir, name))
		require.NoError(t, err)
		assert.Equal(t, os.FileMode(0o600), info.Mode().Perm(), name)
	}

	v, err := newVerifier(filepath.Join(dir, demoPolicy))
	require.NoError(t, err)
	assert.Equal(t, []string{"okera", "okto"}, v.Policy().Integrations())
	srv := httptest.NewServer(serveHandler(t, filepath.Join(dir, demoPolicy), time.Now, io.Discard))
	defer srv.Close()

	lines := curlLine.FindAllStringSubmatch(r.stdout, -1)
	require.Len(t, lines, 3, r.stdout)
	want := []struct {
		status    int
		field, id string
	}{
		{http.StatusOK, "sub", "alice@example.com"},
		{http.StatusOK, "user_id", "user-42"},
		{http.StatusUnauthorized, "error", "invalid_token"},
	}
	for i, m := range lines {
		req, err := http.NewRequest(m[1], srv.URL+m[4], nil)
		require.NoError(t, err)
		req.Header.Set("Authorization", "Bearer "+m[2])
		status, _, body, raw := do(t, req)
		require.Equal(t, want[i].status, status, "line %d: %s", i, raw)
		assert.Equal(t, want[i].id, body[want[i].field], "line %d", i)
		if i == 0 {
			assert.Equal(t, []any{"analysts", "admins"}, body["groups"])
		}
	}
	// The forward-authentication, token-exchange and JWKS lines.
	authz := regexp.MustCompile(`(?m)^curl -sS -i -H 'Authorization: Bearer ([^']+)' -H 'X-Forwarded-Method: GET' -H 'X-Forwarded-Uri: /reports' http://127\.0\.0\.1:8080(/v1/authz)$`).FindStringSubmatch(r.stdout)
	require.NotNil(t, authz, r.stdout)
	req, err := http.NewRequest(http.MethodGet, srv.URL+authz[2], nil)
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+authz[1])
	req.Header.Set("X-Forwarded-Method", "GET")
	req.Header.Set("X-Forwarded-Uri", "/reports")
	status, h, _, raw := do(t, req)
	require.Equal(t, http.StatusOK, status, raw)
	assert.Equal(t, "alice@example.com", h.Get("X-Jwtgate-Subject"))

	exchange := regexp.MustCompile(`(?m)^curl -sS -X POST -d (grant_type=\S+) -d (subject_token_type=\S+) -d subject_token=(\S+) http://127\.0\.0\.1:8080(/oauth2/token)$`).FindStringSubmatch(r.stdout)
	require.NotNil(t, exchange, r.stdout)
	req, err = http.NewRequest(http.MethodPost, srv.URL+exchange[4], strings.NewReader(exchange[1]+"&"+exchange[2]+"&subject_token="+exchange[3]))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	status, _, body, raw := do(t, req)
	require.Equal(t, http.StatusOK, status, raw)
	assert.Equal(t, "Bearer", body["token_type"])
	assert.NotEmpty(t, body["access_token"])
	require.Regexp(t, `(?m)^curl -sS http://127\.0\.0\.1:8080/\.well-known/jwks\.json$`, r.stdout)
	resp, err := http.Get(srv.URL + "/.well-known/jwks.json")
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusOK, resp.StatusCode)

	// The printed offline verify line works too.
	verifyLine := regexp.MustCompile(`(?m)^jwtgate verify --config (\S+) --explain (\S+)$`).FindStringSubmatch(r.stdout)
	require.NotNil(t, verifyLine, r.stdout)
	vr := runCmd(t, "", "verify", "--config", verifyLine[1], "--explain", verifyLine[2])
	assert.Equal(t, exitOK, vr.code, vr.stdout)

	// A second run keeps the keys and the (possibly edited) policy, and its
	// tokens verify against the same server.
	before, err := os.ReadFile(filepath.Join(dir, demoOkeraPrivate))
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(dir, demoPolicy), []byte(demoPolicyYAML+"# edited\n"), 0o644))
	r = runCmd(t, "", "demo", "--dir", dir)
	require.Equal(t, exitOK, r.code, r.stderr)
	after, err := os.ReadFile(filepath.Join(dir, demoOkeraPrivate))
	require.NoError(t, err)
	assert.Equal(t, before, after)
	policy, err := os.ReadFile(filepath.Join(dir, demoPolicy))
	require.NoError(t, err)
	assert.True(t, strings.HasSuffix(string(policy), "# edited\n"))
	for _, m := range curlLine.FindAllStringSubmatch(r.stdout, 2) {
		status, _, _, raw := post(t, srv.URL, "Bearer "+m[2])
		assert.Equal(t, http.StatusOK, status, raw)
	}
}

func TestDemoURLFlag(t *testing.T) {
	dir := t.TempDir()
	r := runCmd(t, "", "demo", "--dir", dir, "--url", "http://localhost:9999/")
	require.Equal(t, exitOK, r.code, r.stderr)
	assert.Contains(t, r.stdout, " http://localhost:9999/v1/verify\n")
	r = runCmd(t, "", "demo", "--dir", dir, "extra")
	assert.Equal(t, exitUsage, r.code)
}

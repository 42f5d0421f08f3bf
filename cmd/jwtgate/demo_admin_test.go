package main

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/jwtgate/jwtgate/server"
)

// The demo seeds a tenant and prints how to store an integration through
// the admin API; the printed lines work against the server make run
// starts (its data folder), and its one-time console link signs in once.
func TestDemoAdminLines(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "demo")
	r := runCmd(t, "", "demo", "--dir", dir)
	require.Equal(t, exitOK, r.code, r.stderr)
	assert.Contains(t, r.stderr, "generated the secrets key")
	srv, err := server.New(context.Background(), server.Options{
		ConfigFile: filepath.Join(dir, demoPolicy), DataDir: filepath.Join(dir, demoData),
		Logger: slog.New(slog.NewJSONHandler(io.Discard, nil)),
	})
	require.NoError(t, err)
	t.Cleanup(func() { srv.Close() })
	h := httptest.NewServer(srv.Handler())
	t.Cleanup(h.Close)

	put := regexp.MustCompile(`(?m)^curl -sS -X PUT -H "Authorization: Bearer \$\(cat (\S+)\)" -H 'Content-Type: application/json' --data @(\S+) http://127\.0\.0\.1:8080(/v1/admin/\S+)$`).FindStringSubmatch(r.stdout)
	require.NotNil(t, put, r.stdout)
	token, err := os.ReadFile(put[1])
	require.NoError(t, err)
	doc, err := os.ReadFile(put[2])
	require.NoError(t, err)
	req, _ := http.NewRequest(http.MethodPut, h.URL+put[3], strings.NewReader(string(doc)))
	req.Header.Set("Authorization", "Bearer "+strings.TrimSpace(string(token)))
	status, _, _, raw := do(t, req)
	require.Equal(t, http.StatusCreated, status, raw)

	verify := regexp.MustCompile(`(?m)^curl -sS -H 'Authorization: Bearer ([^']+)' -X POST http://127\.0\.0\.1:8080(/v1/verify)$`).FindStringSubmatch(r.stdout)
	require.NotNil(t, verify, r.stdout)
	status, _, body, raw := post(t, h.URL, "Bearer "+verify[1])
	require.Equal(t, http.StatusOK, status, raw)
	assert.Equal(t, "demo--acme", body["integration"])

	link, _, err := srv.LoginLink(context.Background(), "")
	require.NoError(t, err)
	code := link[strings.Index(link, "#login=")+len("#login="):]
	login := func() int {
		resp, err := http.Post(h.URL+"/v1/admin/login", "application/json", strings.NewReader(`{"code":"`+code+`"}`))
		require.NoError(t, err)
		resp.Body.Close()
		return resp.StatusCode
	}
	assert.Equal(t, http.StatusOK, login())
	assert.Equal(t, http.StatusUnauthorized, login(), "a login link works once")
}

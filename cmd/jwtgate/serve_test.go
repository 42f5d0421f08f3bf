package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/jwtgate/jwtgate/core"
	"github.com/jwtgate/jwtgate/server"
)

// serveHandler builds the server of serve for a policy, with its SQLite
// store and keys in a temporary data directory, at the given clock.
func serveHandler(t *testing.T, policy string, now func() time.Time, logs io.Writer) http.Handler {
	t.Helper()
	srv, err := server.New(context.Background(), server.Options{
		ConfigFile: policy, DataDir: t.TempDir(), Now: now,
		Logger: slog.New(slog.NewJSONHandler(logs, nil)),
	})
	require.NoError(t, err)
	t.Cleanup(func() { srv.Close() })
	return srv.Handler()
}

// testServer serves the handler for the test policy at testNow and returns
// its URL and the log buffer.
func testServer(t *testing.T, oktoExtra string) (url string, okera func(map[string]any) string, logs *syncBuffer) {
	t.Helper()
	policy, okeraKey := writeTestPolicy(t, t.TempDir(), oktoExtra)
	logs = &syncBuffer{}
	srv := httptest.NewServer(serveHandler(t, policy, func() time.Time { return testNow }, logs))
	t.Cleanup(srv.Close)
	return srv.URL, func(extra map[string]any) string { return token(t, okeraKey, okeraClaims(extra)) }, logs
}

// post sends POST /v1/verify with the given Authorization header values.
func post(t testing.TB, url string, auth ...string) (int, http.Header, map[string]any, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url+"/v1/verify", nil)
	require.NoError(t, err)
	for _, a := range auth {
		req.Header.Add("Authorization", a)
	}
	req.Header.Set("Accept", "application/json")
	return do(t, req)
}

func do(t testing.TB, req *http.Request) (int, http.Header, map[string]any, string) {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	var body map[string]any
	if resp.Request.Method != http.MethodHead {
		require.NoError(t, json.Unmarshal(raw, &body), "body %q", raw)
		assert.Equal(t, "application/json", resp.Header.Get("Content-Type"))
	}
	return resp.StatusCode, resp.Header, body, string(raw)
}

func TestServeValidTokens(t *testing.T) {
	url, okera, _ := testServer(t, "")

	// Okera's contract: "sub".
	status, _, body, raw := post(t, url, "Bearer "+okera(map[string]any{"groups": []string{"analysts", "admins"}}))
	require.Equal(t, http.StatusOK, status, raw)
	assert.Equal(t, map[string]any{
		"sub": "alice", "user_id": "alice", "tenant": "tenant-okera",
		"groups": []any{"analysts", "admins"}, "integration": "okera",
	}, body)

	// Okto's contract: "user_id"; no groups claim gives an empty list.
	status, _, body, raw = post(t, url, "bearer "+token(t, oktoKey, oktoClaims(nil)))
	require.Equal(t, http.StatusOK, status, raw)
	assert.Equal(t, map[string]any{
		"sub": "user-42", "user_id": "user-42", "tenant": "tenant-okto",
		"groups": []any{}, "integration": "okto",
	}, body)
}

func tokenHash(tok string) string {
	sum := sha256.Sum256([]byte(tok))
	return hex.EncodeToString(sum[:8])
}

func TestServeRejections(t *testing.T) {
	url, okera, logs := testServer(t, "")
	expired := okera(map[string]any{"exp": testNow.Add(-time.Hour).Unix()})
	for _, tc := range []struct {
		name string
		auth []string
		code core.Code
	}{
		{"expired", []string{"Bearer " + expired}, core.CodeTokenExpired},
		{"garbage", []string{"Bearer garbage.garbage.garbage"}, core.CodeInvalidToken},
		{"unknown issuer", []string{"Bearer " + okera(map[string]any{"iss": "https://other.example"})}, core.CodeConfigurationNotFound},
		{"missing header", nil, core.CodeInvalidToken},
		{"empty bearer", []string{"Bearer "}, core.CodeInvalidToken},
		{"basic scheme", []string{"Basic dXNlcjpwYXNz"}, core.CodeInvalidToken},
		{"two headers", []string{"Bearer " + expired, "Bearer " + expired}, core.CodeInvalidToken},
		{"spaces inside", []string{"Bearer a b"}, core.CodeInvalidToken},
	} {
		status, h, body, raw := post(t, url, tc.auth...)
		assert.Equal(t, http.StatusUnauthorized, status, tc.name)
		assert.Equal(t, map[string]any{"error": string(tc.code), "message": tc.code.Message()}, body, tc.name)
		assert.NotContains(t, raw, "reason", tc.name)
		assert.Contains(t, h.Get("WWW-Authenticate"), "Bearer", tc.name)
	}
	log := logs.String()
	assert.NotContains(t, log, expired, "the token is never logged")
	assert.NotContains(t, log, strings.Split(expired, ".")[2], "not even its signature")
	assert.Contains(t, log, tokenHash(expired), "but its hash is")
	assert.Contains(t, log, "expired 1h0m0s ago", "the reason goes to the log")
	for _, line := range strings.Split(strings.TrimSpace(log), "\n") {
		var entry map[string]any
		require.NoError(t, json.Unmarshal([]byte(line), &entry), "slog JSON: %s", line)
	}
}

func TestServeMethodsAndHealth(t *testing.T) {
	url, okera, logs := testServer(t, "")
	for _, method := range []string{http.MethodGet, http.MethodPut, http.MethodDelete} {
		req, err := http.NewRequest(method, url+"/v1/verify", nil)
		require.NoError(t, err)
		req.Header.Set("Authorization", "Bearer "+okera(nil))
		status, h, _, _ := do(t, req)
		assert.Equal(t, http.StatusMethodNotAllowed, status, method)
		assert.Equal(t, http.MethodPost, h.Get("Allow"))
	}
	resp, err := http.Get(url + "/healthz")
	require.NoError(t, err)
	raw, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	assert.JSONEq(t, `{"status":"ok"}`, string(raw))

	resp, err = http.Post(url+"/healthz", "text/plain", nil)
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusMethodNotAllowed, resp.StatusCode)

	resp, err = http.Get(url + "/nope")
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusNotFound, resp.StatusCode)
	assert.NotContains(t, logs.String(), okera(nil)[:40])
}

func TestServeBodyLimit(t *testing.T) {
	url, okera, _ := testServer(t, "")
	tok := okera(nil)
	// A small body is read and ignored.
	req, err := http.NewRequest(http.MethodPost, url+"/v1/verify", strings.NewReader(`{"ignored":true}`))
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+tok)
	status, _, _, raw := do(t, req)
	assert.Equal(t, http.StatusOK, status, raw)
	// A huge body does not make the server read it all: the answer still
	// comes (the connection is closed after it).
	req, err = http.NewRequest(http.MethodPost, url+"/v1/verify", bytes.NewReader(make([]byte, 8<<20)))
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+tok)
	resp, err := http.DefaultClient.Do(req)
	if err == nil { // the server may close before the client finished sending
		resp.Body.Close()
		assert.Equal(t, http.StatusOK, resp.StatusCode)
	}
}

func TestServeOneTimeTokens(t *testing.T) {
	url, _, _ := testServer(t, "    one_time_use: true\n")
	tok := token(t, oktoKey, oktoClaims(map[string]any{"jti": "once"}))
	status, _, _, _ := post(t, url, "Bearer "+tok)
	assert.Equal(t, http.StatusOK, status)
	status, _, body, _ := post(t, url, "Bearer "+tok)
	assert.Equal(t, http.StatusUnauthorized, status)
	assert.Equal(t, string(core.CodeTokenReplayed), body["error"])
}

// TestServeCommand runs "serve" through run(): it prints the address it
// listens on, answers, reloads on SIGHUP (refusing a broken file, the old
// configuration serving on), and shuts down cleanly when its context ends.
func TestServeCommand(t *testing.T) {
	dir := t.TempDir()
	policy, okeraKey := writeTestPolicy(t, dir, "")
	data := filepath.Join(dir, "data")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	stderr := &syncBuffer{}
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, []string{"serve", "--config", policy, "--listen", "127.0.0.1:0", "--data-dir", data}, strings.NewReader(""), io.Discard, stderr)
	}()
	addr := regexp.MustCompile(`listening on (http://127\.0\.0\.1:\d+)`)
	awaitLog(t, stderr, "listening on", 1)
	m := addr.FindStringSubmatch(stderr.String())
	require.NotNil(t, m, "no listening line: %s", stderr.String())
	url := m[1]

	resp, err := http.Get(url + "/healthz")
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	_, err = os.Stat(filepath.Join(data, "jwtgate.db"))
	assert.NoError(t, err, "the SQLite store in --data-dir")

	now := time.Now()
	tok := token(t, okeraKey, okeraClaims(map[string]any{"iat": now.Unix(), "exp": now.Add(time.Hour).Unix()}))
	status, _, body, raw := post(t, url, "Bearer "+tok)
	require.Equal(t, http.StatusOK, status, raw)
	assert.Equal(t, "alice", body["sub"])

	// SIGHUP with a broken file: refused, logged, the old one serves.
	good, err := os.ReadFile(policy)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(policy, []byte("integrations: [\n"), 0o600))
	refused := strings.Count(stderr.String(), "configuration refused")
	require.NoError(t, syscall.Kill(os.Getpid(), syscall.SIGHUP))
	awaitLog(t, stderr, "configuration refused", refused+1)
	assert.Contains(t, stderr.String(), "SIGHUP: reloading")
	status, _, _, raw = post(t, url, "Bearer "+tok)
	require.Equal(t, http.StatusOK, status, raw)

	// SIGHUP with okera removed: its tokens are refused.
	fixed := strings.Replace(string(good), "issuer: https://okera.example", "issuer: https://okera.example/moved", 1)
	require.NoError(t, os.WriteFile(policy, []byte(fixed), 0o600))
	accepted := strings.Count(stderr.String(), "configuration accepted")
	require.NoError(t, syscall.Kill(os.Getpid(), syscall.SIGHUP))
	awaitLog(t, stderr, "configuration accepted", accepted+1)
	_, _, body, _ = post(t, url, "Bearer "+tok)
	assert.Equal(t, string(core.CodeConfigurationNotFound), body["error"])

	cancel()
	select {
	case code := <-done:
		assert.Equal(t, exitOK, code, stderr.String())
	case <-time.After(15 * time.Second):
		require.FailNow(t, "serve did not shut down")
	}
	assert.NotContains(t, stderr.String(), tok)
}

func TestServeUsageErrors(t *testing.T) {
	r := runCmd(t, "", "serve")
	assert.Equal(t, exitUsage, r.code)
	assert.Contains(t, r.stderr, "--config")

	dir := t.TempDir()
	bad := writeFile(t, dir, "bad.yaml", "integrations:\n  - name: x\n    issuer: https://x\n    algorithms: [HS256]\n    keys: [{secret: "+testSecret+"}]\nservice:\n  sesion: {}\n")
	r = runCmd(t, "", "serve", "--config", bad, "--listen", "127.0.0.1:0", "--data-dir", filepath.Join(dir, "d"))
	assert.Equal(t, exitUsage, r.code)
	assert.Contains(t, r.stderr, "bad.yaml")
	assert.Contains(t, r.stderr, "sesion")

	bad = writeFile(t, dir, "bad2.yaml", "integrations:\n  - name: x\n    issuer: https://x\n    algorithms: [HS256]\n")
	r = runCmd(t, "", "serve", "--config", bad, "--listen", "127.0.0.1:0", "--data-dir", filepath.Join(dir, "d"))
	assert.Equal(t, exitUsage, r.code)
	assert.Contains(t, r.stderr, "field keys")

	good, _ := writeTestPolicy(t, dir, "")
	r = runCmd(t, "", "serve", "--config", good, "--listen", "127.0.0.1:0", "--store", "mysql://nope")
	assert.Equal(t, exitUsage, r.code, "a DSN of another scheme is a configuration error")
	assert.Contains(t, r.stderr, "--store")
}

package server

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/jwtgate/jwtgate/internal/jwttest"
	"github.com/jwtgate/jwtgate/internal/traefiktest"
)

// traefikBinary builds traefik once per machine (.ci/run does it before
// the tests); without it the test skips, unless CI=true.
func traefikBinary(t *testing.T) string {
	if testing.Short() {
		t.Skip("-short: traefik is built on first use, which takes minutes")
	}
	bin, err := traefiktest.Binary(context.Background())
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("traefik could not be built (CI=true: .ci/run builds it): %v", err)
		}
		t.Skipf("traefik could not be built: %v", err)
	}
	return bin
}

// startTraefik runs traefik on a loopback port with dynamic as its file
// provider's configuration and returns its URL once the configuration is
// in force (a request without a credential is jwtgate's 401, not
// traefik's 404). It stops with the test.
func startTraefik(t *testing.T, bin, dynamic string) string {
	t.Helper()
	dir := t.TempDir()
	addr := loopbackAddr(t)
	conf := filepath.Join(dir, "dynamic.yaml")
	require.NoError(t, os.WriteFile(conf, []byte(dynamic), 0o600))
	cmd := exec.Command(bin,
		"--entryPoints.web.address="+addr,
		"--providers.file.filename="+conf,
		"--global.checkNewVersion=false",
		"--global.sendAnonymousUsage=false",
		"--log.level=INFO")
	var logs jwttest.Buffer
	cmd.Stdout, cmd.Stderr = &logs, &logs
	require.NoError(t, cmd.Start())
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		cmd.Process.Kill()
		<-exited
	})
	url := "http://" + addr
	client := &http.Client{Timeout: time.Second}
	for deadline := time.Now().Add(30 * time.Second); ; {
		if resp, err := client.Get(url + "/"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusUnauthorized {
				return url
			}
		}
		select {
		case err := <-exited:
			t.Fatalf("traefik exited (%v): %s", err, logs.String())
		case <-time.After(100 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("traefik did not serve the configuration: %s", logs.String())
		}
	}
}

// traefikEnv is routesEnv's server with forward_auth's source traefik and
// an X-User-Email header mapped from the email claim (the header the
// manual's authResponseHeaders lists beside jwtgate's own).
func traefikEnv(t *testing.T) *env {
	t.Helper()
	return routesEnvWith(t, "    headers: {X-User-Email: email}\n", "  forward_auth: {source: traefik}\n"+pathRoutesYAML())
}

// TestForwardAuthBehindTraefik runs the Traefik configuration of
// docs/serve.md in a real Traefik, between a client and an app, with
// jwtgate as its ForwardAuth: refusals reach the client as jwtgate gave
// them (WWW-Authenticate included), the client's own X-Forwarded-Uri and
// -Method are overwritten by Traefik and its X-Original-URI refused by
// jwtgate, and the identity headers of authResponseHeaders reach the app
// from jwtgate only, the client's copies removed.
func TestForwardAuthBehindTraefik(t *testing.T) {
	bin := traefikBinary(t)
	var appHits atomic.Int32
	app := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		appHits.Add(1)
		w.Header().Set("Content-Type", "application/json")
		seen := map[string]any{"method": r.Method, "uri": r.RequestURI}
		for _, h := range []string{"X-Jwtgate-Subject", "X-Jwtgate-Tenant", "X-Jwtgate-Integration", "X-User-Email"} {
			seen[h] = r.Header.Values(h)
		}
		json.NewEncoder(w).Encode(seen)
	}))
	t.Cleanup(app.Close)

	readme := manualSnippet(t, "**Traefik** (`ForwardAuth`", "yaml")
	require.Contains(t, readme, "http://jwtgate:8080/v1/authz")
	require.Contains(t, readme, "http://app:3000")
	e := traefikEnv(t)
	proxy := startTraefik(t, bin, strings.NewReplacer("http://jwtgate:8080", e.url, "http://app:3000", app.URL).Replace(readme))

	get := func(method, path, auth string, headers ...string) response {
		t.Helper()
		if auth != "" {
			headers = append([]string{"Authorization", auth}, headers...)
		}
		return send(t, nil, method, proxy+path, nil, headers...)
	}
	user := "Bearer " + e.oktoToken(map[string]any{"roles": []string{"user"}})
	admin := "Bearer " + e.oktoToken(map[string]any{"roles": []string{"admin", "reporter"}, "email": "ada@okto.example"})

	hits := appHits.Load()
	r := get("GET", "/admin", "")
	assert.Equal(t, 401, r.status)
	assert.Equal(t, `Bearer realm="jwtgate"`, r.header.Get("WWW-Authenticate"), "no credential")
	r = get("GET", "/admin", "Bearer not-a-token")
	assert.Equal(t, 401, r.status)
	assert.Contains(t, r.header.Get("WWW-Authenticate"), `error="invalid_token"`)
	assert.Equal(t, "invalid_token", r.json["error"], "jwtgate's body passed through: %s", r.body)
	r = get("GET", "/admin", user)
	assert.Equal(t, 403, r.status)
	assert.Contains(t, r.header.Get("WWW-Authenticate"), `error="insufficient_scope"`)
	// The client's own copies of what Traefik sets are overwritten, so the
	// request is judged as what it is.
	assert.Equal(t, 403, get("GET", "/admin", user, "X-Forwarded-Uri", "/public").status, "X-Forwarded-Uri: /public")
	assert.Equal(t, 403, get("GET", "/reports", user, "X-Forwarded-Method", "POST").status, "X-Forwarded-Method: POST")
	// Copies Traefik does not set reach jwtgate and are refused.
	assert.Equal(t, 400, get("GET", "/admin", user, "X-Original-URI", "/public").status, "X-Original-URI: /public")
	assert.Equal(t, 400, get("GET", "/admin", user, "X-Original-Method", "POST").status, "X-Original-Method: POST")
	// Spellings upstreams read in different ways are refused, by Traefik or by jwtgate.
	for _, p := range []string{"/admin%2f", "/healthz/..;/admin"} {
		assert.GreaterOrEqual(t, get("GET", p, admin).status, 400, p)
	}
	assert.Equal(t, 403, get("GET", "/ADMIN", user).status)
	assert.Equal(t, hits, appHits.Load(), "a refused request reached the app")

	// What is allowed reaches the app with jwtgate's identity only: the
	// client's copies of the authResponseHeaders are removed, and one
	// jwtgate does not set (no email claim) arrives absent.
	forged := []string{"X-Jwtgate-Subject", "someone-else", "X-Jwtgate-Tenant", "other", "X-User-Email", "boss@okto.example"}
	r = get("GET", "/admin/users?x=1", admin, forged...)
	require.Equal(t, 200, r.status, r.body)
	assert.Equal(t, map[string]any{
		"method": "GET", "uri": "/admin/users?x=1",
		"X-Jwtgate-Subject": []any{"wallet-user-7"}, "X-Jwtgate-Tenant": []any{"okto-wallets"},
		"X-Jwtgate-Integration": []any{"okto"}, "X-User-Email": []any{"ada@okto.example"},
	}, r.json)
	r = get("POST", "/reports", user, forged...)
	require.Equal(t, 200, r.status, r.body)
	assert.Equal(t, "POST", r.json["method"], "judged as a POST")
	assert.Nil(t, r.json["X-User-Email"], "the client's X-User-Email reached the app: %s", fmt.Sprint(r.json))
	assert.Equal(t, []any{"wallet-user-7"}, r.json["X-Jwtgate-Subject"])
}

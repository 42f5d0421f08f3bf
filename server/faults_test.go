package server

import (
	"context"
	"crypto/rsa"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/jwtgate/jwtgate/policyfile"
)

// A new kid appears at the JWKS URL: the unknown kid makes jwtgate fetch
// the set again, and the old key keeps working while published.
func TestJWKSRotation(t *testing.T) {
	e := newEnv(t, envOptions{})
	r := e.verify(e.okeraToken(0, "okera-1", nil))
	require.Equal(t, http.StatusOK, r.status, r.body)

	e.jwks.set(answer(http.StatusOK, jwksBody(t, map[string]*rsa.PrivateKey{"okera-1": rsaKey(t, 0), "okera-2": rsaKey(t, 1)})))
	r = e.verify(e.okeraToken(1, "okera-2", nil))
	require.Equal(t, http.StatusOK, r.status, r.body)
	r = e.verify(e.okeraToken(0, "okera-1", nil))
	require.Equal(t, http.StatusOK, r.status, r.body)

	// The endpoint failing later: the last good set is kept.
	e.jwks.set(answer(http.StatusInternalServerError, "down"))
	e.clock.Advance(2 * time.Hour)
	r = e.verify(e.okeraToken(1, "okera-2", nil))
	require.Equal(t, http.StatusOK, r.status, r.body)
}

func TestJWKSUnusable(t *testing.T) {
	huge := strings.Repeat(" ", 20<<20)
	for _, tc := range []struct {
		name string
		h    http.HandlerFunc
	}{
		{"down", answer(http.StatusServiceUnavailable, "")},
		{"garbage", answer(http.StatusOK, "<html>not a key set</html>")},
		{"not keys", answer(http.StatusOK, `{"keys": 5}`)},
		{"20 MB", func(w http.ResponseWriter, r *http.Request) {
			io.WriteString(w, `{"keys":[`+huge+`]}`)
		}},
		{"slow", func(w http.ResponseWriter, r *http.Request) {
			select {
			case <-time.After(5 * time.Second):
			case <-r.Context().Done():
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, envOptions{jwks: tc.h})
			start := time.Now()
			r := e.verify(e.okeraToken(0, "okera-1", nil))
			assert.Equal(t, http.StatusUnauthorized, r.status)
			assert.Equal(t, map[string]any{"error": "keys_unavailable", "message": "Failed to get JWKS"}, r.json)
			assert.Less(t, time.Since(start), 4*time.Second, "the fetch is bounded")
			// One integration's broken key set does not take the instance
			// out of a load balancer: it is ready, and says which keys fail.
			r = e.get("/readyz")
			assert.Equal(t, http.StatusOK, r.status, r.body)
			assert.Nil(t, r.json["keys"], "only with ?verbose")
			r = e.get("/readyz?verbose")
			assert.Equal(t, http.StatusOK, r.status, r.body)
			keys := r.json["keys"].(map[string]any)
			assert.Equal(t, "failing", keys["okera"])
			assert.Equal(t, "ok", keys["okto"])
			assert.Contains(t, e.get("/metrics").body, `jwtgate_integration_keys{integration="okera",status="failing"} 1`)
			// Other integrations are not affected.
			assert.Equal(t, http.StatusOK, e.verify(e.oktoToken(nil)).status)
			m := e.get("/metrics")
			assert.Contains(t, m.body, `jwtgate_key_fetches_total{result="error"}`)
		})
	}
}

func TestReadyzAndMetrics(t *testing.T) {
	e := newEnv(t, envOptions{})
	r := e.get("/healthz")
	assert.Equal(t, http.StatusOK, r.status)
	assert.Equal(t, "ok", r.json["status"])
	r = e.get("/readyz")
	assert.Equal(t, map[string]any{"status": "ready", "store": "ok", "config": "loaded"}, r.json)
	require.Eventually(t, func() bool {
		keys, _ := e.get("/readyz?verbose").json["keys"].(map[string]any)
		return keys["okera"] == "ok"
	}, 5*time.Second, 20*time.Millisecond, "the JWKS loads")
	r = e.get("/readyz?verbose")
	assert.Equal(t, map[string]any{"status": "ready", "store": "ok", "config": "loaded",
		"keys": map[string]any{"okera": "ok", "okto": "ok", "authonomy": "ok", "jwt-auth": "ok"}}, r.json)

	e.verify(e.oktoToken(nil))
	e.verify("x.y.z")
	m := e.get("/metrics")
	require.Equal(t, http.StatusOK, m.status)
	for _, want := range []string{ // (not assert.Contains: the whole body would be printed)
		`jwtgate_decisions_total{code="ok",endpoint="verify",integration="okto"} 1`,
		`jwtgate_decisions_total{code="invalid_token",endpoint="verify",integration="none"} 1`,
		`jwtgate_http_request_duration_seconds_bucket{endpoint="verify",le=`,
		`jwtgate_key_fetches_total{result="ok"}`,
		`jwtgate_remote_calls_total{kind="validation",result="rejected"} 1`,
		`jwtgate_store_errors_total{op="get_session"} 0`,
		`go_goroutines`,
	} {
		assert.True(t, strings.Contains(m.body, want), want)
	}

	// A closed store: not ready, and counted.
	require.NoError(t, e.srv.store.Close())
	r = e.get("/readyz")
	assert.Equal(t, http.StatusServiceUnavailable, r.status)
	assert.Equal(t, "unavailable", r.json["store"])
	r = e.get("/auth/callback/jwt-auth?token=" + e.acadioToken(nil))
	assert.Equal(t, http.StatusServiceUnavailable, r.status)
	assert.Equal(t, "temporarily_unavailable", r.json["error"])
	assert.Contains(t, e.get("/metrics").body, `jwtgate_store_errors_total{op="upsert_subject"} 1`)
}

// The validation endpoint down or slow: the keys decide, within the
// configured timeout.
func TestRemoteValidatorDownFallsBackToKeys(t *testing.T) {
	e := newEnv(t, envOptions{})
	e.remote.set(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-time.After(10 * time.Second):
		case <-r.Context().Done():
		}
	})
	start := time.Now()
	r := e.verify(e.okeraToken(0, "okera-1", nil))
	require.Equal(t, http.StatusOK, r.status, r.body)
	assert.Less(t, time.Since(start), 5*time.Second)
	assert.Equal(t, "john.doe", r.json["sub"])
	e.remote.set(answer(http.StatusOK, `not json`))
	r = e.verify(e.okeraToken(0, "okera-1", nil))
	require.Equal(t, http.StatusOK, r.status, r.body)
	assert.Contains(t, e.get("/metrics").body, `jwtgate_remote_calls_total{kind="validation",result="error"} 2`)
}

// Reload: a broken file is refused and logged, the old configuration
// serves on; a good one applies from the next request; the file watcher
// does the same without being asked.
func TestReload(t *testing.T) {
	e := newEnv(t, envOptions{})
	tok := e.oktoToken(nil)
	good := e.testConfig("")

	e.write(good + "  bogus_field: 1\n")
	err := e.srv.Reload()
	require.Error(t, err)
	assert.Contains(t, err.Error(), "jwtgate.yaml")
	assert.Contains(t, err.Error(), "bogus_field")
	assert.Contains(t, e.logs.String(), "configuration refused; the previous one keeps serving")
	assert.Equal(t, http.StatusOK, e.verify(tok).status)

	e.write("integrations: [")
	require.Error(t, e.srv.Reload())
	assert.Equal(t, http.StatusOK, e.verify(tok).status)

	// The watcher: run the server on a real listener.
	check := runWatched(t, e)

	// Okto's issuer changed in the file: its tokens are refused from the
	// next request.
	cfg := strings.Replace(good, "issuer: "+oktoIssuer, "issuer: https://another.okto.example", 1)
	e.write(cfg)
	check()
	assert.Equal(t, "configuration_not_found", e.verify(tok).json["error"])

	// A broken file while watching: refused once, logged, old one serves.
	before := strings.Count(e.logs.String(), "configuration refused")
	e.write(cfg + "\nservice: {}\n")
	check()
	assert.Equal(t, before+1, strings.Count(e.logs.String(), "configuration refused"))
	check()
	check()
	assert.Equal(t, before+1, strings.Count(e.logs.String(), "configuration refused"), "a refused file is logged once")
	assert.Equal(t, "configuration_not_found", e.verify(tok).json["error"])
	assert.Contains(t, e.get("/metrics").body, `jwtgate_config_reloads_total{result="error"} 3`)

	// Back: okto serves again.
	e.write(good)
	check()
	assert.Equal(t, http.StatusOK, e.verify(tok).status)
}

// Run drains a request in flight when its context ends.
func TestGracefulShutdown(t *testing.T) {
	e := newEnv(t, envOptions{})
	arrived, release := make(chan struct{}), make(chan struct{})
	var once sync.Once
	e.remote.set(func(w http.ResponseWriter, r *http.Request) {
		once.Do(func() { close(arrived) })
		<-release
		answer(http.StatusOK, `{"sub":"slow"}`)(w, r)
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- e.srv.Run(ctx, ln) }()
	e.url = "http://" + ln.Addr().String()

	got := make(chan response, 1)
	go func() {
		got <- send(t, nil, http.MethodPost, e.url+"/v1/verify", nil, "Authorization", "Bearer "+e.okeraToken(0, "okera-1", nil))
	}()
	<-arrived
	shutting := e.logs.Await("shutting down", 1)
	cancel()
	select {
	case <-shutting:
	case <-time.After(10 * time.Second):
		require.FailNow(t, "Run did not begin to shut down")
	}
	close(release) // the request ends only once the shutdown has begun
	r := <-got
	assert.Equal(t, http.StatusOK, r.status, r.body)
	assert.Equal(t, "slow", r.json["sub"])
	require.NoError(t, <-done)
	_, err = http.Get(e.url + "/healthz")
	assert.Error(t, err, "no longer listening")
}

// Limits: oversized headers and bodies, unknown paths and methods.
func TestLimits(t *testing.T) {
	e := newEnv(t, envOptions{})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- e.srv.Run(ctx, ln) }()
	defer func() {
		cancel()
		<-done
	}()
	e.url = "http://" + ln.Addr().String()

	r := e.get("/v1/verify", "X-Big", strings.Repeat("a", 2<<20))
	assert.Equal(t, http.StatusRequestHeaderFieldsTooLarge, r.status)
	big := `{"token":"` + strings.Repeat("a", 2<<20) + `"}`
	r = e.post("/auth/jwt", "application/json", big, "Accept", "application/json")
	assert.Equal(t, http.StatusBadRequest, r.status)
	assert.Equal(t, "invalid_request", r.json["error"])
	r = e.post("/oauth2/token", "application/x-www-form-urlencoded", "subject_token="+strings.Repeat("a", 2<<20))
	assert.Equal(t, http.StatusBadRequest, r.status)

	r = e.get("/nope")
	assert.Equal(t, http.StatusNotFound, r.status)
	assert.Equal(t, "not_found", r.json["error"])
	r = e.get("/v1/verify")
	assert.Equal(t, http.StatusMethodNotAllowed, r.status)
	assert.Equal(t, "POST", r.header.Get("Allow"))
	r = e.post("/v1/session", "", "")
	assert.Equal(t, http.StatusMethodNotAllowed, r.status)
	r = e.post("/auth/callback/jwt-auth", "", "")
	assert.Equal(t, http.StatusNotFound, r.status)
}

func TestConfigErrors(t *testing.T) {
	e := newEnv(t, envOptions{noStart: true})
	base := e.testConfig("")
	for _, tc := range []struct {
		name, config, want string
	}{
		{"unknown field", strings.Replace(base, "  access_token_ttl: 15m", "  access_token_tll: 15m", 1), "field service.access_token_tll: unknown field in service; did you mean access_token_ttl?"},
		{"unknown integration", base + "    nope: {default_redirect: /x}\n", ""},
		{"bad secure", strings.Replace(base, "ttl: 8h}", "ttl: 8h, secure: maybe}", 1), "service.session.secure"},
		{"bad ttl", strings.Replace(base, "ttl: 8h}", "ttl: 8}", 1), "duration"},
		{"bad alg", strings.Replace(base, "algorithm: ES256", "algorithm: HS256", 1), "service.signing.algorithm"},
		{"bad url", strings.Replace(base, "url: "+e.remote.URL+"/validate", "url: ftp://x", 1), "remote_validation.url"},
		{"bad permission", strings.Replace(base, `"reports:read:team"`, `"reports"`, 1), "require_permissions[0]"},
		{"bad prefix", strings.Replace(base, "prefix: /admin", "prefix: admin", 1), "routes[1].prefix"},
		{"missing system token", strings.Replace(base, "system.token", "missing.token", 1), "system_token_file"},
	} {
		cfg := tc.config
		if tc.name == "unknown integration" {
			cfg = strings.Replace(base, "  routes:\n", "    nope: {default_redirect: /x}\n  routes:\n", 1)
			tc.want = `no integration named "nope"`
		}
		e.write(cfg)
		_, err := New(context.Background(), Options{ConfigFile: e.config, DataDir: t.TempDir(), StoreDSN: e.storeDS})
		require.Error(t, err, tc.name)
		assert.Contains(t, err.Error(), "jwtgate.yaml", tc.name)
		assert.Contains(t, err.Error(), tc.want, tc.name)
		assert.ErrorIs(t, err, ErrConfig, tc.name)
	}
	withEnv := strings.Replace(base, "admin_token_file: admin.token", "admin_token_env: JWTGATE_TEST_ADMIN_TOKEN", 1)
	e.write(withEnv)
	t.Setenv("JWTGATE_TEST_ADMIN_TOKEN", "")
	_, err := New(context.Background(), Options{ConfigFile: e.config, DataDir: t.TempDir(), StoreDSN: e.storeDS})
	assert.ErrorContains(t, err, "JWTGATE_TEST_ADMIN_TOKEN is not set")
	t.Setenv("JWTGATE_TEST_ADMIN_TOKEN", "from-the-environment")
	srv, err := New(context.Background(), Options{ConfigFile: e.config, DataDir: t.TempDir(), StoreDSN: e.storeDS})
	require.NoError(t, err)
	defer srv.Close()
	h := httptestServer(t, srv)
	body := `{"token":"` + e.oktoToken(nil) + `"}`
	r := send(t, nil, http.MethodPost, h+"/v1/integrations/okto/test", strings.NewReader(body), "Authorization", "Bearer from-the-environment")
	assert.Equal(t, http.StatusOK, r.status, r.body)
	r = send(t, nil, http.MethodPost, h+"/v1/integrations/okto/test", strings.NewReader(body), "Authorization", "Bearer "+adminToken)
	assert.Equal(t, http.StatusUnauthorized, r.status)

	_, err = New(context.Background(), Options{ConfigFile: e.config + ".missing"})
	assert.ErrorIs(t, err, ErrConfig)
	_, err = New(context.Background(), Options{ConfigFile: e.config, DataDir: t.TempDir(), StoreDSN: "mysql://x"})
	assert.Error(t, err)
}

// The default configuration: no service section at all.
func TestMinimalConfiguration(t *testing.T) {
	dir := t.TempDir()
	cfg := dir + "/policy.yaml"
	require.NoError(t, os.WriteFile(cfg, []byte("integrations:\n  - name: okto\n    issuer: "+oktoIssuer+"\n    algorithms: [HS256]\n    keys: [{secret: "+oktoSecret+"}]\n    subject_claim: user_id\n"), 0o600))
	srv, err := New(context.Background(), Options{ConfigFile: cfg, DataDir: dir + "/data", PublicURL: "https://auth.example.com"})
	require.NoError(t, err)
	defer srv.Close()
	_, err = os.Stat(dir + "/data/jwtgate.db")
	assert.NoError(t, err, "the SQLite store in the data directory")
	entries, err := os.ReadDir(dir + "/data/signing")
	require.NoError(t, err)
	assert.Len(t, entries, 2, "the current and the next signing key")
	c := srv.cur.Load()
	assert.True(t, srv.secureCookie(c), "https public URL: Secure")
	assert.Nil(t, c.adminDigest, "no tester without an admin token")
	h := httptestServer(t, srv)
	r := send(t, nil, http.MethodPost, h+"/v1/integrations/okto/test", strings.NewReader(`{"token":"x"}`), "Authorization", "Bearer x")
	assert.Equal(t, http.StatusForbidden, r.status)
}

// Reload and the watcher read the configuration with a bound: a special
// file or an oversized one is refused like a broken file, the old
// configuration serving on, and reloads keep working afterwards. (Pointing
// the file at /dev/zero used to take the process to 5 GB and stop the
// watcher for good.)
func TestReloadRefusesSpecialAndHugeFiles(t *testing.T) {
	e := newEnv(t, envOptions{})
	tok := e.oktoToken(nil)
	good := e.testConfig("")
	fifo := filepath.Join(e.dir, "fifo")
	require.NoError(t, syscall.Mkfifo(fifo, 0o600))
	huge := filepath.Join(e.dir, "huge.yaml")
	require.NoError(t, os.WriteFile(huge, []byte(good+strings.Repeat("#", policyfile.MaxFileBytes)), 0o600))
	point := func(target string) {
		require.NoError(t, os.Remove(e.config))
		require.NoError(t, os.Symlink(target, e.config))
	}
	for _, target := range []string{"/dev/zero", fifo, e.dir, huge} {
		point(target)
		done := make(chan error, 1)
		go func() { done <- e.srv.Reload() }()
		select {
		case err := <-done:
			require.ErrorIs(t, err, ErrConfig, target)
		case <-time.After(10 * time.Second):
			require.FailNow(t, fmt.Sprintf("Reload of %s did not return", target))
		}
		assert.Equal(t, http.StatusOK, e.verify(tok).status, target)
	}

	// The watcher: refused once, then a good file is picked up again.
	point("/dev/zero")
	refusals := strings.Count(e.logs.String(), "jwtgate.yaml is not a regular file")
	check := runWatched(t, e)
	check()
	require.Equal(t, refusals+1, strings.Count(e.logs.String(), "jwtgate.yaml is not a regular file"))
	require.NoError(t, os.Remove(e.config))
	e.write(strings.Replace(good, "issuer: "+oktoIssuer, "issuer: https://another.okto.example", 1))
	check()
	assert.Equal(t, "configuration_not_found", e.verify(tok).json["error"])
}

// The SQLite file deleted while serving: not ready (a restart would begin
// on an empty store, every used one-time token fresh again).
func TestReadyzSQLiteFileDeleted(t *testing.T) {
	e := newEnv(t, envOptions{})
	require.Eventually(t, func() bool { return e.get("/readyz").status == http.StatusOK }, 5*time.Second, 20*time.Millisecond)
	require.NoError(t, os.Remove(strings.TrimPrefix(e.storeDS, "sqlite:")))
	r := e.get("/readyz")
	assert.Equal(t, http.StatusServiceUnavailable, r.status)
	assert.Equal(t, "unavailable", r.json["store"])
	assert.True(t, strings.Contains(e.logs.String(), "no longer exists"), "logged")
	assert.True(t, strings.Contains(e.get("/metrics").body, `jwtgate_store_errors_total{op="ping"} 1`), "counted")
}

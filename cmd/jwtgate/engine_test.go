package main

import (
	"context"
	"io"
	"net/http"
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
	"github.com/jwtgate/jwtgate/internal/wasmbuild"
	"github.com/jwtgate/jwtgate/internal/wasmtest"
)

// TestVerifyWasmMatchesNative: --engine wasm prints byte for byte what the
// native engine prints, and exits the same, for a valid token, an expired
// one and with --explain (the test policy's keys are in files: the wasm
// engine gets them inlined).
func TestVerifyWasmMatchesNative(t *testing.T) {
	wasmtest.SkipShort(t)
	policy, okera := writeTestPolicy(t, t.TempDir(), "")
	valid := token(t, okera, okeraClaims(nil))
	expired := token(t, oktoKey, oktoClaims(map[string]any{"exp": testNow.Add(-time.Hour).Unix()}))
	for _, tc := range []struct {
		name string
		args []string
		code int
	}{
		{"valid", []string{valid}, exitOK},
		{"valid okto", []string{token(t, oktoKey, oktoClaims(nil))}, exitOK},
		{"expired", []string{expired}, exitRejected},
		{"explain valid", []string{"--explain", valid}, exitOK},
		{"explain expired", []string{"--explain", expired}, exitRejected},
		{"garbage", []string{"--explain", "not.a.token"}, exitRejected},
	} {
		args := append([]string{"verify", "--config", policy, "--now", nowArg}, tc.args...)
		native := runCmd(t, "", args...)
		wasmRun := runCmd(t, "", append(args, "--engine", "wasm")...)
		require.Equal(t, tc.code, native.code, "%s: native: %s", tc.name, native.stderr)
		assert.Equal(t, native.code, wasmRun.code, "%s: %s", tc.name, wasmRun.stderr)
		assert.Equal(t, native.stdout, wasmRun.stdout, tc.name)
		assert.Empty(t, withoutNotices(wasmRun.stderr), tc.name)
	}
	r := runCmd(t, "", "verify", "--config", policy, "--now", nowArg, "--explain", "--engine", "wasm", expired)
	assert.Equal(t, core.CodeTokenExpired, decision(t, r.stdout).Code)
	assert.NotEmpty(t, decision(t, r.stdout).Trace)
}

// TestVerifyBatchWasmCatchesReplay: --batch shares one replay store across
// the lines under --engine wasm too.
func TestVerifyBatchWasmCatchesReplay(t *testing.T) {
	wasmtest.SkipShort(t)
	policy, _ := writeTestPolicy(t, t.TempDir(), "    one_time_use: true\n")
	once := token(t, oktoKey, oktoClaims(map[string]any{"jti": "jti-1"}))
	other := token(t, oktoKey, oktoClaims(map[string]any{"jti": "jti-2"}))
	in := once + "\n" + once + "\n" + other + "\n"
	r := runCmd(t, in, "verify", "--config", policy, "--now", nowArg, "--batch", "--engine", "wasm")
	assert.Equal(t, exitRejected, r.code, r.stderr)
	lines := strings.Split(strings.TrimSuffix(r.stdout, "\n"), "\n")
	require.Len(t, lines, 3, r.stdout)
	assert.True(t, decision(t, lines[0]).Valid)
	assert.Equal(t, core.CodeTokenReplayed, decision(t, lines[1]).Code)
	assert.True(t, decision(t, lines[2]).Valid)
	native := runCmd(t, in, "verify", "--config", policy, "--now", nowArg, "--batch")
	assert.Equal(t, native.stdout, r.stdout)
}

// TestVerifyWasmModuleFlag: a custom module runs (under its call
// deadline); a bogus one, a missing one, or --module without --engine wasm
// is a usage error with a clear message.
func TestVerifyWasmModuleFlag(t *testing.T) {
	wasmtest.SkipShort(t)
	dir := t.TempDir()
	policy, okera := writeTestPolicy(t, dir, "")
	valid := token(t, okera, okeraClaims(nil))

	bogus := writeFile(t, dir, "bogus.wasm", "this is not WebAssembly")
	r := runCmd(t, "", "verify", "--config", policy, "--engine", "wasm", "--module", bogus, valid)
	assert.Equal(t, exitUsage, r.code)
	assert.Empty(t, r.stdout)
	assert.Contains(t, r.stderr, "wasm module "+bogus)
	assert.Contains(t, r.stderr, "invalid wasm module")

	// A module of ABI version 1: refused at load, naming both versions.
	v1 := filepath.Join(dir, "v1.wasm")
	require.NoError(t, os.WriteFile(v1, wasmtest.VersionModule(1), 0o600))
	r = runCmd(t, "", "verify", "--config", policy, "--engine", "wasm", "--module", v1, valid)
	assert.Equal(t, exitUsage, r.code)
	assert.Empty(t, r.stdout)
	assert.Contains(t, r.stderr, "wasm module "+v1)
	assert.Contains(t, r.stderr, "unsupported ABI version: the module implements ABI version 1, this host speaks version 2 only")

	r = runCmd(t, "", "verify", "--config", policy, "--engine", "wasm", "--module", filepath.Join(dir, "missing.wasm"), valid)
	assert.Equal(t, exitUsage, r.code)
	assert.Contains(t, r.stderr, "missing.wasm")

	r = runCmd(t, "", "verify", "--config", policy, "--module", bogus, valid)
	assert.Equal(t, exitUsage, r.code)
	assert.Contains(t, r.stderr, "--module needs --engine wasm")

	r = runCmd(t, "", "verify", "--config", policy, "--engine", "wazero", valid)
	assert.Equal(t, exitUsage, r.code)
	assert.Contains(t, r.stderr, "want native or wasm")

	// The module built from the source tree, given as a custom module.
	module, err := wasmbuild.Build(context.Background(), wasmbuild.BuildOptions{})
	require.NoError(t, err)
	native := runCmd(t, "", "verify", "--config", policy, "--now", nowArg, "--explain", valid)
	r = runCmd(t, "", "verify", "--config", policy, "--now", nowArg, "--explain", "--engine", "wasm", "--module", module, valid)
	assert.Equal(t, exitOK, r.code, r.stderr)
	assert.Equal(t, native.stdout, r.stdout)
}

// TestVerifyWasmJWKSURL: a jwks_url policy gives under --engine wasm what
// it gives natively, fetched once per run and cached as natively: valid
// tokens in a batch, and keys_unavailable when the key server fails.
func TestVerifyWasmJWKSURL(t *testing.T) {
	wasmtest.SkipShort(t)
	s := newJWKSServer(t)
	policy := jwksPolicy(t, s.URL+"/jwks.json")
	tok := token(t, s.key, remoteClaims())
	args := []string{"verify", "--config", policy, "--now", nowArg, "--explain", "--batch"}
	native := runCmd(t, tok+"\n"+tok+"\n", args...)
	require.Equal(t, exitOK, native.code, native.stderr)
	s.hits.Store(0)
	r := runCmd(t, tok+"\n"+tok+"\n", append(args, "--engine", "wasm")...)
	assert.Equal(t, exitOK, r.code, r.stderr)
	assert.Equal(t, native.stdout, r.stdout)
	assert.Equal(t, int32(1), s.hits.Load(), "the key set is fetched once and cached, by the host")

	s.status.Store(http.StatusInternalServerError)
	native = runCmd(t, "", "verify", "--config", policy, "--now", nowArg, "--explain", tok)
	r = runCmd(t, "", "verify", "--config", policy, "--now", nowArg, "--explain", "--engine", "wasm", tok)
	assert.Equal(t, exitRejected, r.code, r.stderr)
	assert.Equal(t, native.stdout, r.stdout)
	assert.Equal(t, core.CodeKeysUnavailable, decision(t, r.stdout).Code)
}

// TestNotifySlowCompile: a compilation that takes longer than slowAfter is
// announced while it runs, naming the compilation cache; one that is done
// in time is not. (The real threshold, 1s, is passed by a cold compile:
// TestVerifyWasmSaysItCompiles.)
func TestNotifySlowCompile(t *testing.T) {
	module, _ := wasmtest.Module(t, wasmtest.Plugin)
	policy := []byte("integrations:\n  - name: a\n    issuer: https://a.example\n    algorithms: [HS256]\n    keys: [{secret: 0123456789abcdef0123456789abcdef}]\n")
	defer func(d time.Duration) { slowAfter = d }(slowAfter)
	for _, c := range []struct {
		after time.Duration
		want  []string
	}{
		// Even a compilation read from the cache outlasts a nanosecond.
		{time.Nanosecond, []string{"compiling the policy plugin (first run only)…; the compiled code is cached in " + cacheDir()}},
		{time.Hour, nil},
	} {
		slowAfter = c.after
		var got []string
		f := engineFlags{engine: ptr(engineWasm), module: ptr(module)}
		plugin, err := f.openPlugin(context.Background(), func(msg string) { got = append(got, msg) })
		require.NoError(t, err)
		e, err := plugin.Load(context.Background(), "policy.yaml", policy, core.Config{})
		require.NoError(t, err)
		require.NoError(t, e.Close())
		assert.Equal(t, c.want, got, "after %v", c.after)
	}
}

func ptr[T any](v T) *T { return &v }

// TestCacheDirIsTheTests: the tests compile the plugin into the folder the
// engine reads (internal/wasmtest), so that the CLI's tests find it
// compiled.
func TestCacheDirIsTheTests(t *testing.T) {
	assert.Equal(t, cacheDir(), wasmtest.CompileCache(t))
}

// TestServeWasmEngine runs "serve --engine wasm" through run(): valid and
// rejected tokens through the plugin, then a SIGHUP reload that removes
// an integration, whose tokens the new wasm engine refuses.
func TestServeWasmEngine(t *testing.T) {
	wasmtest.SkipShort(t)
	dir := t.TempDir()
	policy, okeraKey := writeTestPolicy(t, dir, "")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	stderr := &syncBuffer{}
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, []string{"serve", "--config", policy, "--engine", "wasm", "--listen", "127.0.0.1:0", "--data-dir", filepath.Join(dir, "data")},
			strings.NewReader(""), io.Discard, stderr)
	}()
	addr := regexp.MustCompile(`listening on (http://127\.0\.0\.1:\d+)`)
	var url string
	require.Eventually(t, func() bool {
		m := addr.FindStringSubmatch(stderr.String())
		if m != nil {
			url = m[1]
		}
		return m != nil
	}, 2*time.Minute, 10*time.Millisecond, "no listening line: %s", stderr.String())
	assert.Contains(t, stderr.String(), `"msg":"wasm engine"`)

	now := time.Now()
	times := map[string]any{"iat": now.Unix(), "exp": now.Add(time.Hour).Unix()}
	okera := token(t, okeraKey, okeraClaims(times))
	status, _, body, raw := post(t, url, "Bearer "+okera)
	require.Equal(t, http.StatusOK, status, raw)
	assert.Equal(t, "alice", body["sub"])
	assert.Equal(t, "okera", body["integration"])
	okto := token(t, oktoKey, oktoClaims(times))
	status, _, body, raw = post(t, url, "Bearer "+okto)
	require.Equal(t, http.StatusOK, status, raw)
	assert.Equal(t, "user-42", body["sub"])

	expired := token(t, okeraKey, okeraClaims(map[string]any{"iat": now.Add(-2 * time.Hour).Unix(), "exp": now.Add(-time.Hour).Unix()}))
	status, _, body, raw = post(t, url, "Bearer "+expired)
	require.Equal(t, http.StatusUnauthorized, status, raw)
	assert.Equal(t, string(core.CodeTokenExpired), body["error"])
	status, _, body, _ = post(t, url, "Bearer garbage.garbage.garbage")
	assert.Equal(t, http.StatusUnauthorized, status)
	assert.Equal(t, string(core.CodeInvalidToken), body["error"])

	// SIGHUP with okera removed: the new engine refuses its tokens, okto's pass.
	good, err := os.ReadFile(policy)
	require.NoError(t, err)
	i := strings.Index(string(good), "  - name: okera")
	j := strings.Index(string(good), "  - name: okto")
	require.True(t, i > 0 && j > i)
	require.NoError(t, os.WriteFile(policy, []byte(string(good[:i])+string(good[j:])), 0o600))
	require.NoError(t, syscall.Kill(os.Getpid(), syscall.SIGHUP))
	require.Eventually(t, func() bool {
		_, _, body, _ := post(t, url, "Bearer "+okera)
		return body["error"] == string(core.CodeConfigurationNotFound)
	}, time.Minute, 20*time.Millisecond, stderr.String())
	status, _, _, raw = post(t, url, "Bearer "+okto)
	assert.Equal(t, http.StatusOK, status, raw)

	cancel()
	select {
	case code := <-done:
		assert.Equal(t, exitOK, code, stderr.String())
	case <-time.After(30 * time.Second):
		t.Fatal("serve did not shut down")
	}
	assert.NotContains(t, stderr.String(), okera)
}

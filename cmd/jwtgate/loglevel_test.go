package main

import (
	"context"
	"io"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// serveUntilListening runs serve with args until it listens, then stops
// it and returns its stderr.
func serveUntilListening(t *testing.T, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	stderr := &syncBuffer{}
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, append([]string{"serve", "--listen", "127.0.0.1:0"}, args...), strings.NewReader(""), io.Discard, stderr)
	}()
	awaitLog(t, stderr, "jwtgate: listening on", 1)
	cancel()
	select {
	case code := <-done:
		require.Equal(t, exitOK, code, stderr.String())
	case <-time.After(15 * time.Second):
		require.FailNow(t, "serve did not shut down")
	}
	return stderr.String()
}

// TestServeLogLevel: --log-level sets the least severe line logged.
func TestServeLogLevel(t *testing.T) {
	dir := t.TempDir()
	policy, _ := writeTestPolicy(t, dir, "")
	data := filepath.Join(dir, "data")

	logs := serveUntilListening(t, "--config", policy, "--data-dir", data)
	assert.Contains(t, logs, `"level":"INFO","msg":"configuration accepted"`, "info by default")
	assert.NotContains(t, logs, `"level":"DEBUG"`)

	logs = serveUntilListening(t, "--config", policy, "--data-dir", data, "--log-level", "WARN")
	assert.NotContains(t, logs, `"level":"INFO"`)
	assert.Contains(t, logs, "jwtgate: listening on", "the listening line is not a log line")

	r := runCmd(t, "", "serve", "--config", policy, "--data-dir", data, "--log-level", "verbose")
	assert.Equal(t, exitUsage, r.code)
	assert.Contains(t, r.stderr, `--log-level: want debug, info, warn or error, found "verbose"`)
}

package server

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/jwtgate/jwtgate/edge"
)

// The decision's log line keeps its fields, the token's hash among them,
// now that it is built from attributes and the hash computed by the
// handler: accepted at DEBUG (at INFO, a line per request costs a busy
// gateway too much), rejected at WARN.
func TestDecisionLogLines(t *testing.T) {
	e := newEnv(t, envOptions{})
	good := e.acadioToken(nil)
	require.Equal(t, http.StatusOK, e.verify(good).status)
	bad := e.acadioToken(map[string]any{"exp": e.clock.Now().Add(-2 * time.Hour).Unix()})
	require.Equal(t, http.StatusUnauthorized, e.verify(bad).status)

	accepted := logLine(t, e.logs.String(), "token accepted")
	assert.Equal(t, map[string]any{
		"level": "DEBUG", "msg": "token accepted", "endpoint": "verify", "integration": "jwt-auth",
		"subject": "student@school.example", "token_sha256": edge.TokenHash(good),
	}, accepted)
	rejected := logLine(t, e.logs.String(), "token rejected")
	require.NotEmpty(t, rejected["reason"])
	delete(rejected, "reason")
	assert.Equal(t, map[string]any{
		"level": "WARN", "msg": "token rejected", "endpoint": "verify", "code": "token_expired",
		"integration": "jwt-auth", "token_sha256": edge.TokenHash(bad),
	}, rejected)
}

// logLine is the last JSON log line with message msg, without its time.
func logLine(t *testing.T, logs, msg string) map[string]any {
	t.Helper()
	lines := strings.Split(strings.TrimSpace(logs), "\n")
	for _, l := range slices.Backward(lines) {
		var m map[string]any
		if json.Unmarshal([]byte(l), &m) == nil && m["msg"] == msg {
			delete(m, "time")
			return m
		}
	}
	require.FailNow(t, "no log line "+msg, logs)
	return nil
}

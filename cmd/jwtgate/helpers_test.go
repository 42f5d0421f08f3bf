package main

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/stretchr/testify/require"

	"github.com/jwtgate/jwtgate/core"
	"github.com/jwtgate/jwtgate/internal/jwttest"
)

// testNow is the fixed time of the tests that pass --now.
var testNow = time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)

// testSecret is the HS256 secret of the test policies.
const testSecret = "0123456789abcdef0123456789abcdef-cmd-test"

// result is the outcome of one run of the command.
type result struct {
	code           int
	stdout, stderr string
}

// runCmd runs the command with args and stdin.
func runCmd(t testing.TB, stdin string, args ...string) result {
	t.Helper()
	var out, errOut bytes.Buffer
	code := run(context.Background(), args, strings.NewReader(stdin), &out, &errOut)
	return result{code: code, stdout: out.String(), stderr: errOut.String()}
}

// decision parses one decision line.
func decision(t testing.TB, line string) core.Decision {
	t.Helper()
	var d core.Decision
	require.NoError(t, json.Unmarshal([]byte(line), &d), "decision JSON: %s", line)
	return d
}

// writeFile writes data to name inside dir and returns the path.
func writeFile(t testing.TB, dir, name, data string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	require.NoError(t, os.WriteFile(p, []byte(data), 0o600))
	return p
}

// hsPolicy is a policy with one HS256 integration "okto" (subject in
// user_id) and one ES256 integration "okera" whose public keys are in
// okera.jwks.json beside the policy. extra is appended to the okto entry.
func writeTestPolicy(t testing.TB, dir string, oktoExtra string) (path string, okeraKey jose.JSONWebKey) {
	t.Helper()
	ec, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	okeraKey = jose.JSONWebKey{Key: ec, KeyID: "okera-1", Algorithm: "ES256", Use: "sig"}
	pub, err := publicJWKS(okeraKey)
	require.NoError(t, err)
	writeFile(t, dir, "okera.jwks.json", string(pub))
	writeFile(t, dir, "okto.secret", testSecret+"\n")
	path = writeFile(t, dir, "policy.yaml", `
integrations:
  - name: okera
    tenant: tenant-okera
    issuer: https://okera.example
    algorithms: [ES256]
    keys:
      - jwks_file: okera.jwks.json
  - name: okto
    tenant: tenant-okto
    issuer: https://okto.example
    algorithms: [HS256]
    keys:
      - secret_file: okto.secret
    subject_claim: user_id
`+oktoExtra)
	return path, okeraKey
}

var oktoKey = jose.JSONWebKey{Key: []byte(testSecret), Algorithm: "HS256"}

// token signs claims with key, filling iss-independent times from base.
func token(t testing.TB, key jose.JSONWebKey, claims map[string]any) string {
	t.Helper()
	tok, err := mintToken(key, claims, nil)
	require.NoError(t, err)
	return tok
}

// oktoClaims are valid claims of the okto integration at testNow.
func oktoClaims(extra map[string]any) map[string]any {
	return jwttest.Merge(map[string]any{
		"iss": "https://okto.example", "user_id": "user-42",
		"iat": testNow.Add(-time.Minute).Unix(), "exp": testNow.Add(time.Hour).Unix(),
	}, extra)
}

// okeraClaims are valid claims of the okera integration at testNow.
func okeraClaims(extra map[string]any) map[string]any {
	return jwttest.Merge(map[string]any{
		"iss": "https://okera.example", "sub": "alice", "groups": []string{"analysts"},
		"iat": testNow.Add(-time.Minute).Unix(), "exp": testNow.Add(time.Hour).Unix(),
	}, extra)
}

// awaitLog waits until buf holds sub n times (a command's stderr, read
// while it runs).
func awaitLog(t testing.TB, buf *syncBuffer, sub string, n int) {
	t.Helper()
	select {
	case <-buf.Await(sub, n):
	case <-time.After(10 * time.Second):
		require.FailNow(t, "no "+sub+" line", "%s", buf.String())
	}
}

// syncBuffer is a buffer safe for a writer and a reader in two
// goroutines.
type syncBuffer = jwttest.Buffer

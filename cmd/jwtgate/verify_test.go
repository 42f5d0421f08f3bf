package main

import (
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/jwtgate/jwtgate/core"
)

var nowArg = strconv.FormatInt(testNow.Unix(), 10)

func TestVerifyValidToken(t *testing.T) {
	policy, okera := writeTestPolicy(t, t.TempDir(), "")
	r := runCmd(t, "", "verify", "--config", policy, "--now", nowArg, token(t, okera, okeraClaims(nil)))
	require.Equal(t, exitOK, r.code, r.stderr)
	require.True(t, strings.HasSuffix(r.stdout, "}\n"), "one JSON line: %q", r.stdout)
	d := decision(t, r.stdout)
	assert.True(t, d.Valid)
	assert.Equal(t, "okera", d.Integration)
	assert.Equal(t, "tenant-okera", d.Tenant)
	assert.Equal(t, "alice", d.Subject)
	assert.Equal(t, []string{"analysts"}, d.Groups)
	assert.Empty(t, d.Trace, "no trace without --explain")

	// Okto style: the subject comes from user_id, the key from secret_file.
	r = runCmd(t, "", "verify", "--config", policy, "--now", nowArg, token(t, oktoKey, oktoClaims(nil)))
	require.Equal(t, exitOK, r.code, r.stdout+r.stderr)
	assert.Equal(t, "user-42", decision(t, r.stdout).Subject)
}

func TestVerifyExpiredTokenExitsOne(t *testing.T) {
	policy, _ := writeTestPolicy(t, t.TempDir(), "")
	tok := token(t, oktoKey, oktoClaims(map[string]any{"exp": testNow.Add(-time.Hour).Unix(), "iat": testNow.Add(-2 * time.Hour).Unix()}))
	r := runCmd(t, "", "verify", "--config", policy, "--now", nowArg, tok)
	require.Equal(t, exitRejected, r.code)
	d := decision(t, r.stdout)
	assert.False(t, d.Valid)
	assert.Equal(t, core.CodeTokenExpired, d.Code)
	assert.Equal(t, "Token expired", d.Message)
	assert.NotEmpty(t, d.Reason)
}

func TestVerifyNowIsRespected(t *testing.T) {
	policy, _ := writeTestPolicy(t, t.TempDir(), "")
	tok := token(t, oktoKey, oktoClaims(nil)) // valid from testNow-1m (iat) to testNow+1h
	for _, tc := range []struct {
		now  string
		code int
		want core.Code
	}{
		{nowArg, exitOK, ""},
		{testNow.Format(time.RFC3339), exitOK, ""},
		{strconv.FormatInt(testNow.Add(2*time.Hour).Unix(), 10), exitRejected, core.CodeTokenExpired},
		{strconv.FormatInt(testNow.Add(-time.Hour).Unix(), 10), exitRejected, core.CodeTokenNotYetValid},
	} {
		r := runCmd(t, "", "verify", "--config", policy, "--now", tc.now, tok)
		assert.Equal(t, tc.code, r.code, "--now %s: %s", tc.now, r.stdout)
		assert.Equal(t, tc.want, decision(t, r.stdout).Code, "--now %s", tc.now)
	}
	// Without --now the real clock is used: testNow is in the past or the
	// future of the machine, but a token minted for the real now is valid.
	now := time.Now()
	fresh := token(t, oktoKey, oktoClaims(map[string]any{"iat": now.Unix(), "exp": now.Add(time.Hour).Unix()}))
	r := runCmd(t, "", "verify", "--config", policy, fresh)
	assert.Equal(t, exitOK, r.code, r.stdout)
	r = runCmd(t, "", "verify", "--config", policy, "--now", "yesterday", fresh)
	assert.Equal(t, exitUsage, r.code)
	assert.Contains(t, r.stderr, "--now")
}

func TestVerifyExplainHasTrace(t *testing.T) {
	policy, _ := writeTestPolicy(t, t.TempDir(), "")
	r := runCmd(t, "", "verify", "--config", policy, "--now", nowArg, "--explain", token(t, oktoKey, oktoClaims(nil)))
	require.Equal(t, exitOK, r.code, r.stdout)
	d := decision(t, r.stdout)
	require.NotEmpty(t, d.Trace)
	var steps []string
	for _, s := range d.Trace {
		steps = append(steps, s.Name)
	}
	assert.Contains(t, steps, "signature")
	assert.Contains(t, steps, "exp")
	assert.Equal(t, "decision", steps[len(steps)-1])

	// A rejection's trace ends with the failing step.
	r = runCmd(t, "", "verify", "--config", policy, "--now", nowArg, "--explain", token(t, oktoKey, oktoClaims(map[string]any{"user_id": nil})))
	require.Equal(t, exitRejected, r.code)
	d = decision(t, r.stdout)
	assert.Equal(t, core.CodeRequiredClaimsFailed, d.Code)
	require.NotEmpty(t, d.Trace)
	assert.Equal(t, core.OutcomeFail, d.Trace[len(d.Trace)-1].Outcome)
}

func TestVerifyUsageAndConfigurationErrors(t *testing.T) {
	dir := t.TempDir()
	policy, _ := writeTestPolicy(t, dir, "")
	tok := token(t, oktoKey, oktoClaims(nil))

	r := runCmd(t, "", "verify", tok)
	assert.Equal(t, exitUsage, r.code)
	assert.Contains(t, r.stderr, "--config")
	assert.Empty(t, r.stdout)

	r = runCmd(t, "", "verify", "--config", policy)
	assert.Equal(t, exitUsage, r.code, "no token")

	r = runCmd(t, "", "verify", "--config", policy, tok, tok)
	assert.Equal(t, exitUsage, r.code, "two tokens")

	r = runCmd(t, "", "verify", "--config", policy, "--no-such-flag", tok)
	assert.Equal(t, exitUsage, r.code)

	r = runCmd(t, "", "verify", "--config", policy, "--batch", tok)
	assert.Equal(t, exitUsage, r.code, "--batch with a TOKEN")

	r = runCmd(t, "", "verify", "--config", dir+"/missing.yaml", tok)
	assert.Equal(t, exitUsage, r.code)
	assert.Contains(t, r.stderr, "missing.yaml")

	r = runCmd(t, "", "no-such-command")
	assert.Equal(t, exitUsage, r.code)
	r = runCmd(t, "")
	assert.Equal(t, exitUsage, r.code)
}

func TestVerifyBrokenPolicyNamesTheField(t *testing.T) {
	dir := t.TempDir()
	broken := writeFile(t, dir, "broken.yaml", `
integrations:
  - name: acme
    issuer: https://acme.example
    algorithms: [RS256, XX999]
    keys:
      - secret: "`+testSecret+`"
`)
	r := runCmd(t, "", "verify", "--config", broken, "--now", nowArg, token(t, oktoKey, oktoClaims(nil)))
	assert.Equal(t, exitUsage, r.code)
	assert.Empty(t, r.stdout)
	assert.Contains(t, r.stderr, "broken.yaml")
	assert.Contains(t, r.stderr, `integration "acme"`)
	assert.Contains(t, r.stderr, "algorithms[1]")

	// A key file that is missing is named with its field.
	missingKey := writeFile(t, dir, "nokey.yaml", `
integrations:
  - name: acme
    issuer: https://acme.example
    algorithms: [HS256]
    keys:
      - secret_file: nowhere.secret
`)
	r = runCmd(t, "", "verify", "--config", missingKey, token(t, oktoKey, oktoClaims(nil)))
	assert.Equal(t, exitUsage, r.code)
	assert.Contains(t, r.stderr, "keys[0].secret_file")
	assert.Contains(t, r.stderr, "nowhere.secret")
}

func TestVerifyFlagsAfterToken(t *testing.T) {
	policy, _ := writeTestPolicy(t, t.TempDir(), "")
	r := runCmd(t, "", "verify", token(t, oktoKey, oktoClaims(nil)), "--config", policy, "--now", nowArg)
	assert.Equal(t, exitOK, r.code, r.stdout+r.stderr)
}

func TestVerifyTokenFromStdin(t *testing.T) {
	policy, _ := writeTestPolicy(t, t.TempDir(), "")
	r := runCmd(t, "\n  "+token(t, oktoKey, oktoClaims(nil))+"\n", "verify", "--config", policy, "--now", nowArg, "-")
	require.Equal(t, exitOK, r.code, r.stdout)
	assert.True(t, decision(t, r.stdout).Valid)

	r = runCmd(t, strings.Repeat("a", maxInputToken+10), "verify", "--config", policy, "--now", nowArg, "-")
	require.Equal(t, exitRejected, r.code)
	assert.Equal(t, core.CodeInvalidToken, decision(t, r.stdout).Code)
}

func TestVerifyIntegrationAndRedirect(t *testing.T) {
	policy, okera := writeTestPolicy(t, t.TempDir(), `
    redirect:
      allowed_domains: [app.example]
      default: https://app.example/home
`)
	tok := token(t, oktoKey, oktoClaims(nil))
	r := runCmd(t, "", "verify", "--config", policy, "--now", nowArg, "--integration", "okto", "--redirect", "https://app.example/next", tok)
	require.Equal(t, exitOK, r.code, r.stdout)
	assert.Equal(t, "https://app.example/next", decision(t, r.stdout).Redirect)

	r = runCmd(t, "", "verify", "--config", policy, "--now", nowArg, "--redirect", "https://evil.example/", tok)
	require.Equal(t, exitOK, r.code, r.stdout)
	assert.Equal(t, "https://app.example/home", decision(t, r.stdout).Redirect, "a target off the allowed domains falls back to the default")

	r = runCmd(t, "", "verify", "--config", policy, "--now", nowArg, "--integration", "okto", token(t, okera, okeraClaims(nil)))
	require.Equal(t, exitRejected, r.code)
	assert.Equal(t, core.CodeConfigurationNotFound, decision(t, r.stdout).Code)
}

func TestVerifyBatchCatchesReplay(t *testing.T) {
	policy, _ := writeTestPolicy(t, t.TempDir(), "    one_time_use: true\n")
	once := token(t, oktoKey, oktoClaims(map[string]any{"jti": "jti-1"}))
	other := token(t, oktoKey, oktoClaims(map[string]any{"jti": "jti-2"}))
	in := once + "\n\n   \n  " + once + "  \r\n" + other // blank lines skipped, whitespace and CR trimmed, no final newline
	r := runCmd(t, in, "verify", "--config", policy, "--now", nowArg, "--batch")
	assert.Equal(t, exitRejected, r.code, "not all valid")
	lines := strings.Split(strings.TrimSuffix(r.stdout, "\n"), "\n")
	require.Len(t, lines, 3, r.stdout)
	assert.True(t, decision(t, lines[0]).Valid)
	assert.Equal(t, core.CodeTokenReplayed, decision(t, lines[1]).Code)
	assert.True(t, decision(t, lines[2]).Valid)
}

func TestVerifyBatchAllValidExitsZero(t *testing.T) {
	policy, okera := writeTestPolicy(t, t.TempDir(), "")
	in := token(t, oktoKey, oktoClaims(nil)) + "\n" + token(t, okera, okeraClaims(nil)) + "\n"
	r := runCmd(t, in, "verify", "--config", policy, "--now", nowArg, "--batch")
	assert.Equal(t, exitOK, r.code, r.stdout)
	assert.Equal(t, 2, strings.Count(r.stdout, "\n"))

	r = runCmd(t, "", "verify", "--config", policy, "--now", nowArg, "--batch")
	assert.Equal(t, exitOK, r.code, "no tokens, none rejected")
	assert.Empty(t, r.stdout)
}

func TestVerifyBatchOverlongLineIsRejectedAndProcessingContinues(t *testing.T) {
	policy, _ := writeTestPolicy(t, t.TempDir(), "")
	good := token(t, oktoKey, oktoClaims(nil))
	huge := strings.Repeat("x", 3<<20)
	in := good + "\n" + huge + "\n" + good + "\n" + huge // the last over-long line has no newline
	r := runCmd(t, in, "verify", "--config", policy, "--now", nowArg, "--batch")
	assert.Equal(t, exitRejected, r.code)
	lines := strings.Split(strings.TrimSuffix(r.stdout, "\n"), "\n")
	require.Len(t, lines, 4, r.stderr)
	assert.True(t, decision(t, lines[0]).Valid)
	d := decision(t, lines[1])
	assert.False(t, d.Valid)
	assert.Equal(t, core.CodeInvalidToken, d.Code)
	assert.Contains(t, d.Reason, fmt.Sprint(maxInputToken))
	assert.True(t, decision(t, lines[2]).Valid, "processing continues after the long line")
	assert.Equal(t, core.CodeInvalidToken, decision(t, lines[3]).Code)
	assert.Empty(t, r.stderr)
}

func TestLineSplitterLimits(t *testing.T) {
	// A line of exactly the limit is a token; one byte more is not.
	policy, _ := writeTestPolicy(t, t.TempDir(), "")
	exact := strings.Repeat("y", maxInputToken)
	over := strings.Repeat("y", maxInputToken+1)
	r := runCmd(t, exact+"\r\n"+over+"\n", "verify", "--config", policy, "--now", nowArg, "--batch")
	lines := strings.Split(strings.TrimSuffix(r.stdout, "\n"), "\n")
	require.Len(t, lines, 2)
	assert.Contains(t, decision(t, lines[0]).Reason, "token is", "the exact-limit line reached the verifier")
	assert.Contains(t, decision(t, lines[1]).Reason, "input is over")
}

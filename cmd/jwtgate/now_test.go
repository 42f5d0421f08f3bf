package main

import (
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestNowRange: --now is a Unix time in seconds, or RFC 3339, between
// 1970-01-01 and 9999-12-31 UTC; anything else is a usage error saying
// so, with a hint when it looks like milliseconds. verify and mint alike.
func TestNowRange(t *testing.T) {
	dir := t.TempDir()
	policy, _ := writeTestPolicy(t, dir, "")
	key := genKey(t, dir, "ES256", "k")
	tok := token(t, oktoKey, oktoClaims(nil))
	ms := strconv.FormatInt(testNow.UnixMilli(), 10)
	for _, c := range []struct {
		now, want string
	}{
		{"-5", "before 1970-01-01T00:00:00Z"},
		{"1969-12-31T23:59:59Z", "before 1970-01-01T00:00:00Z"},
		{ms, "it looks like milliseconds: --now " + nowArg},
		{"253402300800", "after 9999-12-31T23:59:59Z"},
		{"99999999999999999999", "want Unix seconds or an RFC 3339 time"},
		{"1.5", "want Unix seconds or an RFC 3339 time"},
	} {
		for _, args := range [][]string{
			{"verify", "--config", policy, "--now", c.now, tok},
			{"mint", "--key", key, "--claims", `{}`, "--ttl", "1h", "--now", c.now},
		} {
			r := runCmd(t, "", args...)
			assert.Equal(t, exitUsage, r.code, "%v: %s", args, r.stdout)
			assert.Empty(t, r.stdout, "%v", args)
			assert.Contains(t, r.stderr, "--now", "%v", args)
			assert.Contains(t, r.stderr, c.want, "%v", args)
		}
	}
	for _, now := range []string{"0", "253402300799", "9999-12-31T23:59:59Z", "1970-01-01T00:00:00Z", nowArg} {
		r := runCmd(t, "", "mint", "--key", key, "--claims", `{}`, "--ttl", "1h", "--now", now)
		require.Equal(t, exitOK, r.code, "%s: %s", now, r.stderr)
	}
	r := runCmd(t, "", "verify", "--config", policy, "--now", testNow.Format(time.RFC3339), tok)
	assert.Equal(t, exitOK, r.code, r.stdout)
}

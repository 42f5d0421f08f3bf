package server

import (
	"bufio"
	"fmt"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// rawStatus sends one request with a header of n bytes and returns the
// status line's code.
func rawStatus(t *testing.T, addr string, n int) int {
	conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
	require.NoError(t, err)
	defer conn.Close()
	require.NoError(t, conn.SetDeadline(time.Now().Add(10*time.Second)))
	_, err = fmt.Fprintf(conn, "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Pad: %s\r\nConnection: close\r\n\r\n", strings.Repeat("a", n))
	if err != nil {
		return 0 // the server closed the connection on us
	}
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	require.NoError(t, err)
	resp.Body.Close()
	return resp.StatusCode
}

// The header limit follows the policy: twice its largest token (a bearer
// and a cookie) and 16 KiB besides, not a fixed 1 MiB + 16 KiB (40 such
// requests took 126 MB).
func TestHeaderLimitFromPolicy(t *testing.T) {
	e := newEnv(t, envOptions{})
	require.Equal(t, 2*16384+16<<10, headerLimit(e.srv.cur.Load().policy))
	addr := runOn(t, e)
	assert.Equal(t, http.StatusOK, rawStatus(t, addr, 40<<10))
	assert.Equal(t, http.StatusRequestHeaderFieldsTooLarge, rawStatus(t, addr, 100<<10))
}

// Failed admin token attempts are limited per client: after a burst, even
// the right token is refused until the bucket refills.
func TestTesterAdminTokenRateLimited(t *testing.T) {
	e := newEnv(t, envOptions{})
	try := func(tok string) response {
		return e.post("/v1/integrations/okto/test", "application/json", `{"token":"`+e.oktoToken(nil)+`"}`, "Authorization", "Bearer "+tok)
	}
	for i := range adminBurst {
		require.Equal(t, http.StatusUnauthorized, try(fmt.Sprint("guess-", i)).status)
	}
	r := try(adminToken)
	require.Equal(t, http.StatusTooManyRequests, r.status, r.body)
	assert.Equal(t, "too_many_requests", r.json["error"])
	assert.Equal(t, "6", r.header.Get("Retry-After"))
	e.clock.Advance(adminRetryEvery)
	require.Equal(t, http.StatusOK, try(adminToken).status, "refilled: one attempt")
	require.Equal(t, http.StatusUnauthorized, try("again").status)
	require.Equal(t, http.StatusTooManyRequests, try(adminToken).status)
}

func TestFailureLimiterBounded(t *testing.T) {
	now := time.Unix(1e9, 0)
	l := newFailureLimiter(2, time.Second, 3)
	for _, c := range []string{"a", "b", "c"} {
		l.fail(c, now)
		l.fail(c, now)
		assert.False(t, l.allow(c, now), c)
	}
	// The table is full and nobody refilled: newcomers share one bucket.
	l.fail("d", now)
	l.fail("e", now)
	assert.False(t, l.allow("f", now), "the overflow bucket is empty")
	assert.LessOrEqual(t, len(l.buckets), 4)
	// Later, refilled clients are forgotten to make room.
	now = now.Add(time.Minute)
	assert.True(t, l.allow("a", now))
	l.fail("g", now)
	assert.True(t, l.allow("g", now), "one of two attempts used")
	assert.LessOrEqual(t, len(l.buckets), 4)
}

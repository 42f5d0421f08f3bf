package server

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A client names any integration it likes in the callback's path; each
// name used to become a series kept for the life of the process (20,000
// requests: +27 MB of metrics). Labels carry configured names only.
func TestMetricsLabelsBounded(t *testing.T) {
	e := newEnv(t, envOptions{})
	series := func() []string {
		r := e.get("/metrics")
		require.Equal(t, http.StatusOK, r.status)
		var out []string
		for _, line := range strings.Split(r.body, "\n") {
			if strings.HasPrefix(line, "jwtgate_decisions_total{") {
				out = append(out, line)
			}
		}
		return out
	}
	before := len(series())
	const n = 300
	for i := range n {
		r := e.get(fmt.Sprintf("/auth/callback/made-up-%d", i), "Accept", "application/json")
		require.Equal(t, http.StatusUnauthorized, r.status, r.body)
	}
	// A configured integration keeps its own label.
	e.get("/auth/callback/jwt-auth", "Accept", "application/json")
	after := series()
	assert.LessOrEqual(t, len(after), before+2, "one series for the unknown names, one for jwt-auth: %q", after)
	scrape := strings.Join(after, "\n")
	assert.NotContains(t, scrape, "made-up-")
	assert.Contains(t, scrape, fmt.Sprintf(`jwtgate_decisions_total{code="invalid_token",endpoint="callback",integration="unknown"} %d`, n))
	assert.Contains(t, scrape, `jwtgate_decisions_total{code="invalid_token",endpoint="callback",integration="jwt-auth"} 1`)
}

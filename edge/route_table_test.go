package edge_test

import (
	"errors"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/jwtgate/jwtgate/core"
	"github.com/jwtgate/jwtgate/edge"
	"github.com/jwtgate/jwtgate/internal/testcorpus"
)

// TestRouteSpellingsEdge runs the shared spelling table (internal/testcorpus) on
// the routes themselves: jwtgate serve and the filter run the same table
// over HTTP and in the proxy.
func TestRouteSpellingsEdge(t *testing.T) {
	var configs []edge.RouteConfig
	for _, pr := range testcorpus.PathRoutes() {
		configs = append(configs, edge.RouteConfig{Prefix: pr.Prefix, Methods: pr.Methods, RequireRoles: &core.Membership{Any: []string{pr.Role}}})
	}
	routes, err := edge.NewRoutes(configs, nil)
	require.NoError(t, err)
	for _, c := range testcorpus.PathCases() {
		p, err := edge.CleanPath(c.URI, edge.PathOptions{})
		got := testcorpus.Open
		var pe *edge.PathError
		switch {
		case errors.As(err, &pe):
			got = testcorpus.Refused
		case err != nil:
			require.FailNow(t, fmt.Sprintf("%q: untyped error %v", c.URI, err))
		case routes.Select(c.Method, p) != nil:
			got = testcorpus.Protected
		}
		assert.Equal(t, c.Want, got, "%s %q (canonical %q)", c.Method, c.URI, p)
	}
	skip, err := edge.NewSkipPrefix(testcorpus.PathSkip)
	require.NoError(t, err)
	for _, c := range testcorpus.SkipCases() {
		p, err := edge.CleanPath(c.URI, edge.PathOptions{})
		got := testcorpus.Verified
		switch {
		case err != nil:
			got = testcorpus.SkipRefused
		case skip.Covers(p):
			got = testcorpus.Skipped
		}
		assert.Equal(t, c.Want, got, c.URI)
	}
	t.Logf("%d spellings, %d skip spellings", len(testcorpus.PathCases()), len(testcorpus.SkipCases()))
}

package core_test

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/jwtgate/jwtgate/core"
	"github.com/jwtgate/jwtgate/internal/testcorpus"
)

// TestRouteSpellingsCore runs the shared spelling table (internal/testcorpus) on
// the core itself: jwtgate serve and the filter run the same table over
// HTTP and in the proxy.
func TestRouteSpellingsCore(t *testing.T) {
	var routes []*core.Route
	for _, pr := range testcorpus.PathRoutes() {
		req, err := core.NewRequirements(nil, &core.Membership{Any: []string{pr.Role}}, nil)
		require.NoError(t, err)
		rt, err := core.NewRoute(core.RouteSpec{Prefix: pr.Prefix, Methods: pr.Methods, Requirements: req})
		require.NoError(t, err)
		routes = append(routes, rt)
	}
	core.SortRoutes(routes)
	for _, c := range testcorpus.PathCases() {
		p, err := core.CleanPath(c.URI, core.PathOptions{})
		got := testcorpus.Open
		var pe *core.PathError
		switch {
		case errors.As(err, &pe):
			got = testcorpus.Refused
		case err != nil:
			t.Fatalf("%q: untyped error %v", c.URI, err)
		case core.SelectRoute(routes, c.Method, p) != nil:
			got = testcorpus.Protected
		}
		assert.Equal(t, c.Want, got, "%s %q (canonical %q)", c.Method, c.URI, p)
	}
	skip, err := core.NewSkipPrefix(testcorpus.PathSkip)
	require.NoError(t, err)
	for _, c := range testcorpus.SkipCases() {
		p, err := core.CleanPath(c.URI, core.PathOptions{})
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

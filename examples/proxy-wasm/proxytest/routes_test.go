package proxytest_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/jwtgate/jwtgate/examples/proxy-wasm/proxytest"
	"github.com/jwtgate/jwtgate/internal/testcorpus"
)

// spellingVM is a filter configured with the shared spelling table's
// routes and skip prefix.
func spellingVM(t *testing.T, clk *clock) *proxytest.VM {
	var routes []any
	for _, rt := range testcorpus.PathRoutes() {
		r := map[string]any{"prefix": rt.Prefix, "require_roles": map[string]any{"any": []string{rt.Role}}}
		if rt.Methods != nil {
			r["methods"] = rt.Methods
		}
		routes = append(routes, r)
	}
	return newVM(t, newHost(t, clk), pluginConfig(testPolicy(), map[string]any{"routes": routes, "skip": []string{testcorpus.PathSkip}}))
}

// status is the filter's answer: 200 for a request sent upstream, else the
// local response's status.
func status(t *testing.T, vm *proxytest.VM, method, path, authorization string) int {
	t.Helper()
	hs := request(path, authorization)
	hs[0][1] = method
	s := do(t, vm, hs)
	if s.Continued() {
		return 200
	}
	require.NotNil(t, s.Local, "%s %q: neither continued nor answered", method, path)
	return int(s.Local.Status)
}

// TestRouteSpellings runs the shared spelling table (internal/testcorpus) through
// the real filter module, as jwtgate serve's /v1/authz runs it: every
// spelling comes out protected or refused, never open.
func TestRouteSpellings(t *testing.T) {
	clk := newClock(testcorpus.Now)
	vm := spellingVM(t, clk)
	now := clk.now()
	user := "Bearer " + hsToken(now, map[string]any{"roles": []string{"user"}})
	privileged := "Bearer " + hsToken(now, map[string]any{"roles": testcorpus.PathRoles})
	cases := testcorpus.PathCases()
	require.GreaterOrEqual(t, len(cases), 40, "spellings")
	for _, c := range cases {
		u, p := status(t, vm, c.Method, c.URI, user), status(t, vm, c.Method, c.URI, privileged)
		var got testcorpus.PathOutcome
		switch {
		case u == 400 && p == 400:
			got = testcorpus.Refused
		case u == 403 && p == 200:
			got = testcorpus.Protected
		case u == 200:
			got = testcorpus.Open
		default:
			got = testcorpus.PathOutcome(fmt.Sprintf("%d/%d", u, p))
		}
		assert.Equal(t, c.Want, got)
	}
}

// TestSkipSpellings: the skip prefix lets through, without a token, only
// paths that every upstream reads as under it; the bypasses of the
// review (/healthz/..;/admin, /healthz/%2e%2e/admin%zz) are refused.
func TestSkipSpellings(t *testing.T) {
	clk := newClock(testcorpus.Now)
	vm := spellingVM(t, clk)
	for _, c := range testcorpus.SkipCases() {
		var got testcorpus.SkipOutcome
		switch st := status(t, vm, "GET", c.URI, ""); st {
		case 200:
			got = testcorpus.Skipped
		case 401:
			got = testcorpus.Verified
		case 400:
			got = testcorpus.SkipRefused
		default:
			got = testcorpus.SkipOutcome(fmt.Sprint(st))
		}
		assert.Equal(t, c.Want, got, "%q without a token: %s, want %s", c.URI, got, c.Want)
	}
}

// TestRouteOptions: case_sensitive opts a route out of case folding, and
// unicode_paths admits non-ASCII paths (still refusing the characters
// that map to ASCII).
func TestRouteOptions(t *testing.T) {
	clk := newClock(testcorpus.Now)
	h := newHost(t, clk)
	user := "Bearer " + hsToken(clk.now(), map[string]any{"roles": []string{"user"}})
	routes := []any{
		map[string]any{"prefix": "/Exact", "case_sensitive": true, "require_roles": map[string]any{"any": []string{"admin"}}},
		map[string]any{"prefix": "/café", "require_roles": map[string]any{"any": []string{"admin"}}},
	}
	_, err := h.NewVM(context.Background(), []byte(pluginConfig(testPolicy(), map[string]any{"routes": routes})))
	require.Error(t, err, "a non-ASCII prefix was accepted")
	routes = routes[:1]
	ascii := newVM(t, h, pluginConfig(testPolicy(), map[string]any{"routes": routes}))
	uni := newVM(t, h, pluginConfig(testPolicy(), map[string]any{"routes": routes, "unicode_paths": true}))
	for _, c := range []struct {
		vm   *proxytest.VM
		path string
		want int
	}{
		{ascii, "/Exact/x", 403}, {ascii, "/exact/x", 200}, {ascii, "/EXACT", 200},
		{ascii, "/caf%C3%A9", 400}, {ascii, "/caf\xc3\xa9", 400},
		{uni, "/caf%C3%A9", 200}, {uni, "/caf\xc3\xa9/x", 200}, {uni, "/%c0%af", 400}, {uni, "/\xef\xbc\xa5xact", 400}, {uni, "/Exact/caf%C3%A9", 403},
	} {
		got := status(t, c.vm, "GET", c.path, user)
		assert.Equal(t, c.want, got, "%q (unicode_paths %v): %d, want %d", c.path, c.vm == uni, got, c.want)
	}
	// The refusal is jwtgate's JSON error, without a challenge.
	wantRefused(t, do(t, ascii, request("/a%zz", user)), 400, "invalid_request", "")
}

package core

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func mustRoute(t *testing.T, spec RouteSpec) *Route {
	t.Helper()
	rt, err := NewRoute(spec)
	require.NoError(t, err)
	return rt
}

func mustClean(t *testing.T, uri string, opts PathOptions) Path {
	t.Helper()
	p, err := CleanPath(uri, opts)
	require.NoError(t, err, "%q", uri)
	return p
}

func TestRoutes(t *testing.T) {
	for prefix, field := range map[string]string{"reports": "prefix", "": "prefix", "/a//b": "prefix", "/a/../b": "prefix", "/a.": "prefix", "/a;b": "prefix", "/a%2f": "prefix", `/a\b`: "prefix", "/a b": "prefix", "/é": "prefix", "/./a": "prefix"} {
		_, err := NewRoute(RouteSpec{Prefix: prefix})
		var re *RouteError
		require.ErrorAs(t, err, &re, prefix)
		assert.Equal(t, field, re.Field)
	}
	_, err := NewRoute(RouteSpec{Prefix: "/r", Methods: []string{"GET", "g e t"}})
	var re *RouteError
	require.ErrorAs(t, err, &re)
	require.Equal(t, "methods[1]", re.Field)

	a := mustRoute(t, RouteSpec{Prefix: "/reports", Methods: []string{"get"}})
	b := mustRoute(t, RouteSpec{Prefix: "/reports/admin/"})
	c := mustRoute(t, RouteSpec{Prefix: "/Exact", CaseSensitive: true})
	d := mustRoute(t, RouteSpec{Prefix: "/upload", Methods: []string{"POST"}})
	routes := []*Route{a, b, c, d}
	SortRoutes(routes)
	for _, tc := range []struct {
		method, uri string
		want        *Route
	}{
		{"GET", "/reports", a},
		{"GET", "/reports/x?y=1", a},
		{"HEAD", "/reports/x", a}, // a GET route covers HEAD
		{"head", "/reports/x", a},
		{"POST", "/reports/x", nil},
		{"GET", "/reportsx", nil},
		{"POST", "/reports/admin/users", b},
		{"GET", "/reports/admin/", b},
		{"GET", "/reports/admin", b}, // a final "/" of a prefix changes nothing
		{"GET", "/public/../reports/admin/x", b},
		{"GET", "/reports/%61dmin/x", b},
		{"GET", "/REPORTS/Admin", b},
		{"GET", "/Exact/x", c},
		{"GET", "/exact/x", nil}, // case_sensitive: the opt-out
		{"GET", "/EXACT", nil},
		{"POST", "/upload", d},
		{"HEAD", "/upload", nil}, // HEAD is GET's only
	} {
		assert.Same(t, tc.want, SelectRoute(routes, tc.method, mustClean(t, tc.uri, PathOptions{})), "%s %s", tc.method, tc.uri)
	}
	root := mustRoute(t, RouteSpec{Prefix: "/"})
	assert.True(t, root.Matches("GET", mustClean(t, "/anything/x", PathOptions{})))
}

func TestSkipPrefix(t *testing.T) {
	_, err := NewSkipPrefix("healthz")
	require.Error(t, err)
	_, err = NewSkipPrefix("/health;z")
	require.Error(t, err)
	s, err := NewSkipPrefix("/healthz/")
	require.NoError(t, err)
	for uri, want := range map[string]bool{
		"/healthz": true, "/healthz/": true, "/healthz/live": true, "/healthz?x": true, "/health%7A": true,
		"/healthzx": false, "/HEALTHZ": false, "/healthz;x": false, "/healthz.": false, "/healthz%20": false,
		"//healthz": false, "/x/../healthz": false, "/./healthz": false, "/healthz//x": false, "/healthz/x;y": false,
		"/": false,
	} {
		assert.Equal(t, want, s.Covers(mustClean(t, uri, PathOptions{})), uri)
	}
}

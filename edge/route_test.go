package edge

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/jwtgate/jwtgate/core"
)

// table builds a route table and returns its routes by prefix.
func table(t *testing.T, configs ...RouteConfig) (Routes, map[string]*Route) {
	t.Helper()
	rs, err := NewRoutes(configs, nil)
	require.NoError(t, err)
	by := map[string]*Route{}
	for _, rt := range rs {
		by[rt.Prefix] = rt
	}
	return rs, by
}

func mustClean(t *testing.T, uri string, opts PathOptions) Path {
	t.Helper()
	p, err := CleanPath(uri, opts)
	require.NoError(t, err, "%q", uri)
	return p
}

func TestRoutes(t *testing.T) {
	for prefix, field := range map[string]string{"reports": "prefix", "": "prefix", "/a//b": "prefix", "/a/../b": "prefix", "/a.": "prefix", "/a;b": "prefix", "/a%2f": "prefix", `/a\b`: "prefix", "/a b": "prefix", "/é": "prefix", "/./a": "prefix"} {
		_, err := NewRoutes([]RouteConfig{{Prefix: "/ok"}, {Prefix: prefix}}, nil)
		var list RouteErrors
		require.ErrorAs(t, err, &list, prefix)
		require.Len(t, list, 1)
		assert.Equal(t, 1, list[0].Index)
		assert.Equal(t, field, list[0].Field)
	}
	_, err := NewRoutes([]RouteConfig{{Prefix: "/r", Methods: []string{"GET", "g e t"}}}, nil)
	var re *RouteError
	require.ErrorAs(t, err, &re)
	require.Equal(t, "methods[1]", re.Field)
	require.EqualError(t, err, `routes[0].methods[1]: "g e t" is not an HTTP method`)

	routes, by := table(t,
		RouteConfig{Prefix: "/reports", Methods: []string{"get"}},
		RouteConfig{Prefix: "/reports/admin/"},
		RouteConfig{Prefix: "/Exact", CaseSensitive: true},
		RouteConfig{Prefix: "/upload", Methods: []string{"POST"}})
	a, b, c, d := by["/reports"], by["/reports/admin/"], by["/Exact"], by["/upload"]
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
		assert.Same(t, tc.want, routes.Select(tc.method, mustClean(t, tc.uri, PathOptions{})), "%s %s", tc.method, tc.uri)
	}
	_, root := table(t, RouteConfig{Prefix: "/"})
	assert.True(t, root["/"].Matches("GET", mustClean(t, "/anything/x", PathOptions{})))
}

// Routes of one prefix keep their configured order; longer prefixes (in
// segments, then in bytes) come first.
func TestRoutesOrder(t *testing.T) {
	rs, _ := table(t,
		RouteConfig{Prefix: "/", Integration: "first"},
		RouteConfig{Prefix: "/a/bb"},
		RouteConfig{Prefix: "/a/b/c"},
		RouteConfig{Prefix: "/", Integration: "second"},
		RouteConfig{Prefix: "/a/b"})
	var got []string
	for _, rt := range rs {
		got = append(got, rt.Prefix+" "+rt.Integration)
	}
	assert.Equal(t, []string{"/a/b/c ", "/a/bb ", "/a/b ", "/ first", "/ second"}, got)
}

// A route's first problem is reported, every malformed route once, the
// requirements before the prefix; a pin must name an integration of the
// policy.
func TestRoutesErrors(t *testing.T) {
	p, err := core.ParsePolicy("policy", []byte(`integrations: [{name: a, issuer: "https://a.example", algorithms: [HS256], keys: [{secret: "0123456789abcdef0123456789abcdef"}]}]`), core.LoadOptions{})
	require.NoError(t, err)
	_, err = NewRoutes([]RouteConfig{
		{Prefix: "bad", RequireRoles: &core.Membership{}},
		{Prefix: "/ok", Integration: "a"},
		{Prefix: "/r", RequirePermissions: []string{"reports"}},
		{Prefix: "/pin", Integration: "nope"},
	}, p)
	var list RouteErrors
	require.ErrorAs(t, err, &list)
	require.Len(t, list, 3)
	assert.Equal(t, RouteError{Index: 0, Field: "require_roles", Reason: list[0].Reason}, *list[0])
	assert.Equal(t, 2, list[1].Index)
	assert.Equal(t, "require_permissions[0]", list[1].Field)
	assert.Equal(t, RouteError{Index: 3, Field: "integration", Reason: `the policy has no integration "nope"`}, *list[2])
	// Without a policy, pins are not checked.
	_, err = NewRoutes([]RouteConfig{{Prefix: "/pin", Integration: "nope"}}, nil)
	require.NoError(t, err)
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

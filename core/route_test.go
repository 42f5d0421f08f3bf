package core

import (
	"net/url"
	"testing"

	"github.com/stretchr/testify/require"
)

// CleanPath must decode exactly as net/url does (the hosts used it before
// the core took this over), or a path could match one way in a test and
// another behind a proxy.
func TestUnescapePathMatchesNetURL(t *testing.T) {
	for _, s := range []string{"", "/a", "/a%2Fb", "/%41%42", "/a+b", "/a%20b", "/%", "/%4", "/%zz", "/%e2%82%ac", "/%2e%2e/admin", "%", "/a%2"} {
		want, err := url.PathUnescape(s)
		got, ok := unescapePath(s)
		require.Equal(t, err == nil, ok, "%q", s)
		if ok {
			require.Equal(t, want, got, "%q", s)
		}
	}
}

func TestRoutes(t *testing.T) {
	_, err := NewRoute("reports", nil, nil)
	var re *RouteError
	require.ErrorAs(t, err, &re)
	require.Equal(t, "prefix", re.Field)
	_, err = NewRoute("/r", []string{"GET", "g e t"}, nil)
	require.ErrorAs(t, err, &re)
	require.Equal(t, "methods[1]", re.Field)

	a, err := NewRoute("/reports", []string{"get"}, nil)
	require.NoError(t, err)
	b, err := NewRoute("/reports/admin/", nil, nil)
	require.NoError(t, err)
	routes := []*Route{a, b}
	SortRoutes(routes)
	for _, c := range []struct {
		method, uri string
		want        *Route
	}{
		{"GET", "/reports", a},
		{"GET", "/reports/x?y=1", a},
		{"POST", "/reports/x", nil},
		{"GET", "/reportsx", nil},
		{"POST", "/reports/admin/users", b},
		{"GET", "/reports/admin/", b},
		{"GET", "/public/../reports/admin/x", b},
		{"GET", "/reports/%61dmin/x", b},
		{"GET", "/reports/admin", a},
	} {
		require.Same(t, c.want, SelectRoute(routes, c.method, CleanPath(c.uri)), "%s %s", c.method, c.uri)
	}
}

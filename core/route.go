package core

import (
	"fmt"
	"path"
	"sort"
	"strings"
)

// Route is a host's per-route requirement (jwtgate serve's routes for
// /v1/authz, the proxy filter's routes): a path prefix matched on whole
// segments, optional methods, and the Requirements a valid decision must
// meet there. Hosts share it so that a request path is judged alike behind
// every proxy.
type Route struct {
	// Prefix is the path prefix, starting with "/".
	Prefix string
	// Requirements are what the decision must meet on this route.
	Requirements *Requirements
	methods      map[string]bool // nil: any method
}

// RouteError says which part of a route is malformed: Field is "prefix" or
// "methods[i]".
type RouteError struct {
	Field  string
	Reason string
}

func (e *RouteError) Error() string { return e.Field + ": " + e.Reason }

// NewRoute validates a route. Methods are case-insensitive; none means any.
func NewRoute(prefix string, methods []string, req *Requirements) (*Route, error) {
	if !strings.HasPrefix(prefix, "/") {
		return nil, &RouteError{Field: "prefix", Reason: fmt.Sprintf("want a path starting with /, found %q", prefix)}
	}
	rt := &Route{Prefix: prefix, Requirements: req}
	for i, m := range methods {
		up := strings.ToUpper(m)
		if !isMethod(up) {
			return nil, &RouteError{Field: fmt.Sprintf("methods[%d]", i), Reason: fmt.Sprintf("%q is not an HTTP method", m)}
		}
		if rt.methods == nil {
			rt.methods = map[string]bool{}
		}
		rt.methods[up] = true
	}
	return rt, nil
}

func isMethod(m string) bool {
	if m == "" || len(m) > 20 {
		return false
	}
	for i := 0; i < len(m); i++ {
		if m[i] < 'A' || m[i] > 'Z' {
			return false
		}
	}
	return true
}

// SortRoutes orders routes longest prefix first, the order SelectRoute
// expects.
func SortRoutes(routes []*Route) {
	sort.SliceStable(routes, func(i, j int) bool { return len(routes[i].Prefix) > len(routes[j].Prefix) })
}

// SelectRoute returns the first route (after SortRoutes: the longest
// prefix) whose methods include method and whose prefix matches the
// cleaned path (see CleanPath), or nil.
func SelectRoute(routes []*Route, method, cleanPath string) *Route {
	for _, rt := range routes {
		if rt.Matches(method, cleanPath) {
			return rt
		}
	}
	return nil
}

// Matches reports whether the route applies to method and the cleaned path.
func (r *Route) Matches(method, cleanPath string) bool {
	return (r.methods == nil || r.methods[method]) && MatchPrefix(r.Prefix, cleanPath)
}

// MatchPrefix matches whole path segments: /reports matches /reports and
// /reports/x but not /reportsx; a prefix ending in / matches below it.
func MatchPrefix(prefix, p string) bool {
	if !strings.HasPrefix(p, prefix) {
		return false
	}
	return len(p) == len(prefix) || strings.HasSuffix(prefix, "/") || p[len(prefix)] == '/'
}

// CleanPath returns the path of a request URI, percent-decoded and with dot
// segments removed, so that /public/../admin is matched as /admin. A
// trailing slash is kept; a malformed escape leaves the path undecoded.
func CleanPath(uri string) string {
	if i := strings.IndexAny(uri, "?#"); i >= 0 {
		uri = uri[:i]
	}
	if dec, ok := unescapePath(uri); ok {
		uri = dec
	}
	if uri == "" || uri[0] != '/' {
		uri = "/" + uri
	}
	p := path.Clean(uri)
	if strings.HasSuffix(uri, "/") && p != "/" {
		p += "/"
	}
	return p
}

// unescapePath decodes %XX escapes as net/url.PathUnescape does ("+" stays
// "+"), reporting false for a malformed escape. The core may not import
// net/url.
func unescapePath(s string) (string, bool) {
	if strings.IndexByte(s, '%') < 0 {
		return s, true
	}
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); i++ {
		if s[i] != '%' {
			b.WriteByte(s[i])
			continue
		}
		if i+2 >= len(s) || !isHex(s[i+1]) || !isHex(s[i+2]) {
			return "", false
		}
		b.WriteByte(unhex(s[i+1])<<4 | unhex(s[i+2]))
		i += 2
	}
	return b.String(), true
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

func unhex(c byte) byte {
	switch {
	case c <= '9':
		return c - '0'
	case c <= 'F':
		return c - 'A' + 10
	}
	return c - 'a' + 10
}

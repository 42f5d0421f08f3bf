package core

import (
	"fmt"
	"sort"
	"strings"
)

// Route is a host's per-route requirement (jwtgate serve's routes for
// /v1/authz, the proxy filter's routes): a path prefix matched on whole
// segments of the canonical path (see CleanPath), optional methods, and
// the Requirements a valid decision must meet there. Hosts share it so
// that a request path is judged alike behind every proxy.
type Route struct {
	// Prefix is the path prefix as configured, starting with "/".
	Prefix string
	// Requirements are what the decision must meet on this route.
	Requirements  *Requirements
	canonical     string          // Prefix without a final "/"; "/" for the root
	depth         int             // its number of segments
	caseSensitive bool            // else ASCII letters match in any case
	methods       map[string]bool // nil: any method
}

// RouteSpec is a route as configured.
type RouteSpec struct {
	Prefix string
	// Methods are case-insensitive; none means any. GET includes HEAD,
	// which upstreams answer with the GET handler.
	Methods []string
	// CaseSensitive matches the prefix's letters in their case only. By
	// default /admin also covers /ADMIN, which case-insensitive upstreams
	// (IIS, many routers) serve as /admin.
	CaseSensitive bool
	Requirements  *Requirements
}

// RouteError says which part of a route is malformed: Field is "prefix" or
// "methods[i]".
type RouteError struct {
	Field  string
	Reason string
}

func (e *RouteError) Error() string { return e.Field + ": " + e.Reason }

// NewRoute validates a route.
func NewRoute(spec RouteSpec) (*Route, error) {
	canon, err := canonicalPrefix(spec.Prefix)
	if err != nil {
		return nil, &RouteError{Field: "prefix", Reason: err.Error()}
	}
	rt := &Route{Prefix: spec.Prefix, Requirements: spec.Requirements, canonical: canon, depth: depth(canon), caseSensitive: spec.CaseSensitive}
	for i, m := range spec.Methods {
		up := strings.ToUpper(m)
		if !isMethod(up) {
			return nil, &RouteError{Field: fmt.Sprintf("methods[%d]", i), Reason: fmt.Sprintf("%q is not an HTTP method", m)}
		}
		if rt.methods == nil {
			rt.methods = map[string]bool{}
		}
		rt.methods[up] = true
		if up == "GET" {
			rt.methods["HEAD"] = true
		}
	}
	return rt, nil
}

// canonicalPrefix checks a configured prefix and returns it in the form
// CleanPath gives paths. A prefix must be spelled canonically, in
// printable ASCII, since a path is matched only after CleanPath has
// dropped what such a prefix would need: escapes, ";", backslashes,
// empty and dot segments, segments ending in a dot.
func canonicalPrefix(prefix string) (string, error) {
	if !strings.HasPrefix(prefix, "/") {
		return "", fmt.Errorf("want a path starting with /, found %q", prefix)
	}
	for i := 0; i < len(prefix); i++ {
		if c := prefix[i]; c <= ' ' || c >= 0x7f || strings.IndexByte(`%;\?#`, c) >= 0 {
			return "", fmt.Errorf("%q: a prefix is printable ASCII without spaces, %%, ;, \\, ? or #", prefix)
		}
	}
	canon := strings.TrimSuffix(prefix, "/")
	if canon == "" {
		return "/", nil
	}
	for _, seg := range strings.Split(canon[1:], "/") {
		if seg == "" || seg == "." || seg == ".." || strings.HasSuffix(seg, ".") {
			return "", fmt.Errorf("%q: want a canonical path, without empty or dot segments or segments ending in a dot", prefix)
		}
	}
	return canon, nil
}

func depth(canon string) int {
	if canon == "/" {
		return 0
	}
	return strings.Count(canon, "/")
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

// SortRoutes orders routes longest prefix first (in segments, then in
// bytes), the order SelectRoute expects; routes of one prefix keep their
// order.
func SortRoutes(routes []*Route) {
	sort.SliceStable(routes, func(i, j int) bool {
		a, b := routes[i], routes[j]
		if a.depth != b.depth {
			return a.depth > b.depth
		}
		return len(a.canonical) > len(b.canonical)
	})
}

// SelectRoute returns the first route (after SortRoutes: the longest
// prefix) whose methods include method and whose prefix covers the path,
// or nil.
func SelectRoute(routes []*Route, method string, p Path) *Route {
	for _, rt := range routes {
		if rt.Matches(method, p) {
			return rt
		}
	}
	return nil
}

// Matches reports whether the route applies to method (in any case) and
// the path.
func (r *Route) Matches(method string, p Path) bool {
	return (r.methods == nil || r.methods[strings.ToUpper(method)]) && underPrefix(r.canonical, p.canonical, !r.caseSensitive)
}

// SkipPrefix is a path prefix under which a host lets requests through
// unverified (health checks). The opposite of a route, it must cover only
// what every upstream reads as under it: the path must be exact (see
// Path) and its letters in the prefix's case.
type SkipPrefix struct{ canonical string }

// NewSkipPrefix validates a skip prefix, as a route's.
func NewSkipPrefix(prefix string) (*SkipPrefix, error) {
	canon, err := canonicalPrefix(prefix)
	if err != nil {
		return nil, err
	}
	return &SkipPrefix{canonical: canon}, nil
}

// Covers reports whether the path is under the prefix.
func (s *SkipPrefix) Covers(p Path) bool {
	return p.exact && underPrefix(s.canonical, p.canonical, false)
}

// underPrefix matches whole segments of canonical forms: /reports covers
// /reports and /reports/x, not /reportsx; "/" covers everything. fold
// compares ASCII letters in any case (only ASCII: a prefix is ASCII).
func underPrefix(prefix, p string, fold bool) bool {
	if prefix == "/" {
		return true
	}
	if len(p) < len(prefix) || !equalASCII(p[:len(prefix)], prefix, fold) {
		return false
	}
	return len(p) == len(prefix) || p[len(prefix)] == '/'
}

func equalASCII(a, b string, fold bool) bool {
	if !fold {
		return a == b
	}
	for i := 0; i < len(a); i++ {
		if lowerASCII(a[i]) != lowerASCII(b[i]) {
			return false
		}
	}
	return true
}

func lowerASCII(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

package edge

import (
	"fmt"
	"slices"
	"strings"

	"github.com/jwtgate/jwtgate/core"
	"github.com/jwtgate/jwtgate/internal/errlist"
)

// Route is one route of a host's table (jwtgate serve's service.routes,
// the proxy filter's routes): a path prefix matched on whole segments of
// the canonical path (see CleanPath), optional methods, the Requirements a
// valid decision must meet there, and an optional integration pin. Hosts
// share it so that a request path is judged alike behind every proxy.
type Route struct {
	// Prefix is the path prefix as configured, starting with "/".
	Prefix string
	// Requirements are what the decision must meet on this route
	// (core.Decision.Unmet).
	Requirements *core.Requirements
	// Integration, when set, pins the route to one integration of the
	// policy: hosts verify its tokens with core.Request.Integration, so
	// that a token of another issuer is configuration_not_found.
	Integration   string
	canonical     string          // Prefix without a final "/"; "/" for the root
	depth         int             // its number of segments
	caseSensitive bool            // else ASCII letters match in any case
	methods       map[string]bool // nil: any method
}

// Routes is a route table, longest prefix first (in segments, then in
// bytes; routes of one prefix in their configured order), the order
// Select relies on. Build it with NewRoutes.
type Routes []*Route

// NewRoutes validates route configurations and sorts them. A pin must name
// one of policy's integrations (nil: pins are not checked). Every route's
// first problem is reported, as RouteErrors.
func NewRoutes(configs []RouteConfig, policy *core.Policy) (Routes, error) {
	var rs Routes
	var bad RouteErrors
	for i, c := range configs {
		rt, err := c.route(policy)
		if err != nil {
			err.Index = i
			bad = append(bad, err)
			continue
		}
		rs = append(rs, rt)
	}
	if len(bad) > 0 {
		return nil, bad
	}
	slices.SortStableFunc(rs, func(a, b *Route) int {
		if a.depth != b.depth {
			return b.depth - a.depth
		}
		return len(b.canonical) - len(a.canonical)
	})
	return rs, nil
}

// Select returns the first route (the longest prefix) whose methods
// include method and whose prefix covers the path, or nil.
func (rs Routes) Select(method string, p Path) *Route {
	for _, rt := range rs {
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

// RouteError says which part of a route is malformed. Index is the route's
// place in the configured list; Field is "prefix", "methods[i]",
// "integration" or one of core.RequirementsError's fields.
type RouteError struct {
	Index  int    // the route's place in the list, from 0
	Field  string // the route's field at fault
	Reason string // what is wrong with it
}

// Error returns "routes[INDEX].FIELD: reason".
func (e *RouteError) Error() string {
	return fmt.Sprintf("routes[%d].%s: %s", e.Index, e.Field, e.Reason)
}

// RouteErrors are the problems of a route table, one per malformed route.
type RouteErrors []*RouteError

// Error returns every problem's Error, one per line.
func (es RouteErrors) Error() string { return errlist.Error(es) }

// Unwrap lets errors.As find each *RouteError.
func (es RouteErrors) Unwrap() []error { return errlist.Unwrap(es) }

// route validates one route configuration: its requirements first, then
// its prefix, methods and pin.
func (c RouteConfig) route(policy *core.Policy) (*Route, *RouteError) {
	req, err := core.NewRequirements(c.RequirePermissions, c.RequireRoles, c.RequireGroups)
	if err != nil {
		re, _ := err.(*core.RequirementsError)
		if re == nil {
			return nil, &RouteError{Field: "require_permissions", Reason: err.Error()}
		}
		return nil, &RouteError{Field: re.Field, Reason: re.Reason}
	}
	canon, perr := canonicalPrefix(c.Prefix)
	if perr != nil {
		return nil, &RouteError{Field: "prefix", Reason: perr.Error()}
	}
	rt := &Route{Prefix: c.Prefix, Requirements: req, Integration: c.Integration, canonical: canon, depth: depth(canon), caseSensitive: c.CaseSensitive}
	for i, m := range c.Methods {
		up := strings.ToUpper(m)
		if !isMethod(up) {
			return nil, &RouteError{Field: fmt.Sprintf("methods[%d]", i), Reason: fmt.Sprintf("%q is not an HTTP method", m)}
		}
		if rt.methods == nil {
			rt.methods = map[string]bool{}
		}
		rt.methods[up] = true
		if up == "GET" {
			rt.methods["HEAD"] = true // upstreams answer HEAD with the GET handler
		}
	}
	if c.Integration != "" && policy != nil {
		if _, ok := policy.Integration(c.Integration); !ok {
			return nil, &RouteError{Field: "integration", Reason: fmt.Sprintf("the policy has no integration %q", c.Integration)}
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

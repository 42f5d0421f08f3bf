// Package permission parses and matches permission strings of the form
//
//	resource:action[:scope[:target]]
//
// for example "users:read", "applications:admin", "reports:read:own" or
// "settings:write:tenant:123". A permission found in a token is a grant
// (see [ParseGrant]); a permission demanded by a policy is a requirement
// (see [ParseRequirement]). A [Set] of grants allows a requirement when at
// least one grant satisfies it.
//
// # Syntax
//
// Segments are separated by ':'. resource and action are required; scope and
// target are optional, and a target can only be given together with a scope.
// A permission is invalid when it has fewer than 2 or more than 4 segments, an
// empty segment (including a trailing ':'), a scope other than own, team,
// tenant or global, a segment containing whitespace, control characters,
// invisible formatting characters or invalid UTF-8, or when it is longer than
// 256 bytes.
//
// # Matching
//
// A grant satisfies a requirement when all of the following hold:
//
//   - Resource: the grant's resource equals the requirement's (exact,
//     case-sensitive), or the grant's resource is "*".
//   - Action: the grant's action equals the requirement's (exact,
//     case-sensitive), or the grant's action is "*", or the grant's action is
//     "admin", which implies every action on the grant's resource (including
//     "admin" itself) but nothing on other resources.
//   - Scope: scopes are ordered own < team < tenant < global, and the grant's
//     scope must be at least the required scope; a broader grant satisfies a
//     narrower requirement, never the reverse. A grant without a scope has
//     tenant scope (the token was issued for one tenant). A requirement
//     without a scope ([ScopeAny]) is satisfied by a grant of any scope, which
//     makes it equivalent to requiring own.
//   - Target: a grant without a target satisfies requirements with any target
//     or none. A grant with a target satisfies only requirements naming the
//     same target (exact, case-sensitive); in particular it does not satisfy a
//     requirement without a target, because a targeted grant is narrower.
//
// "*" is a wildcard only as the whole resource or action segment of a grant;
// a grant with '*' anywhere else (inside a longer segment, or in the scope or
// target) is invalid. Requirements must name a concrete resource and action,
// so a requirement containing '*' anywhere is invalid.
//
// # Errors
//
// Invalid grants inside a token are not errors: [NewSet] drops them (they
// grant nothing) and reports them through [Set.Invalid] for tracing. Invalid
// requirements come from configuration and are reported by
// [ParseRequirement] as an [*Error], so they can be refused at load time.
package permission

import (
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// maxLen is the maximum length, in bytes, of a permission string.
const maxLen = 256

// wildcard is the grant segment that matches any resource or any action.
const wildcard = "*"

// actionAdmin is the grant action that implies every action on its resource.
const actionAdmin = "admin"

// Scope is the breadth of a permission. Scopes are ordered
// ScopeOwn < ScopeTeam < ScopeTenant < ScopeGlobal; a grant satisfies a
// requirement of its own scope or any narrower one.
type Scope uint8

const (
	// ScopeAny is the scope of a requirement that names no scope; it is
	// satisfied by a grant of any scope. It is only meaningful in
	// requirements: a grant without a scope has ScopeTenant.
	ScopeAny Scope = iota
	// ScopeOwn covers only the subject's own objects ("own").
	ScopeOwn
	// ScopeTeam covers the objects of the subject's team ("team").
	ScopeTeam
	// ScopeTenant covers the objects of the subject's tenant ("tenant").
	ScopeTenant
	// ScopeGlobal covers all objects of all tenants ("global").
	ScopeGlobal
)

// String returns the scope word as written in a permission ("own", "team",
// "tenant", "global"), "any" for ScopeAny, and "Scope(N)" for values outside
// the defined range.
func (s Scope) String() string {
	switch s {
	case ScopeAny:
		return "any"
	case ScopeOwn:
		return "own"
	case ScopeTeam:
		return "team"
	case ScopeTenant:
		return "tenant"
	case ScopeGlobal:
		return "global"
	}
	return "Scope(" + strconv.Itoa(int(s)) + ")"
}

// parseScope maps a scope word to its Scope. The comparison is exact.
func parseScope(s string) (Scope, bool) {
	switch s {
	case "own":
		return ScopeOwn, true
	case "team":
		return ScopeTeam, true
	case "tenant":
		return ScopeTenant, true
	case "global":
		return ScopeGlobal, true
	}
	return ScopeAny, false
}

// Permission is a parsed permission. Values returned by [ParseGrant] always
// have a scope other than ScopeAny; values returned by [ParseRequirement]
// have ScopeAny when the text named no scope.
type Permission struct {
	// Resource is the first segment, e.g. "users"; "*" in a grant matches
	// any resource.
	Resource string
	// Action is the second segment, e.g. "read"; "*" in a grant matches any
	// action, and "admin" in a grant implies every action on its resource.
	Action string
	// Scope is the third segment; ScopeAny when a requirement names none.
	Scope Scope
	// Target is the optional fourth segment, e.g. a tenant id; empty when
	// absent.
	Target string
}

// String returns the canonical text form resource:action[:scope[:target]].
// The scope is omitted for ScopeAny unless a target is present, in which case
// "own" (the equivalent requirement scope) is written so the result stays
// parseable. For any Permission returned by ParseGrant or ParseRequirement,
// parsing the result again with the same function yields an equal value.
func (p Permission) String() string {
	if p.Scope == ScopeAny && p.Target == "" {
		return p.Resource + ":" + p.Action
	}
	scope := p.Scope
	if scope == ScopeAny {
		scope = ScopeOwn
	}
	if p.Target == "" {
		return p.Resource + ":" + p.Action + ":" + scope.String()
	}
	return p.Resource + ":" + p.Action + ":" + scope.String() + ":" + p.Target
}

// Error describes a permission string that could not be parsed.
type Error struct {
	// Input is the complete string that was rejected.
	Input string
	// Reason says why it was rejected, e.g. "empty action".
	Reason string
}

// maxQuoted is how many bytes of Input are quoted in Error's message.
const maxQuoted = 64

// Error returns a message like `permission "x::y": empty action`. Inputs
// longer than 64 bytes are shortened in the message; the Input field always
// holds the full string.
func (e *Error) Error() string {
	in, more := e.Input, ""
	if len(in) > maxQuoted {
		n := maxQuoted
		for n > 0 && !utf8.RuneStart(in[n]) {
			n--
		}
		in, more = in[:n], "..."
	}
	return "permission " + strconv.Quote(in) + more + ": " + e.Reason
}

// kind selects the grant or requirement flavour of parsing.
type kind uint8

const (
	grant kind = iota
	requirement
)

// ParseGrant parses a permission as found in a token. "*" is accepted as the
// whole resource or action segment, and a missing scope means ScopeTenant.
// On failure it returns an [*Error].
func ParseGrant(s string) (Permission, error) {
	p, reason := parse(s, grant)
	if reason != "" {
		return Permission{}, &Error{Input: s, Reason: reason}
	}
	return p, nil
}

// ParseRequirement parses a permission as required by a policy. A requirement
// must not contain '*', and a missing scope means ScopeAny (satisfied by a
// grant of any scope). On failure it returns an [*Error].
func ParseRequirement(s string) (Permission, error) {
	p, reason := parse(s, requirement)
	if reason != "" {
		return Permission{}, &Error{Input: s, Reason: reason}
	}
	return p, nil
}

// parse splits and validates s. It returns a non-empty reason on failure and
// never allocates on success (the fields are substrings of s).
func parse(s string, k kind) (Permission, string) {
	if s == "" {
		return Permission{}, "empty"
	}
	if len(s) > maxLen {
		return Permission{}, "longer than " + strconv.Itoa(maxLen) + " bytes"
	}
	var p Permission
	resource, rest, ok := strings.Cut(s, ":")
	if !ok {
		return Permission{}, "missing action"
	}
	action, rest, hasScope := strings.Cut(rest, ":")
	var scope, target string
	hasTarget := false
	if hasScope {
		scope, rest, hasTarget = strings.Cut(rest, ":")
		if hasTarget {
			target = rest
			if strings.IndexByte(target, ':') >= 0 {
				return Permission{}, "too many segments"
			}
		}
	}
	if r := checkSegment(resource, "resource", k, true); r != "" {
		return Permission{}, r
	}
	if r := checkSegment(action, "action", k, true); r != "" {
		return Permission{}, r
	}
	p.Resource, p.Action = resource, action
	if k == grant {
		p.Scope = ScopeTenant
	}
	if hasScope {
		if r := checkSegment(scope, "scope", k, false); r != "" {
			return Permission{}, r
		}
		sc, ok := parseScope(scope)
		if !ok {
			return Permission{}, "unknown scope " + strconv.Quote(scope)
		}
		p.Scope = sc
	}
	if hasTarget {
		if r := checkSegment(target, "target", k, false); r != "" {
			return Permission{}, r
		}
		p.Target = target
	}
	return p, ""
}

// checkSegment validates one segment and returns a reason, or "" when it is
// valid. wildcardOK reports whether a grant may use "*" as this segment.
func checkSegment(seg, name string, k kind, wildcardOK bool) string {
	if seg == "" {
		return "empty " + name
	}
	if seg == wildcard && k == grant && wildcardOK {
		return ""
	}
	for i := 0; i < len(seg); {
		c := seg[i]
		if c < utf8.RuneSelf {
			switch {
			case c == '*':
				if k == requirement {
					return "wildcard \"*\" not allowed in requirement " + name
				}
				if wildcardOK {
					return "wildcard \"*\" must be the whole " + name
				}
				return "wildcard \"*\" not allowed in " + name
			case c <= ' ' || c == 0x7f || c == ':':
				return "invalid character " + quoteRune(rune(c)) + " in " + name
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(seg[i:])
		if r == utf8.RuneError && size == 1 {
			return "invalid UTF-8 in " + name
		}
		if unicode.IsSpace(r) || unicode.IsControl(r) || unicode.Is(unicode.Cf, r) {
			return "invalid character " + quoteRune(r) + " in " + name
		}
		i += size
	}
	return ""
}

// quoteRune formats r as U+XXXX for error messages.
func quoteRune(r rune) string {
	h := strings.ToUpper(strconv.FormatInt(int64(r), 16))
	for len(h) < 4 {
		h = "0" + h
	}
	return "U+" + h
}

// Set is a parsed list of grants. The zero Set allows nothing. A Set is
// immutable after construction and safe for concurrent use.
type Set struct {
	grants  []Permission
	invalid []string
}

// NewSet parses grants with [ParseGrant], silently dropping invalid ones;
// [Set.Invalid] reports the dropped strings for tracing.
func NewSet(grants []string) Set {
	var s Set
	if len(grants) == 0 {
		return s
	}
	s.grants = make([]Permission, 0, len(grants))
	for _, g := range grants {
		p, reason := parse(g, grant)
		if reason != "" {
			s.invalid = append(s.invalid, g)
			continue
		}
		s.grants = append(s.grants, p)
	}
	return s
}

// Invalid returns, in input order, the grant strings that NewSet dropped
// because they did not parse. It returns nil when there were none. The
// returned slice is a copy.
func (s Set) Invalid() []string {
	if len(s.invalid) == 0 {
		return nil
	}
	out := make([]string, len(s.invalid))
	copy(out, s.invalid)
	return out
}

// Allows reports whether any grant in s satisfies req, following the rules in
// the package documentation. A req that ParseRequirement would not produce
// (empty or '*' segments, invalid characters, an out-of-range scope) is never
// allowed; a ScopeAny req with a Target is treated like ScopeOwn.
func (s Set) Allows(req Permission) bool {
	if len(s.grants) == 0 || !validRequirement(req) {
		return false
	}
	for i := range s.grants {
		if satisfies(&s.grants[i], &req) {
			return true
		}
	}
	return false
}

// AllowsString parses req with [ParseRequirement] and reports whether it is
// allowed; an invalid requirement is never allowed.
func (s Set) AllowsString(req string) bool {
	p, reason := parse(req, requirement)
	if reason != "" {
		return false
	}
	return s.Allows(p)
}

// validRequirement reports whether req could have come from ParseRequirement
// (allowing ScopeAny together with a Target).
func validRequirement(req Permission) bool {
	if req.Scope > ScopeGlobal || textLen(req) > maxLen {
		return false
	}
	if checkSegment(req.Resource, "", requirement, false) != "" ||
		checkSegment(req.Action, "", requirement, false) != "" {
		return false
	}
	if req.Target != "" && checkSegment(req.Target, "", requirement, false) != "" {
		return false
	}
	return true
}

// textLen returns len(p.String()) without building the string. p.Scope must
// be in range.
func textLen(p Permission) int {
	n := len(p.Resource) + 1 + len(p.Action)
	if p.Scope == ScopeAny && p.Target == "" {
		return n
	}
	switch p.Scope {
	case ScopeAny, ScopeOwn:
		n += 1 + len("own")
	case ScopeTeam:
		n += 1 + len("team")
	default:
		n += 1 + len("tenant") // "global" has the same length
	}
	if p.Target != "" {
		n += 1 + len(p.Target)
	}
	return n
}

// satisfies reports whether grant g satisfies requirement r.
func satisfies(g, r *Permission) bool {
	if g.Resource != wildcard && g.Resource != r.Resource {
		return false
	}
	if g.Action != wildcard && g.Action != actionAdmin && g.Action != r.Action {
		return false
	}
	if g.Scope < r.Scope {
		return false
	}
	return g.Target == "" || g.Target == r.Target
}

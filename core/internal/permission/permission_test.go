package permission

import (
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestScopeString(t *testing.T) {
	tests := []struct {
		scope Scope
		want  string
	}{
		{ScopeAny, "any"},
		{ScopeOwn, "own"},
		{ScopeTeam, "team"},
		{ScopeTenant, "tenant"},
		{ScopeGlobal, "global"},
		{Scope(5), "Scope(5)"},
		{Scope(255), "Scope(255)"},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, tt.scope.String())
	}
}

func TestScopeOrder(t *testing.T) {
	assert.Less(t, ScopeAny, ScopeOwn)
	assert.Less(t, ScopeOwn, ScopeTeam)
	assert.Less(t, ScopeTeam, ScopeTenant)
	assert.Less(t, ScopeTenant, ScopeGlobal)
	assert.Equal(t, Scope(0), ScopeAny)
}

func TestParseGrantValid(t *testing.T) {
	tests := []struct {
		in   string
		want Permission
	}{
		{"users:read", Permission{"users", "read", ScopeTenant, ""}},
		{"applications:admin", Permission{"applications", "admin", ScopeTenant, ""}},
		{"reports:read:own", Permission{"reports", "read", ScopeOwn, ""}},
		{"reports:read:team", Permission{"reports", "read", ScopeTeam, ""}},
		{"reports:read:tenant", Permission{"reports", "read", ScopeTenant, ""}},
		{"reports:read:global", Permission{"reports", "read", ScopeGlobal, ""}},
		{"settings:write:tenant:123", Permission{"settings", "write", ScopeTenant, "123"}},
		{"*:read", Permission{"*", "read", ScopeTenant, ""}},
		{"users:*", Permission{"users", "*", ScopeTenant, ""}},
		{"*:*:global", Permission{"*", "*", ScopeGlobal, ""}},
		{"Users:READ", Permission{"Users", "READ", ScopeTenant, ""}},
		{"a.b-c_d/e:x", Permission{"a.b-c_d/e", "x", ScopeTenant, ""}},
		{"ressource:lire:own:é", Permission{"ressource", "lire", ScopeOwn, "é"}},
		{strings.Repeat("r", maxLen-2) + ":a", Permission{strings.Repeat("r", maxLen-2), "a", ScopeTenant, ""}},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseGrant(tt.in)
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestParseRequirementValid(t *testing.T) {
	tests := []struct {
		in   string
		want Permission
	}{
		{"users:read", Permission{"users", "read", ScopeAny, ""}},
		{"applications:admin", Permission{"applications", "admin", ScopeAny, ""}},
		{"reports:read:own", Permission{"reports", "read", ScopeOwn, ""}},
		{"reports:read:team", Permission{"reports", "read", ScopeTeam, ""}},
		{"reports:read:tenant", Permission{"reports", "read", ScopeTenant, ""}},
		{"reports:read:global", Permission{"reports", "read", ScopeGlobal, ""}},
		{"settings:write:tenant:123", Permission{"settings", "write", ScopeTenant, "123"}},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseRequirement(tt.in)
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
}

// malformed inputs are invalid both as grants and as requirements.
var malformed = []struct {
	in     string
	reason string
}{
	{"", "empty"},
	{":", "empty resource"},
	{"::", "empty resource"},
	{"a", "missing action"},
	{"a:", "empty action"},
	{":b", "empty resource"},
	{"a::b", "empty action"},
	{"a:b:", "empty scope"},
	{"a:b::t", "empty scope"},
	{"a:b:own:", "empty target"},
	{"a:b:c:d:e", "too many segments"},
	{"a:b:own:t:", "too many segments"},
	{"a:b:weird", `unknown scope "weird"`},
	{"a:b:Own", `unknown scope "Own"`},
	{"a:b:any", `unknown scope "any"`},
	{"a:b:weird:t", `unknown scope "weird"`},
	{"a b:c", "invalid character U+0020 in resource"},
	{" a:b", "invalid character U+0020 in resource"},
	{"a:b ", "invalid character U+0020 in action"},
	{"a:b:own: t", "invalid character U+0020 in target"},
	{"a\tb:c", "invalid character U+0009 in resource"},
	{"a:b\n", "invalid character U+000A in action"},
	{"a:b\r", "invalid character U+000D in action"},
	{"a\x00:b", "invalid character U+0000 in resource"},
	{"a:\x1bb", "invalid character U+001B in action"},
	{"a:b\x7f", "invalid character U+007F in action"},
	{"a:b:own:t\u0085", "invalid character U+0085 in target"},
	{"a\u00a0:b", "invalid character U+00A0 in resource"},
	{"a\u2028:b", "invalid character U+2028 in resource"},
	{"a\u3000:b", "invalid character U+3000 in resource"},
	{"a\u200b:b", "invalid character U+200B in resource"},
	{"a:b\u202e", "invalid character U+202E in action"},
	{"a:b\ufeff", "invalid character U+FEFF in action"},
	{"a\xff:b", "invalid UTF-8 in resource"},
	{"a:b:own:\xc3", "invalid UTF-8 in target"},
	{"a:b:*", `wildcard "*" not allowed in`},
	{strings.Repeat("r", maxLen-1) + ":a", "longer than 256 bytes"},
	{strings.Repeat("a", 10000) + ":read", "longer than 256 bytes"},
	{"a:" + strings.Repeat("b:", 5000), "longer than 256 bytes"},
}

func TestParseMalformed(t *testing.T) {
	for _, tt := range malformed {
		name := tt.in
		if len(name) > 40 {
			name = name[:40]
		}
		t.Run(name, func(t *testing.T) {
			for _, parse := range []func(string) (Permission, error){ParseGrant, ParseRequirement} {
				p, err := parse(tt.in)
				require.Error(t, err)
				assert.Equal(t, Permission{}, p)
				var perr *Error
				require.True(t, errors.As(err, &perr))
				assert.Equal(t, tt.in, perr.Input)
				assert.Contains(t, perr.Reason, tt.reason)
			}
			s := NewSet([]string{tt.in})
			assert.Equal(t, []string{tt.in}, s.Invalid())
			assert.False(t, s.AllowsString("a:b"))
		})
	}
}

func TestParseWildcards(t *testing.T) {
	tests := []struct {
		in            string
		grantOK       bool
		requirementOK bool
	}{
		{"*:read", true, false},
		{"users:*", true, false},
		{"*:*", true, false},
		{"*:*:global", true, false},
		{"*:admin:own", true, false},
		{"users:read:own:*", false, false},
		{"users:read:*", false, false},
		{"user*:read", false, false},
		{"users:re*d", false, false},
		{"**:read", false, false},
		{"users:read:own:t*", false, false},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			_, err := ParseGrant(tt.in)
			assert.Equal(t, tt.grantOK, err == nil, "ParseGrant error: %v", err)
			_, err = ParseRequirement(tt.in)
			assert.Equal(t, tt.requirementOK, err == nil, "ParseRequirement error: %v", err)
			if err != nil {
				assert.Contains(t, err.Error(), `wildcard "*"`)
			}
		})
	}
}

func TestErrorMessage(t *testing.T) {
	_, err := ParseRequirement("x::y")
	require.Error(t, err)
	assert.Equal(t, `permission "x::y": empty action`, err.Error())

	_, err = ParseRequirement("a:b:weird")
	assert.Equal(t, `permission "a:b:weird": unknown scope "weird"`, err.Error())

	_, err = ParseRequirement("users:*")
	assert.Equal(t, `permission "users:*": wildcard "*" not allowed in requirement action`, err.Error())

	_, err = ParseGrant("a\nb:c")
	assert.Equal(t, `permission "a\nb:c": invalid character U+000A in resource`, err.Error())

	long := strings.Repeat("é", 150) + ":read"
	_, err = ParseGrant(long)
	var perr *Error
	require.True(t, errors.As(err, &perr))
	assert.Equal(t, long, perr.Input)
	assert.Equal(t, `permission "`+strings.Repeat("é", 32)+`"...: longer than 256 bytes`, err.Error())

	// Error is usable on a hand-built value, even one with cut UTF-8.
	e := &Error{Input: strings.Repeat("a", 63) + "é", Reason: "r"}
	assert.Equal(t, `permission "`+strings.Repeat("a", 63)+`"...: r`, e.Error())
}

func TestPermissionString(t *testing.T) {
	tests := []struct {
		p    Permission
		want string
	}{
		{Permission{"users", "read", ScopeAny, ""}, "users:read"},
		{Permission{"users", "read", ScopeOwn, ""}, "users:read:own"},
		{Permission{"users", "read", ScopeTeam, ""}, "users:read:team"},
		{Permission{"users", "read", ScopeTenant, ""}, "users:read:tenant"},
		{Permission{"users", "read", ScopeGlobal, ""}, "users:read:global"},
		{Permission{"s", "w", ScopeTenant, "123"}, "s:w:tenant:123"},
		{Permission{"s", "w", ScopeAny, "123"}, "s:w:own:123"},
		{Permission{"*", "*", ScopeGlobal, ""}, "*:*:global"},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, tt.p.String())
	}

	// Grants without a scope are canonicalised with their implied scope.
	g, err := ParseGrant("users:read")
	require.NoError(t, err)
	assert.Equal(t, "users:read:tenant", g.String())

	for _, in := range []string{"users:read", "users:read:own", "s:w:global:t", "a:admin:team"} {
		r, err := ParseRequirement(in)
		require.NoError(t, err)
		assert.Equal(t, in, r.String())
	}
}

// TestScopeAllPairs checks every (grant scope, required scope) pair.
func TestScopeAllPairs(t *testing.T) {
	grantScopes := map[string]Scope{
		"":        ScopeTenant,
		":own":    ScopeOwn,
		":team":   ScopeTeam,
		":tenant": ScopeTenant,
		":global": ScopeGlobal,
	}
	reqScopes := map[string]Scope{
		"":        ScopeAny,
		":own":    ScopeOwn,
		":team":   ScopeTeam,
		":tenant": ScopeTenant,
		":global": ScopeGlobal,
	}
	for gs, gScope := range grantScopes {
		for rs, rScope := range reqScopes {
			set := NewSet([]string{"reports:read" + gs})
			want := gScope >= rScope
			assert.Equal(t, want, set.AllowsString("reports:read"+rs),
				"grant %q requirement %q", "reports:read"+gs, "reports:read"+rs)
			// The same pair with a target on the requirement only.
			assert.Equal(t, want, set.Allows(Permission{"reports", "read", rScope, "t1"}),
				"grant %q requirement %v with target", "reports:read"+gs, rScope)
			if rs != "" {
				assert.Equal(t, want, set.AllowsString("reports:read"+rs+":t1"),
					"grant %q requirement %q", "reports:read"+gs, "reports:read"+rs+":t1")
			}
		}
	}
}

func TestAllows(t *testing.T) {
	tests := []struct {
		name   string
		grants []string
		req    string
		want   bool
	}{
		// exact match
		{"exact", []string{"users:read"}, "users:read", true},
		{"other action", []string{"users:read"}, "users:write", false},
		{"other resource", []string{"users:read"}, "groups:read", false},
		{"case-sensitive resource", []string{"users:read"}, "Users:read", false},
		{"case-sensitive action", []string{"users:read"}, "users:READ", false},
		{"prefix is not a match", []string{"users:read"}, "users:readall", false},
		{"resource prefix is not a match", []string{"user:read"}, "users:read", false},
		{"second grant matches", []string{"groups:read", "users:read"}, "users:read", true},
		{"no grants", nil, "users:read", false},

		// scopes
		{"broader satisfies narrower", []string{"reports:read:tenant"}, "reports:read:team", true},
		{"narrower does not satisfy broader", []string{"reports:read:own"}, "reports:read:team", false},
		{"equal scope", []string{"reports:read:team"}, "reports:read:team", true},
		{"global satisfies tenant", []string{"reports:read:global"}, "reports:read:tenant", true},
		{"no-scope grant is tenant: team ok", []string{"x:y"}, "x:y:team", true},
		{"no-scope grant is tenant: tenant ok", []string{"x:y"}, "x:y:tenant", true},
		{"no-scope grant is tenant: global refused", []string{"x:y"}, "x:y:global", false},
		{"no-scope requirement satisfied by own", []string{"x:y:own"}, "x:y", true},
		{"no-scope requirement satisfied by global", []string{"x:y:global"}, "x:y", true},
		{"no-scope requirement satisfied by no-scope", []string{"x:y"}, "x:y", true},
		{"best of several scopes", []string{"x:y:own", "x:y:global"}, "x:y:global", true},

		// admin
		{"admin implies read", []string{"applications:admin"}, "applications:read", true},
		{"admin implies delete", []string{"applications:admin"}, "applications:delete", true},
		{"admin implies admin", []string{"applications:admin"}, "applications:admin", true},
		{"admin not other resource", []string{"applications:admin"}, "users:read", false},
		{"admin not other resource admin", []string{"applications:admin"}, "users:admin", false},
		{"admin keeps scope", []string{"applications:admin:own"}, "applications:read:team", false},
		{"admin keeps scope ok", []string{"applications:admin:global"}, "applications:read:global", true},
		{"admin keeps target", []string{"applications:admin:tenant:1"}, "applications:read:tenant:2", false},
		{"admin is case-sensitive", []string{"applications:Admin"}, "applications:read", false},
		{"read does not imply admin", []string{"applications:read"}, "applications:admin", false},

		// wildcards
		{"* resource", []string{"*:read"}, "users:read", true},
		{"* resource other action", []string{"*:read"}, "users:write", false},
		{"* action", []string{"users:*"}, "users:delete", true},
		{"* action implies admin", []string{"users:*"}, "users:admin", true},
		{"* action other resource", []string{"users:*"}, "groups:read", false},
		{"*:*", []string{"*:*"}, "anything:goes", true},
		{"*:* keeps tenant scope", []string{"*:*"}, "anything:goes:global", false},
		{"*:*:global", []string{"*:*:global"}, "anything:goes:global:t", true},
		{"*:admin", []string{"*:admin"}, "anything:write", true},
		{"* keeps target", []string{"*:*:global:t1"}, "a:b:own:t2", false},
		{"* requirement refused", []string{"*:*"}, "*:read", false},
		{"* requirement action refused", []string{"*:*"}, "users:*", false},

		// targets
		{"target exact", []string{"settings:write:tenant:123"}, "settings:write:tenant:123", true},
		{"target mismatch", []string{"settings:write:tenant:123"}, "settings:write:tenant:124", false},
		{"target case-sensitive", []string{"s:w:tenant:abc"}, "s:w:tenant:ABC", false},
		{"target prefix", []string{"s:w:tenant:12"}, "s:w:tenant:123", false},
		{"targeted grant vs untargeted requirement", []string{"settings:write:tenant:123"}, "settings:write", false},
		{"targeted grant vs untargeted scoped requirement", []string{"settings:write:tenant:123"}, "settings:write:tenant", false},
		{"untargeted grant vs targeted requirement", []string{"settings:write:tenant"}, "settings:write:tenant:123", true},
		{"no-scope grant vs targeted requirement", []string{"settings:write"}, "settings:write:team:123", true},
		{"targeted grant narrower scope", []string{"s:w:own:1"}, "s:w:team:1", false},
		{"targeted grant broader scope", []string{"s:w:global:1"}, "s:w:team:1", true},
		{"one of several targets", []string{"s:w:tenant:1", "s:w:tenant:2"}, "s:w:tenant:2", true},

		// invalid grants grant nothing, valid ones still work
		{"invalid grants ignored", []string{"a b:c", "users:read:weird", "users:read"}, "users:read", true},
		{"invalid grant grants nothing", []string{"users:read:weird"}, "users:read", false},
		{"invalid wildcard grant grants nothing", []string{"*:*:*"}, "users:read", false},

		// invalid requirements are never allowed
		{"invalid requirement", []string{"*:*:global"}, "a::b", false},
		{"invalid requirement scope", []string{"*:*:global"}, "a:b:weird", false},
		{"empty requirement", []string{"*:*:global"}, "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			set := NewSet(tt.grants)
			assert.Equal(t, tt.want, set.AllowsString(tt.req))
			if req, err := ParseRequirement(tt.req); err == nil {
				assert.Equal(t, tt.want, set.Allows(req))
			}
		})
	}
}

func TestAllowsHandBuiltRequirement(t *testing.T) {
	set := NewSet([]string{"*:*:global"})
	tests := []struct {
		name string
		req  Permission
		want bool
	}{
		{"valid", Permission{"a", "b", ScopeGlobal, "t"}, true},
		{"any scope with target", Permission{"a", "b", ScopeAny, "t"}, true},
		{"zero value", Permission{}, false},
		{"empty resource", Permission{"", "b", ScopeAny, ""}, false},
		{"empty action", Permission{"a", "", ScopeAny, ""}, false},
		{"* resource", Permission{"*", "b", ScopeAny, ""}, false},
		{"* action", Permission{"a", "*", ScopeAny, ""}, false},
		{"* target", Permission{"a", "b", ScopeOwn, "*"}, false},
		{"colon in resource", Permission{"a:b", "c", ScopeAny, ""}, false},
		{"space in action", Permission{"a", "b c", ScopeAny, ""}, false},
		{"control in target", Permission{"a", "b", ScopeOwn, "t\x00"}, false},
		{"scope out of range", Permission{"a", "b", Scope(5), ""}, false},
		{"too long", Permission{strings.Repeat("a", maxLen), "b", ScopeAny, ""}, false},
		{"max length", Permission{strings.Repeat("a", maxLen-2), "b", ScopeAny, ""}, true},
		{"max length with scope", Permission{strings.Repeat("a", maxLen-9), "b", ScopeGlobal, ""}, true},
		{"over max length with scope", Permission{strings.Repeat("a", maxLen-8), "b", ScopeGlobal, ""}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, set.Allows(tt.req))
			// Allows accepts exactly what ParseRequirement would produce.
			_, err := ParseRequirement(tt.req.String())
			assert.Equal(t, tt.want, err == nil, "%q: %v", tt.req.String(), err)
		})
	}
}

func TestNewSetInvalid(t *testing.T) {
	set := NewSet([]string{"users:read", "a", "b:c", "a:b:c:d:e", "x::y", "*:*"})
	assert.Equal(t, []string{"a", "a:b:c:d:e", "x::y"}, set.Invalid())

	// Invalid returns a copy.
	inv := set.Invalid()
	inv[0] = "changed"
	assert.Equal(t, "a", set.Invalid()[0])

	assert.Nil(t, NewSet([]string{"users:read"}).Invalid())
	assert.Nil(t, NewSet(nil).Invalid())
}

func TestZeroSet(t *testing.T) {
	var set Set
	assert.False(t, set.AllowsString("users:read"))
	assert.False(t, set.Allows(Permission{Resource: "users", Action: "read"}))
	assert.Nil(t, set.Invalid())
	assert.False(t, NewSet([]string{}).AllowsString("users:read"))
}

func TestAllowsString(t *testing.T) {
	set := NewSet([]string{"*:*:global"})
	for _, tt := range malformed {
		assert.False(t, set.AllowsString(tt.in), "%q", tt.in)
	}
	for _, in := range []string{"*:read", "users:*", "*:*", "users:read:*"} {
		assert.False(t, set.AllowsString(in), "%q", in)
	}
	assert.True(t, set.AllowsString("users:read"))
}

func TestGrantSatisfiesItself(t *testing.T) {
	for _, in := range []string{"users:read", "reports:read:own", "s:w:tenant:123", "a:admin:global"} {
		assert.True(t, NewSet([]string{in}).AllowsString(in), "%q", in)
	}
}

func benchSet() Set {
	return NewSet([]string{
		"users:read",
		"users:write:own",
		"groups:read:team",
		"applications:admin:tenant:acme",
		"reports:read:own",
		"reports:export:team",
		"billing:read:tenant",
		"audit:read:global",
		"settings:write:tenant:123",
		"profile:write:own",
	})
}

func TestAllowsDoesNotAllocate(t *testing.T) {
	set := benchSet()
	req, err := ParseRequirement("settings:write:tenant:123")
	require.NoError(t, err)
	miss, err := ParseRequirement("secrets:read")
	require.NoError(t, err)
	allocs := testing.AllocsPerRun(100, func() {
		require.True(t, set.Allows(req), "unexpected result")
		require.False(t, set.Allows(miss), "unexpected result")
		require.True(t, set.AllowsString("settings:write:tenant:123"), "unexpected result")
	})
	assert.Zero(t, allocs)
}

func BenchmarkAllows(b *testing.B) {
	set := benchSet()
	hit, err := ParseRequirement("settings:write:tenant:123")
	require.NoError(b, err)
	miss, err := ParseRequirement("secrets:read")
	require.NoError(b, err)
	b.Run("hit-last", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			require.True(b, set.Allows(hit), "want allowed")
		}
	})
	b.Run("miss", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			require.False(b, set.Allows(miss), "want refused")
		}
	})
	b.Run("string-hit-last", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			require.True(b, set.AllowsString("settings:write:tenant:123"), "want allowed")
		}
	})
}

func FuzzParseGrant(f *testing.F) {
	for _, seed := range []string{
		"users:read",
		"applications:admin",
		"reports:read:own",
		"settings:write:tenant:123",
		"*:*:global",
		"a::b",
		"a:b:c:d:e",
		"a:b:own:",
		"a b:c",
		"a\xff:b",
		"ressource:lire:own:é",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, s string) {
		g, err := ParseGrant(s)
		if err != nil {
			var perr *Error
			require.ErrorAs(t, err, &perr, "ParseGrant(%q): bad error %#v", s, err)
			require.Equal(t, s, perr.Input, "ParseGrant(%q): bad error %#v", s, err)
			require.NotEmpty(t, perr.Reason, "ParseGrant(%q): bad error %#v", s, err)
			_ = err.Error()
			set := NewSet([]string{s})
			require.Len(t, set.Invalid(), 1, "NewSet(%q) did not drop an invalid grant", s)
		} else {
			require.NotEqual(t, ScopeAny, g.Scope, "ParseGrant(%q) scope %v", s, g.Scope)
			require.False(t, g.Scope > ScopeGlobal, "ParseGrant(%q) scope %v", s, g.Scope)
			text := g.String()
			again, err := ParseGrant(text)
			require.NoError(t, err, "ParseGrant(%q) = %#v; re-parsing %q", s, g, text)
			require.Equal(t, g, again, "ParseGrant(%q) = %#v; re-parsing %q = %#v", s, g, text, again)
		}

		// Requirements round-trip too, and a grant satisfies itself when
		// the same text is also a valid requirement.
		r, rerr := ParseRequirement(s)
		if rerr == nil {
			require.NoError(t, err, "%q: valid requirement but invalid grant", s)
			again, err := ParseRequirement(r.String())
			require.NoError(t, err, "ParseRequirement(%q) = %#v; re-parsing %q = %#v, %v", s, r, r.String(), again, err)
			require.Equal(t, r, again, "ParseRequirement(%q) = %#v; re-parsing %q = %#v, %v", s, r, r.String(), again, err)
			require.True(t, NewSet([]string{s}).Allows(r), "grant %q does not satisfy itself", s)
		}
		_ = NewSet([]string{s, "*:*:global"}).AllowsString(s)
	})
}

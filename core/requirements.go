package core

import (
	"fmt"
	"slices"

	"github.com/jwtgate/jwtgate/core/internal/permission"
)

// Membership requires names in a list claim (roles or groups): every name
// of All, and at least one of Any.
type Membership struct {
	// Any lists names of which at least one is required; none when empty.
	Any []string `yaml:"any" json:"any,omitempty" want:"a list of names" item:"a name"`
	// All lists names each of which is required.
	All []string `yaml:"all" json:"all,omitempty" want:"a list of names" item:"a name"`
}

// Requirements are what a valid decision must carry beyond an authentic
// token: the checks of an integration's require_permissions, require_roles
// and require_groups. Hosts use the same type for their own per-route
// requirements, so a route and an integration judge alike.
type Requirements struct {
	permissions []permission.Permission
	roles       *Membership
	groups      *Membership
}

// RequirementsError says which requirement is malformed. Field is
// "require_permissions[i]", "require_roles" or "require_groups".
type RequirementsError struct {
	Field  string // the requirement at fault
	Reason string // what is wrong with it
}

// Error returns "FIELD: reason".
func (e *RequirementsError) Error() string { return e.Field + ": " + e.Reason }

// NewRequirements validates and compiles requirements. Permissions are
// written resource:action[:scope[:target]] with no "*"; a Membership, when
// given, must name at least one role or group.
func NewRequirements(permissions []string, roles, groups *Membership) (*Requirements, error) {
	r, bad := compileRequirements(permissions, roles, groups)
	if len(bad) > 0 {
		return nil, bad[0]
	}
	return r, nil
}

// compileRequirements compiles requirements and returns every problem.
func compileRequirements(permissions []string, roles, groups *Membership) (*Requirements, []*RequirementsError) {
	r := &Requirements{roles: roles, groups: groups}
	var bad []*RequirementsError
	for i, s := range permissions {
		p, err := permission.ParseRequirement(s)
		if err != nil {
			bad = append(bad, &RequirementsError{Field: fmt.Sprintf("require_permissions[%d]", i), Reason: err.Error()})
			continue
		}
		r.permissions = append(r.permissions, p)
	}
	for _, m := range []struct {
		field string
		m     *Membership
	}{{"require_roles", roles}, {"require_groups", groups}} {
		if m.m != nil && len(m.m.Any) == 0 && len(m.m.All) == 0 {
			bad = append(bad, &RequirementsError{Field: m.field, Reason: "give \"any\" or \"all\" (or both) with at least one name"})
		}
	}
	return r, bad
}

// Unmet returns "" when the valid decision d meets r, else why not (a
// reason for logs and traces, not for the caller). A rejected decision
// meets nothing.
func (d *Decision) Unmet(r *Requirements) string {
	if d == nil || !d.Valid {
		return "the token was rejected"
	}
	_, reason := r.unmet(d, nil)
	return reason
}

// Grants are the permissions, roles and groups an identity holds, with a
// Decision's absent/empty distinction (nil: no such claim).
type Grants struct {
	Permissions []string // as given in the token
	Roles       []string
	Groups      []string
}

// UnmetBy returns "" when g meets r, else why not (a reason for logs, not
// for the caller). It judges as Decision.Unmet does, for a host whose
// identity holds more than the decision it was built from (groups a
// directory gave, say) and whose own routes must see them; a nil r is met
// by anything.
func (r *Requirements) UnmetBy(g Grants) string {
	var perms *permission.Set
	_, reason := r.check(func() *permission.Set {
		if perms == nil {
			set := permission.NewSet(g.Permissions)
			perms = &set
		}
		return perms
	}, g.Roles, g.Groups, nil)
	return reason
}

// unmet checks d against r, recording passes in the trace of run (nil: no
// trace). It returns the step that failed and why.
func (r *Requirements) unmet(d *Decision, run *run) (step, reason string) {
	return r.check(func() *permission.Set {
		if d.perms == nil {
			set := permission.NewSet(d.Permissions)
			d.perms = &set
		}
		return d.perms
	}, d.Roles, d.Groups, run)
}

// check checks the permission set perms builds (only when r needs one),
// the roles and the groups against r.
func (r *Requirements) check(perms func() *permission.Set, roles, groups []string, run *run) (step, reason string) {
	if r == nil {
		return "", ""
	}
	if len(r.permissions) > 0 {
		set := perms()
		if run != nil && run.explain {
			for _, bad := range set.Invalid() {
				run.step("permissions", OutcomeInfo, "malformed permission %q grants nothing", bad)
			}
		}
		for _, need := range r.permissions {
			if !set.Allows(need) {
				return "permissions", "no permission grants " + need.String()
			}
		}
		if run != nil && run.explain {
			run.step("permissions", OutcomePass, "%d required permissions granted", len(r.permissions))
		}
	}
	for _, m := range []struct {
		what string
		req  *Membership
		have []string
	}{{"roles", r.roles, roles}, {"groups", r.groups, groups}} {
		if m.req == nil {
			continue
		}
		for _, need := range m.req.All {
			if !slices.Contains(m.have, need) {
				return m.what, fmt.Sprintf("%s %q required, has %q", m.what, need, m.have)
			}
		}
		if len(m.req.Any) > 0 && !intersects(m.req.Any, m.have) {
			return m.what, fmt.Sprintf("one of %s %q required, has %q", m.what, m.req.Any, m.have)
		}
		if run != nil && run.explain {
			run.step(m.what, OutcomePass, "%s requirement met", m.what)
		}
	}
	return "", ""
}

// intersects reports whether a and b share an element.
func intersects(a, b []string) bool {
	return slices.ContainsFunc(a, func(x string) bool { return slices.Contains(b, x) })
}

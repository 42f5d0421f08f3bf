package core

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// Hosts judge their own per-route requirements with the type the policy
// uses; the two must agree.
func TestRequirements(t *testing.T) {
	_, err := NewRequirements([]string{"reports:read", "users:*"}, nil, nil)
	var re *RequirementsError
	require.ErrorAs(t, err, &re)
	require.Equal(t, "require_permissions[1]", re.Field)
	_, err = NewRequirements(nil, &Membership{}, nil)
	require.ErrorAs(t, err, &re)
	require.Equal(t, "require_roles", re.Field)

	r, err := NewRequirements([]string{"reports:read:team"}, &Membership{Any: []string{"admin", "editor"}}, &Membership{All: []string{"staff"}})
	require.NoError(t, err)
	d := &Decision{Valid: true, Permissions: []string{"reports:read:tenant"}, Roles: []string{"editor"}, Groups: []string{"staff", "x"}}
	require.Empty(t, d.Unmet(r))
	for name, bad := range map[string]*Decision{
		"narrower scope": {Valid: true, Permissions: []string{"reports:read:own"}, Roles: []string{"editor"}, Groups: []string{"staff"}},
		"no role":        {Valid: true, Permissions: []string{"reports:admin"}, Roles: []string{"viewer"}, Groups: []string{"staff"}},
		"missing group":  {Valid: true, Permissions: []string{"*:*:global"}, Roles: []string{"admin"}},
		"rejected":       {Valid: false, Permissions: []string{"*:*:global"}, Roles: []string{"admin"}, Groups: []string{"staff"}},
	} {
		require.NotEmpty(t, bad.Unmet(r), name)
	}
	var none *Requirements
	require.Empty(t, d.Unmet(none), "no requirements are met by any valid decision")
}

// A host's identity judged by UnmetBy gets the answers its decision would
// get from Unmet: the two share one check.
func TestRequirementsUnmetBy(t *testing.T) {
	r, err := NewRequirements([]string{"reports:read:team"}, &Membership{Any: []string{"admin", "editor"}}, &Membership{All: []string{"staff"}})
	require.NoError(t, err)
	for name, g := range map[string]Grants{
		"met":            {Permissions: []string{"reports:read:tenant"}, Roles: []string{"editor"}, Groups: []string{"staff", "x"}},
		"narrower scope": {Permissions: []string{"reports:read:own"}, Roles: []string{"editor"}, Groups: []string{"staff"}},
		"no role":        {Permissions: []string{"reports:admin"}, Roles: []string{"viewer"}, Groups: []string{"staff"}},
		"missing group":  {Permissions: []string{"*:*:global"}, Roles: []string{"admin"}},
		"nothing":        {},
	} {
		d := &Decision{Valid: true, Permissions: g.Permissions, Roles: g.Roles, Groups: g.Groups}
		require.Equal(t, d.Unmet(r), r.UnmetBy(g), name)
	}
	require.Empty(t, r.UnmetBy(Grants{Permissions: []string{"reports:read:tenant"}, Roles: []string{"admin"}, Groups: []string{"staff"}}))
	require.Equal(t, `groups "staff" required, has []`, r.UnmetBy(Grants{Permissions: []string{"reports:read:team"}, Roles: []string{"admin"}}))
	var none *Requirements
	require.Empty(t, none.UnmetBy(Grants{}), "no requirements are met by anything")
}

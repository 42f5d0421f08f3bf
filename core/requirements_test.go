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

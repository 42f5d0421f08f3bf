package edge

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"

	"github.com/jwtgate/jwtgate/core"
)

// A route decodes alike from YAML and JSON, and strictly: a misspelt
// requirement is refused, never dropped (which would leave the route
// open).
func TestRouteConfigDecoding(t *testing.T) {
	want := []RouteConfig{{Prefix: "/admin", Methods: []string{"POST"}, CaseSensitive: true, Integration: "idp",
		RequirePermissions: []string{"a:b"}, RequireRoles: &core.Membership{Any: []string{"admin"}}, RequireGroups: &core.Membership{All: []string{"eng"}}}}
	var y []RouteConfig
	require.NoError(t, yaml.Unmarshal([]byte(`- {prefix: /admin, methods: [POST], case_sensitive: true, integration: idp, require_permissions: ["a:b"], require_roles: {any: [admin]}, require_groups: {all: [eng]}}`), &y))
	assert.Equal(t, want, y)
	var j []RouteConfig
	require.NoError(t, json.Unmarshal([]byte(`[{"prefix": "/admin", "methods": ["POST"], "case_sensitive": true, "integration": "idp", "require_permissions": ["a:b"], "require_roles": {"any": ["admin"]}, "require_groups": {"all": ["eng"]}}]`), &j))
	assert.Equal(t, want, j)
	out, err := json.Marshal(want)
	require.NoError(t, err)
	var back []RouteConfig
	require.NoError(t, json.Unmarshal(out, &back))
	assert.Equal(t, want, back)

	err = yaml.Unmarshal([]byte("- prefix: /admin\n  require_role: {any: [admin]}\n"), &y)
	require.ErrorContains(t, err, "line 2:3: field require_role: unknown field in a route; did you mean require_roles?")
	err = yaml.Unmarshal([]byte("- prefix: /admin\n  require_roles: {anyof: [admin]}\n"), &y)
	require.ErrorContains(t, err, "require_roles.anyof")
	err = json.Unmarshal([]byte(`[{"prefix": "/admin", "require_role": {"any": ["admin"]}}]`), &j)
	require.ErrorContains(t, err, `route: unknown field "require_role"`)
	err = json.Unmarshal([]byte(`[{"prefix": "/admin", "require_roles": {"anyof": ["admin"]}}]`), &j)
	require.ErrorContains(t, err, `unknown field "anyof"`)
}

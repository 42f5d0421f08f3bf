package edge

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/jwtgate/jwtgate/core"
	"github.com/jwtgate/jwtgate/internal/yamlconfig"
)

// RouteConfig is one route as configured, in jwtgate serve's
// service.routes and the proxy filter's routes alike. NewRoutes validates
// it.
type RouteConfig struct {
	// Prefix is matched on whole segments of the canonical path; a final
	// "/" changes nothing. It must be written canonically, in printable
	// ASCII.
	Prefix string `yaml:"prefix" json:"prefix"`
	// Methods are case-insensitive; none means any. GET includes HEAD,
	// which upstreams answer with the GET handler.
	Methods []string `yaml:"methods" json:"methods,omitempty"`
	// CaseSensitive matches the prefix's letters in their case only. By
	// default /admin also covers /ADMIN, which case-insensitive upstreams
	// (IIS, many routers) serve as /admin.
	CaseSensitive bool `yaml:"case_sensitive" json:"case_sensitive,omitempty"`
	// Integration pins the route to one integration of the policy.
	Integration string `yaml:"integration" json:"integration,omitempty"`
	// RequirePermissions, RequireRoles and RequireGroups are the route's
	// requirements, written and judged as an integration's (see
	// core.NewRequirements).
	RequirePermissions []string         `yaml:"require_permissions" json:"require_permissions,omitempty"`
	RequireRoles       *core.Membership `yaml:"require_roles" json:"require_roles,omitempty"`
	RequireGroups      *core.Membership `yaml:"require_groups" json:"require_groups,omitempty"`
}

// routeFields is RouteConfig without its decoding methods.
type routeFields RouteConfig

// UnmarshalYAML decodes a route strictly: an unknown field (a misspelt
// require_roles would drop a requirement) is refused, with the nearest
// valid name.
func (c *RouteConfig) UnmarshalYAML(n *yaml.Node) error {
	_, err := yamlconfig.Decoder{Want: "a route such as {prefix: /admin}", Where: "in a route"}.Decode(n, (*routeFields)(c))
	return err
}

// UnmarshalJSON decodes a route strictly, as UnmarshalYAML.
func (c *RouteConfig) UnmarshalJSON(data []byte) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var f routeFields
	if err := dec.Decode(&f); err != nil {
		return fmt.Errorf("route: %s", strings.TrimPrefix(err.Error(), "json: "))
	}
	*c = RouteConfig(f)
	return nil
}

package proxytest_test

import (
	"crypto/rsa"
	"os"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"

	"github.com/jwtgate/jwtgate/internal/jwttest"
	"github.com/jwtgate/jwtgate/internal/testcorpus"
)

// TestEnvoyExample loads the plugin configuration of ../envoy.yaml into the
// filter: it must be accepted, fetch the idp key set through the idp_jwks
// cluster, and verify the partner integration's tokens.
func TestEnvoyExample(t *testing.T) {
	raw, err := os.ReadFile("../envoy.yaml")
	require.NoError(t, err)
	var doc struct {
		StaticResources struct {
			Listeners []struct {
				FilterChains []struct {
					Filters []struct {
						TypedConfig struct {
							HTTPFilters []struct {
								Name        string `yaml:"name"`
								TypedConfig struct {
									Config struct {
										VMConfig struct {
											Runtime string `yaml:"runtime"`
										} `yaml:"vm_config"`
										Configuration struct {
											Value string `yaml:"value"`
										} `yaml:"configuration"`
									} `yaml:"config"`
								} `yaml:"typed_config"`
							} `yaml:"http_filters"`
						} `yaml:"typed_config"`
					} `yaml:"filters"`
				} `yaml:"filter_chains"`
			} `yaml:"listeners"`
		} `yaml:"static_resources"`
	}
	require.NoError(t, yaml.Unmarshal(raw, &doc))
	f := doc.StaticResources.Listeners[0].FilterChains[0].Filters[0].TypedConfig.HTTPFilters[0]
	require.Equal(t, "envoy.filters.http.wasm", f.Name, "first HTTP filter: %+v", f)
	require.Equal(t, "envoy.wasm.runtime.v8", f.TypedConfig.Config.VMConfig.Runtime, "first HTTP filter: %+v", f)
	clk := newClock(testcorpus.Now)
	vm := newVM(t, newHost(t, clk), f.TypedConfig.Config.Configuration.Value)
	c := onlyCall(t, vm)
	assert.False(t, c.Cluster != "idp_jwks" || c.Header(":authority") != "idp.example" || c.Header(":path") != "/.well-known/jwks.json", "key set call %+v", c)
	k := jwttest.Keys()
	respond(t, vm, c, 200, jwksDoc(map[string]*rsa.PrivateKey{"idp-1": k.RSA}))
	claims := testcorpus.Claims("https://idp.example", map[string]any{"aud": "api", "exp": clk.now().Unix() + 60})
	tok := jwttest.Sign("RS256", k.RSA, map[string]any{"kid": "idp-1"}, claims)
	s := do(t, vm, request("/orders", "Bearer "+tok))
	assert.False(t, !s.Continued() || s.Has("authorization") || s.Header("x-user") != "user-123" || s.Header("x-email") != "john@example.com", "idp token: %+v %v", s.Local, s.Headers)
	wantRefused(t, do(t, vm, request("/admin", "Bearer "+tok)), 403, "permission_denied", `Bearer realm="jwtgate", error="insufficient_scope", error_description="Permission denied"`)
	s = do(t, vm, request("/healthz", ""))
	assert.True(t, s.Continued(), "/healthz: %+v", s.Local)
}

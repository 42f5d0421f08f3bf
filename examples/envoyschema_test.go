package examples

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/known/anypb"

	bootstrap "github.com/envoyproxy/go-control-plane/envoy/config/bootstrap/v3"
	// The typed_config types the shipped configurations use: importing a
	// package registers its types, so that their Any resolves. A new
	// @type in a configuration fails the test until its package is here.
	_ "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/ext_authz/v3"
	_ "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/router/v3"
	_ "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/wasm/v3"
	_ "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/http_connection_manager/v3"
	_ "github.com/envoyproxy/go-control-plane/envoy/extensions/transport_sockets/tls/v3"
	_ "google.golang.org/protobuf/types/known/wrapperspb"
)

// Envoy cannot run on the machines the tests run on, so its configurations
// are held to Envoy's API instead: the generated types of its protobuf
// API (go-control-plane) read them as Envoy reads YAML (YAML to JSON to
// proto3 JSON), refusing an unknown field or a value of the wrong type,
// and every message, those inside a typed_config included, passes the
// API's validation rules (protoc-gen-validate: required fields, ranges,
// enum values). What Envoy does with a valid configuration is not tested.

// envoyBootstrap reads an Envoy bootstrap in YAML, resolving every Any,
// and validates every message of it.
func envoyBootstrap(text string) (*bootstrap.Bootstrap, error) {
	var tree any
	if err := yaml.Unmarshal([]byte(text), &tree); err != nil {
		return nil, fmt.Errorf("not YAML: %w", err)
	}
	// Indented, so that the line of a protojson error points somewhere.
	js, err := json.MarshalIndent(tree, "", " ")
	if err != nil {
		return nil, fmt.Errorf("not JSON-shaped: %w", err)
	}
	var b bootstrap.Bootstrap
	// DiscardUnknown stays false: a misspelled field is an error, as in Envoy.
	if err := (protojson.UnmarshalOptions{}).Unmarshal(js, &b); err != nil {
		return nil, fmt.Errorf("not an Envoy bootstrap: %w", err)
	}
	if err := validateAll(&b, "bootstrap"); err != nil {
		return nil, err
	}
	return &b, nil
}

// validateAll runs a message's validation rules and those of every Any it
// holds, at any depth: a message's own ValidateAll stops at an Any.
func validateAll(m proto.Message, where string) error {
	if v, ok := m.(interface{ ValidateAll() error }); ok {
		if err := v.ValidateAll(); err != nil {
			return fmt.Errorf("%s: %w", where, err)
		}
	}
	var err error
	eachAny(m.ProtoReflect(), func(a *anypb.Any) bool {
		inner, uerr := a.UnmarshalNew()
		if uerr != nil {
			err = fmt.Errorf("%s: %s: %w", where, a.GetTypeUrl(), uerr)
			return false
		}
		err = validateAll(inner, where+" > "+a.GetTypeUrl())
		return err == nil
	})
	return err
}

// eachAny calls f with every Any below m (not inside another Any), until
// f returns false.
func eachAny(m protoreflect.Message, f func(*anypb.Any) bool) bool {
	if a, ok := m.Interface().(*anypb.Any); ok {
		return f(a)
	}
	more := true
	m.Range(func(fd protoreflect.FieldDescriptor, v protoreflect.Value) bool {
		if fd.Message() == nil {
			return true
		}
		switch {
		case fd.IsList():
			for i := 0; more && i < v.List().Len(); i++ {
				more = eachAny(v.List().Get(i).Message(), f)
			}
		case fd.IsMap():
			if fd.MapValue().Message() != nil {
				v.Map().Range(func(_ protoreflect.MapKey, e protoreflect.Value) bool {
					more = eachAny(e.Message(), f)
					return more
				})
			}
		default:
			more = eachAny(v.Message(), f)
		}
		return more
	})
	return more
}

// httpFiltersBootstrap puts a documented http_filters list into a
// bootstrap of its own: a listener whose connection manager runs those
// filters, then the router, and the cluster "jwtgate" (the service the
// manual's filters call).
func httpFiltersBootstrap(filters string) string {
	indented := strings.ReplaceAll(strings.TrimRight(filters, "\n"), "\n", "\n                ")
	return `static_resources:
  listeners:
    - name: ingress
      address: {socket_address: {address: 0.0.0.0, port_value: 10000}}
      filter_chains:
        - filters:
            - name: envoy.filters.network.http_connection_manager
              typed_config:
                "@type": type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager
                stat_prefix: ingress
                route_config:
                  virtual_hosts:
                    - {name: app, domains: ["*"], routes: [{match: {prefix: "/"}, route: {cluster: jwtgate}}]}
                ` + indented + `
                  - name: envoy.filters.http.router
                    typed_config:
                      "@type": type.googleapis.com/envoy.extensions.filters.http.router.v3.Router
  clusters:
    - name: jwtgate
      type: STRICT_DNS
      connect_timeout: 1s
      load_assignment:
        cluster_name: jwtgate
        endpoints: [{lb_endpoints: [{endpoint: {address: {socket_address: {address: jwtgate, port_value: 8080}}}}]}]
`
}

// envoyDocuments finds every Envoy configuration jwtgate ships: the
// example files and the blocks of the READMEs and the manual that name an
// Envoy type. A complete bootstrap is read as it is; an http_filters list
// (the manual's ext_authz) is read inside httpFiltersBootstrap.
func envoyDocuments(t *testing.T) map[string]string {
	t.Helper()
	docs := map[string]string{}
	add := func(where, text string) {
		if !strings.Contains(text, "type.googleapis.com/envoy.") {
			return
		}
		switch {
		case strings.Contains(text, "static_resources:"):
			docs[where] = text
		case strings.HasPrefix(text, "http_filters:"):
			docs[where] = httpFiltersBootstrap(text)
		default:
			t.Errorf("%s: an Envoy configuration of a shape this test does not know (neither a bootstrap nor an http_filters list)", where)
		}
	}
	files, err := filepath.Glob("*/*.yaml")
	require.NoError(t, err)
	for _, f := range files {
		data, err := os.ReadFile(f)
		require.NoError(t, err)
		add(f, string(data))
	}
	pages, err := filepath.Glob("../docs/*.md")
	require.NoError(t, err)
	readmes, err := filepath.Glob("*/README.md")
	require.NoError(t, err)
	for _, f := range append(append(pages, readmes...), "../README.md") {
		data, err := os.ReadFile(f)
		require.NoError(t, err)
		text := string(data)
		for _, m := range fence.FindAllStringSubmatchIndex(text, -1) {
			add(fmt.Sprintf("%s:%d", f, strings.Count(text[:m[0]], "\n")+2), text[m[4]:m[5]])
		}
	}
	return docs
}

// TestEnvoyConfigurationsMatchEnvoysAPI holds every Envoy configuration of
// the examples and the manual to Envoy's published API (field names,
// types, validation rules), the Any of every typed_config resolved.
func TestEnvoyConfigurationsMatchEnvoysAPI(t *testing.T) {
	docs := envoyDocuments(t)
	require.Contains(t, docs, filepath.Join("proxy-wasm", "envoy.yaml"), "the proxy-wasm example")
	extAuthz := 0
	for where, text := range docs {
		b, err := envoyBootstrap(text)
		if !assert.NoError(t, err, where) {
			continue
		}
		assert.NotEmpty(t, b.GetStaticResources().GetListeners(), "%s: no listener", where)
		if strings.Contains(text, "ext_authz.v3.ExtAuthz") {
			extAuthz++
		}
	}
	assert.Equal(t, 1, extAuthz, "the manual's ext_authz configuration (docs/serve.md) was found")
}

// TestEnvoySchemaCatchesMistakes: each kind of mistake Envoy refuses at
// load is refused here, so a passing configuration means something.
func TestEnvoySchemaCatchesMistakes(t *testing.T) {
	extAuthz := func(httpService string) string {
		return httpFiltersBootstrap(`http_filters:
  - name: envoy.filters.http.ext_authz
    typed_config:
      "@type": type.googleapis.com/envoy.extensions.filters.http.ext_authz.v3.ExtAuthz
      http_service:
        ` + httpService + "\n")
	}
	good := extAuthz("{server_uri: {uri: http://jwtgate:8080, cluster: jwtgate, timeout: 1s}, path_prefix: /v1/authz}")
	_, err := envoyBootstrap(good)
	require.NoError(t, err, "the well-formed configuration the mistakes are made in")
	for name, tc := range map[string]struct{ doc, want string }{
		"misspelled field": {
			extAuthz("{server_uri: {uri: http://jwtgate:8080, cluster: jwtgate, timeout: 1s}, path_prefx: /v1/authz}"),
			"path_prefx"},
		"wrong type": {
			extAuthz("{server_uri: {uri: http://jwtgate:8080, cluster: jwtgate, timeout: 1}, path_prefix: /v1/authz}"),
			"unexpected token 1"},
		"required field missing (inside a typed_config)": {
			extAuthz("{server_uri: {uri: http://jwtgate:8080, timeout: 1s}, path_prefix: /v1/authz}"),
			"HttpUri.HttpUpstreamType: value is required"},
		"unknown @type": {
			strings.Replace(good, "ext_authz.v3.ExtAuthz", "ext_authz.v3.ExtAuth", 1),
			"ExtAuth"},
		"misspelled field of the bootstrap": {
			strings.Replace(good, "connect_timeout", "connect_timeuot", 1),
			"connect_timeuot"},
	} {
		_, err := envoyBootstrap(tc.doc)
		if assert.Error(t, err, name) {
			assert.Contains(t, err.Error(), tc.want, name)
		}
	}
}

// Package examples holds no code of its own: its test checks that every
// configuration jwtgate ships as an example (the blocks of the READMEs and
// of the manual in docs/, and the example files) is safe to copy as it is.
package examples

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"
)

// problems lists what makes a YAML or JSON document unsafe to copy:
//   - a literal secret (a key's secret comes from secret_env or secret_file:
//     a secret in an example is copied into production);
//   - keys fetched over anything but https (whoever serves the keys can
//     forge every token), or redirects allowed over http;
//   - a TLS upstream of an Envoy configuration that does not verify its
//     peer (trusted CAs and a subject alt name to match: without a
//     validation context Envoy accepts any certificate);
//   - a wasm filter that fails open;
//   - a session cookie sent in the clear.
//
// Documents embedded as strings (an Envoy StringValue holding the plugin
// configuration, which holds the policy) are checked too.
func problems(where, text string) []string {
	var doc yaml.Node
	if err := yaml.Unmarshal([]byte(text), &doc); err != nil {
		return []string{fmt.Sprintf("%s: not YAML or JSON: %v", where, err)}
	}
	var out []string
	bad := func(v *yaml.Node, format string, args ...any) {
		out = append(out, fmt.Sprintf("%s line %d: ", where, v.Line)+fmt.Sprintf(format, args...))
	}
	walk(&doc, func(key string, v, parent *yaml.Node) {
		switch key {
		case "secret":
			if v.Kind == yaml.ScalarNode {
				bad(v, "a literal secret; use secret_env or secret_file")
			}
		case "jwks_url":
			if !strings.HasPrefix(v.Value, "https://") {
				bad(v, "jwks_url %q is not https", v.Value)
			}
		case "allow_http":
			if v.Value == "true" {
				bad(v, "allow_http: true")
			}
		case "fail_open":
			if v.Value != "false" {
				bad(v, "a filter that fails open")
			}
		case "secure":
			if v.Value == "false" || v.Value == "never" {
				bad(v, "a session cookie without Secure")
			}
		case "@type":
			if strings.HasSuffix(v.Value, "UpstreamTlsContext") {
				vc := lookup(parent, "common_tls_context", "validation_context")
				sans := lookup(vc, "match_typed_subject_alt_names")
				switch {
				case vc == nil:
					bad(v, "a TLS upstream without a validation_context accepts any certificate")
				case lookup(vc, "trusted_ca") == nil:
					bad(v, "a validation_context without trusted_ca")
				case sans == nil || len(sans.Content) == 0:
					bad(v, "a validation_context without a subject alt name to match")
				}
			}
		}
		if v.Kind == yaml.ScalarNode && strings.Contains(v.Value, "integrations") {
			out = append(out, problems(fmt.Sprintf("%s (embedded at line %d)", where, v.Line), v.Value)...)
		}
	})
	return out
}

func walk(n *yaml.Node, f func(key string, v, parent *yaml.Node)) {
	if n == nil {
		return
	}
	if n.Kind == yaml.MappingNode {
		for i := 0; i+1 < len(n.Content); i += 2 {
			f(n.Content[i].Value, n.Content[i+1], n)
		}
	}
	for _, c := range n.Content {
		walk(c, f)
	}
}

func lookup(n *yaml.Node, path ...string) *yaml.Node {
	for _, p := range path {
		if n == nil || n.Kind != yaml.MappingNode {
			return nil
		}
		var next *yaml.Node
		for i := 0; i+1 < len(n.Content); i += 2 {
			if n.Content[i].Value == p {
				next = n.Content[i+1]
			}
		}
		n = next
	}
	return n
}

var fence = regexp.MustCompile("(?s)```(yaml|json)\n(.*?)```")

func TestExamplesAreSafeToCopy(t *testing.T) {
	files, err := filepath.Glob("*/*.yaml")
	require.NoError(t, err)
	require.NotEmpty(t, files)
	readmes, err := filepath.Glob("*/README.md")
	require.NoError(t, err)
	docs, err := filepath.Glob("../docs/*.md")
	require.NoError(t, err)
	require.NotEmpty(t, docs, "the manual in docs/")
	readmes = append(append(readmes, "../README.md"), docs...)
	var found []string
	for _, f := range files {
		data, err := os.ReadFile(f)
		require.NoError(t, err)
		found = append(found, problems(f, string(data))...)
	}
	blocks := 0
	for _, f := range readmes {
		data, err := os.ReadFile(f)
		require.NoError(t, err)
		text := string(data)
		for _, m := range fence.FindAllStringSubmatchIndex(text, -1) {
			body := text[m[4]:m[5]]
			if strings.Contains(body, "...") || strings.Contains(body, "…") {
				continue // a sketch with elisions, not a configuration to copy
			}
			blocks++
			found = append(found, problems(fmt.Sprintf("%s:%d", f, strings.Count(text[:m[0]], "\n")+2), body)...)
		}
	}
	assert.Empty(t, found)
	assert.Greater(t, blocks, 5, "the configuration blocks of the READMEs and docs/ were found")
}

// Each unsafe spelling is caught.
func TestSafetyChecksCatchUnsafeExamples(t *testing.T) {
	for name, doc := range map[string]string{
		"literal secret":    "integrations:\n  - keys: [{secret: hunter2}]\n",
		"http keys":         "integrations:\n  - keys: [{jwks_url: 'http://idp.example/keys'}]\n",
		"allow_http":        "redirect: {allow_http: true}\n",
		"fail open":         "config: {fail_open: true}\n",
		"cookie in clear":   "service: {session: {secure: false}}\n",
		"TLS unverified":    "transport_socket: {typed_config: {'@type': type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext, sni: a.example}}\n",
		"TLS without a SAN": "transport_socket: {typed_config: {'@type': type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext, common_tls_context: {validation_context: {trusted_ca: {filename: /ca.pem}}}}}\n",
		"embedded policy":   `configuration: {value: "{\"policy\": \"integrations:\\n  - keys: [{secret: x}]\\n\"}"}` + "\n",
	} {
		assert.NotEmpty(t, problems(name, doc), "%s: not caught", name)
	}
	assert.Empty(t, problems("safe", "integrations:\n  - keys: [{secret_env: S}, {jwks_url: 'https://idp.example/k'}]\n"))
}

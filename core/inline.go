//go:build !jwtgate_webcrypto

package core

import (
	"errors"
	"fmt"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/jwtgate/jwtgate/internal/yamlconfig"
)

// InlinePolicy returns the policy document data with every key that names
// a file or an environment variable made inline: jwks_file becomes jwks,
// pem_file pem, secret_file and secret_env secret, read with opts as
// ParsePolicy reads them (a secret file's trailing line break dropped).
// It is for a verifier that can read neither, such as the wasm plugin,
// which then parses the result with no LoadOptions and gets the keys the
// native verifier got. Everything else, jwks_url included, is left as it
// is, and a document with nothing to inline is returned unchanged. A key
// that cannot be read is a PolicyErrors naming its field and line, in
// ParsePolicy's words for a document that does not parse.
func InlinePolicy(file string, data []byte, opts LoadOptions) ([]byte, error) {
	root, err := yamlconfig.ParseDocument(data)
	if err != nil {
		return nil, PolicyErrors{syntaxError(file, err)}
	}
	ins := deref(mapValue(deref(root), "integrations"))
	if ins == nil || ins.Kind != yaml.SequenceNode {
		return data, nil
	}
	changed := false
	for _, in := range ins.Content {
		in = deref(in)
		name := ""
		if n := mapValue(in, "name"); n != nil {
			name = n.Value
		}
		for _, list := range []string{"keys", "decryption_keys"} {
			keys := deref(mapValue(in, list))
			if keys == nil || keys.Kind != yaml.SequenceNode {
				continue
			}
			for i, k := range keys.Content {
				c, err := inlineKey(deref(k), opts)
				if err != nil {
					err.File, err.Integration, err.Field = file, name, fmt.Sprintf("%s[%d].%s", list, i, err.Field)
					return nil, PolicyErrors{err}
				}
				changed = changed || c
			}
		}
	}
	if !changed {
		return data, nil
	}
	out, err := yaml.Marshal(root)
	if err != nil {
		return nil, PolicyErrors{{File: file, Reason: err.Error()}}
	}
	return out, nil
}

// inlineKey makes one key mapping's file or environment source inline,
// read by the code ParsePolicy reads it with (keyConfig.material). Its
// error names the field; the caller adds where the key is.
func inlineKey(k *yaml.Node, opts LoadOptions) (changed bool, _ *PolicyError) {
	if k == nil || k.Kind != yaml.MappingNode {
		return false, nil
	}
	var kc keyConfig
	if err := k.Decode(&kc); err != nil {
		return false, nil // ParsePolicy, which ran first for the caller, says what is wrong
	}
	src := kc.sources()
	if len(src) != 1 || !strings.HasSuffix(src[0].kind, "_file") && !strings.HasSuffix(src[0].kind, "_env") {
		return false, nil
	}
	field := mapKey(k, src[0].kind)
	kind, material, err := kc.material("", opts)
	if err != nil {
		pe := &PolicyError{Field: src[0].kind, Line: field.Line, Reason: err.Error()}
		var fe *fieldError
		if errors.As(err, &fe) {
			pe.Reason = fe.reason
		}
		return false, pe
	}
	field.Value = kind
	*mapValue(k, kind) = yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: string(material)}
	return true, nil
}

// mapKey returns the key node of key in a mapping node (which has it).
func mapKey(m *yaml.Node, key string) *yaml.Node {
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i]
		}
	}
	return nil
}

// deref follows an alias to its anchored node (which is then inlined for
// every alias of it at once).
func deref(n *yaml.Node) *yaml.Node {
	for n != nil && n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	return n
}

// mapValue returns the value of key in a mapping node, or nil.
func mapValue(m *yaml.Node, key string) *yaml.Node {
	if m == nil || m.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i+1]
		}
	}
	return nil
}

// unmarshalInlined decodes an inlined policy document for BuildBundle.
func unmarshalInlined(data []byte, doc *map[string]any) error {
	return yaml.Unmarshal(data, doc)
}

package server

import (
	"encoding/json"
	"fmt"

	"go.yaml.in/yaml/v3"

	"github.com/jwtgate/jwtgate/internal/yamlconfig"
)

// storedIntegration is an integration stored through the admin API, as a
// configuration is built from it: its tenant, its name within the tenant,
// the revision and its document with the secrets in the clear.
type storedIntegration struct {
	tenant, name string
	revision     int64
	doc          integrationDoc
	// stale: stored otherwise than the current secrets key would store
	// it (sealed with a previous key, or in the clear since a key came).
	stale bool
}

// integrationDoc is what an admin stores: one entry of the policy's
// integrations (without name and tenant, which the URL gives) and that
// integration's service.integrations entry, with the fields of the file.
type integrationDoc struct {
	Policy  json.RawMessage `json:"policy"`
	Service json.RawMessage `json:"service,omitempty"`
}

// nameSeparator joins a tenant and its name for an integration in the
// policy. Neither may hold it (checkAdminName), so the pair is unambiguous and
// one tenant's names never collide with another's.
const nameSeparator = "--"

// policyName is a stored integration's name in the policy and decisions.
func policyName(tenant, name string) string { return tenant + nameSeparator + name }

// mergeStored returns the configuration file's bytes with the stored
// integrations added to its integrations list and their service settings
// to service.integrations: for an engine that reads the configuration's
// bytes rather than the policy (the wasm plugin), which serves the
// integrations the native build joined. The file's own content is kept as
// it is (its comments, anchors and order); only its formatting may change.
func mergeStored(data []byte, stored []storedIntegration) ([]byte, error) {
	if len(stored) == 0 {
		return data, nil
	}
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return nil, err
	}
	if root.Kind == 0 {
		root = yaml.Node{Kind: yaml.DocumentNode, Content: []*yaml.Node{{Kind: yaml.MappingNode}}}
	}
	top := root.Content[0]
	if top.Kind != yaml.MappingNode {
		return nil, fmt.Errorf("the configuration is not a mapping")
	}
	list := member(top, "integrations", yaml.SequenceNode)
	var settings *yaml.Node
	for _, in := range stored {
		pn, err := yamlconfig.ParseJSON(in.doc.Policy)
		if err != nil || pn.Kind != yaml.MappingNode {
			return nil, fmt.Errorf("integration %s/%s revision %d: the stored policy is not an object", in.tenant, in.name, in.revision)
		}
		full := policyName(in.tenant, in.name)
		pn.Content = append([]*yaml.Node{str("name"), str(full), str("tenant"), str(in.tenant)}, pn.Content...)
		list.Content = append(list.Content, pn)
		if len(in.doc.Service) == 0 || string(in.doc.Service) == "null" {
			continue
		}
		sn, err := yamlconfig.ParseJSON(in.doc.Service)
		if err != nil {
			return nil, fmt.Errorf("integration %s/%s revision %d: the stored service settings do not parse", in.tenant, in.name, in.revision)
		}
		if settings == nil {
			settings = member(member(top, "service", yaml.MappingNode), "integrations", yaml.MappingNode)
		}
		settings.Content = append(settings.Content, str(full), sn)
	}
	return yaml.Marshal(&root)
}

// member returns the value of key in the mapping m, made a node of kind
// when absent or null.
func member(m *yaml.Node, key string, kind yaml.Kind) *yaml.Node {
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			v := m.Content[i+1]
			if v.Kind == yaml.ScalarNode && v.Tag == "!!null" {
				*v = yaml.Node{Kind: kind}
			}
			return v
		}
	}
	v := &yaml.Node{Kind: kind}
	m.Content = append(m.Content, str(key), v)
	return v
}

func str(s string) *yaml.Node {
	return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: s, Style: yaml.DoubleQuotedStyle}
}

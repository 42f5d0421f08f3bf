//go:build !jwtgate_webcrypto

// Package yamlnode is the YAML node the policy loader walks: yaml.v3's own
// in every build but the browser module's (aliases: the same types, so
// nothing changes), and litenode's with the tag jwtgate_webcrypto, so that
// the browser module, which reads JSON bundles only, links no yaml.v3 (and
// so no regexp, which yaml.v3's resolver and initialisers use).
package yamlnode

import "go.yaml.in/yaml/v3"

// The types, yaml.v3's.
type (
	Node        = yaml.Node
	Kind        = yaml.Kind
	Style       = yaml.Style
	Unmarshaler = yaml.Unmarshaler
)

// The kinds and styles, yaml.v3's.
const (
	DocumentNode      = yaml.DocumentNode
	SequenceNode      = yaml.SequenceNode
	MappingNode       = yaml.MappingNode
	ScalarNode        = yaml.ScalarNode
	AliasNode         = yaml.AliasNode
	DoubleQuotedStyle = yaml.DoubleQuotedStyle
	FlowStyle         = yaml.FlowStyle
)

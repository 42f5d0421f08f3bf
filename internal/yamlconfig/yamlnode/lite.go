//go:build jwtgate_webcrypto

package yamlnode

import "github.com/jwtgate/jwtgate/internal/yamlconfig/litenode"

// The types, litenode's.
type (
	Node        = litenode.Node
	Kind        = litenode.Kind
	Style       = litenode.Style
	Unmarshaler = litenode.Unmarshaler
)

// The kinds and styles, litenode's (yaml.v3's values).
const (
	DocumentNode      = litenode.DocumentNode
	SequenceNode      = litenode.SequenceNode
	MappingNode       = litenode.MappingNode
	ScalarNode        = litenode.ScalarNode
	AliasNode         = litenode.AliasNode
	DoubleQuotedStyle = litenode.DoubleQuotedStyle
	FlowStyle         = litenode.FlowStyle
)

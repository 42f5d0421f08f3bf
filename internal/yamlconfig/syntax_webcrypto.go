//go:build jwtgate_webcrypto

package yamlconfig

import (
	"errors"

	yaml "github.com/jwtgate/jwtgate/internal/yamlconfig/yamlnode"
)

// ErrSeveralDocuments is syntax.go's; this build never returns it.
var ErrSeveralDocuments = errors.New("more than one YAML document")

// ParseDocument reads no YAML in the browser module's build (tag
// jwtgate_webcrypto), which links no YAML parser: it loads JSON bundles,
// with ParseJSON.
func ParseDocument([]byte) (*yaml.Node, error) {
	return nil, &Problem{Line: 1, Column: 1, Reason: "this build of jwtgate reads no YAML; load a JSON policy (jwtgate policy build writes one)"}
}

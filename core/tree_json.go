//go:build !jwtgate_webcrypto

package core

import (
	"bytes"
	"encoding/json"
	"fmt"
)

// A policy's decoded values written as JSON with encoding/json: every
// build but the browser module's (tree_json_webcrypto.go).

// jwksJSON returns an inline jwks as JSON: written either as a YAML/JSON
// object or as a string holding JSON.
func jwksJSON(v any) ([]byte, error) {
	if s, ok := v.(string); ok {
		return []byte(s), nil
	}
	return json.Marshal(v)
}

// canonicalJSON writes v with sorted keys (encoding/json sorts maps) and
// without HTML escaping, indented when indent is set.
func canonicalJSON(v any, indent string) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", indent)
	if err := enc.Encode(v); err != nil {
		return nil, fmt.Errorf("the policy cannot be written as JSON: %v", err)
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

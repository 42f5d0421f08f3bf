//go:build jwtgate_webcrypto

package core

import (
	"errors"
	"fmt"

	"github.com/jwtgate/jwtgate/internal/jsonenc"
)

// A policy's decoded values written as JSON by jsonenc.Value, byte for
// byte as tree_json.go writes them with encoding/json (FuzzValue), so that
// the browser module does not link encoding/json's reflection-based
// encoder.

// jwksJSON is an inline jwks entry as JSON text: a string as it is, a
// mapping as encoding/json's Marshal writes it.
func jwksJSON(v any) ([]byte, error) {
	if s, ok := v.(string); ok {
		return []byte(s), nil
	}
	return jsonenc.Value(nil, v, true)
}

// canonicalJSON writes v with sorted keys and without HTML escaping, as
// tree_json.go does; this build writes no indented JSON (it builds no
// bundle).
func canonicalJSON(v any, indent string) ([]byte, error) {
	if indent != "" {
		return nil, errors.New("this build of jwtgate writes no indented JSON")
	}
	b, err := jsonenc.Value(nil, v, false)
	if err != nil {
		return nil, fmt.Errorf("the policy cannot be written as JSON: %v", err)
	}
	return b, nil
}

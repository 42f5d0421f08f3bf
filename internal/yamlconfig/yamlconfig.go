// Package yamlconfig holds the YAML conventions of jwtgate's configuration
// file, shared by the policy (package core) and the service section of
// jwtgate serve: one document, syntax errors at their line and column,
// strict decoding of a part of it that reports every problem at the line
// of the field at fault (unknown fields with the nearest valid name, wrong
// types in the file's terms, duplicate fields), aliases bounded, and
// durations written as Go duration strings.
package yamlconfig

import (
	"fmt"
	"strings"
	"time"

	yaml "github.com/jwtgate/jwtgate/internal/yamlconfig/yamlnode"
)

// Duration is a Go duration written as a string ("90s", "5m"). Bare
// numbers are refused: their unit would be a guess.
type Duration time.Duration

// UnmarshalYAML implements yaml.Unmarshaler.
func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.ScalarNode || n.ShortTag() != "!!str" {
		return fmt.Errorf("want a duration such as \"30s\" or \"5m\", found %s", Describe(n))
	}
	v, err := time.ParseDuration(n.Value)
	if err != nil {
		return fmt.Errorf("%s", strings.TrimPrefix(err.Error(), "time: "))
	}
	*d = Duration(v)
	return nil
}

// Or returns the duration, or def when d is nil (not configured).
func (d *Duration) Or(def time.Duration) time.Duration {
	if d == nil {
		return def
	}
	return time.Duration(*d)
}

// MaxAliasNodes bounds the nodes that YAML aliases may make one Decode
// visit ("billion laughs" documents).
const MaxAliasNodes = 100_000

// DecodeStrict decodes n into out (a pointer), refusing unknown fields; see
// Decoder.Decode. The error, when not nil, is Problems.
func DecodeStrict(n *yaml.Node, out any) error {
	_, err := Decoder{}.Decode(n, out)
	return err
}

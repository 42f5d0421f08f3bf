// Package yamlconfig holds the YAML conventions of jwtgate's configuration
// file, shared by the policy (package core) and the service section of
// jwtgate serve: strict decoding of a part of the document, with unknown
// fields refused at their real line and aliases bounded, and durations
// written as Go duration strings.
package yamlconfig

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// Duration is a Go duration written as a string ("90s", "5m"). Bare
// numbers are refused: their unit would be a guess.
type Duration time.Duration

// UnmarshalYAML implements yaml.Unmarshaler.
func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.ScalarNode || n.Tag != "!!str" {
		return fmt.Errorf("line %d: want a duration such as \"30s\" or \"5m\", found %q", n.Line, n.Value)
	}
	v, err := time.ParseDuration(n.Value)
	if err != nil {
		return fmt.Errorf("line %d: %v", n.Line, err)
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

// MaxAliasNodes bounds the nodes that expanding YAML aliases may create for
// one decoded part ("billion laughs" documents).
const MaxAliasNodes = 100_000

var (
	linePattern = regexp.MustCompile(`line (\d+)`)
	typePattern = regexp.MustCompile(` in type [\w.]+`)
)

// DecodeStrict decodes n into out, refusing unknown fields. yaml.v3 offers
// KnownFields only at a document's root, so the node is re-encoded on its
// own: aliases to anchors elsewhere in the document are expanded first
// (within MaxAliasNodes), and line numbers in errors are moved back to the
// node's place in the file. Errors name fields, never Go types.
func DecodeStrict(n *yaml.Node, out any) error {
	budget := MaxAliasNodes
	expanded, err := expandAliases(n, &budget)
	if err != nil {
		return err
	}
	b, err := yaml.Marshal(expanded)
	if err != nil {
		return err
	}
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(out); err != nil && !errors.Is(err, io.EOF) {
		msg := strings.TrimPrefix(err.Error(), "yaml: ")
		msg = strings.ReplaceAll(msg, "unmarshal errors:\n  ", "")
		msg = typePattern.ReplaceAllString(msg, "")
		msg = linePattern.ReplaceAllStringFunc(msg, func(m string) string {
			var l int
			fmt.Sscanf(m, "line %d", &l)
			return fmt.Sprintf("line %d", l+n.Line-1)
		})
		return errors.New(msg)
	}
	return nil
}

// expandAliases returns a copy of n in which every alias is replaced by a
// copy of the node it names.
func expandAliases(n *yaml.Node, budget *int) (*yaml.Node, error) {
	if *budget--; *budget < 0 {
		return nil, errors.New("YAML aliases expand to too many nodes")
	}
	if n.Kind == yaml.AliasNode && n.Alias != nil {
		return expandAliases(n.Alias, budget)
	}
	c := *n
	c.Anchor = ""
	c.Content = make([]*yaml.Node, len(n.Content))
	for i, child := range n.Content {
		var err error
		if c.Content[i], err = expandAliases(child, budget); err != nil {
			return nil, err
		}
	}
	return &c, nil
}

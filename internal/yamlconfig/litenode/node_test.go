//go:build !jwtgate_webcrypto

package litenode

import (
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"

	"github.com/jwtgate/jwtgate/internal/yamlconfig"
)

// lite copies a yaml.v3 tree.
func lite(n *yaml.Node) *Node {
	if n == nil {
		return nil
	}
	out := &Node{Kind: Kind(n.Kind), Style: Style(n.Style), Tag: n.Tag, Value: n.Value, Anchor: n.Anchor, Alias: lite(n.Alias),
		HeadComment: n.HeadComment, LineComment: n.LineComment, FootComment: n.FootComment, Line: n.Line, Column: n.Column}
	for _, c := range n.Content {
		out.Content = append(out.Content, lite(c))
	}
	return out
}

// targets are what the loader decodes nodes into.
func targets() []func() any {
	return []func() any{
		func() any { return new(any) }, func() any { return new(map[string]any) }, func() any { return new([]any) },
		func() any { return new(string) }, func() any { return new(bool) }, func() any { return new(int) },
		func() any { return new(int8) }, func() any { return new(int64) }, func() any { return new(uint) },
		func() any { return new(uint8) }, func() any { return new(uint64) }, func() any { return new(float64) },
		func() any { return new(float32) }, func() any { return new(time.Duration) }, func() any { return new([]string) },
		func() any { return new(map[string]int) }, func() any { return new(*string) }, func() any { return new([]int) },
	}
}

// compare requires the lite tree to give yaml.v3's answers for n and
// every node under it.
func compare(t *testing.T, n *yaml.Node, l *Node) {
	require.Equal(t, n.ShortTag(), l.ShortTag(), "ShortTag of %q (%s)", n.Value, n.Tag)
	if n.Kind == yaml.ScalarNode && n.Style == 0 {
		plain := &yaml.Node{Kind: yaml.ScalarNode, Value: n.Value}
		require.Equal(t, plain.ShortTag(), (&Node{Kind: ScalarNode, Value: n.Value}).ShortTag(), "ShortTag of plain %q", n.Value)
	}
	for _, target := range targets() {
		want, got := target(), target()
		werr := n.Decode(want)
		gerr := l.Decode(got)
		require.Equal(t, werr != nil, gerr != nil, "decoding %q (%s) into %T: yaml.v3 %v, here %v", n.Value, n.ShortTag(), want, werr, gerr)
		if _, ok := want.(*map[string]any); ok && werr != nil && n.Kind == yaml.MappingNode { // checkBundle's
			require.Equal(t, werr.Error(), gerr.Error(), "decoding into %T", want)
		}
		if werr == nil {
			require.True(t, reflect.DeepEqual(want, got), "decoding %q into %T: yaml.v3 %s, here %s", n.Value, want, show(want), show(got))
		}
	}
	for i := range n.Content {
		compare(t, n.Content[i], l.Content[i])
	}
}

func show(v any) string {
	if p, ok := v.(**string); ok && *p != nil {
		return fmt.Sprintf("&%q", **p)
	}
	return fmt.Sprintf("%#v", reflect.ValueOf(v).Elem().Interface())
}

func FuzzDecodeAsYAML(f *testing.F) {
	for _, s := range []string{
		`{"a": 1, "b": [true, false, null, 1.5, -0, 0, -1, 1e3, 1E-3, 1e999, -1e999, 9223372036854775807, 9223372036854775808,
		18446744073709551615, 18446744073709551616, -9223372036854775808, -9223372036854775809, 255, 256, -129, 1.0, 0.5e1,
		"x", "", "yes", "on", "Off", "30s", "1h5m", "5", "true", "null", "1.5"], "c": {"d": {"e": []}}, "f": {}}`,
		`[1, "a", {"k": "v"}]`, `"s"`, `12`, `null`, `true`, `{"n": 1e308, "m": 4.9e-324, "u": 1e-400, "t": 2.5e-7}`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		n, err := yamlconfig.ParseJSON([]byte(text))
		if err != nil {
			return
		}
		compare(t, n, lite(n))
	})
}

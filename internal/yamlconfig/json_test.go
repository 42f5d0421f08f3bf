package yamlconfig

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"
)

// sameTree reports where two trees differ in anything a decoder reads.
func sameTree(a, b *yaml.Node, path string) string {
	if a.Kind != b.Kind || a.Tag != b.Tag || a.ShortTag() != b.ShortTag() || a.Value != b.Value || a.Style != b.Style || a.Line != b.Line || a.Column != b.Column || len(a.Content) != len(b.Content) {
		return fmt.Sprintf("%s: ParseJSON {kind %v tag %q value %q style %v at %d:%d, %d children}, ParseDocument {kind %v tag %q value %q style %v at %d:%d, %d children}",
			path, a.Kind, a.Tag, a.Value, a.Style, a.Line, a.Column, len(a.Content), b.Kind, b.Tag, b.Value, b.Style, b.Line, b.Column, len(b.Content))
	}
	for i := range a.Content {
		if d := sameTree(a.Content[i], b.Content[i], fmt.Sprintf("%s/%d", path, i)); d != "" {
			return d
		}
	}
	return ""
}

var jsonDocs = []string{
	`{}`, `[]`, `"x"`, `1`, `-0`, `1.5e3`, `1E-2`, `12345678901234567890`, `true`, `false`, `null`,
	`{"a": 1, "b": [true, false, null, "s", {"c": {}}], "d": -2.5}`,
	"{\n  \"integrations\": [\n    {\"name\": \"a\", \"issuer\": \"https://a.example\",\n     \"keys\": [{\"jwks\": {\"keys\": []}}]}\n  ]\n}\n",
	`{"é": "ü", "k": "日本語", "after": [1, 2]}`,
	`{"esc": "\" \\ \b \f \n \r \t \u00e9 \u0041"}`,
	" {\"a\":\r\n[1,\r2,\t3]}  \n",
	`{"dup": 1, "dup": 2}`,
	`{"n": "123", "b": "true", "z": "null", "empty": ""}`,
}

// TestParseJSONMatchesParseDocument: the same tree as the YAML parser's
// for the same JSON, node for node.
func TestParseJSONMatchesParseDocument(t *testing.T) {
	for _, doc := range jsonDocs {
		got, err := ParseJSON([]byte(doc))
		require.NoError(t, err, doc)
		want, err := ParseDocument([]byte(doc))
		require.NoError(t, err, doc)
		assert.Empty(t, sameTree(got, want, ""), doc)
	}
}

// TestParseJSONEscapes: every escape of RFC 8259, "\/" and surrogate
// pairs too (which yaml.v3 does not know); half a pair is refused (where
// encoding/json would put U+FFFD in its place).
func TestParseJSONEscapes(t *testing.T) {
	n, err := ParseJSON([]byte(`"\" \\ \/ \b \f \n \r \t \u00e9 \ud83d\ude00 \u0041"`))
	require.NoError(t, err)
	assert.Equal(t, "\" \\ / \b \f \n \r \t é 😀 A", n.Value)
	for _, half := range []string{`"\ud83d"`, `"\ude00"`, `"\ud83d\u0041"`} {
		_, err := ParseJSON([]byte(half))
		assert.ErrorContains(t, err, "is half of a surrogate pair", half)
	}
}

// TestParseJSONRefuses: anything json.Valid refuses, at its position, and
// text that is not UTF-8 (which json.Valid lets through).
func TestParseJSONRefuses(t *testing.T) {
	_, err := ParseJSON([]byte("\"\xff\""))
	assert.ErrorContains(t, err, "line 1:2: JSON syntax: a string that is not UTF-8")
	for doc, where := range map[string]string{
		``: "line 1:1", `  `: "line 1:3", `{"a": 1,}`: "line 1:9", `[1,]`: "line 1:4", `{a: 1}`: "line 1:2",
		`{"a" 1}`: "line 1:6", `[1 2]`: "line 1:4", `01`: "line 1:2", `1.`: "line 1:1", `-`: "line 1:1", `1e`: "line 1:1",
		`"\x"`: "line 1:2", `"\u12"`: "line 1:4", "\"a\x01\"": "line 1:3",
		`"open`: "line 1:6", `NaN`: "line 1:1", `{} {}`: "line 1:4", `tru`: "line 1:1", `// c` + "\n{}": "line 1:1",
		"{\n  \"é\": [1,\n   ]}": "line 3:4", "[1,\r\n\r ]": "line 3:2",
	} {
		require.False(t, json.Valid([]byte(doc)), "%q is valid JSON: a bad test case", doc)
		_, err := ParseJSON([]byte(doc))
		var p *Problem
		if assert.True(t, errors.As(err, &p), "%q: %v, want a *Problem", doc, err) {
			assert.True(t, strings.HasPrefix(p.Error(), where+": JSON syntax: "), "%q: %q, want it at %s", doc, p.Error(), where)
		}
	}
}

func TestParseJSONDepth(t *testing.T) {
	_, err := ParseJSON([]byte(strings.Repeat("[", MaxJSONDepth) + strings.Repeat("]", MaxJSONDepth)))
	assert.NoError(t, err)
	_, err = ParseJSON([]byte(strings.Repeat("[", MaxJSONDepth+1) + strings.Repeat("]", MaxJSONDepth+1)))
	assert.ErrorContains(t, err, "line 1:65: JSON syntax: nested deeper than 64 levels")
}

// FuzzParseJSON: valid JSON gives ParseDocument's tree whenever the YAML
// parser reads it; anything else is refused with a Problem, never a panic.
func FuzzParseJSON(f *testing.F) {
	for _, doc := range jsonDocs {
		f.Add([]byte(doc))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		got, err := ParseJSON(data)
		var p *Problem
		if !json.Valid(data) || !utf8.Valid(data) {
			require.True(t, errors.As(err, &p), "%q: invalid JSON accepted (%v)", data, err)
			return
		}
		if errors.As(err, &p) && strings.Contains(p.Reason, "half of a surrogate pair") {
			return
		}
		if strings.Count(string(data), "[")+strings.Count(string(data), "{") >= MaxJSONDepth {
			return // maybe deeper than ParseJSON reads
		}
		require.NoError(t, err, "%q", data)
		want, err := ParseDocument(data)
		if err != nil || want == nil {
			return // JSON that yaml.v3 does not read as JSON
		}
		require.Empty(t, sameTree(got, want, ""), "%q", data)
	})
}

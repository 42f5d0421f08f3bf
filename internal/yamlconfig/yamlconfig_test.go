package yamlconfig

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"
)

type part struct {
	Name    string    `yaml:"name"`
	Timeout *Duration `yaml:"timeout"`
	Extra   any       `yaml:"extra"`
}

// parts decodes the document's "parts" list one node at a time, as the
// policy and the service section do.
func parts(t *testing.T, doc string) ([]part, error) {
	t.Helper()
	var root struct {
		Defaults yaml.Node   `yaml:"defaults"`
		Parts    []yaml.Node `yaml:"parts"`
	}
	require.NoError(t, yaml.Unmarshal([]byte(doc), &root))
	var out []part
	for i := range root.Parts {
		var p part
		if err := DecodeStrict(&root.Parts[i], &p); err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, nil
}

func TestDecodeStrict(t *testing.T) {
	got, err := parts(t, "defaults: &d {timeout: 30s}\nparts:\n  - name: a\n    <<: *d\n  - {name: b, timeout: 5m}\n")
	require.NoError(t, err, "an alias to an anchor outside the part")
	require.Equal(t, 30*time.Second, got[0].Timeout.Or(time.Hour))
	require.Equal(t, 5*time.Minute, got[1].Timeout.Or(time.Hour))

	_, err = parts(t, "parts:\n  - name: a\n  - name: b\n    timout: 5m\n")
	require.EqualError(t, err, "line 4:5: field timout: unknown field at the top level; did you mean timeout?", "the file's line, no Go type name")

	_, err = parts(t, "parts:\n  - {name: a, timeout: 30}\n")
	require.EqualError(t, err, `line 2:24: field timeout: want a duration such as "30s" or "5m", found the number 30`)

	laughs := "defaults:\n" + anchors("  ") + "parts:\n  - extra: *a7\n"
	_, err = parts(t, laughs)
	require.EqualError(t, err, "line 11:12: field extra: YAML aliases expand to too many nodes")
	// A string field does not expand the list it is given.
	_, err = parts(t, strings.Replace(laughs, "extra: *a7", "name: *a7", 1))
	require.EqualError(t, err, "line 9:7: field name: want a string, found a list")

	var none *Duration
	require.Equal(t, time.Minute, none.Or(time.Minute))
}

// anchors are eight "billion laughs" anchors, a0 to a7, each a list of
// ten of the one before: *a7 is 10^8 strings.
func anchors(indent string) string {
	var b strings.Builder
	b.WriteString(indent + "a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n")
	for i := 1; i < 8; i++ {
		prev := "*a" + string(rune('0'+i-1))
		b.WriteString(indent + "a" + string(rune('0'+i)) + ": &a" + string(rune('0'+i)) + " [" + strings.Repeat(prev+", ", 9) + prev + "]\n")
	}
	return b.String()
}

type section struct {
	Store   string `yaml:"store"`
	Session struct {
		TTL *Duration `yaml:"ttl"`
	} `yaml:"session"`
	Routes []struct {
		Prefix string `yaml:"prefix"`
	} `yaml:"routes" want:"a list of routes" item:"a route such as {prefix: /admin}"`
	Limits map[string]int `yaml:"limits" item:"a count"`
	Flag   bool           `yaml:"flag"`
}

func decodeSection(t *testing.T, doc string) (section, Lines, error) {
	t.Helper()
	var n yaml.Node
	require.NoError(t, yaml.Unmarshal([]byte(doc), &n))
	var s section
	lines, err := Decoder{Path: "service"}.Decode(n.Content[0].Content[1], &s)
	return s, lines, err
}

// Every problem of a part, each at its field's line, with paths under the
// part's own.
func TestDecoderProblems(t *testing.T) {
	doc := `service:
  stor: x
  session:
    tll: 1h
    ttl: 1h
  routes:
    - prefix: /a
    - /b
  limits: {a: 1, b: two, a: 3}
  flag: maybe
`
	s, lines, err := decodeSection(t, doc)
	var list Problems
	require.True(t, errors.As(err, &list))
	var first *Problem
	require.True(t, errors.As(err, &first))
	require.Equal(t, []string{
		"line 2:3: field service.stor: unknown field in service; did you mean store?",
		"line 4:5: field service.session.tll: unknown field in service.session; did you mean ttl?",
		`line 8:7: field service.routes[1]: want a route such as {prefix: /admin}, found a string "/b"`,
		`line 9:21: field service.limits.b: want a count, found a string "two"`,
		`line 9:26: field service.limits.a: "a" already defined (first on line 9)`,
		`line 10:9: field service.flag: want true or false, found a string "maybe"`,
	}, strings.Split(err.Error(), "\n"))
	// What did decode is kept.
	require.Equal(t, time.Hour, s.Session.TTL.Or(0))
	require.Equal(t, "/a", s.Routes[0].Prefix)
	require.Equal(t, 1, s.Limits["a"])
	// Lines of fields, and of the section for a field not written.
	require.Equal(t, 5, lines.Line("service.session.ttl"))
	require.Equal(t, 7, lines.Line("service.routes[0].prefix"))
	require.Equal(t, 3, lines.Line("service.session.missing"))
	require.Equal(t, 2, lines.Line("service"))
	require.Equal(t, 0, Lines{}.Line("x"))
}

// Merge keys work as in YAML: the mapping's own fields win, then the
// earlier merged mapping; unknown merged fields are refused at their line.
func TestDecoderMerge(t *testing.T) {
	doc := "a: &a {store: from-a, flag: true}\nb: &b {store: from-b, bogus: 1}\nservice:\n  <<: [*a, *b]\n  session: {ttl: 2m}\n"
	var n yaml.Node
	require.NoError(t, yaml.Unmarshal([]byte(doc), &n))
	var s section
	_, err := Decoder{Path: "service"}.Decode(n.Content[0].Content[5], &s)
	require.EqualError(t, err, "line 2:23: field service.bogus: unknown field in service; the fields are store, session, routes, limits and flag")
	require.Equal(t, "from-a", s.Store)
	require.True(t, s.Flag)
	require.Equal(t, 2*time.Minute, s.Session.TTL.Or(0))
}

func TestSuggest(t *testing.T) {
	fields := []string{"name", "issuer", "audiences", "algorithms", "keys", "required_claims", "allowed_domains", "one_time_use"}
	for typo, want := range map[string]string{
		"audience":        "audiences",
		"Issuer":          "issuer",
		"issuer_url":      "issuer",
		"algo":            "algorithms",
		"algorithm":       "algorithms",
		"key":             "keys",
		"required_claim":  "required_claims",
		"allowed_domain":  "allowed_domains",
		"one_time":        "one_time_use",
		"onetime_use":     "one_time_use",
		"bogus":           "",
		"x":               "",
		"zzzzzzzzzzzzzzz": "",
	} {
		require.Equal(t, want, Suggest(typo, fields), typo)
	}
	require.Equal(t, "", Suggest("some", []string{"any", "all"}))
	require.Equal(t, "all", Suggest("alll", []string{"any", "all"}))
}

// Syntax errors at the line and column of the problem.
func TestParseDocumentSyntax(t *testing.T) {
	for _, c := range []struct {
		doc          string
		line, column int
		reason       string
	}{
		{"a: 1\nb:\n\tc: 2\n", 3, 1, "YAML syntax: a tab in the indentation; indent with spaces"},
		{"a: [1, 2\nb: 3\n", 1, 4, `YAML syntax: this "[" is not closed: a "," or "]" is missing`},
		{"a: {x: 1, y: 2\n", 1, 4, `YAML syntax: this "{" is not closed: a "," or "}" is missing`},
		{"a: b: c\n", 1, 5, `YAML syntax: a ":" where a value was expected; quote a value that holds ": "`},
		{"a: 1\n- b\n", 2, 1, "YAML syntax: want a field name here; check the indentation"},
		{"a: *nope\n", 1, 4, "YAML syntax: *nope names no anchor; define &nope before it"},
		{"a: \"x\\q\"\n", 1, 6, "YAML syntax: found unknown escape character"},
		{"a: 1\nb: 'open\n", 2, 4, "YAML syntax: this quote is not closed"},
		{"a: \x01\n", 1, 4, "YAML syntax: a control character; the file must be text"},
		{"{\"a\": [1, 2}", 1, 12, "JSON syntax: invalid character '}' after array element"},
		{"{\"a\": 1,\n \"b\" 2}", 2, 6, "JSON syntax: invalid character '2' after object key"},
		{"{\"a\": {\"b\": [1,\n", 1, 13, `JSON syntax: this "[" is not closed`},
	} {
		_, err := ParseDocument([]byte(c.doc))
		var p *Problem
		require.ErrorAs(t, err, &p, "%q", c.doc)
		require.Equal(t, Problem{Line: c.line, Column: c.column, Reason: c.reason}, *p, "%q", c.doc)
	}
	n, err := ParseDocument([]byte("# nothing\n"))
	require.NoError(t, err)
	require.Nil(t, n)
	_, err = ParseDocument([]byte("a: 1\n---\nb: 2\n"))
	require.ErrorIs(t, err, ErrSeveralDocuments)
	n, err = ParseDocument([]byte("{\"a\": 1}"))
	require.NoError(t, err)
	require.Equal(t, yaml.MappingNode, n.Kind)
}

// A syntax error deep in a large document is located quickly.
func TestParseDocumentSyntaxLarge(t *testing.T) {
	var b strings.Builder
	for b.Len() < 64<<10 {
		b.WriteString("- {name: entry, value: [1, 2, 3]}\n")
	}
	lines := strings.Count(b.String(), "\n")
	b.WriteString("- {name: last\n")
	start := time.Now()
	_, err := ParseDocument([]byte(b.String()))
	var p *Problem
	require.ErrorAs(t, err, &p)
	require.Equal(t, lines+1, p.Line)
	require.Equal(t, 3, p.Column)
	require.Less(t, time.Since(start), 30*time.Second, "with -race too")
	t.Logf("%d lines, located in %v", lines+1, time.Since(start))
}

// selfDecoding decodes itself strictly with a Decoder, as a type shared by
// several configurations does (edge.RouteConfig).
type selfDecoding struct {
	Prefix string   `yaml:"prefix"`
	Tags   []string `yaml:"tags"`
	Extra  any      `yaml:"extra"`
}

func (s *selfDecoding) UnmarshalYAML(n *yaml.Node) error {
	type plain selfDecoding
	_, err := Decoder{}.Decode(n, (*plain)(s))
	return err
}

// A part that decodes itself reads as if the walk had gone through it:
// its problems under the field's path at their own lines, its fields'
// lines known, its aliases spent from the document's budget.
func TestDecoderSelfDecodingPart(t *testing.T) {
	type doc struct {
		Routes []selfDecoding `yaml:"routes"`
	}
	decode := func(text string) (doc, Lines, error) {
		var n yaml.Node
		require.NoError(t, yaml.Unmarshal([]byte(text), &n))
		var d doc
		lines, err := Decoder{Path: "service"}.Decode(n.Content[0], &d)
		return d, lines, err
	}
	d, lines, err := decode("routes:\n  - prefix: /a\n  - tags: [x]\n    prefx: /b\n    tags: [y, {z: 1}]\n")
	require.Equal(t, []string{
		"line 4:5: field service.routes[1].prefx: unknown field at the top level; did you mean prefix?",
		`line 5:5: field service.routes[1].tags: "tags" already defined (first on line 3)`,
	}, strings.Split(err.Error(), "\n"))
	require.Equal(t, "/a", d.Routes[0].Prefix)
	require.Equal(t, 2, lines.Line("service.routes[0].prefix"))
	require.Equal(t, 4, lines.Line("service.routes[1].prefx"))

	// 11,111 nodes each: past the budget together, not alone.
	type withDefaults struct {
		Defaults yaml.Node      `yaml:"defaults"`
		Routes   []selfDecoding `yaml:"routes"`
	}
	laughs := "defaults:\n" + anchors("  ") + "routes:\n"
	for _, count := range []int{8, 20} {
		var n yaml.Node
		require.NoError(t, yaml.Unmarshal([]byte(laughs+strings.Repeat("  - extra: *a3\n", count)), &n))
		var big withDefaults
		_, err = Decoder{}.Decode(n.Content[0], &big)
		if count == 8 {
			require.NoError(t, err)
			require.Len(t, big.Routes[7].Extra, 10)
			continue
		}
		require.EqualError(t, err, "line 20:5: field routes[9]: YAML aliases expand to too many nodes")
	}
}

// A retired spelling is refused with the message naming its successor.
func TestDecoderRenamed(t *testing.T) {
	var n yaml.Node
	require.NoError(t, yaml.Unmarshal([]byte("service:\n  stor: x\n  session: {tll: 1h}\n"), &n))
	var s section
	_, err := Decoder{Path: "service", Renamed: map[string]string{
		"service.stor": "stor is now store", "service.session.tll": "tll is now ttl",
	}}.Decode(n.Content[0].Content[1], &s)
	require.EqualError(t, err, "line 2:3: field service.stor: stor is now store\nline 3:13: field service.session.tll: tll is now ttl")
}

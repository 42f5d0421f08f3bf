package yamlconfig

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/jwtgate/jwtgate/internal/errlist"
	yaml "github.com/jwtgate/jwtgate/internal/yamlconfig/yamlnode"
)

// Problem is one thing wrong with a YAML document: a syntax error, or a
// field that does not decode.
type Problem struct {
	Field  string // the path of the field at fault, such as "keys[0].secret"; "" for the document or the part itself
	Line   int    // 1-based, 0 when unknown
	Column int    // 1-based, 0 when unknown
	Reason string // in the file's terms: what was expected, what was found
}

func (p *Problem) Error() string {
	var b strings.Builder
	if p.Line > 0 {
		fmt.Fprintf(&b, "line %d", p.Line)
		if p.Column > 0 {
			fmt.Fprintf(&b, ":%d", p.Column)
		}
		b.WriteString(": ")
	}
	if p.Field != "" {
		fmt.Fprintf(&b, "field %s: ", p.Field)
	}
	b.WriteString(p.Reason)
	return b.String()
}

// Problems is every problem of one decoded part, in the order found.
type Problems []*Problem

func (ps Problems) Error() string { return errlist.Error(ps) }

// Unwrap lets errors.As find each *Problem.
func (ps Problems) Unwrap() []error { return errlist.Unwrap(ps) }

// Lines maps the path of every field a Decode met to the line it is
// written on.
type Lines map[string]int

// Line returns the line of field, or of the nearest enclosing field that
// is written (a missing field is at its section's line); 0 if none.
func (l Lines) Line(field string) int {
	for {
		if n, ok := l[field]; ok {
			return n
		}
		if field == "" {
			return 0
		}
		field = parentPath(field)
	}
}

// parentPath drops the last step of a field path: "keys[0].pem" is in
// "keys[0]", which is in "keys".
func parentPath(field string) string {
	if strings.HasSuffix(field, "]") {
		if i := strings.LastIndexByte(field, '['); i >= 0 {
			return field[:i]
		}
	}
	if i := strings.LastIndexByte(field, '.'); i >= 0 {
		return field[:i]
	}
	return ""
}

// Describe says what a node is, in the file's terms: a string "x", the
// number 30, true, nothing (null), a list, a mapping.
func Describe(n *yaml.Node) string {
	for n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	switch n.Kind {
	case yaml.SequenceNode:
		return "a list"
	case yaml.MappingNode:
		return "a mapping"
	case yaml.DocumentNode:
		return "a document"
	}
	switch n.ShortTag() {
	case "!!str":
		return "a string " + quoteShort(n.Value)
	case "!!int", "!!float":
		return "the number " + n.Value
	case "!!bool":
		return n.Value
	case "!!null":
		return "nothing (null)"
	case "!!timestamp":
		return "a date " + quoteShort(n.Value)
	case "!!binary":
		return "binary data"
	}
	return "the value " + quoteShort(n.Value)
}

// quoteShort quotes s, cut to 40 characters: a message shows a value to
// recognise it, not in full.
func quoteShort(s string) string {
	if utf8.RuneCountInString(s) > 40 {
		r := []rune(s)
		return strconv.Quote(string(r[:40])) + "…"
	}
	return strconv.Quote(s)
}

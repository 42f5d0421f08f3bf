package yamlconfig

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"

	yaml "github.com/jwtgate/jwtgate/internal/yamlconfig/yamlnode"
)

// MaxJSONDepth bounds the nesting of a document ParseJSON reads: a policy
// is a few levels deep (integrations, keys, a JWK set, its keys).
const MaxJSONDepth = 64

// ParseJSON parses data, one JSON document (RFC 8259, UTF-8, nothing
// after it), into the tree ParseDocument gives for the same text: the same
// kinds, tags, styles, values, lines and columns, so that a decoder cannot
// tell them apart. It is the loader of the builds that must not link a
// YAML parser (the browser module, the proxy filter): it reads JSON only,
// strictly. A syntax error is a *Problem at its line and column.
func ParseJSON(data []byte) (*yaml.Node, error) {
	p := &jsonParser{data: data, line: 1, col: 1}
	p.space()
	if p.off == len(data) {
		return nil, p.fail("JSON syntax: the document is empty")
	}
	n, err := p.value(0)
	if err != nil {
		return nil, err
	}
	if p.space(); p.off < len(data) {
		return nil, p.fail("JSON syntax: %s after the document", p.found())
	}
	return n, nil
}

type jsonParser struct {
	data []byte
	off  int
	// line is the 1-based line of off; lineOff the offset where it starts,
	// colOff and col a position on it already counted (columns are in
	// characters, as yaml.v3 counts them).
	line, lineOff, colOff, col int
}

func (p *jsonParser) fail(format string, args ...any) error {
	line, col := p.position(p.off)
	return &Problem{Line: line, Column: col, Reason: fmt.Sprintf(format, args...)}
}

// position is the line and column of off, which is never before the last
// position asked for: counting goes forward only, once over the data.
func (p *jsonParser) position(off int) (line, col int) {
	if p.colOff < p.lineOff {
		p.colOff, p.col = p.lineOff, 1
	}
	p.col += utf8.RuneCount(p.data[p.colOff:off])
	p.colOff = off
	return p.line, p.col
}

func (p *jsonParser) found() string {
	if p.off >= len(p.data) {
		return "the end of the document"
	}
	r, _ := utf8.DecodeRune(p.data[p.off:])
	return strconv.QuoteRune(r)
}

func (p *jsonParser) space() {
	for p.off < len(p.data) {
		switch c := p.data[p.off]; c {
		case '\n', '\r':
			// A line ends at LF, CRLF or a lone CR, as yaml.v3 counts them.
			if c == '\n' || p.off+1 == len(p.data) || p.data[p.off+1] != '\n' {
				p.line++
				p.lineOff = p.off + 1
			}
		case ' ', '\t':
		default:
			return
		}
		p.off++
	}
}

func (p *jsonParser) node(kind yaml.Kind, tag string) *yaml.Node {
	line, col := p.position(p.off)
	return &yaml.Node{Kind: kind, Tag: tag, Line: line, Column: col}
}

func (p *jsonParser) value(depth int) (*yaml.Node, error) {
	if depth >= MaxJSONDepth {
		return nil, p.fail("JSON syntax: nested deeper than %d levels", MaxJSONDepth)
	}
	if p.off >= len(p.data) {
		return nil, p.fail("JSON syntax: a value was expected, found the end of the document")
	}
	switch c := p.data[p.off]; {
	case c == '{':
		return p.object(depth)
	case c == '[':
		return p.array(depth)
	case c == '"':
		n := p.node(yaml.ScalarNode, "!!str")
		n.Style = yaml.DoubleQuotedStyle
		s, err := p.str()
		n.Value = s
		return n, err
	case c == '-' || c >= '0' && c <= '9':
		return p.plain(p.number())
	}
	for _, word := range []string{"true", "false", "null"} {
		if len(p.data)-p.off >= len(word) && string(p.data[p.off:p.off+len(word)]) == word {
			return p.plain(p.off + len(word))
		}
	}
	return nil, p.fail("JSON syntax: a value was expected, found %s", p.found())
}

// plain is the scalar from off to end, tagged as yaml.v3 resolves it.
func (p *jsonParser) plain(end int) (*yaml.Node, error) {
	if end < 0 {
		return nil, p.fail("JSON syntax: %s is not a number", p.found())
	}
	n := p.node(yaml.ScalarNode, "")
	n.Value = string(p.data[p.off:end])
	n.Tag = n.ShortTag()
	p.off = end
	return n, nil
}

// number returns the end of the number at off (RFC 8259 §6), -1 if none.
func (p *jsonParser) number() int {
	i, d := p.off, p.data
	digits := func() bool {
		start := i
		for i < len(d) && d[i] >= '0' && d[i] <= '9' {
			i++
		}
		return i > start
	}
	if i < len(d) && d[i] == '-' {
		i++
	}
	switch {
	case i < len(d) && d[i] == '0':
		i++
	case !digits():
		return -1
	}
	if i < len(d) && d[i] == '.' {
		if i++; !digits() {
			return -1
		}
	}
	if i < len(d) && (d[i] == 'e' || d[i] == 'E') {
		if i++; i < len(d) && (d[i] == '+' || d[i] == '-') {
			i++
		}
		if !digits() {
			return -1
		}
	}
	return i
}

func (p *jsonParser) object(depth int) (*yaml.Node, error) {
	n := p.node(yaml.MappingNode, "!!map")
	n.Style = yaml.FlowStyle
	p.off++ // {
	p.space()
	if p.off < len(p.data) && p.data[p.off] == '}' {
		p.off++
		return n, nil
	}
	for {
		if p.off >= len(p.data) || p.data[p.off] != '"' {
			return nil, p.fail("JSON syntax: a member name in quotes was expected, found %s", p.found())
		}
		key, err := p.value(depth + 1)
		if err != nil {
			return nil, err
		}
		if p.space(); p.off >= len(p.data) || p.data[p.off] != ':' {
			return nil, p.fail("JSON syntax: a \":\" was expected after the member name, found %s", p.found())
		}
		p.off++
		p.space()
		val, err := p.value(depth + 1)
		if err != nil {
			return nil, err
		}
		n.Content = append(n.Content, key, val)
		if done, err := p.next('}'); done || err != nil {
			return n, err
		}
	}
}

func (p *jsonParser) array(depth int) (*yaml.Node, error) {
	n := p.node(yaml.SequenceNode, "!!seq")
	n.Style = yaml.FlowStyle
	p.off++ // [
	p.space()
	if p.off < len(p.data) && p.data[p.off] == ']' {
		p.off++
		return n, nil
	}
	for {
		val, err := p.value(depth + 1)
		if err != nil {
			return nil, err
		}
		n.Content = append(n.Content, val)
		if done, err := p.next(']'); done || err != nil {
			return n, err
		}
	}
}

// next reads the "," before another element, or the closing character.
func (p *jsonParser) next(closing byte) (done bool, err error) {
	p.space()
	if p.off < len(p.data) {
		switch p.data[p.off] {
		case closing:
			p.off++
			return true, nil
		case ',':
			p.off++
			p.space()
			return false, nil
		}
	}
	return false, p.fail("JSON syntax: a \",\" or %q was expected, found %s", string(closing), p.found())
}

// str reads the string at off, its escapes decoded.
func (p *jsonParser) str() (string, error) {
	p.off++ // "
	var out []byte
	for start := p.off; p.off < len(p.data); {
		switch c := p.data[p.off]; {
		case c == '"':
			out = append(out, p.data[start:p.off]...)
			p.off++
			return string(out), nil
		case c == '\\':
			out = append(out, p.data[start:p.off]...)
			r, err := p.escape()
			if err != nil {
				return "", err
			}
			out = utf8.AppendRune(out, r)
			start = p.off
		case c < 0x20:
			return "", p.fail("JSON syntax: a control character in a string (escape it)")
		case c < utf8.RuneSelf:
			p.off++
		default:
			r, size := utf8.DecodeRune(p.data[p.off:])
			if r == utf8.RuneError && size == 1 {
				return "", p.fail("JSON syntax: a string that is not UTF-8")
			}
			p.off += size
		}
	}
	return "", p.fail("JSON syntax: a string is not closed")
}

// The one-character escapes of RFC 8259 §7, and what they stand for.
const escapeNames, escapeValues = "\"\\/bfnrt", "\"\\/\b\f\n\r\t"

// escape reads the escape at off (a backslash), surrogate pairs joined.
func (p *jsonParser) escape() (rune, error) {
	if p.off+1 >= len(p.data) {
		return 0, p.fail("JSON syntax: a string is not closed")
	}
	c := p.data[p.off+1]
	p.off += 2
	if i := strings.IndexByte(escapeNames, c); i >= 0 {
		return rune(escapeValues[i]), nil
	}
	if c != 'u' {
		p.off -= 2
		return 0, p.fail("JSON syntax: \\%c is not an escape", c)
	}
	r, ok := p.hex4()
	if !ok {
		return 0, p.fail("JSON syntax: \\u wants four hexadecimal digits")
	}
	if utf16.IsSurrogate(r) {
		if p.off+1 < len(p.data) && p.data[p.off] == '\\' && p.data[p.off+1] == 'u' {
			p.off += 2
			if low, ok := p.hex4(); ok {
				if pair := utf16.DecodeRune(r, low); pair != utf8.RuneError {
					return pair, nil
				}
			}
		}
		return 0, p.fail("JSON syntax: \\u%04x is half of a surrogate pair", r)
	}
	return r, nil
}

func (p *jsonParser) hex4() (rune, bool) {
	if len(p.data)-p.off < 4 {
		return 0, false
	}
	v, err := strconv.ParseUint(string(p.data[p.off:p.off+4]), 16, 16)
	if err != nil {
		return 0, false
	}
	p.off += 4
	return rune(v), true
}

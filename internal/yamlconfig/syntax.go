//go:build !jwtgate_webcrypto

package yamlconfig

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"
)

// ErrSeveralDocuments is returned by ParseDocument for data holding more
// than one YAML document: the others would be silently ignored.
var ErrSeveralDocuments = errors.New("more than one YAML document")

// ParseDocument parses data, one YAML (or JSON) document, and returns its
// root node: nil for an empty document. A syntax error is a *Problem at
// the line and column of the problem; a second document is
// ErrSeveralDocuments.
func ParseDocument(data []byte) (*yaml.Node, error) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, nil
		}
		return nil, syntaxProblem(data, err)
	}
	if err := dec.Decode(new(yaml.Node)); !errors.Is(err, io.EOF) {
		return nil, ErrSeveralDocuments
	}
	if len(doc.Content) == 0 {
		return nil, nil
	}
	return doc.Content[0], nil
}

// yaml.v3's syntax errors carry the line of the construct the problem is
// in (counted from 0 for some), not the problem's. The problem is where
// the text stops being the start of a document that fails that way: the
// shortest prefix of data that gives the same error ends with it.
func yamlMessage(err error) (msg string, line int) {
	msg = strings.TrimPrefix(err.Error(), "yaml: ")
	if digits, rest, ok := linePrefix(msg); ok {
		fmt.Sscan(digits, &line)
		msg = rest
	}
	return msg, line
}

// linePrefix splits "line N: rest" into N's digits and rest, as the
// regular expression ^line (\d+): would (by hand: regexp would be linked
// into the browser module for this alone; syntax_test.go holds it to the
// expression).
func linePrefix(msg string) (digits, rest string, ok bool) {
	s, found := strings.CutPrefix(msg, "line ")
	n := 0
	for n < len(s) && '0' <= s[n] && s[n] <= '9' {
		n++
	}
	if !found || n == 0 || !strings.HasPrefix(s[n:], ": ") {
		return "", "", false
	}
	return s[:n], s[n+2:], true
}

// firstError is the error of data's first document, "" if it parses.
func firstError(data []byte) string {
	var n yaml.Node
	err := yaml.NewDecoder(bytes.NewReader(data)).Decode(&n)
	if err == nil || errors.Is(err, io.EOF) {
		return ""
	}
	msg, _ := yamlMessage(err)
	return msg
}

// probeBudget bounds the bytes re-parsed to find a problem (linear probes
// from the reported line, then bisection), so a huge file fails fast.
const probeBudget = 32 << 20

func syntaxProblem(data []byte, err error) *Problem {
	if p := jsonProblem(data); p != nil {
		return p
	}
	msg, line := yamlMessage(err)
	off := problemEnd(data, msg, line) - 1
	reason, off := explain(msg, data, off)
	l, c := position(data, off)
	return &Problem{Line: l, Column: c, Reason: "YAML syntax: " + reason}
}

// problemEnd returns the length of the shortest prefix of data whose
// parse fails with msg (len(data) does), searching from the line yaml.v3
// reported.
func problemEnd(data []byte, msg string, line int) int {
	fails := func(k int) bool { return firstError(data[:k]) == msg }
	// The reported line is counted from 0 or from 1: start after it if
	// the problem is not there already, else before it, else at the top.
	lo := lineStart(data, line+1)
	if fails(lo) {
		lo = lineStart(data, line)
	}
	if fails(lo) {
		lo = 0
	}
	spent := 0
	for k := lo + 1; k <= len(data); k++ {
		if fails(k) {
			return k
		}
		if spent += k; spent > probeBudget/8 || k-lo >= 128 {
			lo = k
			break
		}
	}
	hi := len(data)
	for lo+1 < hi && spent < probeBudget {
		mid := lo + (hi-lo)/2
		spent += mid
		if fails(mid) {
			hi = mid
		} else {
			lo = mid
		}
	}
	return hi
}

// lineStart is the offset of 1-based line n (0 for n < 1, the end of
// data past its last line).
func lineStart(data []byte, n int) int {
	off := 0
	for i := 1; i < n; i++ {
		j := bytes.IndexByte(data[off:], '\n')
		if j < 0 {
			return len(data)
		}
		off += j + 1
	}
	return off
}

// position is the 1-based line and column (in characters) of offset off.
func position(data []byte, off int) (line, col int) {
	off = max(0, min(off, len(data)))
	start := bytes.LastIndexByte(data[:off], '\n') + 1
	return 1 + bytes.Count(data[:off], []byte("\n")), 1 + utf8.RuneCount(data[start:off])
}

// explain says what yaml.v3's message means at offset off, and moves off
// to where the user should look.
func explain(msg string, data []byte, off int) (string, int) {
	at := byte(0)
	if off >= 0 && off < len(data) {
		at = data[off]
	}
	switch {
	case msg == "found a tab character that violates indentation",
		msg == "found character that cannot start any token" && at == '\t':
		return "a tab in the indentation; indent with spaces", off
	case msg == "found character that cannot start any token":
		r, _ := utf8.DecodeRune(data[off:])
		return fmt.Sprintf("%q cannot start a value; quote the value", string(r)), off
	case msg == "mapping values are not allowed in this context":
		return `a ":" where a value was expected; quote a value that holds ": "`, off
	case msg == "did not find expected ',' or ']'", msg == "did not find expected ',' or '}'":
		closer := msg[len(msg)-2 : len(msg)-1]
		opener := map[string]byte{"]": '[', "}": '{'}[closer]
		// The shortest failing prefix ends with the first thing after
		// an opener that is never closed.
		j := off - 1
		for j >= 0 && strings.IndexByte(" \t\r\n", data[j]) >= 0 {
			j--
		}
		if j >= 0 && data[j] == opener {
			return fmt.Sprintf("this %q is not closed: a \",\" or %q is missing", string(opener), closer), j
		}
		return fmt.Sprintf("a \",\" or %q is missing here", closer), off
	case msg == "found unexpected end of stream" && (at == '\'' || at == '"'):
		return "this quote is not closed", off
	case msg == "found unexpected end of stream":
		return "the file ends too early", off
	case msg == "did not find expected key":
		return "want a field name here; check the indentation", off
	case msg == "did not find expected '-' indicator":
		return `want a "- " list entry here; check the indentation`, off
	case msg == "did not find expected node content":
		return "want a value here", off
	case strings.HasPrefix(msg, "unknown anchor "):
		if j := bytes.LastIndexByte(data[:off+1], '*'); j >= 0 {
			off = j
		}
		name := strings.TrimSuffix(strings.TrimPrefix(msg, "unknown anchor '"), "' referenced")
		return fmt.Sprintf("*%s names no anchor; define &%s before it", name, name), off
	case msg == "control characters are not allowed":
		return "a control character; the file must be text", off
	}
	return msg, off
}

// jsonProblem locates a syntax error of a JSON document (one that starts
// with {") with encoding/json, which knows the exact offset; nil when data
// is not JSON or is valid JSON.
func jsonProblem(data []byte) *Problem {
	t := bytes.TrimLeft(data, " \t\r\n")
	if !bytes.HasPrefix(t, []byte("{")) || !bytes.HasPrefix(bytes.TrimLeft(t[1:], " \t\r\n"), []byte(`"`)) {
		return nil
	}
	var v any
	err := json.NewDecoder(bytes.NewReader(data)).Decode(&v)
	var se *json.SyntaxError
	switch {
	case errors.As(err, &se):
		l, c := position(data, int(se.Offset)-1)
		return &Problem{Line: l, Column: c, Reason: "JSON syntax: " + se.Error()}
	case errors.Is(err, io.ErrUnexpectedEOF):
		off := unclosedJSON(data)
		l, c := position(data, off)
		return &Problem{Line: l, Column: c, Reason: fmt.Sprintf("JSON syntax: this %q is not closed", string(data[off]))}
	}
	return nil
}

// unclosedJSON returns the offset of the innermost "[" or "{" of data that
// is never closed (data ends inside it).
func unclosedJSON(data []byte) int {
	var open []int
	inString, escaped := false, false
	for i, c := range data {
		switch {
		case inString && escaped:
			escaped = false
		case inString && c == '\\':
			escaped = true
		case inString && c == '"':
			inString = false
		case inString:
		case c == '"':
			inString = true
		case c == '[' || c == '{':
			open = append(open, i)
		case (c == ']' || c == '}') && len(open) > 0:
			open = open[:len(open)-1]
		}
	}
	if len(open) == 0 {
		return len(data) - 1
	}
	return open[len(open)-1]
}

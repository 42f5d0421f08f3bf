package jsonscan

import (
	"strconv"
	"strings"
)

// Typed helpers for raw member values.
//
// Each helper accepts exactly one JSON value of the expected type, optionally
// surrounded by JSON whitespace, validated with the same rules as
// ParseObject, and returns an *Error (with an offset relative to raw) for a
// value of another JSON type, a malformed value, or trailing data.

// trimmed returns raw without trailing whitespace and the index of its first
// non-whitespace byte. Offsets into the result are offsets into raw.
func trimmed(raw []byte) ([]byte, int) {
	end := len(raw)
	for end > 0 && wsTable[raw[end-1]] {
		end--
	}
	d := raw[:end]
	return d, skipWS(d, 0)
}

// wrongType reports that the value at d[i] is not of the wanted type.
//
//go:noinline
func wrongType(d []byte, i int, want string) *Error {
	k := Kind(d[i:])
	if k == "" {
		k = "invalid value"
	}
	return newError(i, "expected "+want+", found "+k)
}

// String decodes raw, which must be a JSON string, resolving escapes. As in
// encoding/json, lone surrogate escapes and invalid UTF-8 bytes are replaced
// by U+FFFD. A string without escapes that is valid UTF-8 costs a single
// allocation (the result).
func String(raw []byte) (string, error) {
	s, err := stringValue(raw)
	if err != nil {
		return "", err
	}
	return s, nil
}

// StringBytes is String without the copy when it can: the content of raw
// itself when it holds no escape, else a decoded copy. A caller may look a
// map up with string(b) (which Go does without allocating) and keep the
// map's own string; it must not keep b, which aliases raw.
func StringBytes(raw []byte) ([]byte, error) {
	content, flags, err := stringContent(raw)
	if err != nil {
		return nil, err
	}
	if !needsDecoding(content, flags) {
		return content, nil
	}
	return appendDecoded(nil, content), nil
}

// stringContent validates raw as one JSON string and returns what is
// between its quotes, still escaped.
func stringContent(raw []byte) ([]byte, strFlags, *Error) {
	d, i := trimmed(raw)
	if i >= len(d) {
		return nil, 0, errEOF(d)
	}
	if d[i] != '"' {
		return nil, 0, wrongType(d, i, "string")
	}
	end, flags, err := scanString(d, i)
	if err != nil {
		return nil, 0, err
	}
	if end != len(d) {
		return nil, 0, errUnexpected(d, end, "after string")
	}
	return d[i+1 : end-1], flags, nil
}

func stringValue(raw []byte) (string, *Error) {
	content, flags, err := stringContent(raw)
	if err != nil {
		return "", err
	}
	if !needsDecoding(content, flags) {
		return string(content), nil
	}
	var buf [128]byte
	return string(appendDecoded(buf[:0], content)), nil
}

// Number decodes raw, which must be a JSON number (RFC 8259 grammar: no
// leading '+', no leading zeros, no bare '.', no NaN or Infinity), as a
// float64. Like encoding/json, it refuses numbers whose magnitude is too
// large for a float64.
func Number(raw []byte) (float64, error) {
	d, i := trimmed(raw)
	if i >= len(d) {
		return 0, errEOF(d)
	}
	if c := d[i]; c != '-' && !isDigit(c) {
		return 0, wrongType(d, i, "number")
	}
	end, err := scanNumber(d, i)
	if err != nil {
		return 0, err
	}
	if end != len(d) {
		return 0, errUnexpected(d, end, "after number")
	}
	f, perr := strconv.ParseFloat(string(d[i:end]), 64)
	if perr != nil {
		return 0, newError(i, "number out of range for float64")
	}
	return f, nil
}

// Bool decodes raw, which must be the JSON literal true or false.
func Bool(raw []byte) (bool, error) {
	d, i := trimmed(raw)
	if i >= len(d) {
		return false, errEOF(d)
	}
	var (
		lit string
		v   bool
	)
	switch d[i] {
	case 't':
		lit, v = "true", true
	case 'f':
		lit = "false"
	default:
		return false, wrongType(d, i, "boolean")
	}
	end, err := scanLiteral(d, i, lit)
	if err != nil {
		return false, err
	}
	if end != len(d) {
		return false, errUnexpected(d, end, "after boolean")
	}
	return v, nil
}

// StringArray decodes raw, which must be a JSON array whose elements are all
// strings, into a slice (empty, not nil, for []). JSON null is refused.
// Escapes are resolved as by [String]. All elements share one backing
// allocation.
func StringArray(raw []byte) ([]string, error) {
	s, err := stringArray(raw)
	if err != nil {
		return nil, err
	}
	return s, nil
}

type span struct {
	start, end int
	flags      strFlags
}

func stringArray(raw []byte) ([]string, *Error) {
	var spanBuf [16]span
	spans := spanBuf[:0]
	size := 0
	d, err := eachElement(raw, "array of strings", func(d []byte, i int) (int, *Error) {
		if d[i] != '"' {
			return 0, wrongType(d, i, "string array element")
		}
		end, flags, err := scanString(d, i)
		if err != nil {
			return 0, err
		}
		spans = append(spans, span{i + 1, end - 1, flags})
		size += end - 1 - (i + 1)
		return end, nil
	})
	if err != nil {
		return nil, err
	}

	out := make([]string, len(spans))
	if len(spans) == 0 {
		return out, nil
	}
	var (
		sb  strings.Builder
		tmp [128]byte
	)
	sb.Grow(size)
	for k, sp := range spans {
		content := d[sp.start:sp.end]
		off := sb.Len()
		if needsDecoding(content, sp.flags) {
			sb.Write(appendDecoded(tmp[:0], content))
		} else {
			sb.Write(content)
		}
		spans[k].start, spans[k].end = off, sb.Len()
	}
	all := sb.String()
	for k, sp := range spans {
		out[k] = all[sp.start:sp.end]
	}
	return out, nil
}

// StringOrArray decodes raw, which must be a JSON string (giving one
// element) or an array of strings, as for the JWT "aud" claim (RFC 7519
// section 4.1.3). JSON null is refused.
func StringOrArray(raw []byte) ([]string, error) {
	d, i := trimmed(raw)
	if i >= len(d) {
		return nil, errEOF(d)
	}
	switch d[i] {
	case '"':
		s, err := stringValue(raw)
		if err != nil {
			return nil, err
		}
		return []string{s}, nil
	case '[':
		return StringArray(raw)
	}
	return nil, wrongType(d, i, "string or array of strings")
}

// Kind reports the JSON type of raw judged by its first non-whitespace byte:
// "string", "number", "boolean", "null", "array" or "object", or "" if raw
// is empty or starts with a byte that cannot begin a JSON value. It does not
// validate the rest of raw.
func Kind(raw []byte) string {
	i := skipWS(raw, 0)
	if i >= len(raw) {
		return ""
	}
	switch c := raw[i]; {
	case c == '"':
		return "string"
	case c == '-' || isDigit(c):
		return "number"
	case c == 't' || c == 'f':
		return "boolean"
	case c == 'n':
		return "null"
	case c == '[':
		return "array"
	case c == '{':
		return "object"
	}
	return ""
}

// ObjectArray splits raw, a JSON array whose elements are objects, into
// the raw text of each element (empty, not nil, for []), for ParseObject to
// parse and validate one by one: as a JWK set's "keys". JSON null is
// refused.
func ObjectArray(raw []byte) ([][]byte, error) {
	out := [][]byte{}
	_, err := eachElement(raw, "array of objects", func(d []byte, i int) (int, *Error) {
		if d[i] != '{' {
			return 0, wrongType(d, i, "object array element")
		}
		end, err := skipComposite(d, i)
		if err == nil {
			out = append(out, d[i:end])
		}
		return end, err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// eachElement walks raw, which must be a JSON array (want names it in an
// error), calling element at the start of each element; element returns
// where the element ends. It returns raw without its surrounding space.
func eachElement(raw []byte, want string, element func(d []byte, i int) (int, *Error)) ([]byte, *Error) {
	d, i := trimmed(raw)
	if i >= len(d) {
		return nil, errEOF(d)
	}
	if d[i] != '[' {
		return nil, wrongType(d, i, want)
	}
	i = skipWS(d, i+1)
	if i < len(d) && d[i] == ']' {
		i++
	} else {
		for {
			if i >= len(d) {
				return nil, errEOF(d)
			}
			end, err := element(d, i)
			if err != nil {
				return nil, err
			}
			if i = skipWS(d, end); i >= len(d) {
				return nil, errEOF(d)
			}
			if d[i] == ',' {
				i = skipWS(d, i+1)
				continue
			}
			if d[i] == ']' {
				i++
				break
			}
			return nil, errUnexpected(d, i, "after array element")
		}
	}
	if i != len(d) {
		return nil, errUnexpected(d, i, "after array")
	}
	return d, nil
}

// skipComposite returns the end of the object or array that starts at i,
// strings skipped whole. It matches brackets by depth only: ParseObject
// checks the element's syntax after.
func skipComposite(d []byte, i int) (int, *Error) {
	depth := 0
	for i < len(d) {
		switch d[i] {
		case '"':
			end, _, err := scanString(d, i)
			if err != nil {
				return 0, err
			}
			i = end
			continue
		case '{', '[':
			depth++
		case '}', ']':
			if depth--; depth == 0 {
				return i + 1, nil
			}
		}
		i++
	}
	return 0, errEOF(d)
}

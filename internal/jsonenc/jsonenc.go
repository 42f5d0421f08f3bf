// Package jsonenc writes JSON by hand, byte for byte as encoding/json
// writes it with HTML escaping on: for the hot answers (the core's
// decision, the server's endpoints) that reflection made a tenth of their
// cost, and for builds that should not link reflect.
package jsonenc

import (
	"strings"
	"unicode/utf8"
)

const hexDigits = "0123456789abcdef"

// String appends s as a JSON string, escaped as encoding/json escapes it
// with HTML escaping on (and invalid UTF-8 as U+FFFD).
func String(b []byte, s string) []byte { return appendString(b, s, &htmlSafe) }

// htmlSafe and plainSafe are the ASCII bytes a string keeps as they are,
// with HTML escaping (String) and without it (plainString): a table, so
// that the two share one loop at the cost of one load a byte.
var htmlSafe, plainSafe = safeSet("<>&"), safeSet("")

func safeSet(alsoEscaped string) (set [utf8.RuneSelf]bool) {
	for c := 0x20; c < utf8.RuneSelf; c++ {
		set[c] = c != '"' && c != '\\' && !strings.ContainsRune(alsoEscaped, rune(c))
	}
	return set
}

func appendString(b []byte, s string, safe *[utf8.RuneSelf]bool) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if safe[c] {
				i++
				continue
			}
			b = escapedByte(append(b, s[start:i]...), c)
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(append(b, s[start:i]...), `\ufffd`...)
		} else if r == '\u2028' || r == '\u2029' {
			b = append(append(b, s[start:i]...), `\u202`...)
			b = append(b, hexDigits[r&0xf])
		} else {
			i += size
			continue
		}
		i += size
		start = i
	}
	return append(append(b, s[start:]...), '"')
}

func escapedByte(b []byte, c byte) []byte {
	switch c {
	case '"', '\\':
		return append(b, '\\', c)
	case '\b':
		return append(b, '\\', 'b')
	case '\f':
		return append(b, '\\', 'f')
	case '\n':
		return append(b, '\\', 'n')
	case '\r':
		return append(b, '\\', 'r')
	case '\t':
		return append(b, '\\', 't')
	}
	return append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
}

// List appends list as a JSON array of strings.
func List(b []byte, list []string) []byte {
	b = append(b, '[')
	for i, s := range list {
		if i > 0 {
			b = append(b, ',')
		}
		b = String(b, s)
	}
	return append(b, ']')
}

// Embed is valid JSON as encoding/json embeds a RawMessage: without
// whitespace outside strings, and <, >, &, U+2028 and U+2029 escaped. It
// returns raw itself when there is nothing to change.
func Embed(raw []byte) []byte { return rewrite(raw, true) }

// Compact is valid JSON without whitespace outside strings, as
// encoding/json's Compact writes it. It returns raw itself when there is
// nothing to change.
func Compact(raw []byte) []byte { return rewrite(raw, false) }

// rewrite drops the whitespace outside strings of valid JSON and, with
// escape, escapes <, >, &, U+2028 and U+2029 inside them.
func rewrite(raw []byte, escape bool) []byte {
	var out []byte
	start := 0
	// replace puts repl in place of raw[i:i+n].
	replace := func(i, n int, repl ...byte) {
		if out == nil {
			out = make([]byte, 0, len(raw)+16)
		}
		out = append(append(out, raw[start:i]...), repl...)
		start = i + n
	}
	inString, escaped := false, false
	for i := 0; i < len(raw); i++ {
		c := raw[i]
		switch {
		case !inString:
			if c == ' ' || c == '\t' || c == '\n' || c == '\r' {
				replace(i, 1)
			}
			inString = c == '"'
		case escaped:
			escaped = false
		case c == '\\':
			escaped = true
		case c == '"':
			inString = false
		case !escape:
		case c == '<' || c == '>' || c == '&':
			replace(i, 1, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
		case c == 0xE2 && i+2 < len(raw) && raw[i+1] == 0x80 && raw[i+2]&^1 == 0xA8:
			replace(i, 3, '\\', 'u', '2', '0', '2', hexDigits[raw[i+2]&0xf])
			i += 2
		}
	}
	if out == nil {
		return raw
	}
	return append(out, raw[start:]...)
}

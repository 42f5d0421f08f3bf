package core

import (
	"encoding/json"
	"slices"
	"strconv"
	"unicode/utf8"
)

// The decision's canonical JSON, written field by field: encoding/json's
// reflection cost as much as the HMAC check of a token and links reflect
// into every target. The output is byte for byte what json.Marshal gives
// for Decision (same field order and omission rules, HTML-safe escaping,
// U+FFFD for invalid UTF-8, compacted claims); TestDecisionJSONMatches-
// Marshal and FuzzDecisionJSON hold it to that.

// JSON returns the decision as its canonical JSON.
func (d *Decision) JSON() []byte {
	if len(d.Claims) > 0 && !d.ownClaims() {
		return d.marshalJSON() // claims the core did not read: validated there
	}
	claims := embedJSON(d.Claims)
	b := make([]byte, 0, 256+len(claims)+len(d.Reason))
	b = append(b, `{"valid":`...)
	b = strconv.AppendBool(b, d.Valid)
	b = appendField(b, "code", string(d.Code))
	b = appendField(b, "message", d.Message)
	b = appendField(b, "reason", d.Reason)
	b = appendField(b, "integration", d.Integration)
	b = appendField(b, "tenant", d.Tenant)
	b = appendField(b, "issuer", d.Issuer)
	b = appendField(b, "subject", d.Subject)
	if len(d.Audience) > 0 {
		b = appendList(append(b, `,"audience":`...), d.Audience)
	}
	if d.ExpiresAt != 0 {
		b = strconv.AppendInt(append(b, `,"expires_at":`...), d.ExpiresAt, 10)
	}
	if len(claims) > 0 {
		b = append(append(b, `,"claims":`...), claims...)
	}
	for _, l := range [...]struct {
		name string
		list []string
	}{{"groups", d.Groups}, {"roles", d.Roles}, {"permissions", d.Permissions}} {
		if l.list != nil { // omitzero: an empty list is said
			b = appendList(append(append(append(b, `,"`...), l.name...), `":`...), l.list)
		}
	}
	b = appendField(b, "redirect", d.Redirect)
	if len(d.Headers) > 0 {
		b = appendHeaders(append(b, `,"headers":`...), d.Headers)
	}
	if len(d.Trace) > 0 {
		b = appendTrace(append(b, `,"trace":`...), d.Trace)
	}
	return append(b, '}')
}

// appendField appends an omitempty string member.
func appendField(b []byte, name, v string) []byte {
	if v == "" {
		return b
	}
	b = append(append(append(b, `,"`...), name...), `":`...)
	return appendString(b, v)
}

func appendList(b []byte, list []string) []byte {
	b = append(b, '[')
	for i, s := range list {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendString(b, s)
	}
	return append(b, ']')
}

// appendHeaders appends a map as encoding/json does: keys sorted.
func appendHeaders(b []byte, h map[string]string) []byte {
	names := make([]string, 0, len(h))
	for k := range h {
		names = append(names, k)
	}
	slices.Sort(names)
	b = append(b, '{')
	for i, k := range names {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(appendString(b, k), ':')
		b = appendString(b, h[k])
	}
	return append(b, '}')
}

func appendTrace(b []byte, trace []Step) []byte {
	b = append(b, '[')
	for i, s := range trace {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendString(append(b, `{"step":`...), s.Name)
		b = appendString(append(b, `,"outcome":`...), s.Outcome)
		b = appendField(b, "detail", s.Detail)
		b = append(b, '}')
	}
	return append(b, ']')
}

const hexDigits = "0123456789abcdef"

// appendString appends s as a JSON string escaped as encoding/json
// escapes it with HTML escaping on.
func appendString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' && c != '<' && c != '>' && c != '&' {
				i++
				continue
			}
			b = appendEscapedByte(append(b, s[start:i]...), c)
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

func appendEscapedByte(b []byte, c byte) []byte {
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

// ownClaims reports whether Claims is still the payload the core read
// strictly (and so valid JSON), not one a caller or a JSON decoder set.
func (d *Decision) ownClaims() bool {
	return len(d.ownedClaims) == len(d.Claims) && &d.ownedClaims[0] == &d.Claims[0]
}

// marshalJSON is JSON through encoding/json, for decisions whose claims
// must be validated as they are encoded.
func (d *Decision) marshalJSON() []byte {
	b, err := json.Marshal(d)
	if err != nil {
		// Every field is plain data; this cannot fail unless Claims was
		// altered by the caller into invalid JSON.
		b, _ = json.Marshal(&Decision{Code: CodeInvalidToken, Message: CodeInvalidToken.Message(), Reason: "decision could not be encoded"})
	}
	return b
}

// embedJSON is valid JSON as encoding/json embeds a RawMessage: without
// whitespace outside strings, and <, >, &, U+2028 and U+2029 escaped. It
// returns raw itself when there is nothing to change.
func embedJSON(raw []byte) []byte {
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

package server

import "unicode/utf8"

// The answers of the hot endpoints, /v1/authz and /v1/verify, written
// field by field: encoding/json built them by reflection (from a map, for
// /v1/authz, which it also sorted), a tenth of the handler's cost. The
// bytes are exactly json.Marshal's for the map and struct they replace
// (member order, HTML-safe escaping, U+FFFD for invalid UTF-8), which
// TestAnswersMatchMarshal and FuzzAnswers hold them to. Each ends in the
// newline writeJSON adds, with room for it, so that no copy is made.

// authzAnswer is the 200 body of /v1/authz: what json.Marshal wrote for
// map[string]string{"status": "ok", "subject": …, "integration": …}, its
// keys sorted.
func authzAnswer(subject, integration string) []byte {
	b := make([]byte, 0, 48+len(subject)+len(integration))
	b = appendJSONString(append(b, `{"integration":`...), integration)
	b = appendJSONString(append(b, `,"status":"ok","subject":`...), subject)
	return append(b, '}')
}

// verifyAnswer is the 200 body of /v1/verify: json.Marshal of a
// verifyResponse, whose groups are never null.
func verifyAnswer(v verifyResponse) []byte {
	n := 72 + 2*len(v.Sub) + len(v.Tenant) + len(v.Integration)
	for _, g := range v.Groups {
		n += len(g) + 3
	}
	b := make([]byte, 0, n)
	b = appendJSONString(append(b, `{"sub":`...), v.Sub)
	b = appendJSONString(append(b, `,"user_id":`...), v.UserID)
	b = appendJSONString(append(b, `,"tenant":`...), v.Tenant)
	b = append(b, `,"groups":[`...)
	for i, g := range v.Groups {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendJSONString(b, g)
	}
	b = appendJSONString(append(b, `],"integration":`...), v.Integration)
	return append(b, '}')
}

const hexDigits = "0123456789abcdef"

// appendJSONString appends s as a JSON string escaped as encoding/json
// escapes it with HTML escaping on (the core's decision JSON has the same
// writer, which the server cannot import).
func appendJSONString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		if c := s[i]; c < utf8.RuneSelf {
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
		switch {
		case r == utf8.RuneError && size == 1:
			b = append(append(b, s[start:i]...), `\ufffd`...)
		case r == '\u2028' || r == '\u2029':
			b = append(append(b, s[start:i]...), `\u202`...)
			b = append(b, hexDigits[r&0xf])
		default:
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

package core

import (
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/jwtgate/jwtgate/core/internal/jsonscan"
	"github.com/jwtgate/jwtgate/internal/jsonenc"
)

// headerValue renders a claim as an HTTP header value of at most max
// bytes: strings as they are, lists of strings joined by commas, other
// values as JSON. What an upstream could read otherwise than meant is
// refused rather than altered: control characters and line or paragraph
// separators (which split or smuggle headers), bidirectional overrides
// (which make a value read otherwise than it is), and in a list an element
// holding a comma or empty or padded with spaces (upstreams split such a
// header on commas and trim: ["a,admin"] would read as "a" and "admin").
func headerValue(raw []byte, max int) (string, error) {
	var val string
	switch jsonscan.Kind(raw) {
	case "string":
		s, err := jsonscan.String(raw)
		if err != nil {
			return "", err
		}
		val = s
	case "array":
		if list, err := jsonscan.StringArray(raw); err == nil {
			for _, e := range list {
				if e == "" || strings.ContainsRune(e, ',') || strings.TrimSpace(e) != e {
					return "", fmt.Errorf("list element %q is empty, holds a comma or is padded with spaces", e)
				}
			}
			val = strings.Join(list, ",")
			break
		}
		val = compactJSON(raw)
	default:
		val = compactJSON(raw)
	}
	if r, bad := unsafeRune(val); bad {
		return "", fmt.Errorf("it holds control or formatting character %U", r)
	}
	if len(val) > max {
		return "", fmt.Errorf("it is %d bytes, the limit is %d (max_header_value_bytes)", len(val), max)
	}
	return val, nil
}

// unsafeRune returns the first rune of s that may not go into a header
// value: C0 and C1 controls and DEL, U+2028 and U+2029, and the
// bidirectional embedding, override and isolate controls.
func unsafeRune(s string) (rune, bool) {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x20 || c == 0x7f {
			return rune(c), true
		}
		if c < 0x80 {
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r >= 0x80 && r <= 0x9f, r == 0x2028, r == 0x2029,
			r >= 0x202a && r <= 0x202e, r >= 0x2066 && r <= 0x2069, r == utf8.RuneError && size == 1:
			return r, true
		}
		i += size - 1
	}
	return 0, false
}

// compactJSON renders a raw JSON value, valid as the strict scanner
// parsed it, on one line.
func compactJSON(raw []byte) string { return string(jsonenc.Compact(raw)) }

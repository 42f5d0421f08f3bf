package edge

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// MaxPathBytes bounds the path (before the query) that CleanPath reads.
const MaxPathBytes = 8192

// PathOptions say how CleanPath reads a request path.
type PathOptions struct {
	// Unicode admits non-ASCII characters (valid UTF-8, raw or escaped),
	// except those that Unicode case mapping or compatibility forms turn
	// into ASCII. Without it a path must be ASCII: behind an upstream that
	// maps Unicode to ASCII (Windows "best fit" in CGI applications, NFKC)
	// no list of characters could be complete.
	Unicode bool
}

// Path is a request path in the canonical form routes are matched on.
type Path struct {
	canonical string
	// exact: nothing but escapes of ordinary characters and a final "/"
	// was dropped or resolved to reach the canonical form, so that every
	// upstream reads the path as it is. Skip prefixes require it.
	exact bool
}

// String is the canonical path: "/" and the segments, without a final "/".
func (p Path) String() string { return p.canonical }

// PathError is a request path refused outright because upstreams could
// read it in different ways (or not at all). Reason is for logs; the
// client gets a fixed answer.
type PathError struct {
	Reason string // why the path is refused
}

// Error returns "request path refused: " and the reason.
func (e *PathError) Error() string { return "request path refused: " + e.Reason }

// CleanPath reads the path of a request URI (origin form: path and query)
// the way the most protective upstream could, so that a route cannot be
// dodged by spelling:
//
//   - the query is dropped; the path must start with "/";
//   - refused: control characters, NUL, backslashes, "#", and, escaped,
//     "/", "\", ".", "%", "?" and "#"; any malformed escape; non-ASCII
//     unless opts.Unicode (then see PathOptions);
//   - escapes of other characters are decoded;
//   - in every segment, ";" parameters are dropped, then trailing dots
//     and spaces;
//   - empty segments (//) are dropped and dot segments resolved, never
//     above the root;
//   - refused, because upstreams disagree on them: a dot segment that only
//     dropping a parameter makes (..;), a segment of only dots and spaces
//     other than "." and "..", and ".." after an empty segment (a//..).
//
// Case is kept: routes compare it (see Route). A refusal is a *PathError.
func CleanPath(uri string, opts PathOptions) (Path, error) {
	raw, _, _ := strings.Cut(uri, "?")
	if len(raw) > MaxPathBytes {
		return Path{}, &PathError{"the path is longer than the limit"}
	}
	if raw == "" || raw[0] != '/' {
		return Path{}, &PathError{"not a path starting with /"}
	}
	dec, err := decodePath(raw, opts)
	if err != nil {
		return Path{}, err
	}
	return resolveSegments(dec)
}

// decodePath checks every byte and decodes the escapes.
func decodePath(raw string, opts PathOptions) (string, error) {
	var b strings.Builder
	b.Grow(len(raw))
	for i := 0; i < len(raw); i++ {
		c := raw[i]
		escaped := c == '%'
		if escaped {
			if i+2 >= len(raw) || !isHex(raw[i+1]) || !isHex(raw[i+2]) {
				return "", &PathError{"a malformed escape"}
			}
			c = unhex(raw[i+1])<<4 | unhex(raw[i+2])
			i += 2
		}
		if reason := refusedByte(c, escaped, opts); reason != "" {
			return "", &PathError{reason}
		}
		b.WriteByte(c)
	}
	s := b.String()
	if opts.Unicode {
		if reason := refusedUnicode(s); reason != "" {
			return "", &PathError{reason}
		}
	}
	return s, nil
}

// refusedByte says why a byte of the path (decoded from an escape when
// escaped) is refused, or "".
func refusedByte(c byte, escaped bool, opts PathOptions) string {
	switch {
	case c < 0x20 || c == 0x7f:
		return "a control character"
	case c == '\\':
		return "a backslash"
	case c == '#':
		return "a fragment or an escaped #"
	case c >= 0x80 && !opts.Unicode:
		return "a non-ASCII byte"
	case escaped && (c == '/' || c == '.' || c == '%' || c == '?'):
		return "an escaped /, ., % or ?"
	}
	return ""
}

// resolveSegments drops parameters, trailing dots and spaces and empty
// segments, and resolves dot segments, refusing what upstreams disagree on.
func resolveSegments(dec string) (Path, error) {
	segs := strings.Split(dec[1:], "/")
	out := make([]string, 0, len(segs))
	exact, sawEmpty := true, false
	for i, seg := range segs {
		name, _, hasParam := strings.Cut(seg, ";")
		trimmed := strings.TrimRight(name, ". ")
		switch {
		case name == "." || name == "..":
			if hasParam {
				return Path{}, &PathError{"a dot segment made by dropping a ; parameter"}
			}
			if name == ".." {
				if sawEmpty {
					return Path{}, &PathError{"a .. segment after an empty segment"}
				}
				out = out[:max(len(out)-1, 0)]
			}
			exact = false
			continue
		case name == "":
			if i < len(segs)-1 || hasParam {
				exact, sawEmpty = false, true
			}
			continue
		case trimmed == "":
			return Path{}, &PathError{"a segment of only dots and spaces"}
		}
		if hasParam || trimmed != name {
			exact = false
		}
		out = append(out, trimmed)
	}
	return Path{canonical: "/" + strings.Join(out, "/"), exact: exact}, nil
}

// refusedUnicode says why the decoded path's non-ASCII text is refused:
// invalid UTF-8 (overlong forms such as %c0%af, surrogates), or a
// character some upstream could read as ASCII or as nothing.
func refusedUnicode(s string) string {
	for _, r := range s {
		switch {
		case r < utf8.RuneSelf:
		case r == utf8.RuneError:
			return "invalid UTF-8"
		case unicode.IsControl(r) || unicode.Is(unicode.Cf, r) || unicode.In(r, unicode.Z):
			return "an invisible character or a Unicode space"
		case casesToASCII(r):
			return "a character whose case mapping is ASCII"
		case inRanges(r, compatRanges):
			return "a compatibility character"
		}
	}
	return ""
}

// casesToASCII reports whether a non-ASCII rune's upper or lower case, or
// any rune of its case-folding orbit, is ASCII (K KELVIN SIGN, ſ, ı, İ).
func casesToASCII(r rune) bool {
	if unicode.ToUpper(r) < utf8.RuneSelf || unicode.ToLower(r) < utf8.RuneSelf {
		return true
	}
	for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
		if f < utf8.RuneSelf {
			return true
		}
	}
	return false
}

// compatRanges are the characters that NFKC or Windows best-fit mapping
// turn into ASCII letters, digits, "/", "\" or ".": fullwidth and
// halfwidth forms, ligatures, super- and subscripts, letterlike symbols,
// enclosed and mathematical alphanumerics, modifier letters, small and
// vertical forms, slash and dot look-alikes. Sorted.
var compatRanges = [][2]rune{
	{0x00A5, 0x00A5}, {0x00AA, 0x00AA}, {0x00B2, 0x00B3}, {0x00B9, 0x00BA}, {0x00BC, 0x00BE},
	{0x0132, 0x0133}, {0x013F, 0x0140}, {0x0149, 0x0149}, {0x01C4, 0x01CC}, {0x01F1, 0x01F3},
	{0x02B0, 0x02FF}, {0x1D00, 0x1DBF}, {0x2000, 0x209F}, {0x20A8, 0x20A9}, {0x2100, 0x218F},
	{0x2215, 0x2216}, {0x2460, 0x24FF}, {0x29F5, 0x29F9}, {0x2C7C, 0x2C7D}, {0x3000, 0x3002},
	{0x3200, 0x33FF}, {0xA69C, 0xA69D}, {0xA770, 0xA770}, {0xA7F2, 0xA7F4}, {0xA7F8, 0xA7F9},
	{0xAB5C, 0xAB5F}, {0xFB00, 0xFB06}, {0xFE10, 0xFE19}, {0xFE30, 0xFE6F}, {0xFF00, 0xFFEF},
	{0x1D400, 0x1D7FF}, {0x1F100, 0x1F1FF}, {0x1FBF0, 0x1FBF9},
}

func inRanges(r rune, ranges [][2]rune) bool {
	lo, hi := 0, len(ranges)
	for lo < hi {
		m := (lo + hi) / 2
		switch {
		case r < ranges[m][0]:
			hi = m
		case r > ranges[m][1]:
			lo = m + 1
		default:
			return true
		}
	}
	return false
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

func unhex(c byte) byte {
	switch {
	case c <= '9':
		return c - '0'
	case c <= 'F':
		return c - 'A' + 10
	}
	return c - 'a' + 10
}

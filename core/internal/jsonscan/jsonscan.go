// Package jsonscan is a small, allocation-conscious JSON scanner for JWT
// headers and payloads.
//
// [ParseObject] validates, in a single pass and without recursion, that its
// input is exactly one JSON object as defined by RFC 8259, that no object at
// any depth has two members with the same decoded name, and that the input
// stays within caller-supplied [Limits]. It returns the raw bytes of every
// top-level member so that the caller can decode only the claims it needs
// with the typed helpers ([String], [Number], [Bool], [StringArray],
// [StringOrArray], [Kind]).
//
// # Compatibility with encoding/json
//
// The accept/refuse decision of ParseObject is designed to match
// encoding/json exactly: an input is accepted if and only if json.Valid
// accepts it, its top-level value is an object, no object contains a
// duplicate decoded member name, and the limits are respected. In
// particular, to keep both decisions identical, ParseObject deliberately
// follows encoding/json in two lenient places:
//
//   - Lone UTF-16 surrogates in \u escapes (for example "\ud800", or a high
//     surrogate not followed by a low one) are ACCEPTED. When a string is
//     decoded (member names for duplicate detection, and [String],
//     [StringArray], [StringOrArray]) each lone surrogate is replaced by
//     U+FFFD, exactly as encoding/json does. A valid surrogate pair decodes
//     to the supplementary-plane rune it encodes.
//   - Invalid UTF-8 bytes inside strings are ACCEPTED. When decoded, each
//     byte that does not start a valid UTF-8 sequence is replaced by U+FFFD,
//     exactly as encoding/json does.
//
// Because duplicate detection compares decoded names, two names that
// encoding/json would decode to the same Go string are duplicates: "a" and
// "\u0061", or "\ud800" and "\ufffd", or two different invalid bytes. This
// is intentional: any consumer that decodes names would see them as equal.
//
// A leading byte order mark is refused, as are comments, trailing commas,
// NaN/Infinity, leading zeros, and anything but JSON whitespace (space, tab,
// line feed, carriage return) around the object.
//
// The package never panics, does not recurse, and uses only the standard
// library, so it builds for GOOS=wasip1 and GOOS=js.
package jsonscan

import (
	"bytes"
	"encoding/binary"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

const (
	// defaultMaxDepth is used when Limits.MaxDepth <= 0.
	defaultMaxDepth = 32
	// defaultMaxMembers is used when Limits.MaxMembers <= 0.
	defaultMaxMembers = 10000
	// smallObject is the number of members up to which duplicate detection
	// uses a linear scan over the names already seen; larger objects
	// switch to a map.
	smallObject = 16
	// inlineMembers is the capacity of the Members slice allocated together
	// with the Object.
	inlineMembers = 16
	// maxNameInError bounds how much of an attacker-controlled member name
	// is copied into an error message.
	maxNameInError = 64
)

// Member is one top-level member of an object: its decoded name and its raw
// JSON value.
//
// Name has all escapes resolved (lone surrogates and invalid UTF-8 replaced
// by U+FFFD). Value is a subslice of the input passed to [ParseObject], with
// no surrounding whitespace and no copy; it aliases the caller's buffer,
// which must therefore not be modified while the Member is in use.
type Member struct {
	// Name is the decoded member name.
	Name string
	// Value is the raw JSON text of the member's value, a subslice of the
	// input.
	Value []byte
}

// Object is a parsed top-level JSON object.
type Object struct {
	// Members holds the top-level members in input order. Names are unique.
	Members []Member
}

// Get returns the raw JSON value of the top-level member called name (the
// decoded name, compared byte for byte) and whether it exists. The returned
// slice aliases the input passed to [ParseObject]. Get on a nil *Object
// reports false.
func (o *Object) Get(name string) ([]byte, bool) {
	if o == nil {
		return nil, false
	}
	for i := range o.Members {
		if o.Members[i].Name == name {
			return o.Members[i].Value, true
		}
	}
	return nil, false
}

// Limits bounds the work done on hostile input. A zero or negative field
// selects its default.
type Limits struct {
	// MaxDepth is the maximum nesting depth of objects and arrays; the
	// top-level object is at depth 1. Default 32.
	MaxDepth int
	// MaxMembers is the maximum total number of object members at all
	// depths. Default 10000.
	MaxMembers int
}

// Error describes why data was refused. Offset is the byte offset in the
// input at which the problem was detected (len(input) for an unexpected end
// of input).
type Error struct {
	// Offset is the byte offset of the problem in the input.
	Offset int
	// Reason is a short human-readable description of the problem.
	Reason string
}

// Error formats the error as `json: <reason> at offset <offset>`, for example
// `json: duplicate member "exp" at offset 57`.
func (e *Error) Error() string {
	return "json: " + e.Reason + " at offset " + strconv.Itoa(e.Offset)
}

//go:noinline
func newError(off int, reason string) *Error {
	return &Error{Offset: off, Reason: reason}
}

//go:noinline
func errEOF(data []byte) *Error {
	return newError(len(data), "unexpected end of input")
}

// errUnexpected reports an unexpected byte at data[i] (i < len(data)).
//
//go:noinline
func errUnexpected(data []byte, i int, context string) *Error {
	return newError(i, "invalid character "+quoteByte(data[i])+" "+context)
}

func quoteByte(c byte) string {
	if c == '\'' {
		return `'\''`
	}
	if c == '"' {
		return `'"'`
	}
	return strconv.QuoteRuneToASCII(rune(c))
}

// ----------------------------------------------------------------------------
// Character classes.

// wsTable marks JSON insignificant whitespace.
var wsTable = [256]bool{' ': true, '\t': true, '\n': true, '\r': true}

// strPlain marks the ASCII bytes that may appear unescaped in a string:
// everything from 0x20 to 0x7f except '"' and '\\'.
var strPlain = func() (t [256]bool) {
	for c := 0x20; c < 0x80; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

func skipWS(data []byte, i int) int {
	for i < len(data) && wsTable[data[i]] {
		i++
	}
	return i
}

func hexVal(c byte) rune {
	switch {
	case '0' <= c && c <= '9':
		return rune(c - '0')
	case 'a' <= c && c <= 'f':
		return rune(c-'a') + 10
	case 'A' <= c && c <= 'F':
		return rune(c-'A') + 10
	}
	return -1
}

// ----------------------------------------------------------------------------
// Scalar scanners shared by ParseObject and the typed helpers.

const (
	lsb = 0x0101010101010101
	msb = 0x8080808080808080
)

// hasSpecial reports whether any of the eight bytes in v is not plain in
// the sense of strPlain: a control character, '"', '\\' or a byte >= 0x80.
func hasSpecial(v uint64) bool {
	q := v ^ '"'*lsb  // zero bytes where v has '"'
	b := v ^ '\\'*lsb // zero bytes where v has '\\'
	ctl := (v - 0x20*lsb) &^ v
	quo := (q - lsb) &^ q
	bsl := (b - lsb) &^ b
	// Exact as a boolean for each test (the classic "has byte less than n"
	// trick, n <= 0x80); bytes >= 0x80 are caught by v's own high bits.
	return (ctl|quo|bsl|v)&msb != 0
}

// strFlags describes what scanString saw inside a string.
type strFlags uint8

const (
	strEscaped  strFlags = 1 << iota // at least one escape sequence
	strNonASCII                      // at least one byte >= 0x80
)

// scanString scans the string starting with the quote at data[i]. It returns
// the index just past the closing quote and what the string contains. Bytes
// >= 0x80 are accepted whether or not they form valid UTF-8 (see the package
// documentation).
func scanString(data []byte, i int) (end int, flags strFlags, err *Error) {
	j := i + 1
	n := len(data)
	for j < n {
		// Skip eight plain bytes at a time, then one at a time up to the
		// next byte that needs attention.
		for j+8 <= n && !hasSpecial(binary.LittleEndian.Uint64(data[j:])) {
			j += 8
		}
		for j < n && strPlain[data[j]] {
			j++
		}
		if j >= n {
			break
		}
		c := data[j]
		switch {
		case c == '"':
			return j + 1, flags, nil
		case c >= utf8.RuneSelf:
			flags |= strNonASCII
			j++
		case c == '\\':
			flags |= strEscaped
			j++
			if j >= n {
				return 0, 0, errEOF(data)
			}
			switch data[j] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				j++
			case 'u':
				j++
				for k := 0; k < 4; k++ {
					if j >= n {
						return 0, 0, errEOF(data)
					}
					if hexVal(data[j]) < 0 {
						return 0, 0, errUnexpected(data, j, "in \\u escape")
					}
					j++
				}
			default:
				return 0, 0, errUnexpected(data, j, "in string escape")
			}
		default: // control character
			return 0, 0, errUnexpected(data, j, "in string literal")
		}
	}
	return 0, 0, errEOF(data)
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

// scanNumber scans an RFC 8259 number starting at data[i] and returns the
// index just past it.
func scanNumber(data []byte, i int) (int, *Error) {
	n := len(data)
	if i < n && data[i] == '-' {
		i++
	}
	if i >= n {
		return 0, errEOF(data)
	}
	switch c := data[i]; {
	case c == '0':
		i++
	case '1' <= c && c <= '9':
		i++
		for i < n && isDigit(data[i]) {
			i++
		}
	default:
		return 0, errUnexpected(data, i, "in numeric literal")
	}
	if i < n && data[i] == '.' {
		i++
		if i >= n {
			return 0, errEOF(data)
		}
		if !isDigit(data[i]) {
			return 0, errUnexpected(data, i, "after decimal point in numeric literal")
		}
		for i < n && isDigit(data[i]) {
			i++
		}
	}
	if i < n && (data[i] == 'e' || data[i] == 'E') {
		i++
		if i < n && (data[i] == '+' || data[i] == '-') {
			i++
		}
		if i >= n {
			return 0, errEOF(data)
		}
		if !isDigit(data[i]) {
			return 0, errUnexpected(data, i, "in exponent of numeric literal")
		}
		for i < n && isDigit(data[i]) {
			i++
		}
	}
	return i, nil
}

// scanLiteral checks that data[i:] starts with lit (true, false or null).
func scanLiteral(data []byte, i int, lit string) (int, *Error) {
	for k := 0; k < len(lit); k++ {
		if i+k >= len(data) {
			return 0, errEOF(data)
		}
		if data[i+k] != lit[k] {
			return 0, errUnexpected(data, i+k, "in literal "+lit)
		}
	}
	return i + len(lit), nil
}

// needsDecoding reports whether the content of a string (between the
// quotes), scanned with the given flags, differs from its decoded form.
func needsDecoding(content []byte, flags strFlags) bool {
	return flags&strEscaped != 0 || flags&strNonASCII != 0 && !utf8.Valid(content)
}

// getu4 decodes the \uXXXX escape at s[0:6], or returns -1.
func getu4(s []byte) rune {
	if len(s) < 6 || s[0] != '\\' || s[1] != 'u' {
		return -1
	}
	var r rune
	for _, c := range s[2:6] {
		v := hexVal(c)
		if v < 0 {
			return -1
		}
		r = r<<4 | v
	}
	return r
}

// appendDecoded appends the decoded form of the string content s (the bytes
// between the quotes of a string already validated by scanString) to dst.
// It mirrors encoding/json's unquote: lone surrogates and invalid UTF-8
// bytes become U+FFFD.
func appendDecoded(dst, s []byte) []byte {
	for r := 0; r < len(s); {
		c := s[r]
		switch {
		case c == '\\':
			if r+1 >= len(s) { // cannot happen for validated input
				return dst
			}
			switch s[r+1] {
			case 'b':
				dst = append(dst, '\b')
			case 'f':
				dst = append(dst, '\f')
			case 'n':
				dst = append(dst, '\n')
			case 'r':
				dst = append(dst, '\r')
			case 't':
				dst = append(dst, '\t')
			case 'u':
				rr := getu4(s[r:])
				if rr < 0 { // cannot happen for validated input
					return dst
				}
				r += 6
				if utf16.IsSurrogate(rr) {
					if dec := utf16.DecodeRune(rr, getu4(s[r:])); dec != utf8.RuneError {
						r += 6
						dst = utf8.AppendRune(dst, dec)
						continue
					}
					rr = utf8.RuneError
				}
				dst = utf8.AppendRune(dst, rr)
				continue
			default: // '"', '\\', '/'
				dst = append(dst, s[r+1])
			}
			r += 2
		case c < utf8.RuneSelf:
			dst = append(dst, c)
			r++
		default:
			rr, size := utf8.DecodeRune(s[r:])
			dst = utf8.AppendRune(dst, rr)
			r += size
		}
	}
	return dst
}

// ----------------------------------------------------------------------------
// ParseObject.

// frame is one open container on the explicit parse stack.
type frame struct {
	obj        bool
	namesStart int                 // index in names of this object's first name
	arenaStart int                 // length of arena when the object was opened
	set        map[string]struct{} // names seen, once the object is large
}

// name is a decoded member name together with a cheap summary used to
// skip most byte comparisons during duplicate detection.
type name struct {
	b   []byte
	key uint32
}

func makeName(b []byte) name {
	k := uint32(len(b)) << 16
	if len(b) > 0 {
		k |= uint32(b[0])<<8 | uint32(b[len(b)-1])
	}
	return name{b, k}
}

// objectAlloc lets the Object and a small Members backing array share one
// allocation.
type objectAlloc struct {
	obj Object
	buf [inlineMembers]Member
}

// Parser states.
const (
	stValue  = iota // a value is expected at data[i:] (after optional whitespace)
	stMember        // a member name is expected at data[i] (whitespace skipped)
	stAfter         // a complete value ends just before data[i]
)

// ParseObject validates that data is exactly one JSON object and returns its
// top-level members.
//
// The input must be RFC 8259 JSON with only whitespace around the object: no
// trailing commas, comments, NaN, leading zeros or byte order mark; strings
// must use valid escapes and contain no unescaped control characters. No
// object at any depth may contain two members whose decoded names are equal
// (so "a" and "\u0061" are duplicates), and the input must stay within lim.
// As documented in the package overview, lone surrogates and invalid UTF-8
// inside strings are accepted (and decoded to U+FFFD) exactly as
// encoding/json accepts them.
//
// On success the returned Object lists the top-level members in input order;
// their values alias data. On failure the error is an *Error with the byte
// offset of the problem. ParseObject does not recurse, so deep nesting
// cannot exhaust the stack; its cost is linear in len(data), plus one map
// operation per member of objects with more than 16 members.
func ParseObject(data []byte, lim Limits) (*Object, error) {
	obj, err := parseObject(data, lim)
	if err != nil {
		return nil, err
	}
	return obj, nil
}

// parseObject is ParseObject. It stays one function (170 lines, complexity
// 48) on purpose: it is an iterative state machine whose stack and name
// buffers live in this frame (no recursion, and for a small token no
// allocation but the result's); states split into functions would share
// that state by pointer and let it escape, on the core's hottest path.
func parseObject(data []byte, lim Limits) (*Object, *Error) {
	maxDepth, maxMembers := lim.MaxDepth, lim.MaxMembers
	if maxDepth <= 0 {
		maxDepth = defaultMaxDepth
	}
	if maxMembers <= 0 {
		maxMembers = defaultMaxMembers
	}

	n := len(data)
	i := skipWS(data, 0)
	if i >= n {
		return nil, errEOF(data)
	}
	if data[i] != '{' {
		return nil, newError(i, "top-level value is not an object")
	}

	alloc := new(objectAlloc)
	var (
		stackBuf [8]frame
		namesBuf [32]name
		stack    = stackBuf[:0]  // open containers, outermost first
		names    = namesBuf[:0]  // decoded names of the open objects
		arena    []byte          // storage for names that needed decoding
		members  = alloc.buf[:0] // top-level members
		total    int             // members seen at all depths
		valStart int             // start of the current top-level value
		state    = stValue
		err      *Error
	)
	for {
		switch state {
		case stValue:
			i = skipWS(data, i)
			if i >= n {
				return nil, errEOF(data)
			}
			if len(stack) == 1 {
				valStart = i
			}
			state = stAfter
			switch c := data[i]; c {
			case '{', '[':
				if len(stack) >= maxDepth {
					return nil, newError(i, "maximum nesting depth "+strconv.Itoa(maxDepth)+" exceeded")
				}
				stack = append(stack, frame{
					obj:        c == '{',
					namesStart: len(names),
					arenaStart: len(arena),
				})
				i = skipWS(data, i+1)
				if i >= n {
					return nil, errEOF(data)
				}
				switch {
				case c == '{' && data[i] == '}', c == '[' && data[i] == ']':
					i++
					stack, names, arena = pop(stack, names, arena)
				case c == '{':
					state = stMember
				default:
					state = stValue
				}
			case '"':
				if i, _, err = scanString(data, i); err != nil {
					return nil, err
				}
			case 't':
				if i, err = scanLiteral(data, i, "true"); err != nil {
					return nil, err
				}
			case 'f':
				if i, err = scanLiteral(data, i, "false"); err != nil {
					return nil, err
				}
			case 'n':
				if i, err = scanLiteral(data, i, "null"); err != nil {
					return nil, err
				}
			default:
				if c != '-' && !isDigit(c) {
					return nil, errUnexpected(data, i, "looking for beginning of value")
				}
				if i, err = scanNumber(data, i); err != nil {
					return nil, err
				}
			}

		case stMember:
			if i >= n {
				return nil, errEOF(data)
			}
			if data[i] != '"' {
				return nil, errUnexpected(data, i, "looking for beginning of object key string")
			}
			nameStart := i
			var flags strFlags
			if i, flags, err = scanString(data, i); err != nil {
				return nil, err
			}
			total++
			if total > maxMembers {
				return nil, newError(nameStart, "too many object members (limit "+strconv.Itoa(maxMembers)+")")
			}
			nm := data[nameStart+1 : i-1 : i-1]
			if needsDecoding(nm, flags) {
				a := len(arena)
				arena = appendDecoded(arena, nm)
				nm = arena[a:len(arena):len(arena)]
			}
			var dup bool
			if names, dup = addName(&stack[len(stack)-1], names, makeName(nm)); dup {
				return nil, newError(nameStart, "duplicate member "+quoteName(nm))
			}
			if len(stack) == 1 {
				members = append(members, Member{})
			}
			i = skipWS(data, i)
			if i >= n {
				return nil, errEOF(data)
			}
			if data[i] != ':' {
				return nil, errUnexpected(data, i, "after object key")
			}
			i++
			state = stValue

		default: // stAfter
			depth := len(stack)
			if depth == 0 {
				// The top-level object is complete.
				if i = skipWS(data, i); i != n {
					return nil, errUnexpected(data, i, "after top-level value")
				}
				// pop keeps the top-level names, and every nested object
				// is closed, so names holds exactly the top-level names.
				setNames(members, names)
				alloc.obj.Members = members
				return &alloc.obj, nil
			}
			if depth == 1 && len(members) > 0 {
				members[len(members)-1].Value = data[valStart:i:i]
			}
			obj := stack[depth-1].obj
			i = skipWS(data, i)
			if i >= n {
				return nil, errEOF(data)
			}
			switch c := data[i]; {
			case c == ',':
				i++
				if obj {
					i = skipWS(data, i)
					state = stMember
				} else {
					state = stValue
				}
			case c == '}' && obj, c == ']' && !obj:
				i++
				stack, names, arena = pop(stack, names, arena)
			case obj:
				return nil, errUnexpected(data, i, "after object member value")
			default:
				return nil, errUnexpected(data, i, "after array element")
			}
		}
	}
}

// pop closes the innermost container. The names of the top-level object are
// kept for setNames.
func pop(stack []frame, names []name, arena []byte) ([]frame, []name, []byte) {
	f := &stack[len(stack)-1]
	if f.obj && len(stack) > 1 {
		names = names[:f.namesStart]
		arena = arena[:f.arenaStart]
	}
	*f = frame{} // drop the map, if any
	return stack[:len(stack)-1], names, arena
}

// addName records nm as a member of the object f, whose names so far are
// names[f.namesStart:]. It reports whether nm was already there, in which
// case names is returned unchanged.
func addName(f *frame, names []name, nm name) ([]name, bool) {
	if f.set == nil {
		seen := names[f.namesStart:]
		if len(seen) < smallObject {
			for _, s := range seen {
				if s.key == nm.key && bytes.Equal(s.b, nm.b) {
					return names, true
				}
			}
			return append(names, nm), false
		}
		f.set = make(map[string]struct{}, 2*len(seen))
		for _, s := range seen {
			f.set[string(s.b)] = struct{}{}
		}
	}
	if _, ok := f.set[string(nm.b)]; ok {
		return names, true
	}
	f.set[string(nm.b)] = struct{}{}
	return append(names, nm), false
}

// setNames sets the Name of each member from names (same length), using a
// single string allocation for all of them.
func setNames(members []Member, names []name) {
	total := 0
	for _, nm := range names {
		total += len(nm.b)
	}
	var sb strings.Builder
	sb.Grow(total)
	for _, nm := range names {
		sb.Write(nm.b)
	}
	all := sb.String()
	off := 0
	for k := range members {
		if k >= len(names) { // cannot happen
			break
		}
		l := len(names[k].b)
		members[k].Name = all[off : off+l]
		off += l
	}
}

// quoteName renders a decoded member name for an error message, truncated
// so that hostile input cannot produce huge messages.
func quoteName(name []byte) string {
	if len(name) <= maxNameInError {
		return strconv.Quote(string(name))
	}
	cut := maxNameInError
	for cut > 0 && !utf8.RuneStart(name[cut]) {
		cut--
	}
	return strconv.Quote(string(name[:cut])) + "..."
}

package jsonscan

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// jwtPayload is a typical ~400-byte JWT payload.
const jwtPayload = `{"iss":"https://auth.example.com/realms/prod","sub":"3f1c2a9e-7b4d-4e2a-9c1f-0a8b7c6d5e4f",` +
	`"aud":"api://jwtgate","exp":1767225600,"iat":1767222000,"jti":"b7e1c9d2-4a3f-4b8e-9d6c-2f1a0e9b8c7d",` +
	`"email":"jane@example.com","tenant_id":"acme-corp","name":"Jane Doe","roles":["admin","editor"],` +
	`"permissions":["read:users","write:users","read:billing","write:billing","admin:tenant"],` +
	`"metadata":{"department":"engineering","level":3,"mfa":true}}`

// ---------------------------------------------------------------------------
// Reference implementation built on encoding/json.

type refResult struct {
	valid   bool     // json.Valid
	object  bool     // top-level value is an object
	dup     bool     // some object has two members with equal decoded names
	depth   int      // maximum container nesting depth
	members int      // total object members at all depths
	names   []string // decoded top-level member names, in order
}

// accepts is the rule ParseObject must follow.
func (r refResult) accepts(lim Limits) bool {
	maxDepth, maxMembers := lim.MaxDepth, lim.MaxMembers
	if maxDepth <= 0 {
		maxDepth = defaultMaxDepth
	}
	if maxMembers <= 0 {
		maxMembers = defaultMaxMembers
	}
	return r.valid && r.object && !r.dup && r.depth <= maxDepth && r.members <= maxMembers
}

// reference analyses data with encoding/json only: json.Valid for syntax and
// json.Decoder.Token for names, duplicates, depth and member counts.
func reference(tb testing.TB, data []byte) refResult {
	tb.Helper()
	var r refResult
	r.valid = json.Valid(data)
	if !r.valid {
		return r
	}
	trimmed := bytes.TrimLeft(data, " \t\r\n")
	r.object = len(trimmed) > 0 && trimmed[0] == '{'

	type refFrame struct {
		obj       bool
		expectKey bool
		keys      map[string]bool
	}
	var stack []*refFrame
	valueDone := func() {
		if len(stack) > 0 && stack[len(stack)-1].obj {
			stack[len(stack)-1].expectKey = true
		}
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		require.NoError(tb, err, "Token on json.Valid input %q", data)
		if len(stack) > 0 && stack[len(stack)-1].obj && stack[len(stack)-1].expectKey {
			top := stack[len(stack)-1]
			if d, ok := tok.(json.Delim); ok {
				require.Equal(tb, json.Delim('}'), d)
				stack = stack[:len(stack)-1]
				valueDone()
				continue
			}
			key, ok := tok.(string)
			require.True(tb, ok, "object key token %#v", tok)
			r.members++
			if top.keys[key] {
				r.dup = true
			}
			top.keys[key] = true
			top.expectKey = false
			if len(stack) == 1 {
				r.names = append(r.names, key)
			}
			continue
		}
		if d, ok := tok.(json.Delim); ok {
			switch d {
			case '{', '[':
				stack = append(stack, &refFrame{obj: d == '{', expectKey: d == '{', keys: map[string]bool{}})
				r.depth = max(r.depth, len(stack))
			default:
				stack = stack[:len(stack)-1]
				valueDone()
			}
			continue
		}
		valueDone()
	}
	return r
}

// checkParse runs ParseObject and checks it against the reference rule and
// the invariants of a successful result.
func checkParse(tb testing.TB, data []byte, lim Limits) {
	tb.Helper()
	ref := reference(tb, data)
	obj, err := ParseObject(data, lim)
	want := ref.accepts(lim)
	if !want {
		require.Error(tb, err, "ParseObject accepted %q (ref %+v)", data, ref)
		require.Nil(tb, obj)
		var e *Error
		require.True(tb, errors.As(err, &e), "error type %T", err)
		require.GreaterOrEqual(tb, e.Offset, 0)
		require.LessOrEqual(tb, e.Offset, len(data))
		return
	}
	require.NoError(tb, err, "ParseObject refused %q (ref %+v)", data, ref)
	require.NotNil(tb, obj)
	require.Len(tb, obj.Members, len(ref.names))
	for k, m := range obj.Members {
		require.Equal(tb, ref.names[k], m.Name)
		require.True(tb, json.Valid(m.Value), "member %q value %q is not valid JSON", m.Name, m.Value)
		require.NotEmpty(tb, m.Value)
		require.False(tb, wsTable[m.Value[0]], "value %q not trimmed", m.Value)
		require.False(tb, wsTable[m.Value[len(m.Value)-1]], "value %q not trimmed", m.Value)
		got, ok := obj.Get(m.Name)
		require.True(tb, ok)
		require.Equal(tb, m.Value, got)
		checkHelpers(tb, m.Value)
	}
}

// checkHelpers checks the typed helpers against encoding/json on raw.
func checkHelpers(tb testing.TB, raw []byte) {
	tb.Helper()
	kind := Kind(raw)

	{
		got, err := String(raw)
		var want string
		jerr := json.Unmarshal(raw, &want)
		if kind == "string" && jerr == nil {
			require.NoError(tb, err, "String(%q)", raw)
			require.Equal(tb, want, got, "String(%q)", raw)
		} else {
			require.Error(tb, err, "String(%q)", raw)
		}
	}
	{
		got, err := Number(raw)
		var want float64
		jerr := json.Unmarshal(raw, &want)
		if kind == "number" && jerr == nil {
			require.NoError(tb, err, "Number(%q)", raw)
			require.Equal(tb, want, got, "Number(%q)", raw)
		} else {
			require.Error(tb, err, "Number(%q)", raw)
		}
	}
	{
		got, err := Bool(raw)
		var want bool
		jerr := json.Unmarshal(raw, &want)
		if kind == "boolean" && jerr == nil {
			require.NoError(tb, err, "Bool(%q)", raw)
			require.Equal(tb, want, got, "Bool(%q)", raw)
		} else {
			require.Error(tb, err, "Bool(%q)", raw)
		}
	}
	{
		got, err := StringArray(raw)
		var want []string
		jerr := json.Unmarshal(raw, &want)
		switch {
		case err == nil:
			require.NoError(tb, jerr, "StringArray(%q) accepted", raw)
			require.Equal(tb, kind, "array")
			require.NotNil(tb, got)
			require.Equal(tb, len(want), len(got))
			if len(want) > 0 {
				require.Equal(tb, want, got, "StringArray(%q)", raw)
			}
		case kind == "array" && jerr == nil:
			// encoding/json decodes null elements into "" silently; we
			// refuse them. That must be the only difference.
			var elems []any
			require.NoError(tb, json.Unmarshal(raw, &elems))
			require.Contains(tb, elems, nil, "StringArray(%q) refused: %v", raw, err)
		}

		got2, err2 := StringOrArray(raw)
		switch kind {
		case "array":
			require.Equal(tb, err == nil, err2 == nil)
			require.Equal(tb, got, got2)
		case "string":
			s, serr := String(raw)
			require.Equal(tb, serr == nil, err2 == nil)
			if serr == nil {
				require.Equal(tb, []string{s}, got2)
			}
		default:
			require.Error(tb, err2)
		}
	}
}

// ---------------------------------------------------------------------------
// Differential test.

func nest(open, closeSeq string, depth int, inner string) string {
	return strings.Repeat(open, depth) + inner + strings.Repeat(closeSeq, depth)
}

// acceptedCases are accepted with the default limits.
var acceptedCases = []string{
	`{}`,
	" \t\r\n{ }\r\n ",
	`{"a":1}`,
	`{"a":1,"b":"two","c":true,"d":false,"e":null,"f":[],"g":{}}`,
	`{"a":{"b":{"c":[1,2,{"d":null}]}}}`,
	`{"a":[[],[[]],[{}]]}`,
	`{"a" : [ 1 , 2 ] , "b" : { "c" : "d" } }`,
	`{"a":-0}`,
	`{"a":1e5}`,
	`{"a":1E+5,"b":-1.5e-3,"c":0.0,"d":123456789012345678901234567890}`,
	`{"a":1e999}`,
	`{"a":"\u00e9\u00E9","b":"\"\\\/\b\f\n\r\t"}`,
	`{"a":"\ud83d\ude00"}`,
	`{"a":"\ud800"}`,
	`{"a":"\udc00"}`,
	`{"a":"\ud800\u0041"}`,
	`{"a":"\ud800\ud800\udc00"}`,
	`{"a":"\u0000"}`,
	"{\"a\":\"\xff\xfe\"}",
	"{\"a\":\"\xed\xa0\x80\"}",
	"{\"\xc3\xa9\":\"\xe2\x82\xac\"}",
	`{"":1}`,
	`{"A":1,"a":2}`,
	`{"x":{"a":1},"y":{"a":2}}`,
	`{"x":[{"a":1},{"a":2}]}`,
	`{"a\"b":1,"a\\b":2,"a/b":3}`,
	`{"a":"}"}`,
	`{"a":1}` + "\n",
	`{"a":` + nest("[", "]", 31, "") + `}`, // depth 32: at the limit
	`{"a":` + nest(`{"b":`, "}", 31, "1") + `}`,
}

// refusedCases are refused with the default limits.
var refusedCases = []string{
	// Duplicates.
	`{"a":1,"a":2}`,
	`{"a":1,"b":2,"a":3}`,
	`{"":1,"":2}`,
	`{"a":1,"\u0061":2}`,
	`{"\u00e9":1,"é":2}`,
	`{"a/b":1,"a\/b":2}`,
	`{"\ud800":1,"\udc00":2}`,
	`{"\ud800":1,"\ufffd":2}`,
	"{\"\xff\":1,\"\xfe\":2}",
	"{\"\xff\":1,\"\\ufffd\":2}",
	`{"\u0000":1,"\u0000":2}`,
	`{"a":{"b":1,"b":2}}`,
	`{"a":{"b":{"c":1,"c":2}}}`,
	`{"x":[{"a":1,"a":2}]}`,
	`{"x":[[{"a":1}],[{"b":1,"b":1}]]}`,
	// Not an object.
	`[1]`,
	`"s"`,
	`1`,
	`null`,
	`true`,
	``,
	" \n",
	// Syntax.
	"\xef\xbb\xbf{}",
	`{"a":1,}`,
	`{"a":1}x`,
	`{"a":1}{}`,
	`{"a":1}` + "\x00",
	`{"a":01}`,
	`{"a":1.}`,
	`{"a":.5}`,
	`{"a":+1}`,
	`{"a":-}`,
	`{"a":1e}`,
	`{"a":1e+}`,
	`{"a":0x10}`,
	`{"a":NaN}`,
	`{"a":Infinity}`,
	`{"a":-Infinity}`,
	`{"a":tru}`,
	`{"a":nul}`,
	`{"a":True}`,
	`{a:1}`,
	`{'a':1}`,
	`{"a" 1}`,
	`{"a":1 "b":2}`,
	`{"a":1,,"b":2}`,
	`{,}`,
	`{"a":[1,]}`,
	`{"a":[,1]}`,
	`{"a":[1 2]}`,
	`{"a":}`,
	`{"a":1]`,
	`{"a":[1}`,
	"{\"a\":\"\x01\"}",
	"{\"a\":\"\t\"}",
	`{"a":"\x"}`,
	`{"a":"\u12"}`,
	`{"a":"\u12G4"}`,
	`{"a":"\'"}`,
	`{"a":"x}`,
	`{"a"`,
	`{"a":`,
	`{`,
	`{"a":1}/*c*/`,
	"{\"a\":1//c\n}",
	"{\"a\":1,\f\"b\":2}",
	`{"a":` + nest("[", "]", 32, "") + `}`, // depth 33: over the limit
	`{"a":` + nest(`{"b":`, "}", 32, "1") + `}`,
}

var differentialCases = append(append([]string{}, acceptedCases...), refusedCases...)

func TestDifferential(t *testing.T) {
	for _, c := range differentialCases {
		t.Run(strconv.Quote(c), func(t *testing.T) {
			checkParse(t, []byte(c), Limits{})
		})
	}
	// Guard against a reference that agrees with a wrong implementation.
	for _, c := range acceptedCases {
		_, err := ParseObject([]byte(c), Limits{})
		assert.NoError(t, err, "%q", c)
	}
	for _, c := range refusedCases {
		_, err := ParseObject([]byte(c), Limits{})
		assert.Error(t, err, "%q", c)
	}
}

func TestDifferentialLimits(t *testing.T) {
	for _, c := range differentialCases {
		for _, lim := range []Limits{{MaxDepth: 1}, {MaxDepth: 2, MaxMembers: 1}, {MaxMembers: 3}, {MaxDepth: -1, MaxMembers: -1}} {
			checkParse(t, []byte(c), lim)
		}
	}
}

// ---------------------------------------------------------------------------
// Duplicates.

func TestDuplicates(t *testing.T) {
	refused := map[string]int{ // input -> offset of the duplicate name
		`{"exp":1,"exp":2}`:                   9,
		`{"a":{"b":{"c":1,"c":2}}}`:           17,
		`{"x":[{"a":1},{"b":1,"b":2}]}`:       21,
		`{"a":1,"\u0061":2}`:                  7,
		`{"a":1,"b":[{"c":{"d":[1]}}],"a":2}`: 29,
	}
	for in, off := range refused {
		_, err := ParseObject([]byte(in), Limits{})
		var e *Error
		require.ErrorAs(t, err, &e, in)
		assert.Equal(t, off, e.Offset, in)
		assert.Contains(t, e.Reason, "duplicate member", in)
	}

	_, err := ParseObject([]byte(`{"iss":"x","exp":1,"exp":2}`), Limits{})
	require.EqualError(t, err, `json: duplicate member "exp" at offset 19`)

	for _, in := range []string{
		`{"x":{"a":1},"y":{"a":2}}`,
		`{"a":{"a":{"a":1}}}`,
		`{"x":[{"a":1},{"a":2}],"a":3}`,
		`{"a":{"b":1},"b":{"a":1}}`,
	} {
		_, err := ParseObject([]byte(in), Limits{})
		assert.NoError(t, err, in)
	}
}

// TestDuplicatesLargeObjects covers the map-based detection used for objects
// with more than smallObject members, including the switch-over point and
// nested large objects.
func TestDuplicatesLargeObjects(t *testing.T) {
	build := func(n int, extra string) string {
		var sb strings.Builder
		sb.WriteString("{")
		for k := 0; k < n; k++ {
			if k > 0 {
				sb.WriteString(",")
			}
			fmt.Fprintf(&sb, `"k%d":%d`, k, k)
		}
		sb.WriteString(extra)
		sb.WriteString("}")
		return sb.String()
	}
	for _, n := range []int{1, smallObject - 1, smallObject, smallObject + 1, 100} {
		_, err := ParseObject([]byte(build(n, "")), Limits{})
		require.NoError(t, err, n)
		for _, dupOf := range []int{0, n / 2, n - 1} {
			in := build(n, fmt.Sprintf(`,"k%d":0`, dupOf))
			_, err := ParseObject([]byte(in), Limits{})
			require.ErrorContains(t, err, fmt.Sprintf(`duplicate member "k%d"`, dupOf), "n=%d", n)
			esc := build(n, fmt.Sprintf(`,"\u006b%d":0`, dupOf))
			_, err = ParseObject([]byte(esc), Limits{})
			require.ErrorContains(t, err, "duplicate member", "n=%d escaped", n)
		}
	}
	// Large nested objects, siblings with the same names, then a duplicate
	// in the second one.
	inner := build(40, "")
	ok := `{"a":` + inner + `,"b":[` + inner + `,` + inner + `]}`
	checkParse(t, []byte(ok), Limits{})
	_, err := ParseObject([]byte(ok), Limits{})
	require.NoError(t, err)
	bad := `{"a":` + inner + `,"b":[` + inner + `,` + build(40, `,"k39":1`) + `]}`
	_, err = ParseObject([]byte(bad), Limits{})
	require.ErrorContains(t, err, `duplicate member "k39"`)
}

func TestDuplicateNameTruncatedInError(t *testing.T) {
	long := strings.Repeat("é", 1000)
	_, err := ParseObject([]byte(`{"`+long+`":1,"`+long+`":2}`), Limits{})
	require.Error(t, err)
	assert.Less(t, len(err.Error()), 200)
	assert.Contains(t, err.Error(), `"... at offset`)
}

// ---------------------------------------------------------------------------
// Members, Get and the typed helpers.

func TestMembersRawSlices(t *testing.T) {
	data := []byte(jwtPayload)
	obj, err := ParseObject(data, Limits{})
	require.NoError(t, err)

	var names []string
	for _, m := range obj.Members {
		names = append(names, m.Name)
	}
	assert.Equal(t, []string{"iss", "sub", "aud", "exp", "iat", "jti", "email", "tenant_id", "name", "roles", "permissions", "metadata"}, names)

	want := map[string]string{
		"iss":         `"https://auth.example.com/realms/prod"`,
		"exp":         `1767225600`,
		"roles":       `["admin","editor"]`,
		"permissions": `["read:users","write:users","read:billing","write:billing","admin:tenant"]`,
		"metadata":    `{"department":"engineering","level":3,"mfa":true}`,
	}
	for name, w := range want {
		v, ok := obj.Get(name)
		require.True(t, ok, name)
		assert.Equal(t, w, string(v), name)
		// The value is a subslice of the input: it starts where the text
		// does and has no spare capacity.
		idx := bytes.Index(data, []byte(w))
		require.GreaterOrEqual(t, idx, 0)
		assert.Same(t, &data[idx], &v[0], name)
		assert.Equal(t, len(v), cap(v), name)
	}
	_, ok := obj.Get("nbf")
	assert.False(t, ok)
	_, ok = obj.Get("metadata.level")
	assert.False(t, ok)

	var nilObj *Object
	_, ok = nilObj.Get("iss")
	assert.False(t, ok)

	// Whitespace around values is not part of them; escaped names are
	// decoded.
	obj, err = ParseObject([]byte(" {\n \"a\" :\t[ 1 ,2 ] ,\"\\u0062\\n\": \"x\" \r\n} "), Limits{})
	require.NoError(t, err)
	require.Len(t, obj.Members, 2)
	assert.Equal(t, Member{Name: "a", Value: []byte("[ 1 ,2 ]")}, obj.Members[0])
	assert.Equal(t, Member{Name: "b\n", Value: []byte(`"x"`)}, obj.Members[1])

	obj, err = ParseObject([]byte(`{}`), Limits{})
	require.NoError(t, err)
	assert.Empty(t, obj.Members)
}

func TestHelpers(t *testing.T) {
	strs := []string{
		`""`, `"plain"`, `"\u00e9t\u00E9"`, `"\"\\\/\b\f\n\r\t"`, `"\ud83d\ude00"`, `"\ud800"`,
		`"\udc00\ud800"`, `"\ud800\u0041"`, `"\ud83d\ud83d\ude00"`, `"\u0000"`, "\"\xff\"", "\"a\xe2\x82\"",
		"\"\xed\xa0\x80\"", `"é€😀"`, ` "ws" `, `"` + strings.Repeat(`\u00e9`, 100) + `"`,
		`"\x"`, `"unterminated`, `"a"b`, `"a" "b"`, "\"\x1f\"", `''`,
	}
	nums := []string{
		`0`, `-0`, `1`, `-1`, `1.5`, `1e5`, `1E-5`, `-1.25e+3`, `1767225600`, `1e308`, `1e309`, `-1e400`,
		`1e-400`, `123456789012345678901234567890`, ` 7 `, `01`, `1.`, `.5`, `+1`, `-`, `1e`, `0x1`, `NaN`,
		`Infinity`, `1 2`, `1,`,
	}
	bools := []string{`true`, `false`, ` true `, `tru`, `truex`, `True`, `falsey`}
	arrays := []string{
		`[]`, `[ ]`, `["a"]`, `["a","b","c"]`, ` [ "a" , "\u0062" ] `, `["\ud800","\xff"]`,
		`["` + strings.Repeat("x", 300) + `","` + strings.Repeat(`\u00e9`, 300) + `"]`,
		`["a",1]`, `["a",null]`, `[null]`, `["a",]`, `[,"a"]`, `["a" "b"]`, `["a"`, `[`, `["a"]x`, `[["a"]]`,
	}
	others := []string{`null`, `{}`, `{"a":"b"}`, ``, ` `, `x`}

	var all []string
	for _, group := range [][]string{strs, nums, bools, arrays, others} {
		all = append(all, group...)
	}
	for _, in := range all {
		t.Run(strconv.Quote(in), func(t *testing.T) { checkHelpers(t, []byte(in)) })
	}

	// Spot checks of decoded values.
	s, err := String([]byte(`"\ud83d\ude00\ud800x"`))
	require.NoError(t, err)
	assert.Equal(t, "😀\uFFFDx", s)
	s, err = String([]byte("\"a\xffb\""))
	require.NoError(t, err)
	assert.Equal(t, "a\uFFFDb", s)

	aud, err := StringOrArray([]byte(`"api://jwtgate"`))
	require.NoError(t, err)
	assert.Equal(t, []string{"api://jwtgate"}, aud)
	aud, err = StringOrArray([]byte(`["a","b\n"]`))
	require.NoError(t, err)
	assert.Equal(t, []string{"a", "b\n"}, aud)
	aud, err = StringArray([]byte(`[]`))
	require.NoError(t, err)
	assert.NotNil(t, aud)
	assert.Empty(t, aud)
	for _, in := range []string{`null`, `1`, `{}`, `[1]`, `true`} {
		_, err := StringOrArray([]byte(in))
		var e *Error
		assert.ErrorAs(t, err, &e, in)
	}

	_, err = String([]byte(`123`))
	require.EqualError(t, err, "json: expected string, found number at offset 0")
	_, err = Number([]byte(` "1"`))
	require.EqualError(t, err, "json: expected number, found string at offset 1")
	_, err = StringArray([]byte(`["a",2]`))
	require.EqualError(t, err, "json: expected string array element, found number at offset 5")

	kinds := map[string]string{
		`"x"`: "string", `-1`: "number", `0`: "number", `true`: "boolean", `false`: "boolean",
		`null`: "null", `[]`: "array", `{}`: "object", ` {`: "object", ``: "", ` `: "", `+1`: "", `x`: "",
	}
	for in, want := range kinds {
		assert.Equal(t, want, Kind([]byte(in)), in)
	}
}

// TestNumberMatchesParseObject checks that Number accepts exactly the
// numbers ParseObject accepts.
func TestNumberMatchesParseObject(t *testing.T) {
	for _, in := range []string{
		`0`, `-0`, `0.0`, `1e5`, `1E+05`, `-0.5e-5`, `01`, `-01`, `00`, `1.`, `.5`, `-.5`, `+1`, `1e`, `1e+`,
		`1.e1`, `0x1`, `1_000`, `--1`, `-`, `1.5.5`, `1e5e5`, `Infinity`,
	} {
		_, perr := ParseObject([]byte(`{"a":`+in+`}`), Limits{})
		_, nerr := Number([]byte(in))
		assert.Equal(t, perr == nil, nerr == nil, in)
	}
}

// TestHasSpecial checks the eight-bytes-at-a-time string scan against the
// byte table.
func TestHasSpecial(t *testing.T) {
	ref := func(w [8]byte) bool {
		for _, c := range w {
			if !strPlain[c] {
				return true
			}
		}
		return false
	}
	word := func(w [8]byte) uint64 { return binary.LittleEndian.Uint64(w[:]) }
	for _, fill := range []byte{'a', ' ', '~', '!', '#', '[', ']'} {
		for c := 0; c < 256; c++ {
			for pos := 0; pos < 8; pos++ {
				var w [8]byte
				for k := range w {
					w[k] = fill
				}
				w[pos] = byte(c)
				require.Equal(t, ref(w), hasSpecial(word(w)), "byte %#x at %d in %q", c, pos, fill)
			}
		}
	}
	rng := rand.New(rand.NewPCG(1, 2))
	interesting := []byte{0x00, 0x01, 0x1f, 0x20, 0x21, '"', '#', '[', '\\', ']', 0x7f, 0x80, 0xff}
	for range 200000 {
		var w [8]byte
		for k := range w {
			if rng.IntN(2) == 0 {
				w[k] = interesting[rng.IntN(len(interesting))]
			} else {
				w[k] = byte(rng.IntN(256))
			}
		}
		require.Equal(t, ref(w), hasSpecial(word(w)), "%q", w[:])
	}
}

// ---------------------------------------------------------------------------
// Hostile sizes.

func TestHostileSizes(t *testing.T) {
	const n = 100000
	deadline := func(t *testing.T, start time.Time) {
		t.Helper()
		// Generous bound that still catches quadratic behaviour.
		assert.Less(t, time.Since(start), 5*time.Second)
	}

	t.Run("nested arrays at top level", func(t *testing.T) {
		start := time.Now()
		_, err := ParseObject([]byte(strings.Repeat("[", n)), Limits{})
		require.ErrorContains(t, err, "not an object")
		deadline(t, start)
	})
	t.Run("nested arrays in a member", func(t *testing.T) {
		start := time.Now()
		_, err := ParseObject([]byte(`{"a":`+strings.Repeat("[", n)), Limits{})
		var e *Error
		require.ErrorAs(t, err, &e)
		assert.Contains(t, e.Reason, "maximum nesting depth 32")
		assert.Equal(t, 5+31, e.Offset)
		deadline(t, start)
	})
	t.Run("deep nesting within a raised limit", func(t *testing.T) {
		start := time.Now()
		deep := []byte(`{"a":` + nest("[", "]", n, "") + `}`)
		obj, err := ParseObject(deep, Limits{MaxDepth: n + 1})
		require.NoError(t, err)
		v, _ := obj.Get("a")
		assert.Len(t, v, 2*n)
		_, err = ParseObject(deep, Limits{MaxDepth: n})
		require.ErrorContains(t, err, "maximum nesting depth")
		_, err = ParseObject(deep[:len(deep)-1], Limits{MaxDepth: n + 1})
		require.ErrorContains(t, err, "unexpected end of input")
		deepObj := []byte(nest(`{"a":`, "}", n, "1"))
		_, err = ParseObject(deepObj, Limits{MaxDepth: n, MaxMembers: n})
		require.NoError(t, err)
		deadline(t, start)
	})

	// A ~2.2 MB object with n members.
	var sb strings.Builder
	sb.WriteString("{")
	for k := 0; k < n; k++ {
		if k > 0 {
			sb.WriteString(",")
		}
		fmt.Fprintf(&sb, `"m-%06d":"v-%06d"`, k, k)
	}
	sb.WriteString("}")
	big := []byte(sb.String())
	require.True(t, json.Valid(big))
	require.Greater(t, len(big), 2_000_000)

	t.Run("big object over the default member limit", func(t *testing.T) {
		start := time.Now()
		_, err := ParseObject(big, Limits{})
		require.ErrorContains(t, err, "too many object members (limit 10000)")
		deadline(t, start)
	})
	t.Run("big object within a raised member limit", func(t *testing.T) {
		start := time.Now()
		obj, err := ParseObject(big, Limits{MaxMembers: n})
		require.NoError(t, err)
		require.Len(t, obj.Members, n)
		v, ok := obj.Get("m-099999")
		require.True(t, ok)
		assert.Equal(t, `"v-099999"`, string(v))
		_, err = ParseObject(big, Limits{MaxMembers: n - 1})
		require.ErrorContains(t, err, "too many object members")
		deadline(t, start)
	})
	t.Run("big object with a late duplicate", func(t *testing.T) {
		start := time.Now()
		dup := append(append([]byte{}, big[:len(big)-1]...), `,"m-000000":1}`...)
		_, err := ParseObject(dup, Limits{MaxMembers: n + 1})
		require.ErrorContains(t, err, `duplicate member "m-000000"`)
		deadline(t, start)
	})
	t.Run("many small nested objects", func(t *testing.T) {
		start := time.Now()
		var sb strings.Builder
		sb.WriteString(`{"a":[`)
		for k := 0; k < n/10; k++ {
			if k > 0 {
				sb.WriteString(",")
			}
			sb.WriteString(`{"a":1,"b":2,"c":3,"d":4,"e":5,"f":6,"g":7,"h":8,"i":9}`)
		}
		sb.WriteString(`]}`)
		_, err := ParseObject([]byte(sb.String()), Limits{MaxMembers: n})
		require.NoError(t, err)
		deadline(t, start)
	})
}

// ---------------------------------------------------------------------------
// Fuzzing.

var fuzzLimits = Limits{MaxDepth: 16, MaxMembers: 200}

func FuzzParseObject(f *testing.F) {
	for _, c := range differentialCases {
		f.Add([]byte(c))
	}
	f.Add([]byte(jwtPayload))
	for _, c := range []string{
		`{"a":["x","\u0079"],"b":"\ud83d\ude00","c":-1.5e3,"d":true,"e":null}`,
		`{"aud":["a","b",null],"exp":1e400,"iat":"1"}`,
		`{"k0":0,"k1":1,"k2":2,"k3":3,"k4":4,"k5":5,"k6":6,"k7":7,"k8":8,"k9":9,"k10":10,"k11":11,"k12":12,"k13":13,"k14":14,"k15":15,"k16":16,"k17":17,"k\u0030":0}`,
		`{"a":{"b":{"c":{"d":{"e":{"f":{"g":{"h":{"i":{"j":{"k":{"l":{"m":{"n":{"o":{"p":{}}}}}}}}}}}}}}}}}`,
		"{\"\xff\xfe\":\"\\ud800\\udc00\\udc00\"}",
	} {
		f.Add([]byte(c))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		checkParse(t, data, fuzzLimits)
		// The helpers must also agree with encoding/json on arbitrary input.
		checkHelpers(t, data)
	})
}

// ---------------------------------------------------------------------------
// Benchmarks.

func BenchmarkParseObject(b *testing.B) {
	data := []byte(jwtPayload)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		obj, err := ParseObject(data, Limits{})
		require.False(b, err != nil || len(obj.Members) != 12, err)
	}
}

func BenchmarkEncodingJSONMap(b *testing.B) {
	data := []byte(jwtPayload)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		dec := json.NewDecoder(bytes.NewReader(data))
		dec.UseNumber()
		var m map[string]any
		if err := dec.Decode(&m); err != nil || len(m) != 12 {
			b.Fatal(err)
		}
	}
}

// BenchmarkParseObjectClaims adds what a verifier typically does next:
// decoding iss, exp, aud and roles.
func BenchmarkParseObjectClaims(b *testing.B) {
	data := []byte(jwtPayload)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		obj, err := ParseObject(data, Limits{})
		require.NoError(b, err)
		iss, _ := obj.Get("iss")
		exp, _ := obj.Get("exp")
		aud, _ := obj.Get("aud")
		roles, _ := obj.Get("roles")
		if _, err := String(iss); err != nil {
			b.Fatal(err)
		}
		if _, err := Number(exp); err != nil {
			b.Fatal(err)
		}
		if _, err := StringOrArray(aud); err != nil {
			b.Fatal(err)
		}
		if _, err := StringArray(roles); err != nil {
			b.Fatal(err)
		}
	}
}

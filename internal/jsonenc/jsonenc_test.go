package jsonenc

import (
	"bytes"
	"encoding/json"
	"testing"
)

var rawSeeds = []string{
	`{"a": 1, "b" : [ 1 , 2 ] }`,
	"[\n\t\"x y\" ,\r\n true, null ]",
	`{"s":"a \" b \\ <>&\u2028", "t" : "  spaced  "}`,
	"\"line\u2028sep\u2029\"",
	`  42  `,
	`{}`,
}

// FuzzCompact holds Compact to encoding/json's Compact, and Embed to what
// encoding/json writes for a RawMessage, on every valid JSON input.
func FuzzCompact(f *testing.F) {
	for _, s := range rawSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		if !json.Valid(raw) {
			return
		}
		var want bytes.Buffer
		if err := json.Compact(&want, raw); err != nil {
			t.Fatal(err)
		}
		if got := Compact(raw); !bytes.Equal(got, want.Bytes()) {
			t.Fatalf("Compact(%q) = %q, encoding/json: %q", raw, got, want.Bytes())
		}
		embedded, err := json.Marshal(json.RawMessage(raw))
		if err != nil {
			t.Fatal(err)
		}
		if got := Embed(raw); !bytes.Equal(got, embedded) {
			t.Fatalf("Embed(%q) = %q, encoding/json: %q", raw, got, embedded)
		}
	})
}

// TestCompactKeepsUnchanged: input without whitespace to drop is returned
// as it is, without a copy.
func TestCompactKeepsUnchanged(t *testing.T) {
	raw := []byte(`{"a":[1,"b c"]}`)
	if got := Compact(raw); &got[0] != &raw[0] {
		t.Fatal("Compact copied input it did not change")
	}
}

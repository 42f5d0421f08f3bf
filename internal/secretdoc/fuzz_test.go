package secretdoc

import (
	"bytes"
	"encoding/json"
	"errors"
	"reflect"
	"regexp"
	"strconv"
	"testing"
)

// FuzzRedact holds Redact and Restore to their promises on any input:
// no panic; an error of Redact's own types; public is doc with each
// reported secret, and nothing else, replaced by its placeholder, so it
// holds none of their bytes; and Restore(public, doc) gives doc back.
func FuzzRedact(f *testing.F) {
	f.Add([]byte(storedDoc))
	f.Add([]byte(`{"policy":{"keys":[{"jwks":` + jsonString(`{"keys":[{"kty":"oct","k":"`+octK+`"}]}`) + `}]}}`))
	f.Add([]byte(`{"policy":{"keys":[{"jwks":{"kty":"RSA","n":"n","e":"AQAB","d":"d"}},{"jwks":{"kty":"EC"}}]}}`))
	f.Add([]byte(`{"policy":{"keys":[{"secret":{"fingerprint":"sha256:0011223344556677"}}]}}`))
	f.Add([]byte(`{"policy":{"decryption_keys":[{"secret":1e400,"pem":[1,{"a":null}],"jwks":"{"}]},"service":{"a":"\u2028<"}}`))
	f.Add([]byte(`{"policy":{"keys":[{"secret":"a","secret":"b"}]}}`))
	f.Fuzz(func(t *testing.T, doc []byte) {
		public, secrets, err := Redact(doc)
		if err != nil {
			var pe *PlaceholderError
			typed := errors.Is(err, ErrTooLarge) || errors.Is(err, ErrSyntax) ||
				errors.Is(err, ErrNotObject) || errors.As(err, &pe)
			if !typed {
				t.Fatalf("Redact: an error of no type of its own: %v", err)
			}
			return
		}
		want, _ := decode(doc)
		for _, s := range secrets {
			value, ok := at(want, s.Path)
			if !ok {
				t.Fatalf("Redact reports %s, which is not in the document", s.Path)
			}
			set(want, s.Path, map[string]any{"fingerprint": s.Fingerprint})
			checkGone(t, public, value)
		}
		got, ok := decode(public)
		if !ok {
			t.Fatalf("Redact returned no JSON: %q", public)
		}
		if !reflect.DeepEqual(want, got) {
			t.Fatalf("public is not doc with its secrets replaced\nwant %#v\ngot  %#v", want, got)
		}

		back, err := Restore(public, doc)
		if err != nil {
			t.Fatalf("Restore(public, doc): %v", err)
		}
		orig, _ := decode(doc)
		restored, _ := decode(back)
		if !reflect.DeepEqual(orig, restored) {
			t.Fatalf("Restore(public, doc) is not doc\nwant %#v\ngot  %#v", orig, restored)
		}
	})
}

// checkGone fails when public holds a secret's bytes as a JSON string
// or text, where that text is long enough to be no accident (a short
// secret such as "a" is in many a name) and is not in the placeholders.
func checkGone(t *testing.T, public []byte, value any) {
	t.Helper()
	var text []byte
	if s, ok := value.(string); ok {
		text, _ = json.Marshal(s)
		text = text[1 : len(text)-1] // as it would be written inside quotes
	} else {
		text, _ = encode(value)
	}
	if len(text) < 24 || bytes.Contains([]byte(`{"fingerprint":"sha256:0123456789abcdef"}`), text) {
		return
	}
	// The same text may be in the document outside the secret.
	rest, _ := decode(public)
	if bytes.Contains(stripPlaceholders(t, rest), text) {
		return
	}
	if bytes.Contains(public, text) {
		t.Fatalf("public holds a secret's bytes %q: %s", text, public)
	}
}

// stripPlaceholders encodes v without its placeholders' fingerprints.
func stripPlaceholders(t *testing.T, v any) []byte {
	t.Helper()
	var walk func(any) any
	walk = func(v any) any {
		switch v := v.(type) {
		case map[string]any:
			if _, ok := placeholderOf(v); ok {
				return nil
			}
			out := map[string]any{}
			for k, e := range v {
				out[k] = walk(e)
			}
			return out
		case []any:
			out := make([]any, len(v))
			for i, e := range v {
				out[i] = walk(e)
			}
			return out
		}
		return v
	}
	b, err := encode(walk(v))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// secretPath is the spelling of Secret.Path.
var secretPath = regexp.MustCompile(`^policy\.(keys|decryption_keys)\[(\d+)\]\.(secret|pem|jwks)$`)

// entryAt returns the key entry a Secret.Path names, read on its own
// rather than with the package's walk.
func entryAt(doc any, path string) (map[string]any, string, bool) {
	m := secretPath.FindStringSubmatch(path)
	if m == nil {
		return nil, "", false
	}
	i, _ := strconv.Atoi(m[2])
	root, _ := doc.(map[string]any)
	policy, _ := root["policy"].(map[string]any)
	list, _ := policy[m[1]].([]any)
	if i >= len(list) {
		return nil, "", false
	}
	entry, ok := list[i].(map[string]any)
	return entry, m[3], ok
}

func at(doc any, path string) (any, bool) {
	entry, name, ok := entryAt(doc, path)
	if !ok {
		return nil, false
	}
	v, ok := entry[name]
	return v, ok
}

func set(doc any, path string, v any) {
	entry, name, _ := entryAt(doc, path)
	entry[name] = v
}

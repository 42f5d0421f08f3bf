// Package jsondiff lists the differences of two JSON documents by path,
// as an admin reads a revision's changes: each member and element that
// was added, removed or changed, with its old and new values.
package jsondiff

import (
	"bytes"
	"encoding/json"
	"maps"
	"slices"
	"strconv"
)

// Change is one difference. Path is dotted for object members and
// bracketed for array elements: policy.keys[0].kid.
type Change struct {
	Path string          `json:"path"`
	Op   string          `json:"op"` // "add", "remove" or "change"
	From json.RawMessage `json:"from,omitempty"`
	To   json.RawMessage `json:"to,omitempty"`
}

// Diff returns the changes from a to b, in path order. A nil or empty
// document is null. Objects are compared member by member (one added or
// removed is listed by its members) and arrays
// element by element; other values by their compact JSON.
func Diff(a, b []byte) ([]Change, error) {
	var va, vb any
	if err := decode(a, &va); err != nil {
		return nil, err
	}
	if err := decode(b, &vb); err != nil {
		return nil, err
	}
	var out []Change
	walk("", va, vb, &out)
	return out, nil
}

func decode(data []byte, v *any) error {
	if len(bytes.TrimSpace(data)) == 0 {
		return nil
	}
	d := json.NewDecoder(bytes.NewReader(data))
	d.UseNumber()
	return d.Decode(v)
}

func walk(path string, a, b any, out *[]Change) {
	// An object added or removed is listed member by member.
	if _, ok := b.(map[string]any); ok && a == nil {
		a = map[string]any{}
	}
	if _, ok := a.(map[string]any); ok && b == nil {
		b = map[string]any{}
	}
	if ma, ok := a.(map[string]any); ok {
		if mb, ok := b.(map[string]any); ok {
			keys := slices.Sorted(maps.Keys(ma))
			for k := range mb {
				if _, ok := ma[k]; !ok {
					keys = append(keys, k)
				}
			}
			slices.Sort(keys)
			for _, k := range keys {
				walk(join(path, k), ma[k], mb[k], out)
			}
			return
		}
	}
	if la, ok := a.([]any); ok {
		if lb, ok := b.([]any); ok {
			for i := range max(len(la), len(lb)) {
				walk(path+"["+strconv.Itoa(i)+"]", at(la, i), at(lb, i), out)
			}
			return
		}
	}
	ja, jb := raw(a), raw(b)
	switch {
	case bytes.Equal(ja, jb):
	case a == nil:
		*out = append(*out, Change{Path: path, Op: "add", To: jb})
	case b == nil:
		*out = append(*out, Change{Path: path, Op: "remove", From: ja})
	default:
		*out = append(*out, Change{Path: path, Op: "change", From: ja, To: jb})
	}
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func at(l []any, i int) any {
	if i < len(l) {
		return l[i]
	}
	return nil
}

// raw is a value's compact JSON; nil (absent, or null) is nil.
func raw(v any) json.RawMessage {
	if v == nil {
		return nil
	}
	b, _ := json.Marshal(v)
	return b
}

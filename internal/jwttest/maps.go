package jwttest

import "encoding/json"

// RawStrings is m with its values as strings (nil for nil), so that a test
// compares stored JSON values as text.
func RawStrings(m map[string]json.RawMessage) map[string]string {
	if m == nil {
		return nil
	}
	out := map[string]string{}
	for k, v := range m {
		out[k] = string(v)
	}
	return out
}

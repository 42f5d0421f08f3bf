package jsonenc

import (
	"bytes"
	"encoding/json"
	"math"
	"testing"

	"github.com/stretchr/testify/require"
)

// jsonTree builds a tree of the kinds Value writes from fuzz input: a
// small stack machine over the bytes, so that the fuzzer reaches nested
// maps and lists with every kind of leaf.
func jsonTree(data []byte, s string, f float64) any {
	var stack [][]any
	cur := []any{}
	leaf := func(i int) any {
		switch i % 9 {
		case 0:
			return nil
		case 1:
			return i%2 == 0
		case 2:
			return s
		case 3:
			return int(f)
		case 4:
			return int64(i) - 1<<40
		case 5:
			return uint64(math.MaxUint64) - uint64(i)
		case 6:
			return f
		case 7:
			return s[:len(s)/2]
		}
		return f * 1e-9
	}
	for i, c := range data {
		switch c % 4 {
		case 0:
			stack = append(stack, cur)
			cur = []any{}
		case 1:
			if len(stack) > 0 {
				var v any = cur
				if c%8 == 1 {
					m := map[string]any{}
					for j, e := range cur {
						m[string(rune('a'+j%26))+s[:j%(len(s)+1)]] = e
					}
					v = m
				}
				cur = append(stack[len(stack)-1], v)
				stack = stack[:len(stack)-1]
			}
		default:
			cur = append(cur, leaf(i+int(c)))
		}
	}
	return cur
}

func FuzzValue(f *testing.F) {
	f.Add([]byte{0, 2, 3, 6, 10, 1, 0, 14, 18, 22, 9, 1}, "a<b>&c\u2028\x00\x7f\xff é", 1.5)
	f.Add([]byte{2, 6, 10, 14, 18, 22, 26, 30, 34}, "", 1e21)
	f.Add([]byte{0, 0, 3, 7, 1, 9, 1}, "k\"\\\n", 1e-7)
	f.Add([]byte{6, 10}, "x", math.Inf(1))
	f.Add([]byte{6, 10}, "x", -0.0)
	f.Add([]byte{6, 10}, "x", 123456789.125)
	f.Fuzz(func(t *testing.T, data []byte, s string, x float64) {
		v := jsonTree(data, s, x)
		want, werr := json.Marshal(v)
		got, gerr := Value(nil, v, true)
		require.Equal(t, werr != nil, gerr != nil, "Marshal: %v, Value: %v", werr, gerr)
		if werr == nil {
			require.Equal(t, string(want), string(got))
		} else {
			require.Equal(t, werr.Error(), gerr.Error())
		}
		var buf bytes.Buffer
		enc := json.NewEncoder(&buf)
		enc.SetEscapeHTML(false)
		werr = enc.Encode(v)
		got, gerr = Value(nil, v, false)
		require.Equal(t, werr != nil, gerr != nil, "Encode: %v, Value: %v", werr, gerr)
		if werr == nil {
			require.Equal(t, string(bytes.TrimSuffix(buf.Bytes(), []byte("\n"))), string(got))
		} else {
			require.Equal(t, werr.Error(), gerr.Error())
		}
	})
}

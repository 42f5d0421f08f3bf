package jsonenc

import (
	"errors"
	"math"
	"slices"
	"strconv"
)

// Value appends v, a tree of the values a policy document decodes into
// (map[string]any, []any, string, bool, nil, int, int64, uint64,
// float64), as encoding/json's Marshal writes it (html true) or its
// Encoder with SetEscapeHTML(false) (html false, without the newline):
// keys sorted, floats in its spelling. The browser module's build, which
// must not link encoding/json, writes a policy's JSON with it;
// value_test.go holds it to encoding/json.
func Value(b []byte, v any, html bool) ([]byte, error) {
	switch v := v.(type) {
	case nil:
		return append(b, "null"...), nil
	case bool:
		return strconv.AppendBool(b, v), nil
	case string:
		return str(b, v, html), nil
	case int:
		return strconv.AppendInt(b, int64(v), 10), nil
	case int64:
		return strconv.AppendInt(b, v, 10), nil
	case uint64:
		return strconv.AppendUint(b, v, 10), nil
	case float64:
		return float(b, v)
	case []any:
		b = append(b, '[')
		for i, e := range v {
			if i > 0 {
				b = append(b, ',')
			}
			var err error
			if b, err = Value(b, e, html); err != nil {
				return nil, err
			}
		}
		return append(b, ']'), nil
	case map[string]any:
		keys := make([]string, 0, len(v))
		for k := range v {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		b = append(b, '{')
		for i, k := range keys {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(str(b, k, html), ':')
			var err error
			if b, err = Value(b, v[k], html); err != nil {
				return nil, err
			}
		}
		return append(b, '}'), nil
	}
	return nil, errors.New("json: unsupported type")
}

func str(b []byte, s string, html bool) []byte {
	if html {
		return String(b, s)
	}
	return plainString(b, s)
}

// float appends f as encoding/json writes a float64.
func float(b []byte, f float64) ([]byte, error) {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return nil, errors.New("json: unsupported value: " + strconv.FormatFloat(f, 'g', -1, 64))
	}
	format := byte('f')
	if abs := math.Abs(f); abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		format = 'e'
	}
	b = strconv.AppendFloat(b, f, format, -1, 64)
	if format == 'e' {
		// e-09 is written e-9.
		if n := len(b); n >= 4 && b[n-4] == 'e' && b[n-3] == '-' && b[n-2] == '0' {
			b[n-2] = b[n-1]
			b = b[:n-1]
		}
	}
	return b, nil
}

// plainString is String without HTML escaping (<, > and & as they are),
// as encoding/json's Encoder writes strings with SetEscapeHTML(false).
func plainString(b []byte, s string) []byte { return appendString(b, s, &plainSafe) }

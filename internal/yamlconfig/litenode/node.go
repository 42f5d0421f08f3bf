// Package litenode is the part of yaml.v3's Node that the policy loader
// uses, for the build that links no YAML (the browser module, tag
// jwtgate_webcrypto: see ../yamlnode). Its trees are made by
// yamlconfig.ParseJSON, so ShortTag and Decode handle what JSON holds
// (mappings, sequences, strings, numbers, true, false and null) as
// yaml.v3 does, without its resolver's regular expressions;
// node_test.go holds them to yaml.v3 on ParseJSON's trees.
package litenode

import (
	"encoding"
	"errors"
	"fmt"
	"math"
	"reflect"
	"strconv"
	"strings"
	"time"
)

// Kind is yaml.v3's Kind, with its values.
type Kind uint32

// The kinds of node.
const (
	DocumentNode Kind = 1 << iota
	SequenceNode
	MappingNode
	ScalarNode
	AliasNode
)

// Style is yaml.v3's Style, with its values.
type Style uint32

// The styles of node.
const (
	TaggedStyle Style = 1 << iota
	DoubleQuotedStyle
	SingleQuotedStyle
	LiteralStyle
	FoldedStyle
	FlowStyle
)

// Node has yaml.v3's Node's fields.
type Node struct {
	Kind        Kind
	Style       Style
	Tag         string
	Value       string
	Anchor      string
	Alias       *Node
	Content     []*Node
	HeadComment string
	LineComment string
	FootComment string
	Line        int
	Column      int
}

// Unmarshaler is yaml.v3's Unmarshaler, for this Node.
type Unmarshaler interface {
	UnmarshalYAML(value *Node) error
}

const longTagPrefix = "tag:yaml.org,2002:"

func shortTag(tag string) string {
	if rest, ok := strings.CutPrefix(tag, longTagPrefix); ok {
		return "!!" + rest
	}
	return tag
}

// indicatedString: a scalar tagged !!str, or untagged and quoted.
func (n *Node) indicatedString() bool {
	return n.Kind == ScalarNode && (shortTag(n.Tag) == "!!str" ||
		(n.Tag == "" || n.Tag == "!") && n.Style&(SingleQuotedStyle|DoubleQuotedStyle|LiteralStyle|FoldedStyle) != 0)
}

// ShortTag is the node's tag as yaml.v3's ShortTag gives it.
func (n *Node) ShortTag() string {
	if n.indicatedString() {
		return "!!str"
	}
	if n.Tag == "" || n.Tag == "!" {
		switch n.Kind {
		case MappingNode:
			return "!!map"
		case SequenceNode:
			return "!!seq"
		case AliasNode:
			if n.Alias != nil {
				return n.Alias.ShortTag()
			}
		case ScalarNode:
			tag, _, _ := resolve("", n.Value)
			return tag
		case 0:
			if n.IsZero() {
				return "!!null"
			}
		}
		return ""
	}
	return shortTag(n.Tag)
}

// IsZero reports whether the node has no content at all.
func (n *Node) IsZero() bool {
	return n.Kind == 0 && n.Style == 0 && n.Tag == "" && n.Value == "" && n.Anchor == "" && n.Alias == nil && n.Content == nil &&
		n.HeadComment == "" && n.LineComment == "" && n.FootComment == "" && n.Line == 0 && n.Column == 0
}

// resolve is yaml.v3's resolution of a plain scalar, for the scalars JSON
// has: null, true, false, and numbers (int when they fit, then uint64,
// then float64, else a string, as yaml.v3 resolves 1e999). Other plain
// scalars are strings here: YAML's other notations (0x10, 1_000, .inf,
// timestamps) are not JSON, and ParseJSON makes none. An explicit
// tag of a scalar resolved otherwise is an error, as in yaml.v3 (a !!int
// resolving to a float; an int under !!float becomes a float).
func resolve(tag, in string) (string, any, error) {
	tag = shortTag(tag)
	switch tag {
	case "", "!!str", "!!bool", "!!int", "!!float", "!!null":
	default:
		return tag, in, nil
	}
	rtag, out := resolvePlain(in)
	if tag == "!!str" {
		return "!!str", in, nil
	}
	switch {
	case tag == "" || tag == rtag:
	case tag == "!!float" && rtag == "!!int":
		switch v := out.(type) {
		case int:
			return "!!float", float64(v), nil
		}
		return "", nil, errors.New("cannot decode " + rtag + " `" + in + "` as a " + tag)
	default:
		return "", nil, errors.New("cannot decode " + rtag + " `" + in + "` as a " + tag)
	}
	return rtag, out, nil
}

func resolvePlain(in string) (string, any) {
	switch in {
	case "", "~", "null", "Null", "NULL":
		return "!!null", nil
	case "true", "True", "TRUE":
		return "!!bool", true
	case "false", "False", "FALSE":
		return "!!bool", false
	}
	if c := in[0]; c != '-' && c != '+' && (c < '0' || c > '9') {
		return "!!str", in // not a JSON number (JSON has no other plain scalar)
	}
	if i, err := strconv.ParseInt(in, 10, 64); err == nil {
		return "!!int", int(i)
	}
	if u, err := strconv.ParseUint(in, 10, 64); err == nil {
		return "!!int", u
	}
	if isYAMLFloat(in) {
		if f, err := strconv.ParseFloat(in, 64); err == nil {
			return "!!float", f
		}
	}
	return "!!str", in
}

// isYAMLFloat is yaml.v3's ^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$.
func isYAMLFloat(s string) bool {
	i := 0
	digits := func() int {
		start := i
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
		return i - start
	}
	if i < len(s) && (s[i] == '-' || s[i] == '+') {
		i++
	}
	if i < len(s) && s[i] == '.' {
		i++
		if digits() == 0 {
			return false
		}
	} else {
		if digits() == 0 {
			return false
		}
		if i < len(s) && s[i] == '.' {
			i++
			digits()
		}
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '-' || s[i] == '+') {
			i++
		}
		if digits() == 0 {
			return false
		}
	}
	return i == len(s)
}

// Decode decodes the node into v, a non-nil pointer, as yaml.v3's
// Node.Decode does for JSON's values: into strings, bools, numbers of
// every kind, interfaces (map[string]any, []any and the scalars' values),
// maps with string keys, slices, pointers, Unmarshaler and
// encoding.TextUnmarshaler. A value of the wrong kind is an error; a null
// leaves a scalar unchanged and is left out of a list or a map of
// scalars, as in yaml.v3.
func (n *Node) Decode(v any) error {
	out := reflect.ValueOf(v)
	if out.Kind() == reflect.Pointer && !out.IsNil() {
		out = out.Elem()
	}
	d := &decoder{}
	d.unmarshal(n, out)
	if d.err == nil && len(d.terrors) > 0 {
		return errors.New("yaml: unmarshal errors:\n  " + strings.Join(d.terrors, "\n  "))
	}
	return d.err
}

var errType = errors.New("yaml: unmarshal errors: cannot unmarshal into this type")

// decoder keeps the first error; like yaml.v3's, it goes on after one,
// and lists the keys given twice as yaml.v3 words them.
type decoder struct {
	err     error
	terrors []string
}

func (d *decoder) fail(err error) bool {
	if d.err == nil {
		d.err = err
	}
	return false
}

// unmarshal decodes n into out and reports whether out was set (yaml.v3's
// "good"): a list or a map keeps only the entries that were.
func (d *decoder) unmarshal(n *Node, out reflect.Value) bool {
	switch n.Kind {
	case DocumentNode:
		if len(n.Content) == 1 {
			return d.unmarshal(n.Content[0], out)
		}
		return false
	case AliasNode:
		if n.Alias == nil {
			return d.fail(errors.New("yaml: unknown anchor"))
		}
		return d.unmarshal(n.Alias, out)
	}
	if n.ShortTag() == "!!null" {
		return null(out)
	}
	for out.Kind() == reflect.Pointer {
		if out.IsNil() {
			out.Set(reflect.New(out.Type().Elem()))
		}
		out = out.Elem()
	}
	if out.CanAddr() {
		if u, ok := out.Addr().Interface().(Unmarshaler); ok {
			if err := u.UnmarshalYAML(n); err != nil {
				return d.fail(err)
			}
			return true
		}
	}
	switch n.Kind {
	case ScalarNode:
		return d.scalar(n, out)
	case MappingNode:
		return d.mapping(n, out)
	case SequenceNode:
		return d.sequence(n, out)
	}
	return d.fail(errType)
}

// null sets a nillable out to nil; a scalar is left as it is, not set.
func null(out reflect.Value) bool {
	if out.CanAddr() {
		switch out.Kind() {
		case reflect.Interface, reflect.Pointer, reflect.Map, reflect.Slice:
			out.SetZero()
			return true
		}
	}
	return false
}

func (d *decoder) mapping(n *Node, out reflect.Value) bool {
	switch {
	case out.Kind() == reflect.Interface:
		m := map[string]any{}
		d.mapping(n, reflect.ValueOf(&m).Elem())
		out.Set(reflect.ValueOf(m))
		return true
	case out.Kind() != reflect.Map || out.Type().Key().Kind() != reflect.String:
		return d.fail(errType)
	}
	isNew := out.IsNil()
	if isNew {
		out.Set(reflect.MakeMap(out.Type()))
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, val := n.Content[i], n.Content[i+1]
		for j := i + 2; j+1 < len(n.Content); j += 2 {
			if later := n.Content[j]; later.Kind == k.Kind && later.Value == k.Value {
				d.terrors = append(d.terrors, fmt.Sprintf("line %d: mapping key %#v already defined at line %d", later.Line, later.Value, k.Line))
			}
		}
		if k.Kind != ScalarNode || k.ShortTag() != "!!str" {
			d.fail(errType) // JSON's keys are strings
			continue
		}
		key := reflect.ValueOf(k.Value).Convert(out.Type().Key())
		e := reflect.New(out.Type().Elem()).Elem()
		// As yaml.v3: a null is kept in a new map, or for a new key.
		if d.unmarshal(val, e) || val.ShortTag() == "!!null" && (isNew || !out.MapIndex(key).IsValid()) {
			out.SetMapIndex(key, e)
		}
	}
	return true
}

func (d *decoder) sequence(n *Node, out reflect.Value) bool {
	if out.Kind() == reflect.Interface {
		list := make([]any, 0, len(n.Content))
		v := reflect.ValueOf(&list).Elem()
		d.sequence(n, v)
		out.Set(v)
		return true
	}
	if out.Kind() != reflect.Slice {
		return d.fail(errType)
	}
	s := reflect.MakeSlice(out.Type(), 0, len(n.Content))
	for _, item := range n.Content {
		e := reflect.New(out.Type().Elem()).Elem()
		if d.unmarshal(item, e) {
			s = reflect.Append(s, e)
		}
	}
	out.Set(s)
	return true
}

func (d *decoder) scalar(n *Node, out reflect.Value) bool {
	var resolved any = n.Value
	if !n.indicatedString() {
		var err error
		if _, resolved, err = resolve(n.Tag, n.Value); err != nil {
			return d.fail(err)
		}
	}
	if resolved == nil {
		return null(out)
	}
	if rv := reflect.ValueOf(resolved); out.Type() == rv.Type() {
		out.Set(rv)
		return true
	}
	if out.CanAddr() {
		if u, ok := out.Addr().Interface().(encoding.TextUnmarshaler); ok {
			if err := u.UnmarshalText([]byte(n.Value)); err != nil {
				return d.fail(err)
			}
			return true
		}
	}
	if setScalar(out, resolved, n.Value) {
		return true
	}
	return d.fail(errType)
}

// setScalar sets out from a resolved scalar as yaml.v3's decoder does,
// reporting whether it could.
func setScalar(out reflect.Value, resolved any, text string) bool {
	switch out.Kind() {
	case reflect.String:
		out.SetString(text)
		return true
	case reflect.Interface:
		out.Set(reflect.ValueOf(resolved))
		return true
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		if out.Type() == reflect.TypeFor[time.Duration]() {
			// yaml.v3 reads a duration from a string only.
			s, ok := resolved.(string)
			d, err := time.ParseDuration(s)
			if ok && err == nil {
				out.SetInt(int64(d))
			}
			return ok && err == nil
		}
		return setInt(out, resolved)
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return setUint(out, resolved)
	case reflect.Bool:
		switch r := resolved.(type) {
		case bool:
			out.SetBool(r)
			return true
		case string:
			switch r {
			case "y", "Y", "yes", "Yes", "YES", "on", "On", "ON":
				out.SetBool(true)
				return true
			case "n", "N", "no", "No", "NO", "off", "Off", "OFF":
				out.SetBool(false)
				return true
			}
		}
	case reflect.Float32, reflect.Float64:
		switch r := resolved.(type) {
		case int:
			out.SetFloat(float64(r))
			return true
		case uint64:
			out.SetFloat(float64(r))
			return true
		case float64:
			out.SetFloat(r)
			return true
		}
	}
	return false
}

func setInt(out reflect.Value, resolved any) bool {
	var i int64
	switch r := resolved.(type) {
	case int:
		i = int64(r)
	case uint64:
		if r > math.MaxInt64 {
			return false
		}
		i = int64(r)
	case float64:
		if r > math.MaxInt64 {
			return false
		}
		i = int64(r)
	default:
		return false
	}
	if out.OverflowInt(i) {
		return false
	}
	out.SetInt(i)
	return true
}

func setUint(out reflect.Value, resolved any) bool {
	var u uint64
	switch r := resolved.(type) {
	case int:
		if r < 0 {
			return false
		}
		u = uint64(r)
	case uint64:
		u = r
	case float64:
		if r > math.MaxUint64 {
			return false
		}
		u = uint64(r)
	default:
		return false
	}
	if out.OverflowUint(u) {
		return false
	}
	out.SetUint(u)
	return true
}

package yamlconfig

import (
	"errors"
	"fmt"
	"reflect"
	"strings"

	yaml "github.com/jwtgate/jwtgate/internal/yamlconfig/yamlnode"
)

// Decoder decodes a part of a YAML document strictly. It walks the
// document's own nodes, so every problem carries the line where the field
// is written, and it goes on after a problem to report them all.
//
// Struct fields are named by their yaml tag. Two more tags word messages:
// `want:"a list of algorithm names"` is what the field must be, and
// `item:"an algorithm name"` what each entry of its list or mapping must be.
type Decoder struct {
	// Path is where the part is in the file, such as "service": it
	// prefixes the field paths of problems and lines.
	Path string
	// Where names the part in a message about an unknown field, such as
	// "in an integration"; default "in PATH", or "at the top level".
	Where string
	// Want is what the part must be, such as "an integration"; default
	// "a mapping".
	Want string
	// Renamed maps the field paths of retired spellings to what to write
	// instead ("token" → "token is now from_headers, …"): such a field is
	// refused with that message rather than as unknown.
	Renamed map[string]string
}

// ScalarForm is implemented by a type written either as a mapping or, as a
// shorthand, as one scalar: a required claim is "email" or {name: email,
// type: string}.
type ScalarForm interface {
	SetScalar(n *yaml.Node) error
}

// Decode decodes n into out, a non-nil pointer. It returns the line of
// every field it met and, when something is wrong, Problems: unknown
// fields (with the nearest valid name), fields given twice, values of the
// wrong kind. Aliases are followed within MaxAliasNodes; a yaml.Node field
// keeps its node as written, for a Decode of its own.
func (d Decoder) Decode(n *yaml.Node, out any) (Lines, error) {
	v := reflect.ValueOf(out)
	if v.Kind() != reflect.Pointer || v.IsNil() {
		return nil, errors.New("yamlconfig: Decode needs a non-nil pointer")
	}
	w := &walker{d: d, budget: MaxAliasNodes, lines: Lines{}}
	if n != nil {
		w.value(n, v.Elem(), d.Path, hint{want: d.Want})
	}
	if len(w.problems) > 0 {
		return w.lines, w.problems
	}
	return w.lines, nil
}

// hint words a field's messages (its want and item tags).
type hint struct{ want, item string }

type walker struct {
	d       Decoder
	budget  int  // nodes that may still be visited through aliases
	aliased int  // depth of aliases being followed
	stopped bool // the budget ran out: nothing more is decoded
	// The outermost alias being followed, where a budget overrun is told.
	aliasPath string
	aliasNode *yaml.Node
	problems  Problems
	lines     Lines
}

var nodeType = reflect.TypeFor[yaml.Node]()

func (w *walker) add(field string, n *yaml.Node, format string, args ...any) {
	w.problems = append(w.problems, &Problem{Field: field, Line: n.Line, Column: n.Column, Reason: fmt.Sprintf(format, args...)})
}

func (w *walker) mismatch(field string, n *yaml.Node, want, def string) {
	if want == "" {
		want = def
	}
	w.add(field, n, "want %s, found %s", want, Describe(n))
}

// value decodes n into v, following an alias within the budget.
func (w *walker) value(n *yaml.Node, v reflect.Value, path string, h hint) {
	if w.stopped {
		return
	}
	if n.Kind == yaml.DocumentNode {
		if len(n.Content) == 0 {
			v.SetZero()
			return
		}
		n = n.Content[0]
	}
	if n.Kind == yaml.AliasNode {
		if n.Alias == nil {
			w.add(path, n, "unknown alias *%s", n.Value)
			return
		}
		w.follow(path, n)
		defer func() { w.aliased-- }()
		n = n.Alias
	}
	if w.aliased > 0 && !w.spend() {
		return
	}
	if _, ok := w.lines[path]; !ok {
		w.lines[path] = n.Line
	}
	w.decode(n, v, path, h)
}

func (w *walker) decode(n *yaml.Node, v reflect.Value, path string, h hint) {
	switch {
	case v.Type() == nodeType:
		v.Set(reflect.ValueOf(*n))
		return
	case n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null":
		v.SetZero() // YAML's "absent": the default applies
		return
	case v.Kind() == reflect.Pointer:
		e := reflect.New(v.Type().Elem())
		w.decode(n, e.Elem(), path, h)
		v.Set(e)
		return
	}
	if sf, ok := v.Addr().Interface().(ScalarForm); ok && n.Kind == yaml.ScalarNode {
		if err := sf.SetScalar(n); err != nil {
			w.add(path, n, "%v", err)
		}
		return
	}
	if u, ok := v.Addr().Interface().(yaml.Unmarshaler); ok {
		w.unmarshaler(u, n, path)
		return
	}
	switch v.Kind() {
	case reflect.Struct:
		w.structure(n, v, path, h)
	case reflect.Map:
		w.mapping(n, v, path, h)
	case reflect.Slice:
		w.list(n, v, path, h)
	case reflect.Interface:
		w.anything(n, v, path)
	default:
		w.scalar(n, v, path, h)
	}
}

// unmarshaler decodes n with the type's own UnmarshalYAML. Its Problems
// (a type that decodes itself strictly with a Decoder) keep their fields,
// under path, and lines, so the part reads as if walked here; the nodes
// its aliases make are spent from this document's budget first.
func (w *walker) unmarshaler(u yaml.Unmarshaler, n *yaml.Node, path string) {
	if w.aliased == 0 {
		w.aliasPath, w.aliasNode = path, n // where a budget overrun is told
	}
	if !w.charge(n, w.aliased > 0) {
		return
	}
	w.record(n, path)
	err := u.UnmarshalYAML(n)
	var inner Problems
	if !errors.As(err, &inner) {
		if err != nil {
			w.add(path, n, "%v", err)
		}
		return
	}
	for _, p := range inner {
		q := *p
		q.Field = joinField(path, p.Field)
		w.problems = append(w.problems, &q)
	}
}

// charge spends the budget on the nodes under n that aliases make (all of
// them when n itself was reached through one); false when it ran out.
func (w *walker) charge(n *yaml.Node, aliased bool) bool {
	if n.Kind == yaml.AliasNode {
		if n.Alias == nil {
			return true
		}
		n, aliased = n.Alias, true
	}
	if aliased && !w.spend() {
		return false
	}
	for _, c := range n.Content {
		if !w.charge(c, aliased) {
			return false
		}
	}
	return true
}

// record notes the line of every field written under n (not through
// aliases), for Lines.
func (w *walker) record(n *yaml.Node, path string) {
	switch n.Kind {
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			if k := n.Content[i]; k.Kind == yaml.ScalarNode && !isMerge(k) {
				child := join(path, k.Value)
				if _, ok := w.lines[child]; !ok {
					w.lines[child] = k.Line
				}
				w.record(n.Content[i+1], child)
			}
		}
	case yaml.SequenceNode:
		for i, item := range n.Content {
			child := fmt.Sprintf("%s[%d]", path, i)
			if _, ok := w.lines[child]; !ok {
				w.lines[child] = item.Line
			}
			w.record(item, child)
		}
	}
}

// joinField puts a field path found inside a part under the part's path:
// "prefix" and "[0]" under "routes[1]".
func joinField(path, field string) string {
	if field == "" || strings.HasPrefix(field, "[") {
		return path + field
	}
	return join(path, field)
}

// follow enters alias a, written at path.
func (w *walker) follow(path string, a *yaml.Node) {
	if w.aliased == 0 {
		w.aliasPath, w.aliasNode = path, a
	}
	w.aliased++
}

// spend takes one node visited through an alias from the budget; false
// when it ran out, told once at the outermost alias.
func (w *walker) spend() bool {
	if w.budget--; w.budget >= 0 {
		return true
	}
	if !w.stopped {
		w.stopped = true
		w.add(w.aliasPath, w.aliasNode, "YAML aliases expand to too many nodes")
	}
	return false
}

// field is one decodable field of a struct.
type field struct {
	name  string
	index int
	hint  hint
}

func fieldsOf(t reflect.Type) []field {
	var out []field
	for i := range t.NumField() {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		if name == "-" {
			continue
		}
		if name == "" {
			name = strings.ToLower(f.Name)
		}
		out = append(out, field{name: name, index: i, hint: hint{want: f.Tag.Get("want"), item: f.Tag.Get("item")}})
	}
	return out
}

func (w *walker) structure(n *yaml.Node, v reflect.Value, path string, h hint) {
	if n.Kind != yaml.MappingNode {
		w.mismatch(path, n, h.want, "a mapping")
		return
	}
	fields := fieldsOf(v.Type())
	names := make([]string, len(fields))
	for i, f := range fields {
		names[i] = f.name
	}
	w.eachPair(n, path, func(key string, k, val *yaml.Node, child string) {
		i := indexOf(names, key)
		if i < 0 {
			w.unknown(child, k, path, key, names)
			return
		}
		w.value(val, v.Field(fields[i].index), child, fields[i].hint)
	})
}

func indexOf(names []string, name string) int {
	for i, n := range names {
		if n == name {
			return i
		}
	}
	return -1
}

func (w *walker) mapping(n *yaml.Node, v reflect.Value, path string, h hint) {
	if n.Kind != yaml.MappingNode {
		w.mismatch(path, n, h.want, "a mapping")
		return
	}
	t := v.Type()
	if t.Key().Kind() != reflect.String {
		w.add(path, n, "yamlconfig: map keys must be strings")
		return
	}
	if v.IsNil() {
		v.Set(reflect.MakeMap(t))
	}
	w.eachPair(n, path, func(key string, _, val *yaml.Node, child string) {
		e := reflect.New(t.Elem()).Elem()
		w.value(val, e, child, hint{want: h.item})
		v.SetMapIndex(reflect.ValueOf(key).Convert(t.Key()), e)
	})
}

func (w *walker) list(n *yaml.Node, v reflect.Value, path string, h hint) {
	if n.Kind != yaml.SequenceNode {
		w.mismatch(path, n, h.want, "a list")
		return
	}
	s := reflect.MakeSlice(v.Type(), len(n.Content), len(n.Content))
	for i, item := range n.Content {
		child := fmt.Sprintf("%s[%d]", path, i)
		w.lines[child] = item.Line
		w.value(item, s.Index(i), child, hint{want: h.item})
	}
	v.Set(s)
}

// anything decodes into an interface: mappings (string keys) become
// map[string]any, lists []any, scalars what YAML resolves them to.
func (w *walker) anything(n *yaml.Node, v reflect.Value, path string) {
	switch n.Kind {
	case yaml.MappingNode:
		m := map[string]any{}
		w.eachPair(n, path, func(key string, _, val *yaml.Node, child string) {
			var x any
			w.value(val, reflect.ValueOf(&x).Elem(), child, hint{})
			m[key] = x
		})
		v.Set(reflect.ValueOf(m))
	case yaml.SequenceNode:
		list := make([]any, len(n.Content))
		for i, item := range n.Content {
			w.value(item, reflect.ValueOf(&list[i]).Elem(), fmt.Sprintf("%s[%d]", path, i), hint{})
		}
		v.Set(reflect.ValueOf(list))
	default:
		var x any
		if err := n.Decode(&x); err != nil {
			w.add(path, n, "cannot read %s", Describe(n))
			return
		}
		if x != nil {
			v.Set(reflect.ValueOf(x))
		}
	}
}

func (w *walker) scalar(n *yaml.Node, v reflect.Value, path string, h hint) {
	def := "a string"
	switch v.Kind() {
	case reflect.Bool:
		def = "true or false"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		def = "a whole number"
		if n.ShortTag() == "!!float" {
			// yaml.v3 would truncate 1.5 to 1.
			w.mismatch(path, n, h.want, def)
			return
		}
	case reflect.Float32, reflect.Float64:
		def = "a number"
	}
	if n.Kind != yaml.ScalarNode || n.Decode(v.Addr().Interface()) != nil {
		w.mismatch(path, n, h.want, def)
	}
}

// eachPair calls fn for each field of mapping n, in file order, with "<<"
// merges applied as YAML does (a field given in the mapping wins over a
// merged one, an earlier merged mapping over a later one). A field given
// twice in the mapping is a problem; a key that is not a scalar too.
func (w *walker) eachPair(n *yaml.Node, path string, fn func(key string, k, v *yaml.Node, child string)) {
	seen := map[string]*yaml.Node{}
	var merges []*yaml.Node
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if isMerge(k) {
			merges = append(merges, v)
			continue
		}
		if k.Kind != yaml.ScalarNode {
			w.add(path, k, "want a field name, found %s", Describe(k))
			continue
		}
		child := join(path, k.Value)
		if first, dup := seen[k.Value]; dup {
			w.add(child, k, "%q already defined (first on line %d)", k.Value, first.Line)
			continue
		}
		seen[k.Value] = k
		w.lines[child] = k.Line
		fn(k.Value, k, v, child)
	}
	for _, m := range merges {
		w.merge(m, path, seen, fn)
	}
}

// merge applies the mappings a "<<" names to the fields not seen yet.
func (w *walker) merge(m *yaml.Node, path string, seen map[string]*yaml.Node, fn func(key string, k, v *yaml.Node, child string)) {
	if m.Kind == yaml.AliasNode && m.Alias != nil {
		w.follow(path, m)
		defer func() { w.aliased-- }()
		m = m.Alias
	}
	switch m.Kind {
	case yaml.SequenceNode:
		for _, item := range m.Content {
			w.merge(item, path, seen, fn)
		}
		return
	case yaml.MappingNode:
	default:
		w.add(path, m, "want a mapping to merge (<<), found %s", Describe(m))
		return
	}
	var own []*yaml.Node // the merged mapping's own fields, then its merges
	for i := 0; i+1 < len(m.Content); i += 2 {
		k, v := m.Content[i], m.Content[i+1]
		if isMerge(k) {
			own = append(own, v)
			continue
		}
		if k.Kind != yaml.ScalarNode || seen[k.Value] != nil || w.stopped {
			continue
		}
		if !w.spend() {
			return
		}
		seen[k.Value] = k
		child := join(path, k.Value)
		w.lines[child] = k.Line
		fn(k.Value, k, v, child)
	}
	for _, o := range own {
		w.merge(o, path, seen, fn)
	}
}

func isMerge(k *yaml.Node) bool {
	return k.Kind == yaml.ScalarNode && k.Value == "<<" && (k.Tag == "" || k.Tag == "!" || k.ShortTag() == "!!merge")
}

func join(path, name string) string {
	if path == "" {
		return name
	}
	return path + "." + name
}

// unknown reports a field the section does not have, with the nearest
// valid name, or the valid names when there are few.
func (w *walker) unknown(child string, k *yaml.Node, section, name string, names []string) {
	where := "in " + section
	if section == w.d.Path {
		where = w.d.Where
		switch {
		case where != "":
		case section == "":
			where = "at the top level"
		default:
			where = "in " + section
		}
	}
	if msg, ok := w.d.Renamed[child]; ok {
		w.add(child, k, "%s", msg)
		return
	}
	reason := "unknown field " + where
	if s := Suggest(name, names); s != "" {
		reason += "; did you mean " + s + "?"
	} else if len(names) <= 8 {
		reason += "; the fields are " + andList(names)
	}
	w.add(child, k, "%s", reason)
}

// andList writes "a", "a and b", "a, b and c".
func andList(s []string) string {
	if len(s) < 2 {
		return strings.Join(s, "")
	}
	return strings.Join(s[:len(s)-1], ", ") + " and " + s[len(s)-1]
}

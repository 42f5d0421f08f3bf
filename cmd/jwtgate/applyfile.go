package main

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/jwtgate/jwtgate/internal/errlist"
	"github.com/jwtgate/jwtgate/policyfile"
)

// applyEntry is one integration of a file given to apply: where it goes
// and the document the admin API stores.
type applyEntry struct {
	tenant, name string
	// fileName is the entry's name in the file (TENANT--NAME in an
	// exported file), and line where it is written.
	fileName string
	line     int
	doc      json.RawMessage // {"policy": …, "service": …}
}

// applyProblem is one thing wrong with a file given to apply.
type applyProblem struct {
	File   string
	Line   int
	Field  string
	Reason string
}

// Error returns "FILE:LINE: field FIELD: reason", as the loaders do.
func (p *applyProblem) Error() string {
	return fmt.Sprintf("%s:%d: field %s: %s", p.File, p.Line, p.Field, p.Reason)
}

// applyProblems is every problem of the file.
type applyProblems []*applyProblem

func (ps applyProblems) Error() string   { return errlist.Error(ps) }
func (ps applyProblems) Unwrap() []error { return errlist.Unwrap(ps) }

// policyNameSeparator joins a tenant and a name in the policy name of a
// stored integration (the server's nameSeparator).
const policyNameSeparator = "--"

// readApplyFile reads a policy file for apply: its integrations, each
// with its service.integrations entry. The rest of the policy's top level
// is not read; a service field other than integrations is refused, for
// apply would silently drop it.
func readApplyFile(path string) ([]applyEntry, error) {
	data, err := policyfile.ReadFile(path, policyfile.MaxFileBytes)
	if err != nil {
		return nil, err
	}
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return nil, fmt.Errorf("%s: YAML syntax: %v", path, err)
	}
	r := &applyReader{file: path}
	if len(root.Content) != 1 || root.Content[0].Kind != yaml.MappingNode {
		r.fail(&root, "", "want a policy file: a mapping with integrations")
		return nil, r.problems
	}
	top := root.Content[0]
	settings := r.settings(value(top, "service"))
	entries := r.entries(value(top, "integrations"), settings)
	if len(r.problems) > 0 {
		return nil, r.problems
	}
	return entries, nil
}

// applyReader collects the problems of one file.
type applyReader struct {
	file     string
	problems applyProblems
}

func (r *applyReader) fail(n *yaml.Node, field, format string, args ...any) {
	r.problems = append(r.problems, &applyProblem{File: r.file, Line: n.Line, Field: field, Reason: fmt.Sprintf(format, args...)})
}

// settings reads the service section: integrations only.
func (r *applyReader) settings(service *yaml.Node) map[string]*yaml.Node {
	out := map[string]*yaml.Node{}
	if service == nil || isNull(service) {
		return out
	}
	if service.Kind != yaml.MappingNode {
		r.fail(service, "service", "want a mapping")
		return out
	}
	for i := 0; i+1 < len(service.Content); i += 2 {
		if k := service.Content[i]; k.Value != "integrations" {
			r.fail(k, "service."+k.Value, "apply reads service.integrations only: set the rest of the service section in the file jwtgate serve --config loads")
		}
	}
	in := value(service, "integrations")
	if in == nil || isNull(in) {
		return out
	}
	if in.Kind != yaml.MappingNode {
		r.fail(in, "service.integrations", "want a mapping of integration names to their settings")
		return out
	}
	for i := 0; i+1 < len(in.Content); i += 2 {
		out[in.Content[i].Value] = in.Content[i+1]
	}
	return out
}

// entries reads the integrations list, pairing each entry with its
// settings; a setting of no entry is refused (it would be lost).
func (r *applyReader) entries(list *yaml.Node, settings map[string]*yaml.Node) []applyEntry {
	if list == nil || list.Kind != yaml.SequenceNode {
		where := &yaml.Node{Line: 1}
		if list != nil {
			where = list
		}
		r.fail(where, "integrations", "want a list of integrations")
		return nil
	}
	var out []applyEntry
	seen := map[string]bool{}
	for i, n := range list.Content {
		field := "integrations[" + strconv.Itoa(i) + "]"
		e, ok := r.entry(n, field, settings)
		if !ok {
			continue
		}
		if key := e.tenant + "/" + e.name; seen[key] {
			r.fail(n, field+".name", "%s is given twice", key)
			continue
		} else {
			seen[key] = true
		}
		out = append(out, e)
		delete(settings, e.fileName)
	}
	for name, n := range settings {
		r.fail(n, "service.integrations."+name, "no entry of integrations has that name")
	}
	return out
}

// entry reads one entry of integrations: its tenant (required), its name
// without a leading "TENANT--", and its document.
func (r *applyReader) entry(n *yaml.Node, field string, settings map[string]*yaml.Node) (applyEntry, bool) {
	if n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	if n.Kind != yaml.MappingNode {
		r.fail(n, field, "want an integration (a mapping)")
		return applyEntry{}, false
	}
	tenant, tok := r.stringField(n, field, "tenant")
	name, nok := r.stringField(n, field, "name")
	if !tok || !nok {
		return applyEntry{}, false
	}
	policy := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map", Line: n.Line}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if k := n.Content[i].Value; k != "name" && k != "tenant" {
			policy.Content = append(policy.Content, n.Content[i], n.Content[i+1])
		}
	}
	doc := map[string]any{}
	var err error
	if doc["policy"], err = toJSONValue(policy); err != nil {
		r.fail(n, field, "%v", err)
		return applyEntry{}, false
	}
	if s := settings[name]; s != nil && !isNull(s) {
		if doc["service"], err = toJSONValue(s); err != nil {
			r.fail(s, "service.integrations."+name, "%v", err)
			return applyEntry{}, false
		}
	}
	raw, err := json.Marshal(doc)
	if err != nil {
		r.fail(n, field, "%v", err)
		return applyEntry{}, false
	}
	short := strings.TrimPrefix(name, tenant+policyNameSeparator)
	return applyEntry{tenant: tenant, name: short, fileName: name, line: n.Line, doc: raw}, true
}

// stringField reads a required string member of an entry.
func (r *applyReader) stringField(n *yaml.Node, field, key string) (string, bool) {
	v := value(n, key)
	switch {
	case v == nil:
		r.fail(n, field+"."+key, "required: apply sends each integration to /v1/admin/tenants/{tenant}/integrations/{name}")
	case v.Kind != yaml.ScalarNode || v.Tag != "!!str" || v.Value == "":
		r.fail(v, field+"."+key, "want a non-empty string")
	default:
		return v.Value, true
	}
	return "", false
}

// toJSONValue decodes a node as the value JSON encodes (mappings with
// string keys only, as JSON has).
func toJSONValue(n *yaml.Node) (any, error) {
	var v any
	if err := n.Decode(&v); err != nil {
		return nil, err
	}
	if _, err := json.Marshal(v); err != nil {
		return nil, fmt.Errorf("not a JSON value (a mapping key that is not a string?): %v", err)
	}
	return v, nil
}

// value returns the value of key in the mapping m, or nil.
func value(m *yaml.Node, key string) *yaml.Node {
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i+1]
		}
	}
	return nil
}

func isNull(n *yaml.Node) bool { return n.Kind == yaml.ScalarNode && n.Tag == "!!null" }

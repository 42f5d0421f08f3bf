package core

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/jwtgate/jwtgate/internal/errlist"
	"github.com/jwtgate/jwtgate/internal/yamlconfig"
)

// PolicyError is one problem of a policy refused at load time. It names
// the file, the line (and for a syntax error the column), the integration
// and the field at fault: FILE:LINE: integration "NAME": field FIELD: reason.
type PolicyError struct {
	File        string // the file name ParsePolicy was given
	Integration string // "" for errors outside any integration
	Field       string // such as "keys[0].secret"
	Line        int    // 1-based line in the file, when known
	Column      int    // 1-based column, for syntax errors
	Reason      string // what is wrong, and where it helps, what is wanted
}

// Error returns FILE:LINE: integration "NAME": field FIELD: reason, the
// parts not known left out.
func (e *PolicyError) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Line > 0 {
		fmt.Fprintf(&b, ":%d", e.Line)
		if e.Column > 0 {
			fmt.Fprintf(&b, ":%d", e.Column)
		}
	}
	if e.Integration != "" {
		fmt.Fprintf(&b, ": integration %q", e.Integration)
	}
	if e.Field != "" {
		fmt.Fprintf(&b, ": field %s", e.Field)
	}
	b.WriteString(": ")
	b.WriteString(e.Reason)
	return b.String()
}

// PolicyErrors is every problem ParsePolicy found in a policy, in file
// order, one per line of Error. errors.As finds the first *PolicyError.
type PolicyErrors []*PolicyError

// Error returns every problem's Error, one per line.
func (e PolicyErrors) Error() string { return errlist.Error(e) }

// Unwrap returns each *PolicyError, for errors.As and errors.Is.
func (e PolicyErrors) Unwrap() []error { return errlist.Unwrap(e) }

// maxPolicyProblems bounds the problems one refusal lists.
const maxPolicyProblems = 100

// keyed is a problem with the line of the part of the policy it is in:
// problems are listed part by part (an integration's together, even when
// an alias takes one elsewhere), each part's in line order.
type keyed struct {
	part int
	pe   *PolicyError
}

// sortedProblems orders the problems (those without a line last) and
// bounds their number.
func sortedProblems(file string, list []keyed) PolicyErrors {
	last := func(n int) int {
		if n == 0 {
			return 1 << 62
		}
		return n
	}
	slices.SortStableFunc(list, func(a, b keyed) int {
		if c := last(a.part) - last(b.part); c != 0 {
			return c
		}
		return last(a.pe.Line) - last(b.pe.Line)
	})
	out := make(PolicyErrors, 0, min(len(list), maxPolicyProblems+1))
	for _, k := range list {
		if len(out) == maxPolicyProblems {
			out = append(out, &PolicyError{File: file, Reason: "more problems not shown; fix these and load the policy again"})
			break
		}
		out = append(out, k.pe)
	}
	return out
}

// problems gathers the problems of one part of a policy (its top level or
// one integration), each at the line of its field.
type problems struct {
	file    string
	lines   yamlconfig.Lines
	list    []*PolicyError
	decoded []string // fields that did not decode: their values are not checked
}

// decodeFailed reports whether field, or a field within it, did not decode.
func (p *problems) decodeFailed(field string) bool {
	return slices.ContainsFunc(p.decoded, func(f string) bool { return within(f, field) })
}

// failed reports whether field, or a field within it, has a problem.
func (p *problems) failed(field string) bool {
	return slices.ContainsFunc(p.list, func(e *PolicyError) bool { return within(e.Field, field) })
}

func within(f, field string) bool {
	return f == field || strings.HasPrefix(f, field+".") || strings.HasPrefix(f, field+"[")
}

// add records a problem of field at its line, unless the field did not
// decode (its value is a default, not what the file says).
func (p *problems) add(field, format string, args ...any) {
	p.addAt(field, field, format, args...)
}

// addAt records a problem of field at the line of the field at.
func (p *problems) addAt(field, at, format string, args ...any) {
	if p.decodeFailed(field) {
		return
	}
	p.list = append(p.list, &PolicyError{File: p.file, Field: field, Line: p.lines.Line(at), Reason: fmt.Sprintf(format, args...)})
}

// addErr records a *fieldError, or err for the whole part.
func (p *problems) addErr(err error) {
	var fe *fieldError
	if errors.As(err, &fe) {
		p.add(fe.field, "%s", fe.reason)
		return
	}
	p.add("", "%v", err)
}

// addDecoded records the problems of a yamlconfig decode.
func (p *problems) addDecoded(err error) {
	var list yamlconfig.Problems
	if !errors.As(err, &list) {
		if err != nil {
			p.list = append(p.list, &PolicyError{File: p.file, Reason: err.Error()})
		}
		return
	}
	for _, d := range list {
		p.decoded = append(p.decoded, d.Field)
		p.list = append(p.list, &PolicyError{File: p.file, Field: d.Field, Line: d.Line, Reason: d.Reason})
	}
}

type fieldError struct{ field, reason string }

func (e *fieldError) Error() string { return e.field + ": " + e.reason }

func fieldErr(field, format string, args ...any) error {
	return &fieldError{field: field, reason: fmt.Sprintf(format, args...)}
}

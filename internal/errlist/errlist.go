// Package errlist is the one implementation of an error type that is a
// list of problems (a policy's, a route table's, a decoded section's):
// Error prints one problem a line, Unwrap lets errors.As and errors.Is
// reach each one.
package errlist

import "strings"

// Error returns each problem's Error, one a line.
func Error[E error](es []E) string {
	s := make([]string, len(es))
	for i, e := range es {
		s[i] = e.Error()
	}
	return strings.Join(s, "\n")
}

// Unwrap returns the problems as errors, for a list type's Unwrap method.
func Unwrap[E error](es []E) []error {
	out := make([]error, len(es))
	for i, e := range es {
		out[i] = e
	}
	return out
}

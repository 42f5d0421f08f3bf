package server

import (
	"errors"
	"fmt"
	"strings"

	"github.com/jwtgate/jwtgate/internal/yamlconfig"
)

// ErrConfig is matched (errors.Is) by the errors of New and Reload that
// come from the configuration file itself: a file that cannot be read, or
// a service section that is refused. Policy errors are *core.PolicyError.
var ErrConfig = errors.New("configuration error")

// configError names the file and the field at fault in the service section.
type configError struct {
	file, field string
	line        int
	reason      string
}

func (e *configError) Is(target error) bool { return target == ErrConfig }

func (e *configError) Error() string {
	var b strings.Builder
	b.WriteString(e.file)
	if e.line > 0 {
		fmt.Fprintf(&b, ":%d", e.line)
	}
	if e.field != "" {
		fmt.Fprintf(&b, ": field %s", e.field)
	}
	b.WriteString(": ")
	b.WriteString(e.reason)
	return b.String()
}

// decodeErrors is every problem of a service section that does not
// decode, each a *configError at its field's line.
func decodeErrors(file string, err error) error {
	var list yamlconfig.Problems
	if !errors.As(err, &list) {
		return &configError{file: file, field: "service", reason: err.Error()}
	}
	errs := make([]error, len(list))
	for i, p := range list {
		errs[i] = &configError{file: file, field: p.Field, line: p.Line, reason: p.Reason}
	}
	return errors.Join(errs...)
}

// unjoin returns the errors an errors.Join holds, or err alone.
func unjoin(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		return j.Unwrap()
	}
	return []error{err}
}

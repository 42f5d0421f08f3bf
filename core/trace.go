package core

import "fmt"

// run accumulates one decision and its trace.
type run struct {
	d       *Decision
	explain bool
}

// step records a trace entry. Callers guard it with "if r.explain" so that
// its arguments are not even built on the hot path.
func (r *run) step(name, outcome, format string, args ...any) {
	if r.explain {
		r.d.Trace = append(r.d.Trace, Step{Name: name, Outcome: outcome, Detail: fmt.Sprintf(format, args...)})
	}
}

func (r *run) reject(code Code, step, format string, args ...any) *Decision {
	reason := fmt.Sprintf(format, args...)
	r.d.Valid = false
	r.d.Code = code
	r.d.Message = code.Message()
	r.d.Reason = reason
	if r.explain {
		r.d.Trace = append(r.d.Trace, Step{Name: step, Outcome: OutcomeFail, Detail: reason})
	}
	return r.d
}

// verdict carries a rejection out of a helper.
type verdict struct {
	code   Code
	step   string
	reason string
}

func fail(code Code, step, format string, args ...any) *verdict {
	return &verdict{code: code, step: step, reason: fmt.Sprintf(format, args...)}
}

func (r *run) rejectWith(v *verdict) *Decision { return r.reject(v.code, v.step, "%s", v.reason) }

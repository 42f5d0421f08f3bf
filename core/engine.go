package core

import "context"

// Engine is what judges a request: *Verifier natively, and a host of the
// policy plugin (wasm/host.Host) in a sandbox. Servers, commands and
// tests take an Engine so that either can serve.
//
// Verify returns no error, on purpose: a rejected token is a decision,
// and an engine that cannot judge (a plugin that trapped, say) must still
// answer, and answer no (EngineFailed), so that a caller cannot forget to
// fail closed. An engine that wants its failures seen logs them, or offers
// an error-returning call beside Verify (wasm/host.Host.Call).
type Engine interface {
	// Verify judges one request. It never returns nil.
	Verify(ctx context.Context, req Request) *Decision
}

var _ Engine = (*Verifier)(nil)

// EngineFailed is the decision of an engine that could not judge a
// request: invalid_token, with reason (which must be safe to show the
// client) and, with explain, one "engine" trace step.
func EngineFailed(reason string, explain bool) *Decision {
	r := &run{d: &Decision{}, explain: explain}
	return r.reject(CodeInvalidToken, "engine", "%s", reason)
}

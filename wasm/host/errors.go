package host

import (
	"errors"
	"strings"
)

// Kinds of error. Every error from this package wraps one of these (test
// with errors.Is); an *Error also says whether the instance was discarded.
var (
	// ErrInvalidModule: the module does not compile, is truncated, lacks a
	// required export or imports something the host does not provide.
	ErrInvalidModule = errors.New("invalid wasm module")
	// ErrABIVersion: the module implements another version of the ABI
	// (Error.ModuleVersion); this host speaks ABIVersion only.
	ErrABIVersion = errors.New("unsupported ABI version")
	// ErrPolicyTooLarge: the policy exceeds Options.MaxPolicyBytes.
	ErrPolicyTooLarge = errors.New("policy too large")
	// ErrDeadline: a call ran past Options.CallTimeout, or past the
	// caller's deadline when CallTimeout is set. The instance was discarded.
	ErrDeadline = errors.New("guest deadline exceeded")
	// ErrCanceled: the caller's context was canceled during the call (with
	// CallTimeout set) or while waiting for a free instance. A guest that
	// was stopped was discarded.
	ErrCanceled = errors.New("guest call canceled")
	// ErrOutOfMemory: the guest ran out of its memory limit. The instance
	// was discarded.
	ErrOutOfMemory = errors.New("guest out of memory")
	// ErrTrap: the guest trapped (or its runtime aborted). The instance was
	// discarded.
	ErrTrap = errors.New("guest trapped")
	// ErrGuestPanic: the guest panicked and recovered; it reported the panic
	// and stays in service.
	ErrGuestPanic = errors.New("guest panicked")
	// ErrGuestRefused: the guest refused the call (no policy, a policy it
	// cannot serve, a malformed request).
	ErrGuestRefused = errors.New("guest refused the call")
	// ErrClosed: the host was closed.
	ErrClosed = errors.New("host closed")
)

// Error is a failure of the plugin or of a call into it.
type Error struct {
	// Kind is one of the Err* values above.
	Kind error
	// Op is what was being done: "compile", "instantiate", "load", "verify".
	Op string
	// Detail is the guest's message or the runtime's error text; for a
	// guest that crashed, the tail of what it wrote to stderr.
	Detail string
	// Discarded reports that the instance was thrown away (and will be
	// replaced by a fresh one on demand).
	Discarded bool
	// Cause is the underlying error, if any (such as context.DeadlineExceeded).
	Cause error
	// ModuleVersion is, for ErrABIVersion, the ABI version the module
	// implements (this host speaks ABIVersion).
	ModuleVersion int
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("jwtgate/host: ")
	b.WriteString(e.Op)
	b.WriteString(": ")
	b.WriteString(e.Kind.Error())
	if e.Detail != "" {
		b.WriteString(": ")
		b.WriteString(e.Detail)
	}
	if e.Discarded {
		b.WriteString(" (instance discarded)")
	}
	return b.String()
}

// Unwrap returns the kind and the cause, for errors.Is and errors.As.
func (e *Error) Unwrap() []error {
	if e.Cause != nil {
		return []error{e.Kind, e.Cause}
	}
	return []error{e.Kind}
}

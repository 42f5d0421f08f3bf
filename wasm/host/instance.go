package host

import (
	"bytes"
	"context"
	crand "crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
	"github.com/tetratelabs/wazero/sys"

	"github.com/jwtgate/jwtgate/core"
	"github.com/jwtgate/jwtgate/wasm/abi"
)

// instance is one initialised module instance with the policy loaded. It
// is used by one call at a time.
type instance struct {
	mod                                    api.Module
	rt                                     *wasmRuntime
	mem                                    api.Memory
	fAlloc, fFree, fLoad, fVerify, fResult api.Function
	fWindow                                api.Function // optional: nil when the module has no jwtgate_window
	buf, bufCap                            uint32       // the request buffer
	stack                                  [8]uint64
	out                                    *capture
	timeout                                time.Duration
}

// capture keeps the first bytes a guest wrote to stdout and stderr: when the
// Go runtime crashes it prints the reason first, then the stacks.
type capture struct {
	mu  sync.Mutex
	buf []byte
}

const captureMax = 2048

func (t *capture) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if room := captureMax - len(t.buf); room > 0 {
		t.buf = append(t.buf, p[:min(len(p), room)]...)
	}
	return len(p), nil
}

func (t *capture) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return strings.TrimSpace(string(t.buf))
}

// newInstance instantiates code, checks its ABI version and loads the
// policy into it.
func (h *Host) newInstance(ctx context.Context, c *code, name string, policy []byte) (*instance, *abi.LoadSummary, error) {
	ctx, cancel := context.WithTimeout(ctx, h.opts.LoadTimeout)
	defer cancel()
	out := &capture{}
	cfg := wazero.NewModuleConfig().
		WithName(""). // anonymous: any number of instances of one module
		WithStdout(out).WithStderr(out).
		// The Go runtime seeds its maps and schedules with these; the
		// core's decisions use neither (the time is a parameter). The wall
		// clock stays wazero's fake one: the guest has no clock of its own.
		WithRandSource(crand.Reader).
		WithSysNanotime()
	// No start function yet: the instance is registered with its host
	// first, so that its imports know whom they answer from the first call.
	mod, err := h.r.rt.InstantiateModule(ctx, c.compiled, cfg.WithStartFunctions())
	if err != nil {
		return nil, nil, h.callError("instantiate", err, out)
	}
	h.r.hosts.Store(mod, h)
	fail := func(err error) (*instance, *abi.LoadSummary, error) {
		h.r.closeInstance(mod)
		return nil, nil, err
	}
	if err := h.initialize(ctx, mod, out); err != nil {
		return fail(err)
	}
	version := mod.ExportedFunction(abi.ExportABIVersion)
	if version == nil || len(version.Definition().ResultTypes()) != 1 {
		return fail(&Error{Kind: ErrInvalidModule, Op: "instantiate", Detail: abi.ExportABIVersion + " must return one i32"})
	}
	res, err := version.Call(ctx)
	if err != nil {
		return fail(h.callError("abi_version", err, out))
	}
	if v := api.DecodeU32(res[0]); v != abi.Version {
		return fail(versionError(v))
	}
	if err := checkExports(c.compiled); err != nil {
		return fail(&Error{Kind: ErrInvalidModule, Op: "instantiate", Detail: err.Error()})
	}
	if err := h.exchangeCapabilities(ctx, mod, out); err != nil {
		return fail(err)
	}
	in := &instance{
		mod: mod, rt: h.r, mem: mod.Memory(), out: out, timeout: h.opts.CallTimeout,
		fAlloc: mod.ExportedFunction(abi.ExportAlloc), fFree: mod.ExportedFunction(abi.ExportFree),
		fLoad: mod.ExportedFunction(abi.ExportLoad), fVerify: mod.ExportedFunction(abi.ExportVerify),
		fResult: mod.ExportedFunction(abi.ExportResult), fWindow: mod.ExportedFunction(abi.ExportWindow),
	}
	sum, err := in.load(ctx, h, name, policy)
	if err != nil {
		return fail(err)
	}
	return in, sum, nil
}

// initialize runs the module's WASI reactor initialiser, when it has one,
// as wazero runs start functions.
func (h *Host) initialize(ctx context.Context, mod api.Module, out *capture) error {
	f := mod.ExportedFunction(abi.InitializeExport)
	if f == nil {
		return nil
	}
	if _, err := f.Call(ctx); err != nil {
		return h.callError("instantiate", err, out)
	}
	return nil
}

// offered are the capabilities this host offers its modules.
func (h *Host) offered() abi.Capability {
	var c abi.Capability
	if h.opts.Keys != nil {
		c |= abi.CapKeySets
	}
	if !h.opts.GuestSignatures {
		c |= abi.CapSignatures
	}
	return c
}

// exchangeCapabilities tells the module what the host offers; a module
// that answers with more is refused (it would call for a service that is
// not there, or one this version does not define).
func (h *Host) exchangeCapabilities(ctx context.Context, mod api.Module, out *capture) error {
	offer := h.offered()
	res, err := mod.ExportedFunction(abi.ExportCapabilities).Call(ctx, api.EncodeU32(uint32(offer)))
	if err != nil {
		return h.callError("capabilities", err, out)
	}
	if got := abi.Capability(api.DecodeU32(res[0])); got&^offer != 0 {
		return &Error{Kind: ErrInvalidModule, Op: "instantiate", Detail: fmt.Sprintf("%s answered capabilities %#x, more than the %#x offered", abi.ExportCapabilities, uint32(got), uint32(offer))}
	}
	return nil
}

// versionError is the refusal of a module of another ABI version, naming
// both, and what to do for jwtgate's own module.
func versionError(v uint32) *Error {
	return &Error{Kind: ErrABIVersion, Op: "instantiate", ModuleVersion: int(v),
		Detail: fmt.Sprintf("the module implements ABI version %d, this host speaks version %d only; rebuild it from wasm/guest of this jwtgate (make wasm)", v, abi.Version)}
}

func (in *instance) close() { in.rt.closeInstance(in.mod) }

// call runs one export with in.stack as its stack.
func (in *instance) call(ctx context.Context, f api.Function) error {
	return f.CallWithStack(ctx, in.stack[:])
}

// ensureBuffer makes the request buffer hold at least n bytes.
func (in *instance) ensureBuffer(ctx context.Context, n int) error {
	if uint64(n) <= uint64(in.bufCap) && in.buf != 0 {
		return nil
	}
	if n > 1<<30 {
		return errors.New("request too large")
	}
	if in.buf != 0 {
		in.stack[0] = api.EncodeU32(in.buf)
		if err := in.call(ctx, in.fFree); err != nil {
			return err
		}
		in.buf, in.bufCap = 0, 0
	}
	size := max(uint32(n), 2*in.bufCap, 4096)
	in.stack[0] = api.EncodeU32(size)
	if err := in.call(ctx, in.fAlloc); err != nil {
		return err
	}
	in.buf, in.bufCap = api.DecodeU32(in.stack[0]), size
	return nil
}

// result reads the output of the last load or verify.
func (in *instance) result(ctx context.Context) ([]byte, error) {
	if err := in.call(ctx, in.fResult); err != nil {
		return nil, err
	}
	ptr, n := uint32(in.stack[0]>>32), uint32(in.stack[0])
	if n == 0 {
		return nil, nil
	}
	b, ok := in.mem.Read(ptr, n)
	if !ok {
		return nil, errors.New("jwtgate_result points outside the module's memory")
	}
	return append([]byte(nil), b...), nil
}

// load copies the policy in and loads it.
func (in *instance) load(ctx context.Context, h *Host, name string, policy []byte) (*abi.LoadSummary, error) {
	if err := in.ensureBuffer(ctx, len(name)+len(policy)); err != nil {
		return nil, h.callError("load", err, in.out)
	}
	in.mem.WriteString(in.buf, name)
	in.mem.Write(in.buf+uint32(len(name)), policy)
	in.stack[0], in.stack[1], in.stack[2] = api.EncodeU32(in.buf), api.EncodeU32(uint32(len(name))), api.EncodeU32(uint32(len(policy)))
	if err := in.call(ctx, in.fLoad); err != nil {
		return nil, h.callError("load", err, in.out)
	}
	status := abi.Status(api.DecodeU32(in.stack[0]))
	out, err := in.result(ctx)
	if err != nil {
		return nil, h.callError("load", err, in.out)
	}
	// The policy can be large: give its buffer back.
	if in.bufCap > 64<<10 {
		in.stack[0] = api.EncodeU32(in.buf)
		if err := in.call(ctx, in.fFree); err != nil {
			return nil, h.callError("load", err, in.out)
		}
		in.buf, in.bufCap = 0, 0
	}
	switch status {
	case abi.StatusOK:
		var sum abi.LoadSummary
		if err := json.Unmarshal(out, &sum); err != nil || sum.MaxTokenBytes <= 0 {
			return nil, &Error{Kind: ErrGuestRefused, Op: "load", Detail: fmt.Sprintf("unreadable load summary %q", out)}
		}
		return &sum, nil
	case abi.StatusPolicyError:
		var w abi.PolicyError
		if err := json.Unmarshal(out, &w); err != nil {
			return nil, &Error{Kind: ErrGuestRefused, Op: "load", Detail: string(out)}
		}
		return nil, policyErrors(&w)
	case abi.StatusPanic:
		return nil, &Error{Kind: ErrGuestPanic, Op: "load", Detail: string(out)}
	}
	return nil, &Error{Kind: ErrGuestRefused, Op: "load", Detail: string(out)}
}

// policyErrors returns the guest's problems as the core's own error, so
// that a policy is refused in the same words natively and in the plugin.
func policyErrors(w *abi.PolicyError) core.PolicyErrors {
	one := func(w *abi.PolicyError) *core.PolicyError {
		return &core.PolicyError{File: w.File, Integration: w.Integration, Field: w.Field, Line: w.Line, Column: w.Column, Reason: w.Reason}
	}
	list := core.PolicyErrors{one(w)}
	for i := range w.More {
		list = append(list, one(&w.More[i]))
	}
	return list
}

// verify runs one request and returns the decision JSON, and with
// wantWindow the decision's time window when the module gives one.
func (in *instance) verify(ctx context.Context, h *Host, req *core.Request, wantWindow bool) ([]byte, *core.TimeWindow, error) {
	if in.timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, in.timeout)
		defer cancel()
	}
	n := len(req.Token) + len(req.RedirectParam) + len(req.Integration)
	if err := in.ensureBuffer(ctx, n); err != nil {
		return nil, nil, h.callError("verify", err, in.out)
	}
	b := in.buf
	in.mem.WriteString(b, req.Token)
	in.mem.WriteString(b+uint32(len(req.Token)), req.RedirectParam)
	in.mem.WriteString(b+uint32(len(req.Token)+len(req.RedirectParam)), req.Integration)
	var flags abi.Flag
	if req.Explain {
		flags |= abi.FlagExplain
	}
	var sec int64
	var nsec uint32
	if req.Now.IsZero() {
		flags |= abi.FlagZeroNow
	} else {
		sec, nsec = req.Now.Unix(), uint32(req.Now.Nanosecond())
	}
	s := &in.stack
	s[0], s[1], s[2], s[3] = api.EncodeU32(b), api.EncodeU32(uint32(len(req.Token))), api.EncodeU32(uint32(len(req.RedirectParam))), api.EncodeU32(uint32(len(req.Integration)))
	s[4], s[5], s[6] = api.EncodeI64(sec), api.EncodeU32(nsec), api.EncodeU32(uint32(flags))
	if err := in.call(ctx, in.fVerify); err != nil {
		return nil, nil, h.callError("verify", err, in.out)
	}
	status := abi.Status(api.DecodeU32(s[0]))
	out, err := in.result(ctx)
	if err != nil {
		return nil, nil, h.callError("verify", err, in.out)
	}
	switch status {
	case abi.StatusOK:
		if !wantWindow {
			return out, nil, nil
		}
		w, err := in.window(ctx, h, out)
		return out, w, err
	case abi.StatusPanic:
		return nil, nil, &Error{Kind: ErrGuestPanic, Op: "verify", Detail: string(out)}
	}
	return nil, nil, &Error{Kind: ErrGuestRefused, Op: "verify", Detail: string(out)}
}

// validPrefix starts the JSON of every valid decision (core.Decision.JSON
// writes valid first), the only decisions with a window.
var validPrefix = []byte(`{"valid":true`)

// window asks the module for the time window of the decision it just
// made (jwtgate_window), when it has the export and the decision is
// valid. A malformed window is logged and taken as none: the decision is
// then not cached, which is always safe.
func (in *instance) window(ctx context.Context, h *Host, decision []byte) (*core.TimeWindow, error) {
	if in.fWindow == nil || !bytes.HasPrefix(decision, validPrefix) {
		return nil, nil
	}
	if err := in.call(ctx, in.fWindow); err != nil {
		return nil, h.callError("window", err, in.out)
	}
	ptr, n := uint32(in.stack[0]>>32), uint32(in.stack[0])
	if n == 0 {
		return nil, nil
	}
	b, ok := in.mem.Read(ptr, n)
	if !ok {
		h.opts.Logger.WarnContext(ctx, "wasm module's window points outside its memory: decision not cached")
		return nil, nil
	}
	w, err := abi.DecodeWindow(b)
	if err != nil {
		h.opts.Logger.WarnContext(ctx, "wasm module's window is malformed: decision not cached", "error", err)
		return nil, nil
	}
	return &core.TimeWindow{
		Exp: w.Exp, Nbf: w.Nbf, Iat: w.Iat, HasExp: w.HasExp, HasNbf: w.HasNbf, HasIat: w.HasIat,
		Skew: time.Duration(w.Skew), MaxAge: time.Duration(w.MaxAge),
	}, nil
}

// callError classifies an error from the runtime. Every such error means
// the instance can no longer be trusted, so it is marked Discarded.
func (h *Host) callError(op string, err error, out *capture) error {
	e := &Error{Op: op, Discarded: true, Cause: err}
	var exit *sys.ExitError
	switch {
	case errors.As(err, &exit) && exit.ExitCode() == sys.ExitCodeDeadlineExceeded:
		e.Kind, e.Cause = ErrDeadline, context.DeadlineExceeded
	case errors.As(err, &exit) && exit.ExitCode() == sys.ExitCodeContextCanceled:
		e.Kind, e.Cause = ErrCanceled, context.Canceled
	case strings.Contains(out.String(), "out of memory"):
		e.Kind = ErrOutOfMemory
	case errors.As(err, &exit):
		e.Kind = ErrTrap
		e.Detail = fmt.Sprintf("the guest exited with code %d", exit.ExitCode())
	default:
		e.Kind = ErrTrap
		e.Detail = firstLine(err.Error())
	}
	if s := out.String(); s != "" {
		if e.Detail != "" {
			e.Detail += "; "
		}
		e.Detail += "guest output: " + headLines(s, 4)
	}
	return e
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}

func headLines(s string, n int) string {
	lines := strings.Split(s, "\n")
	if len(lines) > n {
		lines = lines[:n]
	}
	return strings.Join(lines, " | ")
}

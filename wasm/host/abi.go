package host

import (
	"context"
	crand "crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
	"github.com/tetratelabs/wazero/imports/wasi_snapshot_preview1"
	"github.com/tetratelabs/wazero/sys"

	"github.com/jwtgate/jwtgate/core"
)

// ABIVersion is the version of the plugin ABI (wasm/ABI.md) this host speaks.
const ABIVersion = 1

// HostModule is the import module name of the host functions.
const HostModule = "jwtgate_host"

// The ABI's export names.
const (
	exportABIVersion = "jwtgate_abi_version"
	exportAlloc      = "jwtgate_alloc"
	exportFree       = "jwtgate_free"
	exportLoad       = "jwtgate_load"
	exportVerify     = "jwtgate_verify"
	exportResult     = "jwtgate_result"
)

// Status codes of jwtgate_load and jwtgate_verify.
const (
	statusOK          = 0
	statusPolicyError = 1
	statusError       = 2
	statusPanic       = 3
)

// Flags of jwtgate_verify.
const (
	flagExplain = 1 << 0
	flagZeroNow = 1 << 1
)

var i32, i64 = api.ValueTypeI32, api.ValueTypeI64

// requiredExports are the functions every module must export, with their
// signatures.
var requiredExports = map[string]struct{ params, results []api.ValueType }{
	exportABIVersion: {nil, []api.ValueType{i32}},
	exportAlloc:      {[]api.ValueType{i32}, []api.ValueType{i32}},
	exportFree:       {[]api.ValueType{i32}, nil},
	exportLoad:       {[]api.ValueType{i32, i32, i32}, []api.ValueType{i32}},
	exportVerify:     {[]api.ValueType{i32, i32, i32, i32, i64, i32, i32}, []api.ValueType{i32}},
	exportResult:     {nil, []api.ValueType{i64}},
}

// checkImports checks at compile time that the module is meant to be a
// plugin and imports nothing the host does not provide.
func checkImports(cm wazero.CompiledModule) error {
	if _, ok := cm.ExportedFunctions()[exportABIVersion]; !ok {
		return fmt.Errorf("no %s export: not a jwtgate plugin", exportABIVersion)
	}
	for _, def := range cm.ImportedFunctions() {
		mod, name, _ := def.Import()
		if mod != HostModule && mod != wasi_snapshot_preview1.ModuleName {
			return fmt.Errorf("imports %s.%s: the host provides only %s and %s", mod, name, HostModule, wasi_snapshot_preview1.ModuleName)
		}
	}
	return nil
}

// checkExports checks the ABI's exports and their signatures, once the
// module has declared the right ABI version (a module of another version
// may differ in everything else).
func checkExports(cm wazero.CompiledModule) error {
	exports := cm.ExportedFunctions()
	for name, sig := range requiredExports {
		def, ok := exports[name]
		if !ok {
			return fmt.Errorf("missing export %s", name)
		}
		if !sameTypes(def.ParamTypes(), sig.params) || !sameTypes(def.ResultTypes(), sig.results) {
			return fmt.Errorf("export %s has signature %v -> %v, want %v -> %v", name, typeNames(def.ParamTypes()), typeNames(def.ResultTypes()), typeNames(sig.params), typeNames(sig.results))
		}
	}
	if _, ok := cm.ExportedMemories()["memory"]; !ok {
		return errors.New("no exported memory")
	}
	return nil
}

func sameTypes(a, b []api.ValueType) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func typeNames(ts []api.ValueType) []string {
	out := make([]string, len(ts))
	for i, t := range ts {
		out[i] = api.ValueTypeName(t)
	}
	return out
}

// instantiateHostModule defines the host functions of the ABI for one runtime.
func (h *Host) instantiateHostModule(ctx context.Context, rt wazero.Runtime) error {
	_, err := rt.NewHostModuleBuilder(HostModule).
		NewFunctionBuilder().
		WithGoModuleFunction(api.GoModuleFunc(h.replayClaim), []api.ValueType{i32, i32, i64, i32, i64, i32, i32, i32}, []api.ValueType{i32}).
		WithParameterNames("id_ptr", "id_len", "expiry_sec", "expiry_nsec", "now_sec", "now_nsec", "msg_ptr", "msg_cap").
		Export("replay_claim").
		NewFunctionBuilder().
		WithGoModuleFunction(api.GoModuleFunc(h.log), []api.ValueType{i32, i32, i32}, nil).
		WithParameterNames("level", "msg_ptr", "msg_len").
		Export("log").
		Instantiate(ctx)
	return err
}

// replayClaim is jwtgate_host.replay_claim: ReplayStore.Claim for the guest.
// It returns 1 (fresh), 0 (already used) or -(n+1) after writing an error
// message of n bytes at msg_ptr.
func (h *Host) replayClaim(ctx context.Context, m api.Module, stack []uint64) {
	idPtr, idLen := api.DecodeU32(stack[0]), api.DecodeU32(stack[1])
	expiry := time.Unix(int64(stack[2]), int64(api.DecodeI32(stack[3])))
	now := time.Unix(int64(stack[4]), int64(api.DecodeI32(stack[5])))
	msgPtr, msgCap := api.DecodeU32(stack[6]), api.DecodeU32(stack[7])
	mem := m.Memory()
	fail := func(msg string) {
		msg = msg[:min(len(msg), int(msgCap))]
		if !mem.WriteString(msgPtr, msg) {
			msg = ""
		}
		stack[0] = api.EncodeI32(-int32(len(msg)) - 1)
	}
	id, ok := mem.Read(idPtr, idLen)
	if !ok {
		fail("replay_claim: id out of the module's memory")
		return
	}
	fresh, err := h.opts.Replay.Claim(ctx, string(id), expiry, now)
	switch {
	case err != nil:
		fail(err.Error())
	case fresh:
		stack[0] = api.EncodeI32(1)
	default:
		stack[0] = api.EncodeI32(0)
	}
}

// log is jwtgate_host.log: a line from the guest, to Options.Logger.
func (h *Host) log(ctx context.Context, m api.Module, stack []uint64) {
	level := api.DecodeI32(stack[0])
	msg, ok := m.Memory().Read(api.DecodeU32(stack[1]), min(api.DecodeU32(stack[2]), 4096))
	if !ok {
		return
	}
	lv := slog.LevelDebug
	switch level {
	case 1:
		lv = slog.LevelInfo
	case 2:
		lv = slog.LevelWarn
	case 3:
		lv = slog.LevelError
	}
	h.opts.Logger.Log(ctx, lv, string(msg), "source", "wasm-guest")
}

// instance is one initialised module instance with the policy loaded. It
// is used by one call at a time.
type instance struct {
	mod                                    api.Module
	mem                                    api.Memory
	fAlloc, fFree, fLoad, fVerify, fResult api.Function
	buf, bufCap                            uint32 // the request buffer
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

// loadSummary is what jwtgate_load returns on success.
type loadSummary struct {
	ABI           int      `json:"abi"`
	Integrations  []string `json:"integrations"`
	MaxTokenBytes int      `json:"max_token_bytes"`
	OneTimeUse    bool     `json:"one_time_use"`
}

// newInstance instantiates code, checks its ABI version and loads the
// policy into it.
func (h *Host) newInstance(ctx context.Context, c *code, name string, policy []byte) (*instance, *loadSummary, error) {
	ctx, cancel := context.WithTimeout(ctx, h.opts.LoadTimeout)
	defer cancel()
	out := &capture{}
	cfg := wazero.NewModuleConfig().
		WithName(""). // anonymous: any number of instances of one module
		WithStartFunctions("_initialize").
		WithStdout(out).WithStderr(out).
		// The Go runtime seeds its maps and schedules with these; the
		// core's decisions use neither (the time is a parameter). The wall
		// clock stays wazero's fake one: the guest has no clock of its own.
		WithRandSource(crand.Reader).
		WithSysNanotime()
	mod, err := h.rt.InstantiateModule(ctx, c.compiled, cfg)
	if err != nil {
		return nil, nil, h.callError("instantiate", err, out)
	}
	fail := func(err error) (*instance, *loadSummary, error) {
		mod.Close(context.Background())
		return nil, nil, err
	}
	abi := mod.ExportedFunction(exportABIVersion)
	if abi == nil || len(abi.Definition().ResultTypes()) != 1 {
		return fail(&Error{Kind: ErrInvalidModule, Op: "instantiate", Detail: exportABIVersion + " must return one i32"})
	}
	res, err := abi.Call(ctx)
	if err != nil {
		return fail(h.callError("abi_version", err, out))
	}
	if v := api.DecodeU32(res[0]); v != ABIVersion {
		return fail(&Error{Kind: ErrABIVersion, Op: "instantiate", Detail: fmt.Sprintf("the module implements ABI version %d, this host speaks %d", v, ABIVersion)})
	}
	if err := checkExports(c.compiled); err != nil {
		return fail(&Error{Kind: ErrInvalidModule, Op: "instantiate", Detail: err.Error()})
	}
	in := &instance{
		mod: mod, mem: mod.Memory(), out: out, timeout: h.opts.CallTimeout,
		fAlloc: mod.ExportedFunction(exportAlloc), fFree: mod.ExportedFunction(exportFree),
		fLoad: mod.ExportedFunction(exportLoad), fVerify: mod.ExportedFunction(exportVerify),
		fResult: mod.ExportedFunction(exportResult),
	}
	sum, err := in.load(ctx, h, name, policy)
	if err != nil {
		return fail(err)
	}
	return in, sum, nil
}

func (in *instance) close() { in.mod.Close(context.Background()) }

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
func (in *instance) load(ctx context.Context, h *Host, name string, policy []byte) (*loadSummary, error) {
	if err := in.ensureBuffer(ctx, len(name)+len(policy)); err != nil {
		return nil, h.callError("load", err, in.out)
	}
	in.mem.WriteString(in.buf, name)
	in.mem.Write(in.buf+uint32(len(name)), policy)
	in.stack[0], in.stack[1], in.stack[2] = api.EncodeU32(in.buf), api.EncodeU32(uint32(len(name))), api.EncodeU32(uint32(len(policy)))
	if err := in.call(ctx, in.fLoad); err != nil {
		return nil, h.callError("load", err, in.out)
	}
	status := api.DecodeU32(in.stack[0])
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
	case statusOK:
		var sum loadSummary
		if err := json.Unmarshal(out, &sum); err != nil || sum.MaxTokenBytes <= 0 {
			return nil, &Error{Kind: ErrGuestRefused, Op: "load", Detail: fmt.Sprintf("unreadable load summary %q", out)}
		}
		return &sum, nil
	case statusPolicyError:
		var w wirePolicyError
		if err := json.Unmarshal(out, &w); err != nil {
			return nil, &Error{Kind: ErrGuestRefused, Op: "load", Detail: string(out)}
		}
		return nil, w.errors()
	case statusPanic:
		return nil, &Error{Kind: ErrGuestPanic, Op: "load", Detail: string(out)}
	}
	return nil, &Error{Kind: ErrGuestRefused, Op: "load", Detail: string(out)}
}

// wirePolicyError is the guest's policy error (wasm/ABI.md): the first
// problem, and the others in more (absent from older guests).
type wirePolicyError struct {
	File        string            `json:"file"`
	Integration string            `json:"integration"`
	Field       string            `json:"field"`
	Line        int               `json:"line"`
	Column      int               `json:"column"`
	Reason      string            `json:"reason"`
	More        []wirePolicyError `json:"more"`
}

// errors returns the problems as the core's own error, so that a policy
// is refused in the same words natively and in the plugin.
func (w *wirePolicyError) errors() core.PolicyErrors {
	list := core.PolicyErrors{w.one()}
	for i := range w.More {
		list = append(list, w.More[i].one())
	}
	return list
}

func (w *wirePolicyError) one() *core.PolicyError {
	return &core.PolicyError{File: w.File, Integration: w.Integration, Field: w.Field, Line: w.Line, Column: w.Column, Reason: w.Reason}
}

// verify runs one request and returns the decision JSON.
func (in *instance) verify(ctx context.Context, h *Host, req *core.Request) ([]byte, error) {
	if in.timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, in.timeout)
		defer cancel()
	}
	n := len(req.Token) + len(req.RedirectParam) + len(req.Integration)
	if err := in.ensureBuffer(ctx, n); err != nil {
		return nil, h.callError("verify", err, in.out)
	}
	b := in.buf
	in.mem.WriteString(b, req.Token)
	in.mem.WriteString(b+uint32(len(req.Token)), req.RedirectParam)
	in.mem.WriteString(b+uint32(len(req.Token)+len(req.RedirectParam)), req.Integration)
	var flags uint32
	if req.Explain {
		flags |= flagExplain
	}
	var sec int64
	var nsec uint32
	if req.Now.IsZero() {
		flags |= flagZeroNow
	} else {
		sec, nsec = req.Now.Unix(), uint32(req.Now.Nanosecond())
	}
	s := &in.stack
	s[0], s[1], s[2], s[3] = api.EncodeU32(b), api.EncodeU32(uint32(len(req.Token))), api.EncodeU32(uint32(len(req.RedirectParam))), api.EncodeU32(uint32(len(req.Integration)))
	s[4], s[5], s[6] = api.EncodeI64(sec), api.EncodeU32(nsec), api.EncodeU32(flags)
	if err := in.call(ctx, in.fVerify); err != nil {
		return nil, h.callError("verify", err, in.out)
	}
	status := api.DecodeU32(s[0])
	out, err := in.result(ctx)
	if err != nil {
		return nil, h.callError("verify", err, in.out)
	}
	switch status {
	case statusOK:
		return out, nil
	case statusPanic:
		return nil, &Error{Kind: ErrGuestPanic, Op: "verify", Detail: string(out)}
	}
	return nil, &Error{Kind: ErrGuestRefused, Op: "verify", Detail: string(out)}
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

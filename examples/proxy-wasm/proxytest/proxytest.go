// Package proxytest is a proxy-wasm ABI v0.2.1 host for tests, on wazero:
// it loads a real proxy-wasm module (jwtgate's filter, built by Build) and
// drives it as a proxy such as Envoy would.
//
//	h, _ := proxytest.New(ctx, module, proxytest.Options{Clock: clock})
//	vm, _ := h.NewVM(ctx, pluginConfig)     // _initialize, context_create(root), vm_start, configure
//	s, _ := vm.Request(ctx, headers)        // context_create(stream), request_headers, done, log, delete
//	s.Local                                 // the local response, if the filter sent one
//	s.Headers                               // the request headers as they would go upstream
//	calls := vm.PendingCalls()              // proxy_http_call requests
//	vm.Respond(ctx, calls[0], 200, nil, doc) // proxy_on_http_call_response
//	vm.Tick(ctx)                            // proxy_on_tick
//
// Every VM of a Host shares one SharedData (proxy_get/set_shared_data with
// Envoy's compare-and-swap semantics), as the worker VMs of one vm_id do
// in Envoy. A VM runs one callback at a time; different VMs run in
// parallel.
//
// The host implements the calls jwtgate's filter makes: proxy_log,
// proxy_get_header_map_value/pairs, proxy_add/replace/remove_header_map_value,
// proxy_send_local_response, proxy_get_buffer_bytes,
// proxy_set_tick_period_milliseconds, proxy_http_call,
// proxy_get/set_shared_data, proxy_get_property (always NOT_FOUND),
// proxy_set_effective_context and proxy_continue_stream, and WASI preview 1
// with the wall clock of Options.Clock: in a proxy, WASI clock_time_get is
// the proxy's own clock, and so it is here.
package proxytest

import (
	"context"
	crand "crypto/rand"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
	"github.com/tetratelabs/wazero/imports/wasi_snapshot_preview1"
	"github.com/tetratelabs/wazero/sys"
)

// Status codes of the ABI.
const (
	StatusOK          = 0
	StatusNotFound    = 1
	StatusBadArgument = 2
	StatusCasMismatch = 8
)

// Options configure a Host.
type Options struct {
	// Clock is the wall clock of the VMs (WASI clock_time_get, realtime).
	// Default time.Now.
	Clock func() time.Time
	// CacheDir keeps wazero's compiled code on disk.
	CacheDir string
	// VMConfiguration is the vm_config configuration of every VM.
	VMConfiguration []byte
}

// Host is one proxy: a compiled module, its VMs and their shared data.
type Host struct {
	opts     Options
	rt       wazero.Runtime
	cache    wazero.CompilationCache
	compiled wazero.CompiledModule
	// Shared is the shared data of every VM of the host.
	Shared *SharedData
}

type vmKey struct{}

// New compiles module and prepares the host's imports.
func New(ctx context.Context, module []byte, opts Options) (*Host, error) {
	if opts.Clock == nil {
		opts.Clock = time.Now
	}
	h := &Host{opts: opts, Shared: NewSharedData()}
	cfg := wazero.NewRuntimeConfigCompiler()
	if opts.CacheDir != "" {
		c, err := wazero.NewCompilationCacheWithDir(opts.CacheDir)
		if err != nil {
			return nil, err
		}
		h.cache = c
		cfg = cfg.WithCompilationCache(c)
	}
	h.rt = wazero.NewRuntimeWithConfig(ctx, cfg)
	if _, err := wasi_snapshot_preview1.Instantiate(ctx, h.rt); err != nil {
		h.Close(ctx)
		return nil, err
	}
	if err := h.instantiateEnv(ctx); err != nil {
		h.Close(ctx)
		return nil, err
	}
	cm, err := h.rt.CompileModule(ctx, module)
	if err != nil {
		h.Close(ctx)
		return nil, err
	}
	if _, ok := cm.ExportedFunctions()["proxy_abi_version_0_2_1"]; !ok {
		h.Close(ctx)
		return nil, errors.New("proxytest: the module does not export proxy_abi_version_0_2_1")
	}
	h.compiled = cm
	return h, nil
}

// Close closes every VM and the runtime.
func (h *Host) Close(ctx context.Context) error {
	err := h.rt.Close(ctx)
	if h.cache != nil {
		h.cache.Close(ctx)
	}
	return err
}

// LogLine is one proxy_log call.
type LogLine struct {
	Level   int32
	Message string
}

// LocalResponse is a proxy_send_local_response.
type LocalResponse struct {
	Status     uint32
	Details    string
	Headers    [][2]string
	Body       []byte
	GRPCStatus int32
}

// Header returns the first value of a header of the response.
func (r *LocalResponse) Header(name string) string { return headerValue(r.Headers, name) }

// Stream is one HTTP request through a VM.
type Stream struct {
	ID uint32
	// Headers are the request headers, as the filter left them.
	Headers [][2]string
	// Action is what proxy_on_request_headers returned.
	Action uint32
	// Local is the local response, if the filter sent one.
	Local *LocalResponse
	// Paused: the filter holds the request (it returned PAUSE and has
	// neither answered nor resumed it yet).
	Paused bool
	// Resumed: the filter resumed a paused request (proxy_continue_stream).
	Resumed bool
	// Done: the host finished the stream (on_done, on_log, on_delete).
	Done bool
}

// Header returns the first value of a request header.
func (s *Stream) Header(name string) string { return headerValue(s.Headers, name) }

// Has reports whether the request has a header.
func (s *Stream) Has(name string) bool {
	for _, p := range s.Headers {
		if strings.EqualFold(p[0], name) {
			return true
		}
	}
	return false
}

// Continued reports whether the request goes upstream: the filter let it
// continue at once or resumed it, and sent no local response.
func (s *Stream) Continued() bool {
	return s.Local == nil && ((s.Action == 0 && !s.Paused) || s.Resumed)
}

// HTTPCall is a proxy_http_call the filter made.
type HTTPCall struct {
	ID       uint32
	Context  uint32 // the effective context when it was made
	Cluster  string
	Headers  [][2]string
	Body     []byte
	Trailers [][2]string
	Timeout  time.Duration
}

// Header returns the first value of a header of the call.
func (c *HTTPCall) Header(name string) string { return headerValue(c.Headers, name) }

// VM is one module instance with one plugin (root) context.
type VM struct {
	h      *Host
	mod    api.Module
	mem    api.Memory
	config []byte
	RootID uint32

	mu     sync.Mutex // one callback at a time
	nextID uint32
	// effective is the context host calls act on.
	effective uint32
	streams   map[uint32]*Stream
	calls     map[uint32]*HTTPCall
	nextCall  uint32
	callResp  *callResponse // during proxy_on_http_call_response
	tick      time.Duration
	logs      []LogLine
	logMu     sync.Mutex
	stack     [8]uint64

	fContextCreate, fVMStart, fConfigure, fTick, fRequestHeaders, fCallResponse, fDone, fLog, fDelete, fMalloc api.Function
}

type callResponse struct {
	headers, trailers [][2]string
	body              []byte
}

// NewVM starts a VM with the plugin configuration, as a proxy does: it
// instantiates the module (running _initialize), creates the root
// context, and calls proxy_on_vm_start and proxy_on_configure. A plugin
// that refuses its configuration is an error; its log is in the error.
func (h *Host) NewVM(ctx context.Context, pluginConfig []byte) (*VM, error) {
	clock := h.opts.Clock
	cfg := wazero.NewModuleConfig().
		WithName("").
		WithStartFunctions("_initialize").
		WithRandSource(crand.Reader).
		WithSysNanotime().
		WithWalltime(func() (int64, int32) {
			t := clock()
			return t.Unix(), int32(t.Nanosecond())
		}, sys.ClockResolution(1))
	vm := &VM{h: h, config: pluginConfig, RootID: 1, nextID: 2, streams: map[uint32]*Stream{}, calls: map[uint32]*HTTPCall{}}
	ctx = context.WithValue(ctx, vmKey{}, vm)
	mod, err := h.rt.InstantiateModule(ctx, h.compiled, cfg)
	if err != nil {
		return nil, err
	}
	vm.mod, vm.mem = mod, mod.Memory()
	for _, f := range []struct {
		dst  *api.Function
		name string
	}{
		{&vm.fContextCreate, "proxy_on_context_create"}, {&vm.fVMStart, "proxy_on_vm_start"},
		{&vm.fConfigure, "proxy_on_configure"}, {&vm.fTick, "proxy_on_tick"},
		{&vm.fRequestHeaders, "proxy_on_request_headers"}, {&vm.fCallResponse, "proxy_on_http_call_response"},
		{&vm.fDone, "proxy_on_done"}, {&vm.fLog, "proxy_on_log"}, {&vm.fDelete, "proxy_on_delete"},
		{&vm.fMalloc, "proxy_on_memory_allocate"},
	} {
		*f.dst = mod.ExportedFunction(f.name)
	}
	if vm.fMalloc == nil || vm.fContextCreate == nil {
		mod.Close(ctx)
		return nil, errors.New("proxytest: the module lacks proxy_on_memory_allocate or proxy_on_context_create")
	}
	vm.mu.Lock()
	defer vm.mu.Unlock()
	vm.effective = vm.RootID
	if err := vm.call(ctx, vm.fContextCreate, vm.RootID, 0); err != nil {
		return nil, err
	}
	if vm.fVMStart != nil {
		if err := vm.call(ctx, vm.fVMStart, vm.RootID, uint32(len(h.opts.VMConfiguration))); err != nil {
			return nil, err
		}
		if vm.stack[0] == 0 {
			return nil, fmt.Errorf("proxytest: proxy_on_vm_start refused the VM; log: %s", vm.logText())
		}
	}
	if vm.fConfigure != nil {
		if err := vm.call(ctx, vm.fConfigure, vm.RootID, uint32(len(pluginConfig))); err != nil {
			return nil, err
		}
		if vm.stack[0] == 0 {
			return nil, fmt.Errorf("proxytest: proxy_on_configure refused the configuration; log: %s", vm.logText())
		}
	}
	return vm, nil
}

// call runs an export with the VM in the context (for the host functions).
func (vm *VM) call(ctx context.Context, f api.Function, args ...uint32) error {
	if ctx.Value(vmKey{}) != vm {
		ctx = context.WithValue(ctx, vmKey{}, vm)
	}
	for i, a := range args {
		vm.stack[i] = api.EncodeU32(a)
	}
	if err := f.CallWithStack(ctx, vm.stack[:]); err != nil {
		return fmt.Errorf("proxytest: %s: %w", f.Definition().Name(), err)
	}
	return nil
}

// Close closes the VM's module instance.
func (vm *VM) Close(ctx context.Context) error { return vm.mod.Close(ctx) }

// Request runs one request's headers through the filter (end of stream:
// no body). A stream the filter did not pause is finished at once; a
// paused one stays open until the filter resumes or answers it (after
// Respond or Tick), or until Finish.
func (vm *VM) Request(ctx context.Context, headers [][2]string) (*Stream, error) {
	vm.mu.Lock()
	defer vm.mu.Unlock()
	s := &Stream{ID: vm.nextID, Headers: append([][2]string(nil), headers...)}
	vm.nextID++
	vm.streams[s.ID] = s
	vm.effective = s.ID
	defer func() { vm.effective = vm.RootID }()
	if err := vm.call(ctx, vm.fContextCreate, s.ID, vm.RootID); err != nil {
		return nil, err
	}
	if err := vm.call(ctx, vm.fRequestHeaders, s.ID, uint32(len(headers)), 1); err != nil {
		return nil, err
	}
	s.Action = uint32(vm.stack[0])
	s.Paused = s.Action == 1 && s.Local == nil && !s.Resumed
	if !s.Paused {
		return s, vm.finish(ctx, s)
	}
	return s, nil
}

// finish ends a stream as a proxy does: on_done, on_log, on_delete.
func (vm *VM) finish(ctx context.Context, s *Stream) error {
	if s.Done {
		return nil
	}
	s.Done, s.Paused = true, false
	vm.effective = s.ID
	for _, f := range []api.Function{vm.fDone, vm.fLog, vm.fDelete} {
		if f == nil {
			continue
		}
		if err := vm.call(ctx, f, s.ID); err != nil {
			return err
		}
	}
	delete(vm.streams, s.ID)
	return nil
}

// Finish ends a stream that is still paused (the client went away).
func (vm *VM) Finish(ctx context.Context, s *Stream) error {
	vm.mu.Lock()
	defer vm.mu.Unlock()
	defer func() { vm.effective = vm.RootID }()
	return vm.finish(ctx, s)
}

// finishSettled finishes the streams that the last callback resumed or
// answered.
func (vm *VM) finishSettled(ctx context.Context) error {
	for _, s := range vm.streams {
		if s.Paused && (s.Local != nil || s.Resumed) {
			if err := vm.finish(ctx, s); err != nil {
				return err
			}
		}
	}
	return nil
}

// Tick calls proxy_on_tick.
func (vm *VM) Tick(ctx context.Context) error {
	vm.mu.Lock()
	defer vm.mu.Unlock()
	defer func() { vm.effective = vm.RootID }()
	if vm.fTick == nil {
		return nil
	}
	vm.effective = vm.RootID
	if err := vm.call(ctx, vm.fTick, vm.RootID); err != nil {
		return err
	}
	return vm.finishSettled(ctx)
}

// TickPeriod is the period the filter asked for (0: none).
func (vm *VM) TickPeriod() time.Duration {
	vm.mu.Lock()
	defer vm.mu.Unlock()
	return vm.tick
}

// PendingCalls returns the HTTP calls not answered yet, oldest first.
func (vm *VM) PendingCalls() []*HTTPCall {
	vm.mu.Lock()
	defer vm.mu.Unlock()
	var out []*HTTPCall
	for id := uint32(1); id <= vm.nextCall; id++ {
		if c, ok := vm.calls[id]; ok {
			out = append(out, c)
		}
	}
	return out
}

// Respond answers an HTTP call: proxy_on_http_call_response with the
// status (as the :status header), headers and body. Status 0 answers the
// call as failed (no headers), as a proxy does for a reset or a timeout.
func (vm *VM) Respond(ctx context.Context, c *HTTPCall, status int, headers [][2]string, body []byte) error {
	vm.mu.Lock()
	defer vm.mu.Unlock()
	defer func() { vm.effective, vm.callResp = vm.RootID, nil }()
	if _, ok := vm.calls[c.ID]; !ok {
		return fmt.Errorf("proxytest: call %d is not pending", c.ID)
	}
	delete(vm.calls, c.ID)
	r := &callResponse{body: body}
	if status != 0 {
		r.headers = append([][2]string{{":status", fmt.Sprint(status)}}, headers...)
	} else {
		r.body = nil
	}
	vm.callResp = r
	vm.effective = c.Context
	if vm.fCallResponse == nil {
		return nil
	}
	if err := vm.call(ctx, vm.fCallResponse, c.Context, c.ID, uint32(len(r.headers)), uint32(len(r.body)), 0); err != nil {
		return err
	}
	return vm.finishSettled(ctx)
}

// Logs returns the VM's log lines so far.
func (vm *VM) Logs() []LogLine {
	vm.logMu.Lock()
	defer vm.logMu.Unlock()
	return append([]LogLine(nil), vm.logs...)
}

// ClearLogs forgets the log lines so far.
func (vm *VM) ClearLogs() {
	vm.logMu.Lock()
	defer vm.logMu.Unlock()
	vm.logs = nil
}

func (vm *VM) logText() string {
	var b strings.Builder
	for _, l := range vm.Logs() {
		fmt.Fprintf(&b, "[%d] %s; ", l.Level, l.Message)
	}
	return b.String()
}

func headerValue(hs [][2]string, name string) string {
	for _, p := range hs {
		if strings.EqualFold(p[0], name) {
			return p[1]
		}
	}
	return ""
}

// SharedData is the host's key-value store with compare-and-swap, with
// the semantics of proxy-wasm-cpp-host (Envoy): every write gets a new cas
// from one counter; a write with a non-zero cas fails with CAS_MISMATCH
// when the key exists with another cas; a missing key is created whatever
// the cas.
type SharedData struct {
	mu  sync.Mutex
	m   map[string]sharedValue
	cas uint32
}

type sharedValue struct {
	data []byte
	cas  uint32
}

// NewSharedData returns an empty store.
func NewSharedData() *SharedData { return &SharedData{m: map[string]sharedValue{}, cas: 1} }

// Get returns a key's value and cas.
func (d *SharedData) Get(key string) ([]byte, uint32, bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	v, ok := d.m[key]
	return v.data, v.cas, ok
}

// Set writes a key and returns the ABI status.
func (d *SharedData) Set(key string, data []byte, cas uint32) uint32 {
	d.mu.Lock()
	defer d.mu.Unlock()
	if v, ok := d.m[key]; ok && cas != 0 && cas != v.cas {
		return StatusCasMismatch
	}
	d.m[key] = sharedValue{data: append([]byte(nil), data...), cas: d.cas}
	d.cas++
	if d.cas == 0 {
		d.cas++
	}
	return StatusOK
}

// Keys returns the keys with a prefix.
func (d *SharedData) Keys(prefix string) []string {
	d.mu.Lock()
	defer d.mu.Unlock()
	var out []string
	for k := range d.m {
		if strings.HasPrefix(k, prefix) {
			out = append(out, k)
		}
	}
	return out
}

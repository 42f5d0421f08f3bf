// Package host runs jwtgate's WebAssembly policy plugin (see wasm/ABI.md)
// in the wazero runtime: the core compiled to a wasip1 module, sandboxed
// from the embedding application's memory and swappable at run time.
//
//	h, err := host.Load(ctx, moduleBytes, policyBytes, host.Options{CacheDir: dir, Keys: fetcher})
//	d := h.Verify(ctx, core.Request{Token: token, Now: time.Now()}) // as natively: a core.Engine
//	err = h.Reload(ctx, newPolicy)                                   // new calls use the new policy
//	err = h.Swap(ctx, newModule)                                     // new calls use the new module
//
// The module is compiled once (with wazero's compilation cache on disk when
// a directory is given). Calls run on a bounded pool of initialised
// instances, one call per instance at a time. Each instance is limited in
// memory, and optionally each call in time; an instance that traps, runs
// out of memory or overruns its deadline (Options.CallTimeout, off by
// default for speed) is discarded and replaced, and the caller gets an
// *Error. The host's services, its replay store and its key source for
// jwks_url key sets (Options.Replay, Options.Keys), are shared by every
// instance.
//
// Verify never fails: a failure of the plugin is an invalid_token refusal
// (core.EngineFailed). Call is the raw ABI call beneath it, returning the
// decision JSON as the guest wrote it, or the failure as an *Error.
//
// The guest cannot read files or the environment: a policy's keys are
// inline (jwks, pem or secret) or fetched by the host (jwks_url). Plugin
// and Engine are what jwtgate's commands run: a module read once, and a
// policy file loaded from it with its key files and environment secrets
// inlined (core.InlinePolicy), closed as an io.Closer.
package host

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tetratelabs/wazero"

	"github.com/jwtgate/jwtgate/core"
	"github.com/jwtgate/jwtgate/wasm/abi"
)

// Defaults of Options.
const (
	// DefaultMemoryLimitPages bounds an instance's linear memory: 4096
	// pages of 64 KiB, 256 MiB. The module starts far below it; the
	// headroom is for large policies, which the guest parses.
	DefaultMemoryLimitPages = 4096
	// DefaultMaxPolicyBytes is the core's own policy size limit.
	DefaultMaxPolicyBytes = 8 << 20
	// DefaultLoadTimeout bounds starting an instance and loading its policy.
	DefaultLoadTimeout = 30 * time.Second
)

// There is no default per-call deadline: enforcing one makes wazero compile
// termination checks into every function and loop of the guest, and that
// measured 3x slower for HS256 and 5x for RS256 with jwtgate's own module
// (BenchmarkVerify/wasm-deadline against /wasm). jwtgate's module does
// bounded work on bounded input; set Options.CallTimeout for a module you
// do not trust.

// Options configure a Host. The zero value is usable.
type Options struct {
	// PolicyName names the policy in policy errors, like a file name
	// natively. Default "policy".
	PolicyName string
	// Replay is the replay store for one-time tokens, shared by every
	// instance. Default core.NewMemoryReplayStore(0).
	Replay core.ReplayStore
	// Keys, when set, serves the policy's jwks_url key sets to the guest
	// (the key_sets capability of the ABI), as core.Config.Keys does
	// natively: jwtgate passes its jwks.Fetcher. Without it jwks_url
	// integrations answer keys_unavailable, as natively without one. The
	// module names the URLs: for a module you did not build, give a source
	// that serves only the URLs you allow.
	Keys core.KeySource
	// GuestSignatures makes the module check signatures itself instead of
	// asking the host (the signatures capability, which the host offers by
	// default: its native crypto is 17-34x faster than the module's).
	GuestSignatures bool
	// CacheDir, when set, keeps wazero's compiled code on disk so that a
	// later Load of the same module skips compilation.
	CacheDir string
	// PoolSize is the most instances serving calls at once; further callers
	// wait for one to be free. Default runtime.GOMAXPROCS(0).
	PoolSize int
	// MemoryLimitPages bounds each instance's memory in 64 KiB pages.
	// Default DefaultMemoryLimitPages.
	MemoryLimitPages uint32
	// MaxTokenBytes refuses larger tokens before they are copied into the
	// guest. Default (0): the policy's own limit (its largest
	// max_token_bytes), which gives the same decision as the native core.
	MaxTokenBytes int
	// MaxPolicyBytes refuses larger policies before they reach the guest.
	// Default DefaultMaxPolicyBytes.
	MaxPolicyBytes int
	// CallTimeout, when positive, bounds each verification: a guest still
	// running at the deadline is stopped, discarded and replaced, and the
	// caller gets ErrDeadline. It also lets the caller's context interrupt a
	// call (ErrCanceled). It costs guest speed (3-5x, see the package's
	// benchmarks), so it is off by default; turn it on for modules you did
	// not build (such as a custom --module). Without it, neither a deadline
	// nor the caller's context can stop a guest once it runs.
	CallTimeout time.Duration
	// LoadTimeout bounds starting an instance and loading the policy into
	// it. Default DefaultLoadTimeout. Like the caller's context, it can stop
	// a guest that is running only when CallTimeout is set (the same wazero
	// mechanism); otherwise it bounds the host's side of the work.
	LoadTimeout time.Duration
	// Logger receives the guest's log lines. Default: discarded.
	Logger *slog.Logger
	// SlowCompile, when set, is called if compiling the module takes
	// longer than SlowCompileAfter, while it still runs (from another
	// goroutine; the call is over before the compilation returns): a
	// command can tell its user why it waits. With CacheDir only the first
	// load of a module compiles; later ones read the cache.
	SlowCompile func()
	// SlowCompileAfter is when SlowCompile is called. Default 1s.
	SlowCompileAfter time.Duration
	// DecisionCache, when set, puts a core.Cache with these options in
	// front of the guest for Verify (never for Call), one per loaded
	// policy, dropped by Reload and Swap; a hit does not enter the guest.
	// Off (nil) by default, as natively a core.Verifier has no cache:
	// jwtgate serve puts its own in front of whatever engine it runs, and
	// another cache here would only hold every decision twice. Its
	// KeyGeneration defaults to Keys' Generation method (jwks.Fetcher has
	// one); with a Keys that has none, set it, or Load refuses the cache:
	// it could not see a key set change. Counters default to the host's
	// own, kept across reloads (CacheStats).
	DecisionCache *core.CacheOptions
}

// Host runs a plugin module with a policy. It is safe for concurrent use.
type Host struct {
	opts Options
	r    *wasmRuntime // shared with the other hosts of a Plugin

	docs      keyDocs       // the key sets' documents, for keyset_get
	sigKeys   sigKeys       // the keys sig_check parsed
	sigChecks atomic.Uint64 // sig_check calls that checked, for tests
	verifies  atomic.Uint64 // verifications that went to the guest, for tests

	cacheOpts *core.CacheOptions // Options.DecisionCache completed; nil: no cache

	mu     sync.Mutex   // serialises Reload, Swap and Close
	calls  sync.RWMutex // read-held by every call; Close takes it to drain them
	cur    atomic.Pointer[generation]
	closed atomic.Bool
}

// Load compiles module, starts one instance with policy loaded (so that a
// bad module or policy fails here, with the core's own core.PolicyErrors
// for the latter) and returns the host.
func Load(ctx context.Context, module, policy []byte, opts Options) (*Host, error) {
	opts, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	if err := checkPolicySize(policy, opts.MaxPolicyBytes); err != nil {
		return nil, err
	}
	r, err := newRuntime(ctx, opts)
	if err != nil {
		return nil, err
	}
	r.acquire()
	h, err := loadOn(ctx, r, module, policy, opts)
	if err != nil {
		r.release()
		return nil, err
	}
	return h, nil
}

// withDefaults fills in the defaults of the options left zero.
func (opts Options) withDefaults() (Options, error) {
	if opts.PolicyName == "" {
		opts.PolicyName = "policy"
	}
	if opts.Replay == nil {
		opts.Replay = core.NewMemoryReplayStore(0)
	}
	if opts.PoolSize <= 0 {
		opts.PoolSize = runtime.GOMAXPROCS(0)
	}
	if opts.MemoryLimitPages == 0 {
		opts.MemoryLimitPages = DefaultMemoryLimitPages
	}
	if opts.MaxPolicyBytes <= 0 {
		opts.MaxPolicyBytes = DefaultMaxPolicyBytes
	}
	if opts.LoadTimeout <= 0 {
		opts.LoadTimeout = DefaultLoadTimeout
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if opts.MemoryLimitPages > 65536 {
		return opts, fmt.Errorf("jwtgate/host: MemoryLimitPages %d is over the 65536 pages of a 32-bit memory", opts.MemoryLimitPages)
	}
	return opts, nil
}

// loadOn is Load on the runtime r, on which the caller holds a reference
// for the host: the host's Close releases it.
func loadOn(ctx context.Context, r *wasmRuntime, module, policy []byte, opts Options) (*Host, error) {
	h := &Host{opts: opts, r: r}
	if err := h.initCache(); err != nil {
		return nil, err
	}
	c, err := h.compile(ctx, module)
	if err != nil {
		return nil, err
	}
	g, err := h.newGeneration(ctx, c, policy)
	if err != nil {
		c.unref()
		return nil, err
	}
	h.cur.Store(g)
	return h, nil
}

// LoadFiles is Load with the module and the policy read from files; the
// policy file's name is used in policy errors.
func LoadFiles(ctx context.Context, modulePath, policyPath string, opts Options) (*Host, error) {
	module, err := os.ReadFile(modulePath)
	if err != nil {
		return nil, err
	}
	policy, err := os.ReadFile(policyPath)
	if err != nil {
		return nil, err
	}
	if opts.PolicyName == "" {
		opts.PolicyName = policyPath
	}
	return Load(ctx, module, policy, opts)
}

func checkPolicySize(policy []byte, limit int) error {
	if len(policy) > limit {
		return &Error{Kind: ErrPolicyTooLarge, Op: "load", Detail: fmt.Sprintf("the policy is %d bytes, the limit is %d", len(policy), limit)}
	}
	return nil
}

func (h *Host) compile(ctx context.Context, module []byte) (*code, error) {
	return h.r.compiled(module, func() (wazero.CompiledModule, error) {
		stop := h.slowCompileNotice()
		cm, err := h.r.rt.CompileModule(ctx, module)
		stop()
		if err != nil {
			return nil, &Error{Kind: ErrInvalidModule, Op: "compile", Detail: err.Error(), Cause: err}
		}
		if err := checkImports(cm); err != nil {
			cm.Close(context.Background())
			return nil, &Error{Kind: ErrInvalidModule, Op: "compile", Detail: err.Error()}
		}
		return cm, nil
	})
}

// slowCompileNotice arms Options.SlowCompile; the returned stop disarms
// it, or waits for a call under way, so that none outlives the compile.
func (h *Host) slowCompileNotice() (stop func()) {
	if h.opts.SlowCompile == nil {
		return func() {}
	}
	done := make(chan struct{})
	after := h.opts.SlowCompileAfter
	if after <= 0 {
		after = time.Second
	}
	t := time.AfterFunc(after, func() {
		defer close(done)
		h.opts.SlowCompile()
	})
	return func() {
		if !t.Stop() {
			<-done
		}
	}
}

// generation is one (module, policy) pair and its pool of instances. A
// Reload or Swap makes a new generation; the old one serves the calls
// already in it and closes its instances as they come back.
type generation struct {
	h        *Host
	code     *code
	policy   []byte
	summary  *abi.LoadSummary
	maxToken int
	cache    *core.Cache // nil without Options.DecisionCache

	slots   chan struct{}  // one per live instance, PoolSize in all
	idle    chan *instance // instances ready for a call
	retired chan struct{}  // closed when a newer generation takes over

	mu      sync.Mutex
	isOld   bool
	live    int
	drained bool
}

// newGeneration starts the generation's first instance, which checks the
// ABI version and loads the policy. It takes over the caller's reference
// to c on success.
func (h *Host) newGeneration(ctx context.Context, c *code, policy []byte) (*generation, error) {
	in, sum, err := h.newInstance(ctx, c, h.opts.PolicyName, policy)
	if err != nil {
		return nil, err
	}
	g := &generation{
		h: h, code: c, policy: policy, summary: sum, maxToken: sum.MaxTokenBytes,
		slots: make(chan struct{}, h.opts.PoolSize), idle: make(chan *instance, h.opts.PoolSize),
		retired: make(chan struct{}), live: 1,
	}
	if h.opts.MaxTokenBytes > 0 {
		g.maxToken = min(g.maxToken, h.opts.MaxTokenBytes)
	}
	if g.cache, err = h.newCache(ctx, policy); err != nil {
		in.close()
		return nil, err
	}
	g.slots <- struct{}{}
	g.idle <- in
	return g, nil
}

// errRetired sends a caller back to the current generation.
var errRetired = errors.New("generation retired")

// acquire returns an idle instance, or starts one if the pool has room, or
// waits for one.
func (g *generation) acquire(ctx context.Context) (*instance, error) {
	select {
	case in := <-g.idle:
		return in, nil
	default:
	}
	select {
	case in := <-g.idle:
		return in, nil
	case g.slots <- struct{}{}:
		g.mu.Lock()
		if g.isOld {
			g.mu.Unlock()
			<-g.slots
			return nil, errRetired
		}
		g.live++
		g.mu.Unlock()
		in, _, err := g.h.newInstance(ctx, g.code, g.h.opts.PolicyName, g.policy)
		if err != nil {
			g.drop(nil)
			return nil, err
		}
		return in, nil
	case <-g.retired:
		return nil, errRetired
	case <-ctx.Done():
		return nil, &Error{Kind: ErrCanceled, Op: "verify", Detail: "waiting for a free instance", Cause: ctx.Err()}
	}
}

// release returns an instance after a call; a broken one, or one of a
// retired generation, is closed.
func (g *generation) release(in *instance, broken bool) {
	g.mu.Lock()
	if broken || g.isOld {
		g.mu.Unlock()
		g.drop(in)
		return
	}
	g.idle <- in // never blocks: there are at most PoolSize instances
	g.mu.Unlock()
}

// drop closes an instance (nil: one that failed to start) and frees its slot.
func (g *generation) drop(in *instance) {
	if in != nil {
		in.close()
	}
	<-g.slots
	g.mu.Lock()
	g.live--
	done := g.isOld && g.live == 0 && !g.drained
	if done {
		g.drained = true
	}
	g.mu.Unlock()
	if done {
		g.code.unref()
	}
}

// retire stops new calls from entering g and closes its idle instances;
// calls in flight finish on their instances, which close as they return.
func (g *generation) retire() {
	g.mu.Lock()
	g.isOld = true
	close(g.retired)
	done := g.live == 0 && !g.drained
	if done {
		g.drained = true
	}
	g.mu.Unlock()
	if done {
		g.code.unref()
	}
	for {
		select {
		case in := <-g.idle:
			g.drop(in)
		default:
			return
		}
	}
}

var _ core.Engine = (*Host)(nil)

// Verify verifies one request in the plugin and returns the decision,
// exactly as core.Verifier.Verify would (req.Now is required, as natively):
// Host is a core.Engine. It never returns nil: a failure of the plugin
// (see Error) is logged to Options.Logger and answered with
// core.EngineFailed, an invalid_token refusal naming only the kind of
// failure, so that switching engines fails closed. Call returns the error
// itself.
func (h *Host) Verify(ctx context.Context, req core.Request) *core.Decision {
	if c := h.cur.Load().cache; c != nil {
		return c.Verify(ctx, req)
	}
	return h.verifyGuest(ctx, req)
}

// verifyGuest is Verify without the cache: the guest decides.
func (h *Host) verifyGuest(ctx context.Context, req core.Request) *core.Decision {
	d, err := h.decide(ctx, req)
	if err == nil {
		return d
	}
	h.opts.Logger.ErrorContext(ctx, "wasm engine failed", "error", err)
	reason := "the wasm engine failed"
	var e *Error
	if errors.As(err, &e) {
		reason += ": " + e.Kind.Error()
	}
	return core.EngineFailed(reason, req.Explain)
}

// decide is Call with the decision decoded, and given the time window the
// guest reported for it (jwtgate_window), so that a core.Cache in front of
// the host can keep it exactly as long as it holds.
func (h *Host) decide(ctx context.Context, req core.Request) (*core.Decision, error) {
	b, w, err := h.call(ctx, req, true)
	if err != nil {
		return nil, err
	}
	d, err := core.ParseDecision(b)
	if err != nil {
		return nil, &Error{Kind: ErrGuestRefused, Op: "verify", Detail: fmt.Sprintf("unreadable decision: %v", err)}
	}
	if w != nil {
		d.SetWindow(*w)
	}
	return d, nil
}

// Call verifies one request and returns the decision JSON as the guest
// wrote it, byte for byte what core.Decision.JSON returns natively, or the
// plugin's failure as an *Error (never for a rejected token). It is the
// raw ABI call under Verify, for callers that forward the JSON as it is
// (no decoding: the benchmarks measure the plugin, not encoding/json), that
// compare it byte for byte (the differential tests), or that tell a
// failure of the plugin from a refusal.
//
// Call never uses Options.DecisionCache: every call enters the guest.
func (h *Host) Call(ctx context.Context, req core.Request) ([]byte, error) {
	b, _, err := h.call(ctx, req, false)
	return b, err
}

// call is Call, with the decision's window too when wantWindow.
func (h *Host) call(ctx context.Context, req core.Request, wantWindow bool) ([]byte, *core.TimeWindow, error) {
	h.calls.RLock()
	defer h.calls.RUnlock()
	for {
		if h.closed.Load() {
			return nil, nil, &Error{Kind: ErrClosed, Op: "verify"}
		}
		g := h.cur.Load()
		if len(req.Token) > g.maxToken && !req.Now.IsZero() {
			return oversize(req, g.maxToken), nil, nil
		}
		if len(req.Token) > g.maxToken {
			req.Token = "" // the core refuses the zero time before looking at the token
		}
		in, err := g.acquire(ctx)
		if errors.Is(err, errRetired) {
			continue
		}
		if err != nil {
			if h.closed.Load() {
				return nil, nil, &Error{Kind: ErrClosed, Op: "verify", Cause: err}
			}
			return nil, nil, err
		}
		h.verifies.Add(1)
		out, w, err := in.verify(ctx, h, &req, wantWindow)
		var e *Error
		g.release(in, errors.As(err, &e) && e.Discarded)
		if h.closed.Load() && err != nil {
			return nil, nil, &Error{Kind: ErrClosed, Op: "verify", Cause: err}
		}
		return out, w, err
	}
}

// oversize is the core's decision for a token over the size limit, made
// without copying the token into the guest.
func oversize(req core.Request, limit int) []byte {
	return core.TokenTooLarge(len(req.Token), limit, req.Explain).JSON()
}

// Reload loads a new policy into fresh instances of the current module.
// Calls that start after Reload returns use it; calls in flight finish with
// the old one. On error the old policy stays in force.
func (h *Host) Reload(ctx context.Context, policy []byte) error {
	if err := checkPolicySize(policy, h.opts.MaxPolicyBytes); err != nil {
		return err
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed.Load() {
		return &Error{Kind: ErrClosed, Op: "reload"}
	}
	old := h.cur.Load()
	old.code.ref()
	g, err := h.newGeneration(ctx, old.code, policy)
	if err != nil {
		old.code.unref()
		return err
	}
	h.cur.Store(g)
	old.retire()
	return nil
}

// Swap replaces the module, keeping the policy. Calls that start after Swap
// returns use the new module; calls in flight finish on the old one. On
// error the old module stays in service.
func (h *Host) Swap(ctx context.Context, module []byte) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed.Load() {
		return &Error{Kind: ErrClosed, Op: "swap"}
	}
	c, err := h.compile(ctx, module)
	if err != nil {
		return err
	}
	old := h.cur.Load()
	g, err := h.newGeneration(ctx, c, old.policy)
	if err != nil {
		c.unref()
		return err
	}
	h.cur.Store(g)
	old.retire()
	return nil
}

// Integrations returns the names of the loaded policy's integrations.
func (h *Host) Integrations() []string {
	return append([]string(nil), h.cur.Load().summary.Integrations...)
}

// MaxTokenBytes returns the size above which tokens are refused without
// entering the guest.
func (h *Host) MaxTokenBytes() int { return h.cur.Load().maxToken }

// Close stops new calls (they get ErrClosed), waits for the calls in flight
// to finish or for ctx to end, then closes every instance and the runtime.
func (h *Host) Close(ctx context.Context) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed.Swap(true) {
		return nil
	}
	h.cur.Load().retire()
	drained := make(chan struct{})
	go func() {
		h.calls.Lock()
		close(drained)
		h.calls.Unlock()
	}()
	select {
	case <-drained:
	case <-ctx.Done():
	}
	return h.r.release()
}

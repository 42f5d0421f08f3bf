package host

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync"
	"time"

	"github.com/jwtgate/jwtgate/core"
	"github.com/jwtgate/jwtgate/policyfile"
)

// CustomCallTimeout is the CallTimeout of the hosts of a custom Plugin
// whose Options set none: jwtgate's own module does bounded work, a
// module of unknown origin may not (see Options.CallTimeout for the cost).
const CustomCallTimeout = time.Second

// DefaultCloseTimeout bounds Engine.Close's wait for the calls in flight.
const DefaultCloseTimeout = 10 * time.Second

// Plugin is a module read once, from which an Engine is loaded for each
// policy file: jwtgate verify --engine wasm loads one, jwtgate serve two
// per configuration (its engine and its tester), at start and at every
// reload. Its engines share one runtime and one compilation of the module,
// which outweighs everything else a host holds; the runtime closes with
// the last engine open.
type Plugin struct {
	// Path is the module file.
	Path string
	// Custom reports a module jwtgate did not build (--module): its calls
	// run under a deadline.
	Custom bool

	module []byte
	opts   Options

	mu sync.Mutex
	rt *wasmRuntime // nil, or closed, until an engine is loaded
}

// OpenPlugin reads the module at path. custom marks a module of unknown
// origin (Plugin.Custom). opts are the options of every host loaded from
// it, but for PolicyName, Replay and Keys, which Load sets. The module is
// compiled by Load (once, with Options.CacheDir), where a bad module is
// an error naming the file.
func OpenPlugin(path string, custom bool, opts Options) (*Plugin, error) {
	module, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("wasm module: %w", err)
	}
	if custom && opts.CallTimeout <= 0 {
		opts.CallTimeout = CustomCallTimeout
	}
	return &Plugin{Path: path, Custom: custom, module: module, opts: opts}, nil
}

// Load loads a policy file, its name (for errors, and relative key file
// names) and its bytes, into a new Engine: its key files and environment
// secrets inlined as the native loader reads them (core.InlinePolicy with
// policyfile.Options), one-time tokens recorded in cfg.Replay (default an
// in-memory store), and its jwks_url key sets served by cfg.Keys (none:
// they answer keys_unavailable, as natively). The module names the URLs it
// asks for: jwtgate's jwks.Fetcher fetches only the URLs it was given.
//
// A bad policy is the core's PolicyErrors; a bad module an *Error
// (IsModuleError) whose message names the file.
func (p *Plugin) Load(ctx context.Context, file string, data []byte, cfg core.Config) (*Engine, error) {
	inlined, err := core.InlinePolicy(file, data, policyfile.Options(file))
	if err != nil {
		return nil, err
	}
	opts := p.opts
	opts.PolicyName, opts.Replay, opts.Keys = file, cfg.Replay, cfg.Keys
	h, err := p.load(ctx, inlined, opts)
	if IsModuleError(err) {
		return nil, fmt.Errorf("wasm module %s: %w", p.Path, err)
	}
	if err != nil {
		return nil, err
	}
	return &Engine{h: h}, nil
}

// load is Load on the plugin's runtime, made at the first load and again
// after the last engine closed it.
func (p *Plugin) load(ctx context.Context, policy []byte, opts Options) (*Host, error) {
	opts, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	if err := checkPolicySize(policy, opts.MaxPolicyBytes); err != nil {
		return nil, err
	}
	r, err := p.runtime(ctx, opts)
	if err != nil {
		return nil, err
	}
	h, err := loadOn(ctx, r, p.module, policy, opts)
	if err != nil {
		r.release()
		return nil, err
	}
	return h, nil
}

// runtime returns the plugin's runtime with a reference for one more host.
// Every host of a plugin has the plugin's options, so one runtime fits all.
func (p *Plugin) runtime(ctx context.Context, opts Options) (*wasmRuntime, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.rt != nil && p.rt.acquire() {
		return p.rt, nil
	}
	r, err := newRuntime(ctx, opts)
	if err != nil {
		return nil, err
	}
	r.acquire()
	p.rt = r
	return r, nil
}

// IsModuleError reports an error of the module itself: it does not
// compile, lacks an export, imports what the host does not provide, or
// speaks another ABI version.
func IsModuleError(err error) bool {
	return errors.Is(err, ErrInvalidModule) || errors.Is(err, ErrABIVersion)
}

// Engine is one policy file loaded into the plugin: a core.Engine, and an
// io.Closer, as a server closes the engine of a replaced configuration.
type Engine struct{ h *Host }

var _ core.Engine = (*Engine)(nil)

// Verify verifies one request in the plugin (Host.Verify: a failure of the
// plugin is an invalid_token refusal).
func (e *Engine) Verify(ctx context.Context, req core.Request) *core.Decision {
	return e.h.Verify(ctx, req)
}

// Host returns the engine's host, for its other calls (Call, Reload, Swap).
func (e *Engine) Host() *Host { return e.h }

// Close waits up to DefaultCloseTimeout for the calls in flight, then
// closes the host.
func (e *Engine) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), DefaultCloseTimeout)
	defer cancel()
	return e.h.Close(ctx)
}

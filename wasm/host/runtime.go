package host

import (
	"context"
	"crypto/sha256"
	"fmt"
	"runtime/debug"
	"sync"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
	"github.com/tetratelabs/wazero/imports/wasi_snapshot_preview1"
)

// wasmRuntime is a wazero runtime and the modules compiled in it, shared by
// every Host loaded from one Plugin: a module's machine code and its decoded
// form are most of a host's memory (about 60 MiB for jwtgate's module), and
// jwtgate serve runs two hosts a configuration (the engine and the tester),
// and a third while a reload overlaps the old one. A host loaded on its own
// (Load) has a runtime of its own.
//
// The ABI's imports are defined once per runtime; each call finds its host
// from the calling instance, registered before the instance runs any code.
type wasmRuntime struct {
	rt    wazero.Runtime
	cache wazero.CompilationCache // nil without Options.CacheDir

	hosts sync.Map // api.Module (a guest instance) → *Host

	mu     sync.Mutex
	codes  map[[sha256.Size]byte]*code // compiled modules in use, by content
	refs   int                         // hosts on this runtime
	closed bool
}

// newRuntime makes the runtime opts describe (memory limit, interruption
// by context, compilation cache), with WASI and the ABI's imports.
func newRuntime(ctx context.Context, opts Options) (*wasmRuntime, error) {
	r := &wasmRuntime{codes: map[[sha256.Size]byte]*code{}}
	cfg := wazero.NewRuntimeConfigCompiler().
		WithMemoryLimitPages(opts.MemoryLimitPages).
		WithCloseOnContextDone(opts.CallTimeout > 0)
	if opts.CacheDir != "" {
		cache, err := wazero.NewCompilationCacheWithDir(opts.CacheDir)
		if err != nil {
			return nil, fmt.Errorf("jwtgate/host: compilation cache: %w", err)
		}
		r.cache = cache
		cfg = cfg.WithCompilationCache(cache)
	}
	r.rt = wazero.NewRuntimeWithConfig(ctx, cfg)
	if _, err := wasi_snapshot_preview1.Instantiate(ctx, r.rt); err != nil {
		r.close()
		return nil, err
	}
	if err := r.instantiateHostModule(ctx); err != nil {
		r.close()
		return nil, err
	}
	return r, nil
}

// acquire counts one more host on r; false when r was closed meanwhile.
func (r *wasmRuntime) acquire() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return false
	}
	r.refs++
	return true
}

// release ends one host's use of r, closing r after the last.
func (r *wasmRuntime) release() error {
	r.mu.Lock()
	r.refs--
	last := r.refs == 0
	if last {
		r.closed = true
	}
	r.mu.Unlock()
	if !last {
		return nil
	}
	return r.close()
}

func (r *wasmRuntime) close() error {
	err := r.rt.Close(context.Background())
	if r.cache != nil {
		r.cache.Close(context.Background())
	}
	return err
}

// compiled returns the code of module with one more reference, compiling
// it with compile only when no host on r holds it already.
func (r *wasmRuntime) compiled(module []byte, compile func() (wazero.CompiledModule, error)) (*code, error) {
	sum := sha256.Sum256(module)
	r.mu.Lock()
	defer r.mu.Unlock()
	if c := r.codes[sum]; c != nil {
		c.refs++
		return c, nil
	}
	cm, err := compile()
	if err != nil {
		return nil, err
	}
	// Compiling, or reading the compiled code from the cache, leaves tens
	// of MiB of garbage, about as much as the host keeps: hand it back to
	// the system now rather than in the minutes the Go runtime would take.
	debug.FreeOSMemory()
	c := &code{compiled: cm, rt: r, sum: sum, refs: 1}
	r.codes[sum] = c
	return c, nil
}

// code is a compiled module, shared by the generations that use it (of
// every host on its runtime) and closed when the last of them has drained.
type code struct {
	compiled wazero.CompiledModule
	rt       *wasmRuntime
	sum      [sha256.Size]byte
	refs     int // guarded by rt.mu
}

func (c *code) ref() {
	c.rt.mu.Lock()
	c.refs++
	c.rt.mu.Unlock()
}

func (c *code) unref() {
	c.rt.mu.Lock()
	c.refs--
	last := c.refs == 0
	if last {
		delete(c.rt.codes, c.sum)
	}
	c.rt.mu.Unlock()
	if last {
		c.compiled.Close(context.Background())
	}
}

// hostOf is the host of the calling instance, registered by newInstance.
func (r *wasmRuntime) hostOf(m api.Module) *Host {
	h, ok := r.hosts.Load(m)
	if !ok {
		// newInstance registers every instance before it runs: a call from
		// anywhere else is a bug, and the panic fails the guest's call.
		panic("jwtgate/host: a call from an instance of no host")
	}
	return h.(*Host)
}

// closeInstance closes a guest instance and forgets its host.
func (r *wasmRuntime) closeInstance(m api.Module) {
	m.Close(context.Background())
	r.hosts.Delete(m)
}

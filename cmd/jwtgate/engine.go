package main

import (
	"context"
	"flag"
	"fmt"

	"github.com/jwtgate/jwtgate/core"
	"github.com/jwtgate/jwtgate/internal/wasmengine"
	"github.com/jwtgate/jwtgate/server"
)

// Engines of --engine.
const (
	engineNative = "native"
	engineWasm   = "wasm"
)

// engineFlags are --engine and --module, shared by verify and serve.
type engineFlags struct {
	engine, module *string
}

func addEngineFlags(fs *flag.FlagSet) engineFlags {
	return engineFlags{
		engine: fs.String("engine", engineNative, `verification engine: "native" (the Go core) or "wasm" (the sandboxed policy plugin in wazero)`),
		module: fs.String("module", "", "with --engine wasm: the plugin module to run, under a 1s deadline per call (default: jwtgate.wasm beside the executable, else the module built from the source tree)"),
	}
}

// check validates the flags' combination.
func (f engineFlags) check() error {
	switch *f.engine {
	case engineNative:
		if *f.module != "" {
			return fmt.Errorf("--module needs --engine wasm")
		}
	case engineWasm:
	default:
		return fmt.Errorf("--engine: want native or wasm, found %q", *f.engine)
	}
	return nil
}

func (f engineFlags) wasm() bool { return *f.engine == engineWasm }

// verifyEngine is what jwtgate verify calls: *core.Verifier or
// *wasmengine.Engine.
type verifyEngine interface {
	Verify(ctx context.Context, req core.Request) *core.Decision
}

// newEngine loads the policy of file path (its bytes data, parsed
// natively as policy, with lines in its errors) into the chosen engine,
// with an in-memory replay store shared by every token it verifies. close
// releases the engine.
func (f engineFlags) newEngine(ctx context.Context, path string, data []byte, policy *core.Policy, notify func(string)) (e verifyEngine, close func(), err error) {
	if !f.wasm() {
		v, err := newVerifierOf(policy)
		return v, func() {}, err
	}
	plugin, err := wasmengine.OpenWith(ctx, *f.module, wasmengine.Options{Notify: notify})
	if err != nil {
		return nil, nil, err
	}
	w, err := plugin.Load(ctx, path, data, policy, core.NewMemoryReplayStore(0))
	if err != nil {
		return nil, nil, err
	}
	return w, func() { w.Close() }, nil
}

// engineFactory is serve's server.Options.NewEngine for --engine wasm (nil
// for native: the server's default). The module is resolved and read once;
// each configuration, at start and at every reload, gets hosts of its own,
// and the replaced ones are closed by the server.
func (f engineFlags) engineFactory(ctx context.Context, notify func(string)) (server.EngineFactory, *wasmengine.Plugin, error) {
	if !f.wasm() {
		return nil, nil, nil
	}
	plugin, err := wasmengine.OpenWith(ctx, *f.module, wasmengine.Options{Notify: notify})
	if err != nil {
		return nil, nil, err
	}
	return func(ctx context.Context, file string, data []byte, policy *core.Policy, cfg core.Config) (server.Engine, error) {
		e, err := plugin.Load(ctx, file, data, policy, cfg.Replay)
		if err != nil {
			return nil, err
		}
		return e, nil
	}, plugin, nil
}

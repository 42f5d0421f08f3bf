package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/jwtgate/jwtgate/core"
	"github.com/jwtgate/jwtgate/internal/wasmbuild"
	"github.com/jwtgate/jwtgate/server"
	"github.com/jwtgate/jwtgate/wasm/host"
)

// Engines of --engine.
const (
	engineNative = "native"
	engineWasm   = "wasm"
)

// moduleFile is the plugin's file name beside the jwtgate executable
// (make build and make wasm put both in build/).
const moduleFile = "jwtgate.wasm"

// slowAfter is when a first step (building or compiling the plugin) is
// worth a notice (a variable for the tests).
var slowAfter = time.Second

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

// newEngine loads the policy of file path (its bytes data, parsed
// natively as policy, with lines in its errors) into the chosen engine,
// with an in-memory replay store shared by every token it verifies and,
// for jwks_url keys, a key fetcher. close releases the engine.
func (f engineFlags) newEngine(ctx context.Context, path string, data []byte, policy *core.Policy, notify func(string)) (e core.Engine, close func(), err error) {
	if !f.wasm() {
		v, err := newVerifierOf(policy)
		return v, func() {}, err
	}
	plugin, err := f.openPlugin(ctx, notify)
	if err != nil {
		return nil, nil, err
	}
	w, err := plugin.Load(ctx, path, data, configOf(policy))
	if err != nil {
		return nil, nil, err
	}
	return w, func() { w.Close() }, nil
}

// engineFactory is serve's server.Options.NewEngine for --engine wasm (nil
// for native: the server's default). The module is resolved and read once;
// each configuration, at start and at every reload, gets hosts of its own
// with the server's replay store and key fetcher, and the replaced ones
// are closed by the server.
func (f engineFlags) engineFactory(ctx context.Context, notify func(string)) (server.EngineFactory, *host.Plugin, error) {
	if !f.wasm() {
		return nil, nil, nil
	}
	plugin, err := f.openPlugin(ctx, notify)
	if err != nil {
		return nil, nil, err
	}
	return func(ctx context.Context, file string, data []byte, _ *core.Policy, cfg core.Config) (core.Engine, error) {
		e, err := plugin.Load(ctx, file, data, cfg)
		if err != nil {
			return nil, err
		}
		return e, nil
	}, plugin, nil
}

// openPlugin resolves the module (--module, or defaultModule) and reads it,
// with wazero's compilation cache in cacheDir; notify hears of a first
// build or compile that takes a while.
func (f engineFlags) openPlugin(ctx context.Context, notify func(string)) (*host.Plugin, error) {
	path := *f.module
	if path == "" {
		stop := afterSlow(notify, "building the policy plugin from the source tree with the Go toolchain (first run only)…")
		p, err := defaultModule(ctx)
		stop()
		if err != nil {
			return nil, err
		}
		path = p
	}
	dir := cacheDir()
	opts := host.Options{CacheDir: dir, SlowCompileAfter: slowAfter}
	if notify != nil {
		msg := "compiling the policy plugin (first run only)…; the compiled code is cached in " + dir
		if dir == "" {
			msg = "compiling the policy plugin… (no user cache directory, so no compilation cache: every run compiles)"
		}
		opts.SlowCompile = func() { notify(msg) }
	}
	return host.OpenPlugin(path, *f.module != "", opts)
}

// afterSlow tells notify msg if the step that stop ends takes longer than
// slowAfter; stop waits for a notice under way.
func afterSlow(notify func(string), msg string) (stop func()) {
	if notify == nil {
		return func() {}
	}
	done := make(chan struct{})
	t := time.AfterFunc(slowAfter, func() {
		defer close(done)
		notify(msg)
	})
	return func() {
		if !t.Stop() {
			<-done
		}
	}
}

// cacheDir is wazero's compilation cache: os.UserCacheDir()/jwtgate/wazero
// ("" without a user cache directory: compile every time).
func cacheDir() string {
	base, err := os.UserCacheDir()
	if err != nil {
		return ""
	}
	return filepath.Join(base, "jwtgate", "wazero")
}

// defaultModule returns the module used without --module: jwtgate.wasm
// beside the executable, else, when the working directory is inside
// jwtgate's source tree (go run ./cmd/jwtgate, go test), the module built
// from wasm/guest by wasmbuild.Build, cached by source hash.
func defaultModule(ctx context.Context) (string, error) {
	if exe, err := os.Executable(); err == nil {
		if exe, err := filepath.EvalSymlinks(exe); err == nil {
			beside := filepath.Join(filepath.Dir(exe), moduleFile)
			if fi, err := os.Stat(beside); err == nil && fi.Mode().IsRegular() {
				return beside, nil
			}
		}
	}
	if !inSourceTree() {
		return "", errors.New("no wasm module: give --module FILE, or put " + moduleFile +
			" (make wasm) beside the jwtgate executable, or run jwtgate from its source tree")
	}
	path, err := wasmbuild.Build(ctx, wasmbuild.BuildOptions{})
	if err != nil {
		return "", fmt.Errorf("building the wasm module from the source tree: %w", err)
	}
	return path, nil
}

// inSourceTree reports whether the working directory is inside the
// jwtgate module (the nearest go.mod declares it).
func inSourceTree() bool {
	dir, err := os.Getwd()
	if err != nil {
		return false
	}
	for {
		f, err := os.Open(filepath.Join(dir, "go.mod"))
		if err == nil {
			defer f.Close()
			sc := bufio.NewScanner(f)
			for sc.Scan() {
				if mod, ok := strings.CutPrefix(strings.TrimSpace(sc.Text()), "module "); ok {
					return strings.Trim(strings.TrimSpace(mod), `"`) == "github.com/jwtgate/jwtgate"
				}
			}
			return false
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return false
		}
		dir = parent
	}
}

// Package wasmengine is jwtgate's --engine wasm: the policy plugin
// (wasm/ABI.md) run in the wazero host (package host) behind the native
// verifier's shape, for jwtgate verify and jwtgate serve.
//
// The module is found by this rule (see Open): the --module file when one
// is given (a custom module: every call then runs under CallTimeout);
// otherwise jwtgate.wasm beside the jwtgate executable (make build and
// make wasm put both in build/); otherwise, when the working directory is
// inside jwtgate's source tree (go run ./cmd/jwtgate, go test), the module
// built from wasm/guest by wasmbuild.Build, cached by source hash.
//
// The guest has no files, environment or network, so the policy is handed
// to it with its jwks_file, pem_file, secret_file and secret_env keys
// inlined (Inline); jwks_url keys are refused.
package wasmengine

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/jwtgate/jwtgate/core"
	"github.com/jwtgate/jwtgate/internal/wasmbuild"
	"github.com/jwtgate/jwtgate/policyfile"
	"github.com/jwtgate/jwtgate/wasm/host"
)

// ModuleName is the module's file name beside the jwtgate executable.
const ModuleName = "jwtgate.wasm"

// CustomCallTimeout bounds each call into a module given with --module:
// jwtgate's own module does bounded work, a module of unknown origin may
// not (see host.Options.CallTimeout for the cost).
const CustomCallTimeout = time.Second

// closeTimeout bounds the wait for calls in flight when an engine closes.
const closeTimeout = 10 * time.Second

// Plugin is a resolved module, read once, from which engines are loaded.
type Plugin struct {
	// Path is the module file.
	Path string
	// Custom reports a module given with --module.
	Custom bool

	module   []byte
	cacheDir string
	notify   func(string)
	slow     time.Duration
}

// Options adjust OpenWith.
type Options struct {
	// Notify, when set, is told of a first step that takes longer than
	// SlowAfter, while it runs: building the module from the source tree,
	// or compiling it (done once per module when there is a compilation
	// cache). Its calls are over before the step returns.
	Notify func(msg string)
	// SlowAfter is when a step is worth a notice. Default 1s.
	SlowAfter time.Duration
}

// CacheDir is wazero's compilation cache: os.UserCacheDir()/jwtgate/wazero
// ("" without a user cache directory: compile every time).
func CacheDir() string {
	base, err := os.UserCacheDir()
	if err != nil {
		return ""
	}
	return filepath.Join(base, "jwtgate", "wazero")
}

// Open resolves the module (modulePath, or the default rule of the package
// documentation when it is "") and reads it. It is compiled by Load, where
// a bad module is an error naming the file (IsModuleError).
func Open(ctx context.Context, modulePath string) (*Plugin, error) {
	return OpenWith(ctx, modulePath, Options{})
}

// OpenWith is Open with options.
func OpenWith(ctx context.Context, modulePath string, o Options) (*Plugin, error) {
	if o.SlowAfter <= 0 {
		o.SlowAfter = time.Second
	}
	p := &Plugin{Path: modulePath, Custom: modulePath != "", cacheDir: CacheDir(), notify: o.Notify, slow: o.SlowAfter}
	if p.Path == "" {
		stop := p.notifyIfSlow("building the policy plugin from the source tree with the Go toolchain (first run only)…")
		path, err := DefaultModule(ctx)
		stop()
		if err != nil {
			return nil, err
		}
		p.Path = path
	}
	module, err := os.ReadFile(p.Path)
	if err != nil {
		return nil, fmt.Errorf("wasm module: %w", err)
	}
	p.module = module
	return p, nil
}

func (p *Plugin) options(name string, replay core.ReplayStore) host.Options {
	o := host.Options{PolicyName: name, Replay: replay, CacheDir: p.cacheDir}
	if p.Custom {
		o.CallTimeout = CustomCallTimeout
	}
	if p.notify != nil {
		msg := "compiling the policy plugin (first run only)…; the compiled code is cached in " + p.cacheDir
		if p.cacheDir == "" {
			msg = "compiling the policy plugin… (no user cache directory, so no compilation cache: every run compiles)"
		}
		o.SlowCompile, o.SlowCompileAfter = func() { p.notify(msg) }, p.slow
	}
	return o
}

// notifyIfSlow tells Notify msg if the step that stop ends takes longer
// than SlowAfter; stop waits for a notice under way.
func (p *Plugin) notifyIfSlow(msg string) (stop func()) {
	if p.notify == nil {
		return func() {}
	}
	done := make(chan struct{})
	t := time.AfterFunc(p.slow, func() {
		defer close(done)
		p.notify(msg)
	})
	return func() {
		if !t.Stop() {
			<-done
		}
	}
}

// DefaultModule returns the module used without --module: jwtgate.wasm
// beside the executable, else the module built from the source tree the
// working directory is in.
func DefaultModule(ctx context.Context) (string, error) {
	if exe, err := os.Executable(); err == nil {
		if exe, err := filepath.EvalSymlinks(exe); err == nil {
			beside := filepath.Join(filepath.Dir(exe), ModuleName)
			if fi, err := os.Stat(beside); err == nil && fi.Mode().IsRegular() {
				return beside, nil
			}
		}
	}
	if !inSourceTree() {
		return "", errors.New("no wasm module: give --module FILE, or put " + ModuleName +
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

// IsModuleError reports an error of the module itself: it does not compile,
// lacks an export, imports what the host does not provide, or speaks
// another ABI version.
func IsModuleError(err error) bool {
	return errors.Is(err, host.ErrInvalidModule) || errors.Is(err, host.ErrABIVersion)
}

// Engine is one policy loaded into the plugin. It has the native
// verifier's Verify, failing closed; Close releases it.
type Engine struct{ h *host.Host }

// Load loads the policy file's bytes (already parsed natively as policy,
// which reports its errors with lines) into a new host of the plugin,
// with replay as its replay store. jwks_url keys are refused; file and
// environment keys are inlined.
func (p *Plugin) Load(ctx context.Context, file string, data []byte, policy *core.Policy, replay core.ReplayStore) (*Engine, error) {
	inlined, err := Inline(file, data)
	if err != nil {
		return nil, err
	}
	if urls := policy.JWKSURLs(); len(urls) > 0 { // Inline names the field; this is a backstop
		return nil, &core.PolicyError{File: file, Field: "keys", Reason: jwksURLReason}
	}
	h, err := host.Load(ctx, p.module, inlined, p.options(file, replay))
	if IsModuleError(err) {
		return nil, fmt.Errorf("wasm module %s: %w", p.Path, err)
	}
	if err != nil {
		return nil, err
	}
	return &Engine{h: h}, nil
}

// Verify verifies one request in the plugin. A failure of the plugin is an
// invalid_token refusal (host.Host.Verify).
func (e *Engine) Verify(ctx context.Context, req core.Request) *core.Decision {
	return e.h.Verify(ctx, req)
}

// Close waits a while for the calls in flight and closes the host.
func (e *Engine) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), closeTimeout)
	defer cancel()
	return e.h.Close(ctx)
}

const jwksURLReason = "the wasm engine cannot fetch jwks_url keys; inline the keys (jwks, pem or secret, or their _file forms) or use --engine native"

// Inline returns the policy document with every key the guest cannot read
// itself made inline: jwks_file becomes jwks, pem_file pem, secret_file
// and secret_env secret (files relative to the policy file's folder, as
// natively). A policy with none of them is returned unchanged; a jwks_url
// is a *core.PolicyError.
func Inline(file string, data []byte) ([]byte, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, &core.PolicyError{File: file, Reason: err.Error()}
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) == 0 {
		return data, nil
	}
	read := policyfile.Reader(file) // as natively: relative to the policy, bounded
	changed := false
	ins := deref(mapValue(doc.Content[0], "integrations"))
	if ins == nil || ins.Kind != yaml.SequenceNode {
		return data, nil
	}
	for _, in := range ins.Content {
		in = deref(in)
		if in.Kind != yaml.MappingNode {
			continue
		}
		name := ""
		if n := mapValue(in, "name"); n != nil {
			name = n.Value
		}
		for _, list := range []string{"keys", "decryption_keys"} {
			keys := deref(mapValue(in, list))
			if keys == nil || keys.Kind != yaml.SequenceNode {
				continue
			}
			for i, k := range keys.Content {
				k = deref(k)
				if k.Kind != yaml.MappingNode {
					continue
				}
				for j := 0; j+1 < len(k.Content); j += 2 {
					field, value := k.Content[j], k.Content[j+1]
					where := fmt.Sprintf("%s[%d].%s", list, i, field.Value)
					var material []byte
					switch field.Value {
					case "jwks_url":
						return nil, &core.PolicyError{File: file, Integration: name, Field: where, Line: field.Line, Reason: jwksURLReason}
					case "jwks_file", "pem_file", "secret_file":
						b, err := read(value.Value)
						if err != nil {
							return nil, &core.PolicyError{File: file, Integration: name, Field: where, Line: field.Line, Reason: err.Error()}
						}
						if field.Value == "secret_file" {
							b = bytes.TrimRight(b, "\r\n")
						}
						material = b
					case "secret_env":
						v, ok := os.LookupEnv(value.Value)
						if !ok || v == "" {
							return nil, &core.PolicyError{File: file, Integration: name, Field: where, Line: field.Line,
								Reason: fmt.Sprintf("environment variable %s is not set", value.Value)}
						}
						material = []byte(v)
					default:
						continue
					}
					field.Value = strings.TrimSuffix(strings.TrimSuffix(field.Value, "_file"), "_env")
					*value = yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: string(material)}
					changed = true
				}
			}
		}
	}
	if !changed {
		return data, nil
	}
	out, err := yaml.Marshal(&doc)
	if err != nil {
		return nil, &core.PolicyError{File: file, Reason: err.Error()}
	}
	return out, nil
}

// deref follows an alias to its anchored node (which is then inlined for
// every alias of it at once).
func deref(n *yaml.Node) *yaml.Node {
	for n != nil && n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	return n
}

// mapValue returns the value of key in a mapping node, or nil.
func mapValue(m *yaml.Node, key string) *yaml.Node {
	if m == nil || m.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i+1]
		}
	}
	return nil
}

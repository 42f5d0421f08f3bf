// Package browser is jwtgate in the browser: the core built with GOOS=js
// GOARCH=wasm (./wasm), the ES module that loads it (jwtgate.js) and a page
// a person would use (index.html, app.js, style.css). This package builds
// the module and serves the folder; ./serve is a tiny server around it and
// browser_test.go drives the page in headless Chromium. See README.md.
package browser

import (
	"bytes"
	"context"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"strings"
	"time"

	"github.com/jwtgate/jwtgate/internal/traceview"
	"github.com/jwtgate/jwtgate/internal/wasmbuild"
)

// startTime is the modification time of the embedded files.
var startTime = time.Now()

// WasmPackage is the import path of the module's main package.
const WasmPackage = "github.com/jwtgate/jwtgate/examples/browser/wasm"

// The page's static files, served as they are; beside them trace.js, the
// checklist the admin console shares (internal/traceview).
//
//go:embed index.html app.js jwtgate.js style.css
var static embed.FS

// BuildTags are the module's build tags: jwtgate_nojwe leaves JWE out of
// the core, since the module refuses decryption keys (in a page, they
// would be public); jwtgate_webcrypto leaves the signature arithmetic to
// the page's WebCrypto, so that the module links no RSA, ECDSA, Ed25519,
// math/big, crypto/x509 or go-jose (see docs/architecture.md).
var BuildTags = []string{"jwtgate_nojwe", "jwtgate_webcrypto"}

// Files the build writes into a site folder.
const (
	ModuleFile    = "jwtgate.wasm"     // go build output, as the page loads it
	OptModuleFile = "jwtgate.opt.wasm" // the same after wasm-opt -Oz, when asked for
	WasmExecFile  = "wasm_exec.js"     // the toolchain's own support script
)

// WasmOptArgs are the wasm-opt arguments of the optimised module. Go's
// output uses sign-extension, non-trapping float-to-int and bulk-memory
// instructions, which binaryen must be told to accept.
var WasmOptArgs = []string{"-Oz", "--enable-sign-ext", "--enable-nontrapping-float-to-int", "--enable-bulk-memory"}

// BuildOptions adjust Build.
type BuildOptions struct {
	// Go is the go command; default "go".
	Go string
	// WasmOpt is the wasm-opt command; "" builds no optimised module.
	WasmOpt string
	// CacheDir keeps wasm-opt outputs by the hash of their input (it takes
	// a minute or more). Default: os.UserCacheDir()/jwtgate/browser.
	CacheDir string
}

// Site is a built site folder.
type Site struct {
	Dir string
	// Module is the module's path; OptModule the optimised one's, or "".
	Module, OptModule string
	// HashedModule is the file name of the module's copy named for its
	// content (jwtgate.<hash>.wasm): the name the page loads, served to be
	// cached for a year, since a new build gets a new name.
	HashedModule string
	// OptError says why no optimised module was made, when one was asked for.
	OptError error
}

// Build builds the module into dir (created if needed) and copies the
// toolchain's wasm_exec.js beside it. The module is built with wasmbuild.Build
// (GOOS=js, -trimpath, -ldflags="-s -w", -tags BuildTags), which reuses a build of the same
// sources. It runs inside the jwtgate source
// tree (the go command finds the module from the working directory).
func Build(ctx context.Context, dir string, opts BuildOptions) (*Site, error) {
	goCmd := opts.Go
	if goCmd == "" {
		goCmd = "go"
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	site := &Site{Dir: dir, Module: filepath.Join(dir, ModuleFile)}
	// wasmbuild.Build keeps the module until a source changes (and so the
	// wasm-opt output keyed by it), for every test binary and serve.
	built, err := wasmbuild.Build(ctx, wasmbuild.BuildOptions{Package: WasmPackage, GOOS: "js", Tags: BuildTags, LDFlags: "-s -w", Go: goCmd})
	if err != nil {
		return nil, err
	}
	if err := site.Publish(built); err != nil {
		return nil, err
	}
	execJS, err := WasmExecPath(ctx, goCmd)
	if err != nil {
		return nil, err
	}
	if err := copyFile(execJS, filepath.Join(dir, WasmExecFile)); err != nil {
		return nil, err
	}
	if opts.WasmOpt != "" {
		opt := filepath.Join(dir, OptModuleFile)
		if err := wasmOpt(ctx, opts, site.Module, opt); err != nil {
			site.OptError = err
		} else {
			site.OptModule = opt
		}
	}
	return site, nil
}

// Publish makes file the module the page loads: it is copied to Module
// and to HashedModule, the name for its content (the previous one stays,
// for pages loaded before).
func (s *Site) Publish(file string) error {
	name, err := hashedName(file)
	if err != nil {
		return err
	}
	for _, to := range []string{s.Module, filepath.Join(s.Dir, name)} {
		if err := copyFile(file, to); err != nil {
			return err
		}
	}
	s.HashedModule = name
	return nil
}

// hashedName is jwtgate.<the first 16 hex digits of the SHA-256 of the file>.wasm.
func hashedName(file string) (string, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256(data)
	return "jwtgate." + hex.EncodeToString(sum[:8]) + ".wasm", nil
}

// WasmExecPath finds the toolchain's wasm_exec.js: lib/wasm since Go 1.24,
// misc/wasm before.
func WasmExecPath(ctx context.Context, goCmd string) (string, error) {
	out, err := exec.CommandContext(ctx, goCmd, "env", "GOROOT").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOROOT: %v", err)
	}
	root := strings.TrimSpace(string(out))
	for _, p := range []string{filepath.Join(root, "lib", "wasm", "wasm_exec.js"), filepath.Join(root, "misc", "wasm", "wasm_exec.js")} {
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
	}
	return "", fmt.Errorf("no wasm_exec.js under %s/lib/wasm or %s/misc/wasm", root, root)
}

func wasmOpt(ctx context.Context, opts BuildOptions, in, out string) error {
	data, err := os.ReadFile(in)
	if err != nil {
		return err
	}
	version, _ := exec.CommandContext(ctx, opts.WasmOpt, "--version").Output()
	h := sha256.New()
	fmt.Fprintf(h, "%s\x00%s\x00", version, strings.Join(WasmOptArgs, " "))
	h.Write(data)
	cacheDir := opts.CacheDir
	if cacheDir == "" {
		base, err := os.UserCacheDir()
		if err != nil {
			base = os.TempDir()
		}
		cacheDir = filepath.Join(base, "jwtgate", "browser")
	}
	if err := os.MkdirAll(cacheDir, 0o755); err != nil {
		return err
	}
	cached := filepath.Join(cacheDir, "opt-"+hex.EncodeToString(h.Sum(nil))[:24]+".wasm")
	if _, err := os.Stat(cached); err != nil {
		tmp := cached + ".tmp"
		args := append(append([]string{}, WasmOptArgs...), in, "-o", tmp)
		cmd := exec.CommandContext(ctx, opts.WasmOpt, args...)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		if err := cmd.Run(); err != nil {
			os.Remove(tmp)
			return fmt.Errorf("wasm-opt: %v\n%s", err, stderr.Bytes())
		}
		if err := os.Rename(tmp, cached); err != nil {
			return err
		}
	}
	return copyFile(cached, out)
}

func copyFile(from, to string) error {
	src, err := os.Open(from)
	if err != nil {
		return err
	}
	defer src.Close()
	dst, err := os.Create(to)
	if err != nil {
		return err
	}
	if _, err := io.Copy(dst, src); err != nil {
		dst.Close()
		return err
	}
	return dst.Close()
}

// ContentSecurityPolicy is the policy Handler sends with the page: scripts
// only from the page's origin, WebAssembly compilation allowed, and
// connections anywhere over http(s) for jwks_url key sets.
const ContentSecurityPolicy = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'; img-src 'self' data:; connect-src 'self' https: http:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

// immutable is the caching of a file named for its content.
const immutable = "public, max-age=31536000, immutable"

// Handler serves the page's static files and the site's module files, and
// nothing else. The page is served naming the module by its content-hashed
// name, which may be cached for a year; everything else is revalidated on
// each use (no-cache, with Last-Modified).
func Handler(site *Site) http.Handler {
	siteFiles := map[string]bool{ModuleFile: true, OptModuleFile: true, WasmExecFile: true, site.HashedModule: true}
	index, err := static.ReadFile("index.html")
	if err != nil {
		panic(err) // embedded
	}
	index = bytes.ReplaceAll(index, []byte(`"`+ModuleFile+`"`), []byte(`"`+site.HashedModule+`"`))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		name := strings.TrimPrefix(path.Clean(r.URL.Path), "/")
		if name == "" {
			name = "index.html"
		}
		h := w.Header()
		h.Set("Cache-Control", "no-cache")
		if name == site.HashedModule {
			h.Set("Cache-Control", immutable)
		}
		h.Set("X-Content-Type-Options", "nosniff")
		switch path.Ext(name) {
		case ".html":
			h.Set("Content-Type", "text/html; charset=utf-8")
			h.Set("Content-Security-Policy", ContentSecurityPolicy)
		case ".js":
			h.Set("Content-Type", "text/javascript; charset=utf-8")
		case ".css":
			h.Set("Content-Type", "text/css; charset=utf-8")
		case ".wasm":
			h.Set("Content-Type", "application/wasm")
		}
		if siteFiles[name] {
			f, err := os.Open(filepath.Join(site.Dir, name))
			if err != nil {
				http.NotFound(w, r)
				return
			}
			defer f.Close()
			fi, err := f.Stat()
			if err != nil {
				http.Error(w, err.Error(), http.StatusInternalServerError)
				return
			}
			http.ServeContent(w, r, name, fi.ModTime(), f)
			return
		}
		data, err := static.ReadFile(name)
		switch name {
		case "index.html":
			data = index
		case traceview.File:
			data, err = traceview.JS, nil
		}
		if err != nil {
			h.Del("Content-Security-Policy")
			http.NotFound(w, r)
			return
		}
		http.ServeContent(w, r, name, startTime, bytes.NewReader(data))
	})
}

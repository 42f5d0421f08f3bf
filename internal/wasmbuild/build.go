// Package wasmbuild builds jwtgate's WebAssembly modules: the policy
// plugin (wasm/guest, whose ABI is written down in wasm/ABI.md), the
// proxy-wasm filter and the browser module.
//
// The module is built with the standard Go toolchain (GOOS=wasip1
// GOARCH=wasm, -buildmode=c-shared); `make wasm` does that for releases.
// Build does it for tests and development: it keys the output by a hash of
// every source file that goes into it, so a build is reused until a source
// changes, and no binary is ever committed. The cache is shared by every
// process: test binaries of several packages that ask for the same module
// at once wait for one build of it.
package wasmbuild

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/jwtgate/jwtgate/internal/filelock"
)

// GuestPackage is the import path of the module's main package.
const GuestPackage = "github.com/jwtgate/jwtgate/wasm/guest"

// BuildOptions adjust a build of the module.
type BuildOptions struct {
	// Package is the main package to build (default GuestPackage, the
	// policy plugin; the proxy-wasm example builds its filter this way).
	Package string
	// Tags are extra build tags ("jwtgate_faults" builds the fault-injection
	// variant used by the host's sandbox tests).
	Tags []string
	// LDFlags are passed to the linker (such as "-s -w", or "-X ...").
	LDFlags string
	// CacheDir holds built modules, one file per source hash. Default:
	// os.UserCacheDir()/jwtgate/wasm, or the system temp dir without one.
	CacheDir string
	// Go is the go command. Default "go".
	Go string
	// GOOS is the target: "wasip1" (default), a -buildmode=c-shared WASI
	// module such as the plugin; or "js", a module for the browser run by
	// the toolchain's wasm_exec.js (examples/browser).
	GOOS string
}

var buildMu sync.Mutex

// Build builds the guest module, or reuses a build of the same sources,
// and returns the path of the .wasm file. It must run inside the jwtgate
// module's source tree (tests do; the go command finds the module from the
// working directory).
func Build(ctx context.Context, opts BuildOptions) (string, error) {
	buildMu.Lock()
	defer buildMu.Unlock()
	goCmd := opts.Go
	if goCmd == "" {
		goCmd = "go"
	}
	dir := opts.CacheDir
	if dir == "" {
		base, err := os.UserCacheDir()
		if err != nil {
			base = os.TempDir()
		}
		dir = filepath.Join(base, "jwtgate", "wasm")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	pkg := opts.Package
	if pkg == "" {
		pkg = GuestPackage
	}
	goos := opts.GOOS
	if goos == "" {
		goos = "wasip1"
	}
	if goos != "wasip1" && goos != "js" {
		return "", fmt.Errorf("wasm.Build: GOOS %q: want wasip1 or js", goos)
	}
	tags := strings.Join(opts.Tags, ",")
	env := append(os.Environ(), "GOOS="+goos, "GOARCH=wasm", "CGO_ENABLED=0")
	hash, err := sourceHash(ctx, goCmd, env, goos, pkg, tags, opts.LDFlags)
	if err != nil {
		return "", err
	}
	out := filepath.Join(dir, "jwtgate-"+hash[:24]+".wasm")
	if found(out) {
		return out, nil
	}
	// Another process may be building the same module: wait for it, then
	// look again.
	unlock, err := filelock.Lock(filepath.Join(dir, "build.lock"))
	if err != nil {
		return "", err
	}
	defer unlock()
	if found(out) {
		return out, nil
	}
	prune(dir, 3*24*time.Hour)
	tmp, err := os.CreateTemp(dir, "build-*.wasm")
	if err != nil {
		return "", err
	}
	tmp.Close()
	defer os.Remove(tmp.Name())
	args := []string{"build", "-trimpath", "-o", tmp.Name()}
	if goos == "wasip1" {
		args = append(args, "-buildmode=c-shared")
	}
	if tags != "" {
		args = append(args, "-tags", tags)
	}
	if opts.LDFlags != "" {
		args = append(args, "-ldflags", opts.LDFlags)
	}
	args = append(args, pkg)
	cmd := exec.CommandContext(ctx, goCmd, args...)
	cmd.Env = env
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("building the wasm module: %v\n%s", err, stderr.Bytes())
	}
	// Rename is atomic: a concurrent test process sees the whole file or none.
	if err := os.Rename(tmp.Name(), out); err != nil {
		return "", err
	}
	return out, nil
}

// found reports whether the build at out exists, and marks it as in use so
// that pruning keeps it.
func found(out string) bool {
	if _, err := os.Stat(out); err != nil {
		return false
	}
	now := time.Now()
	os.Chtimes(out, now, now)
	return true
}

// sourceHash hashes what determines the module: the toolchain version, the
// build settings, go.mod and go.sum, and every non-standard source file the
// package depends on for the target.
func sourceHash(ctx context.Context, goCmd string, env []string, goos, pkg, tags, ldflags string) (string, error) {
	run := func(args ...string) ([]byte, error) {
		cmd := exec.CommandContext(ctx, goCmd, args...)
		cmd.Env = env
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil {
			return nil, fmt.Errorf("go %s: %v\n%s", strings.Join(args, " "), err, stderr.Bytes())
		}
		return out, nil
	}
	h := sha256.New()
	version, err := run("env", "GOVERSION", "GOMOD")
	if err != nil {
		return "", err
	}
	fmt.Fprintf(h, "%s\x00goos=%s\x00pkg=%s\x00tags=%s\x00ldflags=%s\x00", version, goos, pkg, tags, ldflags)
	lines := strings.Split(strings.TrimSpace(string(version)), "\n")
	if gomod := lines[len(lines)-1]; gomod != "" && gomod != os.DevNull {
		for _, f := range []string{gomod, filepath.Join(filepath.Dir(gomod), "go.sum")} {
			if err := hashFile(h, f); err != nil && !errors.Is(err, os.ErrNotExist) {
				return "", err
			}
		}
	}
	listArgs := []string{"list", "-deps"}
	if tags != "" {
		listArgs = append(listArgs, "-tags", tags)
	}
	listArgs = append(listArgs, "-f", "{{if not .Standard}}{{$d := .Dir}}{{range .GoFiles}}{{$d}}/{{.}}\n{{end}}{{range .EmbedFiles}}{{$d}}/{{.}}\n{{end}}{{end}}", pkg)
	files, err := run(listArgs...)
	if err != nil {
		return "", err
	}
	n := 0
	for _, f := range strings.Split(string(files), "\n") {
		if f == "" {
			continue
		}
		n++
		if err := hashFile(h, f); err != nil {
			return "", err
		}
	}
	if n == 0 {
		return "", errors.New("go list found no sources for " + pkg)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// prune removes builds unused for longer than age: every source change
// leaves one behind.
func prune(dir string, age time.Duration) {
	old, _ := filepath.Glob(filepath.Join(dir, "jwtgate-*.wasm"))
	for _, f := range old {
		if fi, err := os.Stat(f); err == nil && time.Since(fi.ModTime()) > age {
			os.Remove(f)
		}
	}
}

func hashFile(h io.Writer, name string) error {
	f, err := os.Open(name)
	if err != nil {
		return err
	}
	defer f.Close()
	fmt.Fprintf(h, "%s\x00", name)
	_, err = io.Copy(h, f)
	return err
}

package proxytest

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
)

// FilterPackage is the import path of the filter's main package.
const FilterPackage = "github.com/jwtgate/jwtgate/examples/proxy-wasm/filter"

// BuildOptions adjust Build.
type BuildOptions struct {
	// Package is the main package to build. Default FilterPackage.
	Package string
	// CacheDir holds built modules, one file per source hash. Default
	// os.UserCacheDir()/jwtgate/proxy-wasm, or the temp dir without one.
	CacheDir string
	// LDFlags are passed to the linker.
	LDFlags string
}

var buildMu sync.Mutex

// Build builds the filter (GOOS=wasip1 GOARCH=wasm -buildmode=c-shared) or
// reuses a build of the same sources, and returns the .wasm file's path.
// It follows wasm.Build (which builds only the policy plugin): the output
// is keyed by a hash of the toolchain version, the flags, go.mod, go.sum and
// every non-standard source file of the package, so no binary is ever
// committed and a build is reused until a source changes. It must run
// inside the jwtgate module's tree.
func Build(ctx context.Context, opts BuildOptions) (string, error) {
	buildMu.Lock()
	defer buildMu.Unlock()
	pkg := opts.Package
	if pkg == "" {
		pkg = FilterPackage
	}
	dir := opts.CacheDir
	if dir == "" {
		base, err := os.UserCacheDir()
		if err != nil {
			base = os.TempDir()
		}
		dir = filepath.Join(base, "jwtgate", "proxy-wasm")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	env := append(os.Environ(), "GOOS=wasip1", "GOARCH=wasm", "CGO_ENABLED=0", "GOFLAGS=")
	hash, err := sourceHash(ctx, env, pkg, opts.LDFlags)
	if err != nil {
		return "", err
	}
	out := filepath.Join(dir, "filter-"+hash[:24]+".wasm")
	if _, err := os.Stat(out); err == nil {
		now := time.Now()
		os.Chtimes(out, now, now)
		return out, nil
	}
	prune(dir, 7*24*time.Hour)
	tmp, err := os.CreateTemp(dir, "build-*.wasm")
	if err != nil {
		return "", err
	}
	tmp.Close()
	defer os.Remove(tmp.Name())
	args := []string{"build", "-buildmode=c-shared", "-trimpath", "-o", tmp.Name()}
	if opts.LDFlags != "" {
		args = append(args, "-ldflags", opts.LDFlags)
	}
	cmd := exec.CommandContext(ctx, "go", append(args, pkg)...)
	cmd.Env = env
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("building %s: %v\n%s", pkg, err, stderr.Bytes())
	}
	if err := os.Rename(tmp.Name(), out); err != nil {
		return "", err
	}
	return out, nil
}

func sourceHash(ctx context.Context, env []string, pkg, ldflags string) (string, error) {
	run := func(args ...string) ([]byte, error) {
		cmd := exec.CommandContext(ctx, "go", args...)
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
	fmt.Fprintf(h, "%s\x00%s\x00ldflags=%s\x00", version, pkg, ldflags)
	lines := strings.Split(strings.TrimSpace(string(version)), "\n")
	if gomod := lines[len(lines)-1]; gomod != "" && gomod != os.DevNull {
		for _, f := range []string{gomod, filepath.Join(filepath.Dir(gomod), "go.sum")} {
			if err := hashFile(h, f); err != nil && !errors.Is(err, os.ErrNotExist) {
				return "", err
			}
		}
	}
	files, err := run("list", "-deps", "-f", "{{if not .Standard}}{{$d := .Dir}}{{range .GoFiles}}{{$d}}/{{.}}\n{{end}}{{range .EmbedFiles}}{{$d}}/{{.}}\n{{end}}{{end}}", pkg)
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

func prune(dir string, age time.Duration) {
	old, _ := filepath.Glob(filepath.Join(dir, "filter-*.wasm"))
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

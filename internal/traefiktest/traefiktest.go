// Package traefiktest builds a real Traefik for the tests that run the
// manual's Traefik configuration (server's TestForwardAuthBehindTraefik).
//
// Traefik is not a dependency of jwtgate's module (it would bring hundreds
// of modules into go.mod): it is built as a tool of its own, from its
// module's source as the Go module proxy serves it, once per machine, into
// os.UserCacheDir()/jwtgate/traefik-VERSION/traefik. A cold build takes
// minutes (about 11 CPU-minutes and 3.3 GB of memory; 1.5 GB of modules,
// deleted after it), so .ci/run builds it before the tests and every later
// run reuses it.
package traefiktest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"

	"github.com/jwtgate/jwtgate/internal/filelock"
)

// Version is the Traefik built. The newest served release, v3.7.x, cannot
// be built from the Go module proxy: it needs a nested module
// (github.com/traefik/traefik/dynamic/ext) and DNS-provider modules the
// proxy does not serve. v3.6.12 builds from served modules only.
const Version = "v3.6.12"

const module = "github.com/traefik/traefik/v3"

// Dir is where Version is built: os.UserCacheDir()/jwtgate/traefik-VERSION.
func Dir() (string, error) {
	base, err := os.UserCacheDir()
	if err != nil {
		return "", err
	}
	return filepath.Join(base, "jwtgate", "traefik-"+Version), nil
}

// Binary returns the path of the Traefik binary, building it first if no
// earlier run has. Processes asking at once wait for one build.
func Binary(ctx context.Context) (string, error) {
	dir, err := Dir()
	if err != nil {
		return "", err
	}
	bin := filepath.Join(dir, "traefik")
	if isFile(bin) {
		return bin, nil
	}
	unlock, err := filelock.Lock(filepath.Join(dir, "build.lock"))
	if err != nil {
		return "", err
	}
	defer unlock()
	if isFile(bin) {
		return bin, nil
	}
	if err := build(ctx, dir, bin); err != nil {
		return "", fmt.Errorf("building traefik %s: %w", Version, err)
	}
	return bin, nil
}

func isFile(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && fi.Mode().IsRegular()
}

// build downloads Traefik's module into a module cache of its own, copies
// its source and builds it there as the main module. `go install
// module@version` cannot: Traefik's go.mod has replace directives (its
// forks of gorilla/mux and go-http-auth), which only a main module may have.
func build(ctx context.Context, dir, bin string) error {
	work := filepath.Join(dir, "work")
	env := append(os.Environ(),
		"GOMODCACHE="+filepath.Join(work, "mod"),
		"GOCACHE="+filepath.Join(work, "cache"),
		"GOFLAGS=", "GOWORK=off", "GOTOOLCHAIN=local", "CGO_ENABLED=0")
	// The module cache's files are read-only: go clean removes it. Also
	// first: a build killed before its cleanup left its work behind.
	clean := func() {
		cmd := exec.Command("go", "clean", "-modcache")
		cmd.Env = env
		cmd.Run()
		os.RemoveAll(work)
	}
	clean()
	defer clean()
	out, err := run(ctx, env, "", "go", "mod", "download", "-json", module+"@"+Version)
	if err != nil {
		return err
	}
	var m struct{ Dir, Error string }
	if err := json.Unmarshal(out, &m); err != nil || m.Dir == "" {
		return fmt.Errorf("go mod download: no source folder (%v %s)", err, m.Error)
	}
	src := filepath.Join(work, "src")
	if err := os.CopyFS(src, os.DirFS(m.Dir)); err != nil {
		return err
	}
	tmp := bin + ".tmp"
	defer os.Remove(tmp)
	if _, err := run(ctx, env, src, "go", "build", "-trimpath",
		"-ldflags", "-X "+module+"/pkg/version.Version="+Version, "-o", tmp, "./cmd/traefik"); err != nil {
		return err
	}
	// Rename is atomic: another process sees the whole binary or none.
	return os.Rename(tmp, bin)
}

func run(ctx context.Context, env []string, dir string, name string, args ...string) ([]byte, error) {
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Env = env
	cmd.Dir = dir
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		tail := stderr.Bytes()
		if len(tail) > 4000 {
			tail = tail[len(tail)-4000:]
		}
		return nil, errors.Join(fmt.Errorf("%s %v: %w", name, args, err), errors.New(string(tail)))
	}
	return out, nil
}

package browsertest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/jwtgate/jwtgate/internal/filelock"
)

// npmTimeout bounds npm ci: an unreachable registry must fail the test,
// not hang it.
const npmTimeout = 5 * time.Minute

// installModules makes dir/node_modules (dir is examples/browser) hold
// the playwright-core that package-lock.json pins, running npm ci when it
// does not. The browser tests of two packages may start at once: the lock
// file lets one of them install while the other waits.
func installModules(dir, lockFile string) error {
	want, err := lockedVersion(dir)
	if err != nil {
		return err
	}
	if installedVersion(dir) == want {
		return nil
	}
	unlock, err := filelock.Lock(lockFile)
	if err != nil {
		return err
	}
	defer unlock()
	if installedVersion(dir) == want {
		return nil // installed while we waited
	}
	npm, err := exec.LookPath("npm")
	if err != nil {
		return errors.New("npm not found (install Node.js 20 or later with npm; then cd examples/browser && npm ci)")
	}
	ctx, cancel := context.WithTimeout(context.Background(), npmTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, npm, "ci", "--no-audit", "--no-fund", "--loglevel=error")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		if ctx.Err() != nil {
			err = fmt.Errorf("no answer in %v", npmTimeout)
		}
		return fmt.Errorf("npm ci in examples/browser failed (%v; is the npm registry reachable?): %s", err, strings.TrimSpace(out.String()))
	}
	if got := installedVersion(dir); got != want {
		return fmt.Errorf("npm ci in examples/browser installed playwright-core %q, package-lock.json pins %q", got, want)
	}
	return nil
}

// lockedVersion is the playwright-core version package-lock.json pins.
func lockedVersion(dir string) (string, error) {
	data, err := os.ReadFile(filepath.Join(dir, "package-lock.json"))
	if err != nil {
		return "", err
	}
	var lock struct {
		Packages map[string]struct {
			Version string `json:"version"`
		} `json:"packages"`
	}
	if err := json.Unmarshal(data, &lock); err != nil {
		return "", fmt.Errorf("examples/browser/package-lock.json: %w", err)
	}
	v := lock.Packages["node_modules/playwright-core"].Version
	if v == "" {
		return "", errors.New("examples/browser/package-lock.json pins no playwright-core")
	}
	return v, nil
}

// installedVersion is the version of the playwright-core in node_modules,
// or "" when there is none.
func installedVersion(dir string) string {
	data, err := os.ReadFile(filepath.Join(dir, "node_modules", "playwright-core", "package.json"))
	if err != nil {
		return ""
	}
	var pkg struct {
		Version string `json:"version"`
	}
	json.Unmarshal(data, &pkg)
	return pkg.Version
}

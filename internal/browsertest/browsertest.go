// Package browsertest finds and runs what the headless Chromium tests
// need: Debian's Chromium, node, and playwright-core (installed in
// examples/browser/node_modules by `npm ci`, which Find runs when it is
// missing; it downloads no browser). A missing one skips the test, or
// fails it when CI=true; -short skips the browser tests.
package browsertest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// ChromiumArgs are the flags Chromium runs with in the tests: headless, no
// sandbox (root in a container), and nothing that reaches the network on
// its own.
var ChromiumArgs = []string{
	"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
	"--disable-background-networking", "--disable-component-update", "--disable-sync",
}

// Tools are the paths of Chromium, node and the node_modules folder that
// holds playwright-core.
type Tools struct {
	Chromium, Node, Modules string
}

// Find returns the tools, or skips the test (fails it with CI=true)
// saying what is missing. It installs playwright-core first when
// node_modules lacks the version package-lock.json pins. -short skips the
// test (make test-short: asked for, not missing).
func Find(t testing.TB) Tools {
	t.Helper()
	ci := os.Getenv("CI") == "true"
	if testing.Short() {
		t.Skip("-short: the browser test starts Chromium")
	}
	var missing []string
	tools := Tools{Chromium: os.Getenv("JWTGATE_CHROMIUM")}
	if tools.Chromium == "" {
		tools.Chromium = "/usr/bin/chromium"
	}
	if _, err := os.Stat(tools.Chromium); err != nil {
		missing = append(missing, fmt.Sprintf("Chromium at %s (apt-get install -y chromium; or set JWTGATE_CHROMIUM)", tools.Chromium))
	}
	var err error
	if tools.Node, err = exec.LookPath("node"); err != nil {
		missing = append(missing, "node (Node.js 20 or later)")
	}
	root, err := moduleRoot()
	if err != nil {
		t.Fatal(err)
	}
	tools.Modules = filepath.Join(root, "examples", "browser", "node_modules")
	if err := installModules(filepath.Join(root, "examples", "browser"), filepath.Join(root, "build", "npm-ci.lock")); err != nil {
		missing = append(missing, "playwright-core in examples/browser/node_modules: "+err.Error())
	}
	if len(missing) > 0 {
		msg := "the browser test needs: " + strings.Join(missing, "; ")
		if ci {
			t.Fatal(msg + " (CI=true: a missing browser fails the run)")
		}
		t.Skip(msg)
	}
	return tools
}

// moduleRoot is the folder of go.mod above the working directory (a
// test's package folder).
func moduleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("no go.mod above the working directory")
		}
		dir = parent
	}
}

// Run runs `node script in.json out.json` with in marshalled to in.json,
// and unmarshals out.json into out. The script runs with a home of its
// own under work; its output goes to the test log.
func (tools Tools) Run(ctx context.Context, t testing.TB, work, script string, in, out any) error {
	t.Helper()
	inPath, outPath := filepath.Join(work, "in.json"), filepath.Join(work, "out.json")
	data, err := json.Marshal(in)
	if err != nil {
		return err
	}
	if err := os.WriteFile(inPath, data, 0o644); err != nil {
		return err
	}
	start := time.Now()
	cmd := exec.CommandContext(ctx, tools.Node, script, inPath, outPath)
	cmd.Env = append(os.Environ(), "HOME="+filepath.Join(work, "home"), "PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1")
	var output bytes.Buffer
	cmd.Stdout, cmd.Stderr = &output, &output
	err = cmd.Run()
	t.Logf("%s (%v):\n%s", filepath.Base(script), time.Since(start).Round(time.Millisecond), output.Bytes())
	if err != nil {
		return fmt.Errorf("%s: %w", filepath.Base(script), err)
	}
	if data, err = os.ReadFile(outPath); err != nil {
		return err
	}
	return json.Unmarshal(data, out)
}

// Context is a browser test's budget: until shortly before go test's
// -timeout would stop the whole binary, so that a browser too slow for it
// fails the test saying what it was doing, not with a goroutine dump. The
// margin is a minute, or a quarter of the time left when that is less.
// Without a -timeout (-timeout 0) there is no deadline.
func Context(t testing.TB) (context.Context, context.CancelFunc) {
	if d, ok := t.(interface{ Deadline() (time.Time, bool) }); ok {
		if deadline, ok := d.Deadline(); ok {
			margin := min(time.Minute, time.Until(deadline)/4)
			return context.WithDeadline(context.Background(), deadline.Add(-margin))
		}
	}
	return context.WithCancel(context.Background())
}

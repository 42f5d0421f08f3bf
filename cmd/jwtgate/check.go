package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/jwtgate/jwtgate/core"
	"github.com/jwtgate/jwtgate/policyfile"
	"github.com/jwtgate/jwtgate/server"
)

// checkUsage is the -h text of jwtgate check, before its flags.
const checkUsage = "Usage: jwtgate check --config FILE [--engine native|wasm]\n\nLoads the file as jwtgate serve would, without serving, and lists every problem.\nExit 0 (prints \"FILE: ok\") or 2.\n\nFlags:\n"

// runCheck lints a configuration file as serve loads it: the policy and
// the service section together, every problem listed (one a line, as the
// loaders give them), the store's DSN checked but not opened.
func runCheck(_ context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("check", checkUsage, stderr)
	config := fs.String("config", "", "configuration file (policy and service section); required")
	engine := fs.String("engine", engineNative, `check as serve --engine loads it: "native", or "wasm" (which also inlines the key files for the plugin)`)
	if code, ok := parseFlagsOnly(fs, stderr, args); !ok {
		return code
	}
	switch {
	case *config == "":
		return usageError(fs, stderr, "--config is required")
	case *engine != engineNative && *engine != engineWasm:
		return usageError(fs, stderr, "--engine: want native or wasm, found %q", *engine)
	}
	problems := server.Check(*config)
	if *engine == engineWasm && !anyPolicyError(problems) {
		if data, err := os.ReadFile(*config); err == nil {
			if _, err := core.InlinePolicy(*config, data, policyfile.Options(*config)); err != nil {
				problems = append(problems, err)
			}
		}
	}
	if len(problems) == 0 {
		fmt.Fprintf(stdout, "%s: ok\n", *config)
		return exitOK
	}
	n := 0
	for _, p := range problems {
		for _, line := range strings.Split(p.Error(), "\n") {
			fmt.Fprintln(stderr, line)
			n++
		}
	}
	plural := "s"
	if n == 1 {
		plural = ""
	}
	fmt.Fprintf(stderr, "jwtgate check: %d problem%s in %s\n", n, plural, *config)
	return exitUsage
}

// anyPolicyError reports whether the policy itself was refused (the
// plugin's own check would only repeat it).
func anyPolicyError(errs []error) bool {
	var pe *core.PolicyError
	for _, err := range errs {
		if errors.As(err, &pe) {
			return true
		}
	}
	return false
}

package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/jwtgate/jwtgate/core"
	"github.com/jwtgate/jwtgate/policyfile"
)

// policyUsage is the -h text of jwtgate policy build, before its flags.
const policyUsage = "Usage: jwtgate policy build POLICY [-o FILE]\n\nWrites the policy's bundle: one canonical JSON document with every key inline as a JWK,\nits key files and secret_env read, durations normalised, the service section dropped,\nand a content hash checked when it loads. The edge targets (plugin, proxy filter,\nbrowser) load bundles. A bundle of shared secrets is itself a secret (written 0600).\nExit 0, or 2 with the policy's problems.\n\nFlags:\n"

func runPolicy(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	return runSubcommand(ctx, args, "build", "Usage: jwtgate policy build POLICY [-o FILE]", runPolicyBuild, stdout, stderr)
}

func runPolicyBuild(_ context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("policy build", policyUsage, stderr)
	out := fs.String("o", "", "file to write the bundle to (default: stdout)")
	pos, code, ok := parseFlags(fs, args)
	switch {
	case !ok:
		return code
	case len(pos) != 1:
		return usageError(fs, stderr, "want one policy file, found %d arguments", len(pos))
	}
	path := pos[0]
	data, err := policyfile.ReadFile(path, policyfile.MaxFileBytes)
	if err != nil {
		fmt.Fprintf(stderr, "jwtgate policy build: %v\n", err)
		return exitUsage
	}
	bundle, err := core.BuildBundle(path, data, policyfile.Options(path))
	if err != nil {
		for _, line := range strings.Split(err.Error(), "\n") {
			fmt.Fprintln(stderr, line)
		}
		return exitUsage
	}
	if *out == "" {
		_, _ = stdout.Write(bundle)
		return exitOK
	}
	if err := os.WriteFile(*out, bundle, 0o600); err != nil {
		fmt.Fprintf(stderr, "jwtgate policy build: %v\n", err)
		return exitRejected
	}
	fmt.Fprintf(stderr, "wrote %s (%d bytes)\n", *out, len(bundle))
	return exitOK
}

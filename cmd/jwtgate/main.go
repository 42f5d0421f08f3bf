// Command jwtgate verifies JSON Web Tokens against a claim policy, mints and
// keys test tokens, and runs jwtgate serve: the verifying side of the seed
// products as one HTTP service (remote validation, forward authentication,
// sign-in with sessions, token exchange, JWKS).
//
// Usage:
//
//	jwtgate verify --config FILE [--now UNIX] [--explain] [--integration NAME] [--redirect TARGET] [--engine native|wasm] [--module FILE] TOKEN|-
//	jwtgate verify --config FILE --batch [--engine native|wasm] < tokens.txt
//	jwtgate check --config FILE [--engine native|wasm]
//	jwtgate keys generate --alg ALG --kid KID [--out FILE] [--bits N] [--force]
//	jwtgate mint --key FILE --claims JSON|@FILE [--kid KID] [--alg ALG] [--ttl 1h] [--header JSON]
//	jwtgate serve --config FILE [--listen 127.0.0.1:8080] [--data-dir .jwtgate] [--store DSN] [--log-level info] [--engine native|wasm] [--module FILE]
//	jwtgate integrations list|get|apply|delete|test|export [--server URL] [--token-file FILE] [--tenant T] …
//	jwtgate demo [--dir .demo] [--url http://127.0.0.1:8080]
//	jwtgate version
//
// Exit status: 0 success (a valid token), 1 a rejected token or a runtime
// failure, 2 a usage or configuration error.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
)

func main() {
	os.Exit(run(context.Background(), os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

// Exit codes.
const (
	exitOK       = 0
	exitRejected = 1 // a rejected token, or a runtime failure
	exitUsage    = 2 // bad arguments or a bad configuration
)

const usageText = `jwtgate verifies JSON Web Tokens against a per-tenant claim policy.

Usage:
  jwtgate verify --config FILE [--now UNIX] [--explain] [--integration NAME] [--redirect TARGET] [--engine native|wasm] [--module FILE] TOKEN|-
  jwtgate verify --config FILE --batch [--engine native|wasm]   (one token per line on stdin)
  jwtgate check --config FILE [--engine native|wasm]   (lints the file as serve loads it)
  jwtgate keys generate --alg ALG --kid KID [--out FILE] [--bits N] [--force]
  jwtgate jwks check URL [--alg ALG,...]   (what jwtgate makes of a published JWK set)
  jwtgate policy build POLICY [-o FILE]   (the policy as one canonical JSON bundle, keys inline)
  jwtgate mint --key FILE --claims JSON|@FILE [--kid KID] [--alg ALG] [--ttl 1h] [--header JSON]
  jwtgate serve --config FILE [--listen 127.0.0.1:8080] [--data-dir .jwtgate] [--store DSN] [--log-level info] [--engine native|wasm] [--module FILE]
  jwtgate integrations list|get|apply|delete|test|export [--server URL] [--token-file FILE] [--tenant T]   (the admin API of serve)
  jwtgate demo [--dir .demo] [--url http://127.0.0.1:8080]
  jwtgate version   (also --version)

Run "jwtgate COMMAND -h" for the flags of a command.
`

// run is the whole command, minus the process: it returns the exit status.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usageText)
		return exitUsage
	}
	cmd, rest := args[0], args[1:]
	switch cmd {
	case "verify":
		return runVerify(ctx, rest, stdin, stdout, stderr)
	case "check":
		return runCheck(ctx, rest, stdout, stderr)
	case "keys":
		return runKeys(ctx, rest, stdout, stderr)
	case "mint":
		return runMint(ctx, rest, stdout, stderr)
	case "policy":
		return runPolicy(ctx, rest, stdout, stderr)
	case "jwks":
		return runJWKS(ctx, rest, stdout, stderr)
	case "serve":
		return runServe(ctx, rest, stderr)
	case "integrations":
		return runIntegrations(ctx, rest, stdin, stdout, stderr)
	case "demo":
		return runDemo(ctx, rest, stdout, stderr)
	case "version", "-version", "--version":
		return runVersion(stdout)
	case "help", "-h", "-help", "--help":
		fmt.Fprint(stdout, usageText)
		return exitOK
	}
	fmt.Fprintf(stderr, "jwtgate: unknown command %q\n\n%s", cmd, usageText)
	return exitUsage
}

// newFlagSet returns the flag set of one command: it reports errors to
// stderr instead of exiting, and -h prints usage, then the flags.
func newFlagSet(name, usage string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("jwtgate "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(stderr, usage)
		fs.PrintDefaults()
	}
	return fs
}

// parseFlags parses args, allowing flags after positional arguments
// ("verify TOKEN --config f" as well as "verify --config f TOKEN"). After a
// literal "--" everything is positional. It returns the positional
// arguments, or an exit status when parsing failed (or -h was asked for).
func parseFlags(fs *flag.FlagSet, args []string) ([]string, int, bool) {
	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, exitOK, false
			}
			return nil, exitUsage, false
		}
		rest := fs.Args()
		consumed := len(args) - len(rest)
		if consumed > 0 && args[consumed-1] == "--" {
			return append(positional, rest...), 0, true
		}
		if len(rest) == 0 {
			return positional, 0, true
		}
		positional = append(positional, rest[0])
		args = rest[1:]
	}
}

// parseFlagsOnly is parseFlags for a command that takes no positional
// argument: one is a usage error.
func parseFlagsOnly(fs *flag.FlagSet, stderr io.Writer, args []string) (int, bool) {
	pos, code, ok := parseFlags(fs, args)
	if !ok {
		return code, false
	}
	if len(pos) > 0 {
		return usageError(fs, stderr, "unexpected argument %q", pos[0]), false
	}
	return 0, true
}

// runSubcommand runs a command that has one subcommand (keys generate,
// policy build, jwks check): run with the rest of args when args[0] is
// name; -h prints usage on stdout (exit 0), anything else on stderr (2).
func runSubcommand(ctx context.Context, args []string, name, usage string, run func(context.Context, []string, io.Writer, io.Writer) int, stdout, stderr io.Writer) int {
	if len(args) > 0 && args[0] == name {
		return run(ctx, args[1:], stdout, stderr)
	}
	if len(args) > 0 && (args[0] == "-h" || args[0] == "--help" || args[0] == "help") {
		fmt.Fprintln(stdout, usage)
		return exitOK
	}
	fmt.Fprintln(stderr, usage)
	return exitUsage
}

// usageError prints a usage message for fs and returns exitUsage.
func usageError(fs *flag.FlagSet, stderr io.Writer, format string, args ...any) int {
	fmt.Fprintf(stderr, "%s: %s\n", fs.Name(), fmt.Sprintf(format, args...))
	fmt.Fprintf(stderr, "Run %q for usage.\n", fs.Name()+" -h")
	return exitUsage
}

// readArg returns s, or the contents of the file named after "@".
func readArg(s string) ([]byte, error) {
	if name, ok := strings.CutPrefix(s, "@"); ok {
		return os.ReadFile(name)
	}
	return []byte(s), nil
}

package main

import (
	"cmp"
	"context"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/jwtgate/jwtgate/core"
	"github.com/jwtgate/jwtgate/jwks"
)

// jwksUsage is the -h text of jwtgate jwks check, before its flags.
const jwksUsage = "Usage: jwtgate jwks check URL [--alg ALG,...]\n\nFetches the JWK set at URL as jwtgate serve would (5 s timeout, 1 MiB, no redirects)\nand reports each key: kid, kty, alg, use, size, what it would verify or why it is skipped,\nand how long the set would be cached. Exit 0, or 1 when no key is usable (or the fetch fails).\n\nFlags:\n"

func runJWKS(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	return runSubcommand(ctx, args, "check", "Usage: jwtgate jwks check URL [--alg ALG,...]", runJWKSCheck, stdout, stderr)
}

func runJWKSCheck(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("jwks check", jwksUsage, stderr)
	algs := fs.String("alg", "", "the integration's algorithms, comma-separated (default: every algorithm jwtgate verifies)")
	pos, code, ok := parseFlags(fs, args)
	switch {
	case !ok:
		return code
	case len(pos) != 1:
		return usageError(fs, stderr, "want one URL, found %d arguments", len(pos))
	case !strings.HasPrefix(pos[0], "https://") && !strings.HasPrefix(pos[0], "http://"):
		return usageError(fs, stderr, "want an http(s) URL, found %q", pos[0])
	}
	var allowed []string
	if *algs != "" {
		allowed = strings.Split(*algs, ",")
		for _, a := range allowed {
			if !slices.Contains(signingAlgorithms, a) {
				return usageError(fs, stderr, "--alg: %q is not an algorithm jwtgate verifies", a)
			}
		}
	}
	url := pos[0]
	_, set, ttl, err := jwks.New(jwks.Options{URLs: []string{url}}).Fetch(ctx, url)
	if err != nil {
		fmt.Fprintf(stderr, "jwtgate jwks check: %v\n", err)
		return exitRejected
	}
	infos := core.InspectKeySet(set, allowed)
	usable := printKeyInfos(stdout, infos)
	fmt.Fprintf(stdout, "%s: %d keys, %d usable; cached for %v\n", url, len(infos), usable, ttl)
	if usable == 0 {
		fmt.Fprintln(stderr, "jwtgate jwks check: no usable signing key is published")
		return exitRejected
	}
	return exitOK
}

// printKeyInfos prints a line a key and returns how many are usable.
func printKeyInfos(w io.Writer, infos []core.KeyInfo) int {
	usable := 0
	for i, k := range infos {
		name := fmt.Sprintf("key %d", i)
		if k.KeyID != "" {
			name = fmt.Sprintf("kid %q", k.KeyID)
		}
		desc := fmt.Sprintf("%s: kty %s, alg %s, use %s, %s", name, k.Type, cmp.Or(k.Algorithm, "-"), cmp.Or(k.Use, "-"), k.Size)
		switch {
		case k.Secret:
			fmt.Fprintf(w, "%s: WARNING: a shared secret published at a URL: anyone who fetches it can mint tokens; jwtgate never uses it; remove it\n", desc)
		case len(k.Verifies) > 0:
			fmt.Fprintf(w, "%s: verifies %s\n", desc, strings.Join(k.Verifies, ", "))
			usable++
		default:
			fmt.Fprintf(w, "%s: skipped: %s\n", desc, k.Skipped)
		}
	}
	return usable
}

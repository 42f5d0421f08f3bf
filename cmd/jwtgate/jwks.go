package main

import (
	"cmp"
	"context"
	"flag"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/jwtgate/jwtgate/core"
	"github.com/jwtgate/jwtgate/jwks"
)

// jwksUsage is the -h text of jwtgate jwks check, before its flags.
const jwksUsage = "Usage: jwtgate jwks check URL [--alg ALG,...]\n       jwtgate jwks check --discovery ISSUER [--jwks-hosts HOST,...] [--alg ALG,...]\n\nFetches the JWK set at URL as jwtgate serve would (5 s timeout, 1 MiB, no redirects)\nand reports each key: kid, kty, alg, use, size, what it would verify or why it is skipped,\nand how long the set would be cached. With --discovery, the set is the jwks_uri of ISSUER's\nOpenID Connect discovery document, checked as a {discovery: true} key entry checks it.\nExit 0, or 1 when no key is usable (or a fetch or check fails).\n\nFlags:\n"

func runJWKS(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	return runSubcommand(ctx, args, "check", "Usage: jwtgate jwks check URL [--alg ALG,...] | --discovery ISSUER", runJWKSCheck, stdout, stderr)
}

func runJWKSCheck(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("jwks check", jwksUsage, stderr)
	algs := fs.String("alg", "", "the integration's algorithms, comma-separated (default: every algorithm jwtgate verifies)")
	issuer := fs.String("discovery", "", "an issuer: check the set its discovery document names instead of a URL's")
	hosts := fs.String("jwks-hosts", "", "with --discovery: the other hosts its jwks_uri may name, comma-separated, as jwks_hosts")
	pos, code, ok := parseFlags(fs, args)
	switch {
	case !ok:
		return code
	case *issuer != "" && len(pos) != 0:
		return usageError(fs, stderr, "want a URL or --discovery ISSUER, not both")
	case *issuer == "" && *hosts != "":
		return usageError(fs, stderr, "--jwks-hosts goes with --discovery")
	case *issuer != "":
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
	var url string
	if *issuer != "" {
		var code int
		if url, code = discoverJWKS(ctx, fs, *issuer, *hosts, stdout, stderr); url == "" {
			return code
		}
	} else {
		url = pos[0]
	}
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

// discoverJWKS reads issuer's discovery document as a {discovery: true,
// jwks_hosts: hosts} entry would, says what it found, and returns its
// jwks_uri; "" and the exit code when it cannot be used.
func discoverJWKS(ctx context.Context, fs *flag.FlagSet, issuer, hosts string, stdout, stderr io.Writer) (string, int) {
	var list []string
	if hosts != "" {
		list = strings.Split(hosts, ",")
	}
	d, err := core.DiscoveryOf(issuer, list)
	if err != nil {
		return "", usageError(fs, stderr, "--discovery: %v", err)
	}
	uri, ttl, err := jwks.New(jwks.Options{Discoveries: []core.Discovery{d}}).Discover(ctx, d.URL)
	if err != nil {
		fmt.Fprintf(stderr, "jwtgate jwks check: %v\n", err)
		return "", exitRejected
	}
	fmt.Fprintf(stdout, "%s: issuer %q, jwks_uri %s; cached for %v\n", d.URL, d.Issuer, uri, ttl)
	return uri, exitOK
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

package main

import (
	"context"
	"fmt"
	"io"
	"net/http"

	"github.com/jwtgate/jwtgate/core"
)

const testUsage = "Usage: jwtgate integrations test NAME --tenant T [--server URL] [--token-file FILE] TOKEN|-\n\nAsks the server's token tester about a token (- reads it from stdin) against the\nintegration in force, and prints the decision with its trace as\njwtgate verify --explain does (a one-time jti is neither checked nor consumed).\nExit 0 valid, 1 rejected or a failure, 2 a usage error.\n\nFlags:\n"

func runIntegrationsTest(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := newFlagSet("integrations test", testUsage, stderr)
	af := addAdminFlags(fs, "the integration's tenant; required")
	pos, code, ok := parseFlags(fs, args)
	switch {
	case !ok:
		return code
	case len(pos) != 2:
		return usageError(fs, stderr, "want the integration NAME and one TOKEN (or - to read it from stdin)")
	}
	c, code, ok := af.tenantClient(fs, stderr)
	if !ok {
		return code
	}
	path := adminPath("tenants", *af.tenant, "integrations", pos[0], "test")
	var failure error
	d, err := verifyArg(pos[1], stdin, func(tok string) *core.Decision {
		var d core.Decision
		if _, failure = c.call(ctx, http.MethodPost, path, map[string]string{"token": tok}, &d, http.StatusOK); failure != nil {
			return nil
		}
		return &d
	})
	switch {
	case err != nil:
		fmt.Fprintf(stderr, "jwtgate: read token: %v\n", err)
		return exitRejected
	case failure != nil:
		return reportError(stderr, "jwtgate integrations test: "+*af.tenant+"/"+pos[0], failure)
	}
	return writeDecision(stdout, d)
}

package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
)

const deleteUsage = "Usage: jwtgate integrations delete NAME --tenant T [--yes] [--server URL] [--token-file FILE]\n\nDisconnects a stored integration: its tokens are refused and its sessions end\nat once (its revisions are kept). Without --yes it asks on the terminal, and\nrefuses when there is none.\n\nFlags:\n"

// maxAnswerLine bounds the confirmation read from the terminal.
const maxAnswerLine = 1 << 10

func runIntegrationsDelete(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := newFlagSet("integrations delete", deleteUsage, stderr)
	af := addAdminFlags(fs, "the integration's tenant; required")
	yes := fs.Bool("yes", false, "delete without asking")
	pos, code, ok := parseFlags(fs, args)
	switch {
	case !ok:
		return code
	case len(pos) != 1:
		return usageError(fs, stderr, "want one integration NAME, found %d arguments", len(pos))
	}
	c, code, ok := af.tenantClient(fs, stderr)
	if !ok {
		return code
	}
	label := *af.tenant + "/" + pos[0]
	if !*yes {
		if !isTerminal(stdin) {
			return usageError(fs, stderr, "not deleting %s without --yes: there is no terminal to ask on", label)
		}
		fmt.Fprintf(stderr, "Delete integration %s? Its tokens are refused from now on. [y/N] ", label)
		if !confirmed(stdin) {
			fmt.Fprintln(stderr, "jwtgate integrations delete: not deleted")
			return exitRejected
		}
	}
	if _, err := c.call(ctx, http.MethodDelete, adminPath("tenants", *af.tenant, "integrations", pos[0]), nil, nil, http.StatusNoContent); err != nil {
		return reportError(stderr, "jwtgate integrations delete: "+label, err)
	}
	fmt.Fprintf(stdout, "%s: deleted\n", label)
	return exitOK
}

// isTerminal reports whether r is a terminal (a character device).
func isTerminal(r io.Reader) bool {
	f, ok := r.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

// confirmed reads one answer line: y or yes, in any case.
func confirmed(r io.Reader) bool {
	sc := bufio.NewScanner(io.LimitReader(r, maxAnswerLine))
	if !sc.Scan() {
		return false
	}
	a := strings.ToLower(strings.TrimSpace(sc.Text()))
	return a == "y" || a == "yes"
}

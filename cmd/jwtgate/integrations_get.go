package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
)

const getUsage = "Usage: jwtgate integrations get NAME --tenant T [-o yaml|json] [--server URL] [--token-file FILE]\n\nPrints one integration: as a policy file fragment (yaml, the default, which\njwtgate integrations apply reads back) or as the admin API shows it (json).\nSecrets appear as their fingerprint placeholders.\n\nFlags:\n"

func runIntegrationsGet(ctx context.Context, args []string, _ io.Reader, stdout, stderr io.Writer) int {
	fs := newFlagSet("integrations get", getUsage, stderr)
	af := addAdminFlags(fs, "the integration's tenant; required")
	format := fs.String("o", "yaml", "output format: yaml or json")
	pos, code, ok := parseFlags(fs, args)
	switch {
	case !ok:
		return code
	case len(pos) != 1:
		return usageError(fs, stderr, "want one integration NAME, found %d arguments", len(pos))
	case *format != "yaml" && *format != "json":
		return usageError(fs, stderr, "-o: want yaml or json, found %q", *format)
	}
	c, code, ok := af.tenantClient(fs, stderr)
	if !ok {
		return code
	}
	var raw json.RawMessage
	a, err := c.call(ctx, http.MethodGet, adminPath("tenants", *af.tenant, "integrations", pos[0]), nil, &raw, http.StatusOK)
	if err != nil {
		return reportError(stderr, "jwtgate integrations get", err)
	}
	if *format == "json" {
		return writeIndentedJSON(stdout, stderr, a.body)
	}
	var v integrationView
	if err := json.Unmarshal(raw, &v); err != nil {
		fmt.Fprintf(stderr, "jwtgate integrations get: the server's answer: %v\n", err)
		return exitRejected
	}
	if v.Source != "api" {
		// A file's integration is not shown by the API: it is in the file.
		fmt.Fprintf(stdout, "# %s is defined by the configuration file jwtgate serve loads (read-only): see it there.\n", v.Integration)
		return exitOK
	}
	out, err := policyFileOf([]integrationView{v})
	if err != nil {
		fmt.Fprintf(stderr, "jwtgate integrations get: %v\n", err)
		return exitRejected
	}
	stdout.Write(out)
	return exitOK
}

// writeIndentedJSON prints a JSON answer indented by two spaces, as it
// is (numbers and member order kept).
func writeIndentedJSON(stdout, stderr io.Writer, raw []byte) int {
	var b bytes.Buffer
	if err := json.Indent(&b, bytes.TrimSpace(raw), "", "  "); err != nil {
		fmt.Fprintf(stderr, "jwtgate: the server's answer is not JSON: %v\n", err)
		return exitRejected
	}
	b.WriteByte('\n')
	stdout.Write(b.Bytes())
	return exitOK
}

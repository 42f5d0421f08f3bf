package main

import (
	"context"
	"fmt"
	"io"
	"os"
)

const exportUsage = "Usage: jwtgate integrations export [--tenant T] [-o FILE] [--server URL] [--token-file FILE]\n\nWrites every stored integration (source api) of a tenant, or of every tenant the\ncredential may see, as a policy file: entries named TENANT--NAME with their\ntenant, their service settings under service.integrations. jwtgate integrations\napply reads it back as it is. Secrets appear as fingerprint placeholders: fill\nin their values before jwtgate serve --config (or jwtgate check) loads the file.\n\nFlags:\n"

// exportHeader starts an exported file: what it is and what to do with
// its placeholders.
const exportHeader = `# Integrations exported by "jwtgate integrations export".
# "jwtgate integrations apply -f FILE" applies this file back as it is.
# Secrets appear as placeholders, {fingerprint: "sha256:…"}: apply keeps the
# stored secret of each; replace each by the secret's value before this file
# is loaded by "jwtgate serve --config" (or checked by "jwtgate check").
`

func runIntegrationsExport(ctx context.Context, args []string, _ io.Reader, stdout, stderr io.Writer) int {
	fs := newFlagSet("integrations export", exportUsage, stderr)
	af := addAdminFlags(fs, "export this tenant's integrations only (default: every tenant's)")
	out := fs.String("o", "", "file to write (mode 0600; default: stdout)")
	if code, ok := parseFlagsOnly(fs, stderr, args); !ok {
		return code
	}
	c, code, ok := af.client(fs, stderr)
	if !ok {
		return code
	}
	views, err := c.exportViews(ctx, *af.tenant)
	if err != nil {
		return reportError(stderr, "jwtgate integrations export", err)
	}
	body, err := policyFileOf(views)
	if err != nil {
		fmt.Fprintf(stderr, "jwtgate integrations export: %v\n", err)
		return exitRejected
	}
	data := append([]byte(exportHeader), body...)
	if *out == "" {
		stdout.Write(data)
		return exitOK
	}
	if err := os.WriteFile(*out, data, 0o600); err != nil {
		fmt.Fprintf(stderr, "jwtgate integrations export: %v\n", err)
		return exitRejected
	}
	fmt.Fprintf(stderr, "wrote %s (%d integrations)\n", *out, len(views))
	return exitOK
}

// exportViews reads the stored integrations of tenant (every tenant's
// when empty), each with its document.
func (c *adminClient) exportViews(ctx context.Context, tenant string) ([]integrationView, error) {
	tenants := []string{tenant}
	if tenant == "" {
		var err error
		if tenants, err = c.tenants(ctx); err != nil {
			return nil, err
		}
	}
	var out []integrationView
	for _, t := range tenants {
		list, err := c.integrations(ctx, t)
		if err != nil {
			return nil, err
		}
		for _, v := range list {
			if v.Source != "api" {
				continue
			}
			full, _, found, err := c.integration(ctx, t, v.Name)
			if err != nil {
				return nil, err
			}
			if found { // deleted since it was listed: nothing to export
				out = append(out, full)
			}
		}
	}
	return out, nil
}

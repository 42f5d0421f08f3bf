package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"

	"github.com/jwtgate/jwtgate/internal/jsondiff"
)

const applyUsage = "Usage: jwtgate integrations apply -f FILE [--dry-run] [--server URL] [--token-file FILE]\n\nStores each integration of a policy file (the YAML of jwtgate serve --config;\nonly integrations and service.integrations are read) through the admin API, at\n/v1/admin/tenants/{tenant}/integrations/{name}: tenant from the entry's tenant\n(required), name from its name less a leading \"TENANT--\" (as export writes it).\nPrints per integration created, updated (with what changed) or unchanged.\nAn integration changed on the server since it was read is reported, not\noverwritten. --dry-run has the server check each write in full and prints what\nit would change, writing nothing.\nExit 0, 1 when the server failed or refused a change, 2 when the file or an\nintegration is refused as wrong.\n\nFlags:\n"

func runIntegrationsApply(ctx context.Context, args []string, _ io.Reader, stdout, stderr io.Writer) int {
	fs := newFlagSet("integrations apply", applyUsage, stderr)
	af := addAdminFlags(fs, "") // each entry's tenant says where it goes
	file := fs.String("f", "", "policy file of the integrations to apply; required")
	dryRun := fs.Bool("dry-run", false, "print what would change, change nothing")
	if code, ok := parseFlagsOnly(fs, stderr, args); !ok {
		return code
	}
	if *file == "" {
		return usageError(fs, stderr, "-f FILE is required")
	}
	c, code, ok := af.client(fs, stderr)
	if !ok {
		return code
	}
	entries, err := readApplyFile(*file)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return exitUsage
	}
	a := &applier{c: c, dryRun: *dryRun, stdout: stdout, stderr: stderr}
	status := exitOK
	for _, e := range entries {
		status = max(status, a.apply(ctx, e))
	}
	return status
}

// applier applies a file's integrations one by one.
type applier struct {
	c              *adminClient
	dryRun         bool
	stdout, stderr io.Writer
}

// errFileIntegration is apply's refusal of an integration the server's
// configuration file defines: the API cannot change it.
var errFileIntegration = errors.New("defined by the configuration file jwtgate serve loads (read-only): change it there")

// apply reads the entry's integration, then stores the entry's document
// over the revision read (If-Match), or creates it (If-None-Match: *);
// with --dry-run the server checks the write in full and says what it
// would change, storing nothing. It returns the exit status of this entry.
func (a *applier) apply(ctx context.Context, e applyEntry) int {
	label := e.tenant + "/" + e.name
	v, etag, found, err := a.c.integration(ctx, e.tenant, e.name)
	switch {
	case err != nil:
		return reportError(a.stderr, label, err)
	case found && v.Source != "api":
		return reportError(a.stderr, label, errFileIntegration)
	}
	precondition := []string{"If-None-Match", "*"}
	if found {
		precondition = []string{"If-Match", etag}
	}
	path := adminPath("tenants", e.tenant, "integrations", e.name)
	if a.dryRun {
		path += "?dry_run=true"
	}
	ans, err := a.c.do(ctx, http.MethodPut, path, e.doc, precondition...)
	if err != nil {
		return reportError(a.stderr, label, err)
	}
	var out integrationView
	if err := ans.decode(&out, http.StatusOK, http.StatusCreated); err != nil {
		code := reportError(a.stderr, label, err)
		if ans.status == http.StatusPreconditionFailed {
			fmt.Fprintf(a.stderr, "%s: it changed on the server after it was read; nothing was written: run apply again to see the difference from what is there now\n", label)
		}
		return code
	}
	rev := " (revision " + strconv.FormatInt(out.Revision, 10) + ")"
	switch {
	case out.Changed != nil && !*out.Changed:
		fmt.Fprintf(a.stdout, "%s: unchanged\n", label)
	case !found && a.dryRun:
		fmt.Fprintf(a.stdout, "%s: would create\n", label)
	case !found:
		fmt.Fprintf(a.stdout, "%s: created%s\n", label, rev)
	case a.dryRun:
		fmt.Fprintf(a.stdout, "%s: would update%s\n", label, rev)
		writeDiff(a.stdout, out.Diff)
	default:
		fmt.Fprintf(a.stdout, "%s: updated%s\n", label, rev)
		writeDiff(a.stdout, out.Diff)
	}
	return exitOK
}

// writeDiff prints changes one a line, indented: "~ PATH: FROM -> TO",
// "+ PATH: VALUE", "- PATH: VALUE", values as compact JSON.
func writeDiff(w io.Writer, diff []jsondiff.Change) {
	for _, d := range diff {
		switch d.Op {
		case "add":
			fmt.Fprintf(w, "  + %s: %s\n", d.Path, d.To)
		case "remove":
			fmt.Fprintf(w, "  - %s: %s\n", d.Path, d.From)
		default:
			fmt.Fprintf(w, "  ~ %s: %s -> %s\n", d.Path, d.From, d.To)
		}
	}
}

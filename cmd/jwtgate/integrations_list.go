package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	neturl "net/url"
	"strconv"
	"text/tabwriter"

	"github.com/jwtgate/jwtgate/internal/jsondiff"
)

// integrationView is an integration as the admin API shows it (the
// server's integrationView: secrets as fingerprint placeholders).
type integrationView struct {
	Tenant      string            `json:"tenant"`
	Name        string            `json:"name"`
	Integration string            `json:"integration"`
	Source      string            `json:"source"`
	Issuer      string            `json:"issuer"`
	Status      string            `json:"status"`
	Problem     string            `json:"problem"`
	Revision    int64             `json:"revision"`
	Policy      json.RawMessage   `json:"policy"`
	Service     json.RawMessage   `json:"service"`
	Changed     *bool             `json:"changed"`
	Diff        []jsondiff.Change `json:"diff"`
}

// Bounds of a listing of every tenant: the server's largest page, and
// how many pages are read before giving up (a server that keeps
// answering full pages of the same IDs would otherwise never end).
const (
	tenantPage     = 1000
	maxTenantPages = 1000
)

const listUsage = "Usage: jwtgate integrations list [--tenant T] [--server URL] [--token-file FILE]\n\nLists the integrations of a tenant, or of every tenant the credential may see:\ntenant, name, source (api or file), status, revision, issuer.\n\nFlags:\n"

func runIntegrationsList(ctx context.Context, args []string, _ io.Reader, stdout, stderr io.Writer) int {
	fs := newFlagSet("integrations list", listUsage, stderr)
	af := addAdminFlags(fs, "list this tenant's integrations only (default: every tenant's)")
	if code, ok := parseFlagsOnly(fs, stderr, args); !ok {
		return code
	}
	c, code, ok := af.client(fs, stderr)
	if !ok {
		return code
	}
	tenants := []string{*af.tenant}
	if *af.tenant == "" {
		var err error
		if tenants, err = c.tenants(ctx); err != nil {
			return reportError(stderr, "jwtgate integrations list", err)
		}
	}
	w := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "TENANT\tNAME\tSOURCE\tSTATUS\tREVISION\tISSUER")
	for _, t := range tenants {
		views, err := c.integrations(ctx, t)
		if err != nil {
			w.Flush()
			return reportError(stderr, "jwtgate integrations list: tenant "+t, err)
		}
		for _, v := range views {
			rev := "-"
			if v.Revision != 0 {
				rev = strconv.FormatInt(v.Revision, 10)
			}
			fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\n", v.Tenant, v.Name, v.Source, v.Status, rev, v.Issuer)
		}
	}
	w.Flush()
	return exitOK
}

// tenants lists the IDs of every tenant the credential may see, page by
// page.
func (c *adminClient) tenants(ctx context.Context) ([]string, error) {
	var ids []string
	after := ""
	for range maxTenantPages {
		var page struct {
			Tenants []struct {
				ID     string `json:"id"`
				Source string `json:"source"`
			} `json:"tenants"`
		}
		path := adminPath("tenants") + "?limit=" + strconv.Itoa(tenantPage)
		if after != "" {
			path += "&after=" + neturl.QueryEscape(after)
		}
		if _, err := c.call(ctx, http.MethodGet, path, nil, &page, http.StatusOK); err != nil {
			return nil, err
		}
		stored := 0
		for _, t := range page.Tenants {
			ids = append(ids, t.ID)
			if t.Source == "api" {
				stored++
				after = t.ID
			}
		}
		// The first page also lists the file's tenants: only the stored
		// ones are paged.
		if stored < tenantPage {
			return ids, nil
		}
	}
	return nil, fmt.Errorf("more than %d tenants", tenantPage*maxTenantPages)
}

// integrations lists a tenant's integrations (without their documents).
func (c *adminClient) integrations(ctx context.Context, tenant string) ([]integrationView, error) {
	var list struct {
		Integrations []integrationView `json:"integrations"`
	}
	_, err := c.call(ctx, http.MethodGet, adminPath("tenants", tenant, "integrations"), nil, &list, http.StatusOK)
	return list.Integrations, err
}

// integration reads one integration with its document; found is false
// when the server has none of that name (or no such tenant).
func (c *adminClient) integration(ctx context.Context, tenant, name string) (v integrationView, etag string, found bool, err error) {
	a, err := c.do(ctx, http.MethodGet, adminPath("tenants", tenant, "integrations", name), nil)
	if err != nil {
		return v, "", false, err
	}
	if a.status == http.StatusNotFound {
		return v, "", false, nil
	}
	if err := a.decode(&v, http.StatusOK); err != nil {
		return v, "", false, err
	}
	return v, a.etag, true, nil
}

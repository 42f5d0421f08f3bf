package server

import (
	"encoding/json"
	"time"

	"github.com/jwtgate/jwtgate/internal/jsondiff"
	"github.com/jwtgate/jwtgate/internal/secretdoc"
	"github.com/jwtgate/jwtgate/store"
)

// integrationView is an integration as the admin API shows it: secrets
// replaced by their fingerprints.
type integrationView struct {
	Tenant string `json:"tenant"`
	Name   string `json:"name"`
	// Integration is its name in decisions and the policy.
	Integration string `json:"integration"`
	// Source is "api" or "file"; a file's integration is read-only.
	Source   string `json:"source"`
	ReadOnly bool   `json:"read_only"`
	Issuer   string `json:"issuer,omitempty"`
	// Status is "active" (in force on this instance), "pending" (stored,
	// not yet built here) or "refused" (the loader refused it beside the
	// others: Problem says why).
	Status        string          `json:"status"`
	Problem       string          `json:"problem,omitempty"`
	Revision      int64           `json:"revision,omitempty"`
	DraftRevision int64           `json:"draft_revision,omitempty"`
	UpdatedAt     *time.Time      `json:"updated_at,omitempty"`
	UpdatedBy     string          `json:"updated_by,omitempty"`
	Policy        json.RawMessage `json:"policy,omitempty"`
	Service       json.RawMessage `json:"service,omitempty"`
	Secrets       []secretView    `json:"secrets,omitempty"`
	// Changed and Diff answer a write: whether it made a revision, and
	// what it changed from the one before.
	Changed *bool             `json:"changed,omitempty"`
	Diff    []jsondiff.Change `json:"diff,omitempty"`
	// DryRun marks the answer of a write checked but not made.
	DryRun bool `json:"dry_run,omitempty"`
}

// secretView is one write-only value: where it is and its fingerprint.
type secretView struct {
	Path        string `json:"path"`
	Fingerprint string `json:"fingerprint"`
}

// storedView shows a stored integration's head and one of its documents
// (in the clear; redacted here).
func storedView(c *config, rec store.IntegrationRecord, plain []byte, operator bool) (integrationView, error) {
	full := policyName(rec.Tenant, rec.Name)
	v := integrationView{
		Tenant: rec.Tenant, Name: rec.Name, Integration: full, Source: "api",
		Revision: rec.Live, DraftRevision: rec.Draft, UpdatedBy: rec.UpdatedBy,
	}
	if !rec.UpdatedAt.IsZero() {
		t := rec.UpdatedAt
		v.UpdatedAt = &t
	}
	if plain != nil {
		public, secrets, err := secretdoc.Redact(plain)
		if err != nil {
			return v, err
		}
		var doc integrationDoc
		if err := json.Unmarshal(public, &doc); err != nil {
			return v, err
		}
		v.Policy, v.Service = doc.Policy, doc.Service
		for _, s := range secrets {
			v.Secrets = append(v.Secrets, secretView{Path: s.Path, Fingerprint: s.Fingerprint})
		}
	}
	v.Status, v.Problem = status(c, full, operator)
	if in := c.integrations[full]; in != nil {
		v.Issuer = in.Issuer
	}
	return v, nil
}

// status says whether an integration is in force on this instance.
func status(c *config, full string, operator bool) (string, string) {
	if reason, bad := c.quarantined[full]; bad {
		if !operator {
			reason = "the loader refused it beside the other integrations (an operator can see why in the log)"
		}
		return "refused", reason
	}
	if c.integrations[full] != nil {
		return "active", ""
	}
	return "pending", ""
}

// fileViews shows the configuration file's integrations of a tenant:
// read-only, their documents in the file.
func fileViews(c *config, tenant string) []integrationView {
	var out []integrationView
	for _, name := range c.fileTenants[tenant] {
		out = append(out, integrationView{
			Tenant: tenant, Name: name, Integration: name, Source: "file", ReadOnly: true,
			Issuer: c.integrations[name].Issuer, Status: "active",
		})
	}
	return out
}

package server

import (
	"context"
	"encoding/json"
	"errors"
	"maps"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/jwtgate/jwtgate/store"
)

// Admin credentials' lifetimes.
const (
	defaultCredentialTTL = 90 * 24 * time.Hour
	maxCredentialTTL     = 366 * 24 * time.Hour
	loginLinkTTL         = 15 * time.Minute
	consoleSessionTTL    = 8 * time.Hour
	maxLabelBytes        = 100
)

// tenantView is a tenant as the admin API shows it.
type tenantView struct {
	ID        string     `json:"id"`
	Name      string     `json:"name,omitempty"`
	Source    string     `json:"source"` // "api" or "file"
	CreatedAt *time.Time `json:"created_at,omitempty"`
}

// handleAdminWhoami is GET /v1/admin/whoami: what the credential may do.
func (s *Server) handleAdminWhoami(w http.ResponseWriter, r *http.Request) {
	who, ok := s.adminCaller(w, r)
	if !ok {
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"operator": who.operator, "tenant": who.tenant, "actor": who.actor})
}

// handleAdminTenants is GET /v1/admin/tenants: every tenant for the
// operator (stored, and those the configuration file names), its own for
// a tenant admin.
func (s *Server) handleAdminTenants(w http.ResponseWriter, r *http.Request) {
	who, ok := s.adminCaller(w, r)
	if !ok {
		return
	}
	ctx, cancel := s.adminContext(r)
	defer cancel()
	var list []store.Tenant
	var err error
	if who.operator {
		list, err = s.admin.ListTenants(ctx, r.URL.Query().Get("after"), pageLimit(r))
	} else {
		var t store.Tenant
		if t, err = s.admin.GetTenant(ctx, who.tenant); err == nil {
			list = []store.Tenant{t}
		}
	}
	if err != nil {
		s.storeProblem(w, err, "No such tenant")
		return
	}
	out := []tenantView{}
	for _, t := range list {
		at := t.CreatedAt
		out = append(out, tenantView{ID: t.ID, Name: t.Name, Source: "api", CreatedAt: &at})
	}
	if who.operator && r.URL.Query().Get("after") == "" {
		seen := map[string]bool{}
		for _, t := range list {
			seen[t.ID] = true
		}
		for _, tenant := range slices.Sorted(maps.Keys(s.cur.Load().fileTenants)) {
			if tenant != "" && !seen[tenant] {
				out = append(out, tenantView{ID: tenant, Source: "file"})
			}
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"tenants": out})
}

// handleAdminTenant is GET /v1/admin/tenants/{tenant}.
func (s *Server) handleAdminTenant(w http.ResponseWriter, r *http.Request) {
	ar, ok := s.adminTenant(w, r)
	if !ok {
		return
	}
	ctx, cancel := s.adminContext(r)
	defer cancel()
	t, err := s.admin.GetTenant(ctx, ar.tenant)
	switch {
	case errors.Is(err, store.ErrNotFound) && fileTenant(ar.c, ar.tenant):
		writeJSON(w, http.StatusOK, tenantView{ID: ar.tenant, Source: "file"})
	case err != nil:
		s.storeProblem(w, err, "No such tenant")
	default:
		writeJSON(w, http.StatusOK, tenantView{ID: t.ID, Name: t.Name, Source: "api", CreatedAt: &t.CreatedAt})
	}
}

// handleAdminCreateTenant is POST /v1/admin/tenants {"id", "name"}
// (operator).
func (s *Server) handleAdminCreateTenant(w http.ResponseWriter, r *http.Request) {
	who, ok := s.operator(w, r)
	if !ok {
		return
	}
	var body struct {
		ID   string `json:"id"`
		Name string `json:"name"`
	}
	if !decodeBody(w, r, &body) {
		return
	}
	if err := checkAdminName("id", body.ID); err != nil {
		writeProblem(w, http.StatusUnprocessableEntity, "invalid_request", "", fieldProblem{Field: "id", Reason: err.Error()})
		return
	}
	if len(body.Name) > maxLabelBytes {
		writeProblem(w, http.StatusUnprocessableEntity, "invalid_request", "", fieldProblem{Field: "name", Reason: "at most 100 bytes"})
		return
	}
	ctx, cancel := s.adminContext(r)
	defer cancel()
	t := store.Tenant{ID: body.ID, Name: body.Name, CreatedAt: s.now()}
	if err := s.admin.CreateTenant(ctx, t); err != nil {
		s.storeProblem(w, err, "")
		return
	}
	s.audit(r, adminRequest{who: who, tenant: t.ID}, "tenant.create", t.ID, map[string]any{"name": t.Name})
	writeJSON(w, http.StatusCreated, tenantView{ID: t.ID, Name: t.Name, Source: "api", CreatedAt: &t.CreatedAt})
}

// handleAdminDeleteTenant is DELETE /v1/admin/tenants/{tenant}
// (operator); refused while it has integrations.
func (s *Server) handleAdminDeleteTenant(w http.ResponseWriter, r *http.Request) {
	ar, ok := s.adminTenant(w, r)
	if !ok {
		return
	}
	if !ar.who.operator {
		writeProblem(w, http.StatusForbidden, "forbidden", "Only the operator deletes tenants")
		return
	}
	ctx, cancel := s.adminContext(r)
	defer cancel()
	if err := s.admin.DeleteTenant(ctx, ar.tenant); err != nil {
		if errors.Is(err, store.ErrConflict) {
			writeProblem(w, http.StatusConflict, "conflict", "The tenant still has integrations; delete them first")
			return
		}
		s.storeProblem(w, err, "No such tenant")
		return
	}
	s.audit(r, ar, "tenant.delete", ar.tenant, nil)
	w.WriteHeader(http.StatusNoContent)
}

// handleAdminCreateCredential is POST /v1/admin/tenants/{tenant}/credentials
// {"label", "ttl"} (operator): a tenant admin credential, shown once.
func (s *Server) handleAdminCreateCredential(w http.ResponseWriter, r *http.Request) {
	ar, ok := s.adminTenant(w, r)
	if !ok {
		return
	}
	if !ar.who.operator {
		writeProblem(w, http.StatusForbidden, "forbidden", "Only the operator issues tenant admin credentials")
		return
	}
	var body struct {
		Label string `json:"label"`
		TTL   string `json:"ttl"`
	}
	if !decodeBody(w, r, &body) {
		return
	}
	ttl := defaultCredentialTTL
	if body.TTL != "" {
		d, err := time.ParseDuration(body.TTL)
		if err != nil || d <= 0 || d > maxCredentialTTL {
			writeProblem(w, http.StatusUnprocessableEntity, "invalid_request", "", fieldProblem{Field: "ttl", Reason: "want a duration from 1s to 8784h, such as 720h"})
			return
		}
		ttl = d
	}
	if len(body.Label) > maxLabelBytes || strings.ContainsFunc(body.Label, isControl) {
		writeProblem(w, http.StatusUnprocessableEntity, "invalid_request", "", fieldProblem{Field: "label", Reason: "at most 100 bytes, no control characters"})
		return
	}
	secret, cred, ok := s.issueCredential(w, r, ar.tenant, body.Label, ttl, false)
	if !ok {
		return
	}
	s.audit(r, ar, "credential.create", cred.ID, map[string]any{"label": cred.Label, "expires_at": cred.ExpiresAt})
	writeJSON(w, http.StatusCreated, map[string]any{"id": cred.ID, "tenant": cred.Tenant, "label": cred.Label, "expires_at": cred.ExpiresAt, "token": secret})
}

// issueCredential stores a new credential and returns its secret.
func (s *Server) issueCredential(w http.ResponseWriter, r *http.Request, tenant, label string, ttl time.Duration, oneTime bool) (string, store.Credential, bool) {
	secret, id := newCredential()
	now := s.now()
	cred := store.Credential{ID: id, Tenant: tenant, Hash: digest(secret), Label: label, CreatedAt: now, ExpiresAt: now.Add(ttl), OneTime: oneTime}
	ctx, cancel := s.adminContext(r)
	defer cancel()
	if err := s.admin.CreateCredential(ctx, cred); err != nil {
		s.storeProblem(w, err, "No such tenant")
		return "", cred, false
	}
	return secret, cred, true
}

// handleAdminCredentials is GET …/tenants/{tenant}/credentials: the live
// credentials (never their secrets).
func (s *Server) handleAdminCredentials(w http.ResponseWriter, r *http.Request) {
	ar, ok := s.adminTenant(w, r)
	if !ok {
		return
	}
	ctx, cancel := s.adminContext(r)
	defer cancel()
	list, err := s.admin.ListCredentials(ctx, ar.tenant)
	if err != nil {
		s.storeProblem(w, err, "")
		return
	}
	out := []map[string]any{}
	for _, c := range list {
		out = append(out, map[string]any{"id": c.ID, "label": c.Label, "created_at": c.CreatedAt, "expires_at": c.ExpiresAt})
	}
	writeJSON(w, http.StatusOK, map[string]any{"credentials": out})
}

// handleAdminRevokeCredential is DELETE …/credentials/{id}.
func (s *Server) handleAdminRevokeCredential(w http.ResponseWriter, r *http.Request) {
	s.revokeByID(w, r, "credential.revoke", "No such credential", func(ctx context.Context, tenant, id string) error {
		return s.admin.RevokeCredential(ctx, tenant, id)
	})
}

// operator authenticates a caller who must be the operator.
func (s *Server) operator(w http.ResponseWriter, r *http.Request) (principal, bool) {
	who, ok := s.adminCaller(w, r)
	if ok && !who.operator {
		writeProblem(w, http.StatusForbidden, "forbidden", "This needs the operator token")
		return who, false
	}
	return who, ok
}

// decodeBody reads a small JSON body strictly into v.
func decodeBody(w http.ResponseWriter, r *http.Request, v any) bool {
	raw, ok := readAdminBody(w, r)
	if !ok {
		return false
	}
	dec := json.NewDecoder(strings.NewReader(string(raw)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		writeProblem(w, http.StatusBadRequest, "invalid_request", "The body is not the JSON object this endpoint takes: "+err.Error())
		return false
	}
	return true
}

func isControl(r rune) bool { return r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) }

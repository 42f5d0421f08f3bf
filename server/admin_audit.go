package server

import (
	"encoding/json"
	"net/http"
	"strconv"
	"time"

	"github.com/jwtgate/jwtgate/store"
)

// audit records an admin write: who, on which tenant, what and its
// detail (never a secret: documents appear as their redacted diff). A
// failure to record is logged; the write has happened.
func (s *Server) audit(r *http.Request, ar adminRequest, action, target string, detail any) {
	d, _ := json.Marshal(detail)
	ctx, cancel := s.adminContext(r)
	defer cancel()
	_, err := s.admin.AppendAudit(ctx, store.AuditEntry{At: s.now(), Actor: ar.who.actor, Tenant: ar.tenant, Action: action, Target: target, Detail: d})
	if err != nil {
		s.metrics.storeError("audit")
		s.log.Error("admin API: audit entry not recorded", "action", action, "tenant", ar.tenant, "target", target, "error", err.Error())
	}
	s.log.Info("admin change", "actor", ar.who.actor, "tenant", ar.tenant, "action", action, "target", target)
}

// handleAdminAudit is GET /v1/admin/tenants/{tenant}/audit: the tenant's
// audit log, newest first (?before=ID pages on).
func (s *Server) handleAdminAudit(w http.ResponseWriter, r *http.Request) {
	ar, ok := s.adminTenant(w, r)
	if !ok {
		return
	}
	s.listAudit(w, r, ar.tenant)
}

// handleAdminAuditAll is GET /v1/admin/audit: every tenant's (operator).
func (s *Server) handleAdminAuditAll(w http.ResponseWriter, r *http.Request) {
	who, ok := s.adminCaller(w, r)
	if !ok {
		return
	}
	if !who.operator {
		writeProblem(w, http.StatusForbidden, "forbidden", "Only the operator reads every tenant's audit log")
		return
	}
	s.listAudit(w, r, "")
}

func (s *Server) listAudit(w http.ResponseWriter, r *http.Request, tenant string) {
	before, _ := strconv.ParseInt(r.URL.Query().Get("before"), 10, 64)
	ctx, cancel := s.adminContext(r)
	defer cancel()
	list, err := s.admin.ListAudit(ctx, tenant, max(before, 0), pageLimit(r))
	if err != nil {
		s.storeProblem(w, err, "")
		return
	}
	type entry struct {
		ID     int64           `json:"id"`
		At     time.Time       `json:"at"`
		Actor  string          `json:"actor"`
		Tenant string          `json:"tenant"`
		Action string          `json:"action"`
		Target string          `json:"target"`
		Detail json.RawMessage `json:"detail,omitempty"`
	}
	out := make([]entry, 0, len(list))
	for _, e := range list {
		out = append(out, entry{e.ID, e.At, e.Actor, e.Tenant, e.Action, e.Target, e.Detail})
	}
	writeJSON(w, http.StatusOK, map[string]any{"entries": out})
}

// pageLimit reads ?limit, 1 to 1000, default 100.
func pageLimit(r *http.Request) int {
	n, err := strconv.Atoi(r.URL.Query().Get("limit"))
	if err != nil || n < 1 {
		return 100
	}
	return min(n, 1000)
}

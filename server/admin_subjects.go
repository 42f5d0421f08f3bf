package server

import (
	"context"
	"net/http"
	"time"

	"github.com/jwtgate/jwtgate/store"
)

// handleAdminSubjects is GET /v1/admin/tenants/{tenant}/subjects: the
// accounts its integrations' tokens created (?after=CURSOR pages on).
func (s *Server) handleAdminSubjects(w http.ResponseWriter, r *http.Request) {
	ar, ok := s.adminTenant(w, r)
	if !ok {
		return
	}
	ctx, cancel := s.adminContext(r)
	defer cancel()
	list, err := s.admin.ListSubjects(ctx, ar.tenant, r.URL.Query().Get("after"), pageLimit(r))
	if err != nil {
		s.storeProblem(w, err, "")
		return
	}
	type subject struct {
		Integration string    `json:"integration"`
		ID          string    `json:"id"`
		Email       string    `json:"email,omitempty"`
		Name        string    `json:"name,omitempty"`
		Groups      []string  `json:"groups,omitempty"`
		Roles       []string  `json:"roles,omitempty"`
		FirstSeen   time.Time `json:"first_seen"`
		LastSeen    time.Time `json:"last_seen"`
	}
	out := make([]subject, 0, len(list))
	for _, sub := range list {
		out = append(out, subject{sub.Integration, sub.ID, sub.Email, sub.Name, sub.Groups, sub.Roles, sub.FirstSeen, sub.LastSeen})
	}
	body := map[string]any{"subjects": out}
	if len(list) > 0 && len(list) == pageLimit(r) {
		body["next"] = store.SubjectCursor(list[len(list)-1])
	}
	writeJSON(w, http.StatusOK, body)
}

// handleAdminSessions is GET …/sessions (?subject=ID): live sessions.
func (s *Server) handleAdminSessions(w http.ResponseWriter, r *http.Request) {
	ar, ok := s.adminTenant(w, r)
	if !ok {
		return
	}
	ctx, cancel := s.adminContext(r)
	defer cancel()
	list, err := s.admin.ListSessions(ctx, ar.tenant, r.URL.Query().Get("subject"), s.now(), pageLimit(r))
	if err != nil {
		s.storeProblem(w, err, "")
		return
	}
	type session struct {
		ID          string    `json:"id"`
		Subject     string    `json:"subject"`
		Integration string    `json:"integration"`
		CreatedAt   time.Time `json:"created_at"`
		ExpiresAt   time.Time `json:"expires_at"`
	}
	out := make([]session, 0, len(list))
	for _, se := range list {
		out = append(out, session{se.ID, se.Subject, se.Integration, se.CreatedAt, se.ExpiresAt})
	}
	writeJSON(w, http.StatusOK, map[string]any{"sessions": out})
}

// handleAdminRevokeSession is DELETE …/sessions/{id}: one of the
// tenant's sessions; another tenant's is not found.
func (s *Server) handleAdminRevokeSession(w http.ResponseWriter, r *http.Request) {
	s.revokeByID(w, r, "session.revoke", "No such session", func(ctx context.Context, tenant, id string) error {
		return s.admin.RevokeTenantSession(ctx, tenant, id, s.now())
	})
}

// revokeByID is a DELETE of the tenant's {id}: revoke, audited as action,
// answered 204, or not found as another tenant's is.
func (s *Server) revokeByID(w http.ResponseWriter, r *http.Request, action, notFound string, revoke func(ctx context.Context, tenant, id string) error) {
	ar, ok := s.adminTenant(w, r)
	if !ok {
		return
	}
	ctx, cancel := s.adminContext(r)
	defer cancel()
	id := r.PathValue("id")
	if err := revoke(ctx, ar.tenant, id); err != nil {
		s.storeProblem(w, err, notFound)
		return
	}
	s.audit(r, ar, action, id, nil)
	w.WriteHeader(http.StatusNoContent)
}

// handleAdminRevokeSubject is POST …/sessions/revoke {"subject"}: every
// session of one subject.
func (s *Server) handleAdminRevokeSubject(w http.ResponseWriter, r *http.Request) {
	ar, ok := s.adminTenant(w, r)
	if !ok {
		return
	}
	var body struct {
		Subject string `json:"subject"`
	}
	if !decodeBody(w, r, &body) {
		return
	}
	if body.Subject == "" {
		writeProblem(w, http.StatusUnprocessableEntity, "invalid_request", "", fieldProblem{Field: "subject", Reason: "required"})
		return
	}
	ctx, cancel := s.adminContext(r)
	defer cancel()
	n, err := s.admin.RevokeSubjectSessions(ctx, ar.tenant, body.Subject, s.now())
	if err != nil {
		s.storeProblem(w, err, "")
		return
	}
	s.audit(r, ar, "subject.revoke_sessions", body.Subject, map[string]any{"revoked": n})
	writeJSON(w, http.StatusOK, map[string]any{"revoked": n})
}

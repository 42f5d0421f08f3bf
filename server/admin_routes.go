package server

import (
	"net/http"
	"strings"
)

// adminRoutes registers the admin API (/v1/admin/…, documented in
// openapi.yaml) on mux. Every handler authenticates its caller itself.
func (s *Server) adminRoutes(mux *http.ServeMux) {
	const t = "/v1/admin/tenants/{tenant}"
	const in = t + "/integrations/{name}"
	known := http.NewServeMux() // the patterns alone, to answer 405 with Allow
	for _, r := range []struct {
		pattern string
		h       http.HandlerFunc
	}{
		{"GET /v1/admin/openapi.yaml", s.handleOpenAPI},
		{"GET /v1/admin/whoami", s.handleAdminWhoami},
		{"POST /v1/admin/login", s.handleAdminLogin},
		{"POST /v1/admin/login-links", s.handleAdminLoginLink},
		{"GET /v1/admin/audit", s.handleAdminAuditAll},
		{"POST /v1/admin/reseal", s.handleAdminReseal},
		{"GET /v1/admin/tenants", s.handleAdminTenants},
		{"POST /v1/admin/tenants", s.handleAdminCreateTenant},
		{"GET " + t, s.handleAdminTenant},
		{"DELETE " + t, s.handleAdminDeleteTenant},
		{"GET " + t + "/audit", s.handleAdminAudit},
		{"GET " + t + "/credentials", s.handleAdminCredentials},
		{"POST " + t + "/credentials", s.handleAdminCreateCredential},
		{"DELETE " + t + "/credentials/{id}", s.handleAdminRevokeCredential},
		{"GET " + t + "/integrations", s.handleAdminIntegrations},
		{"GET " + in, s.handleAdminIntegration},
		{"PUT " + in, s.handleAdminPut},
		{"DELETE " + in, s.handleAdminDelete},
		{"POST " + in + "/test", s.handleAdminTest},
		{"GET " + in + "/revisions", s.handleAdminRevisions},
		{"GET " + in + "/revisions/{revision}", s.handleAdminRevision},
		{"POST " + in + "/rollback", s.handleAdminRollback},
		{"GET " + in + "/draft", s.handleAdminDraft},
		{"PUT " + in + "/draft", s.handleAdminPutDraft},
		{"DELETE " + in + "/draft", s.handleAdminDiscardDraft},
		{"POST " + in + "/draft/promote", s.handleAdminPromote},
		{"GET " + t + "/subjects", s.handleAdminSubjects},
		{"GET " + t + "/sessions", s.handleAdminSessions},
		{"DELETE " + t + "/sessions/{id}", s.handleAdminRevokeSession},
		{"POST " + t + "/sessions/revoke", s.handleAdminRevokeSubject},
	} {
		mux.Handle(r.pattern, s.endpoint("admin", r.h))
		known.Handle(r.pattern, http.NotFoundHandler())
	}
	mux.Handle("/v1/admin/", s.endpoint("admin", func(w http.ResponseWriter, r *http.Request) {
		if allow := allowed(known, r); allow != "" {
			w.Header().Set("Allow", allow)
			writeProblem(w, http.StatusMethodNotAllowed, "method_not_allowed", "This endpoint takes "+allow)
			return
		}
		writeProblem(w, http.StatusNotFound, "not_found", "No such admin endpoint (see /v1/admin/openapi.yaml)")
	}))
}

// allowed lists the methods known's patterns take on r's path.
func allowed(known *http.ServeMux, r *http.Request) string {
	var out []string
	for _, m := range []string{http.MethodGet, http.MethodPut, http.MethodPost, http.MethodDelete} {
		probe := r.Clone(r.Context())
		probe.Method = m
		if _, pattern := known.Handler(probe); pattern != "" {
			out = append(out, m)
		}
	}
	return strings.Join(out, ", ")
}

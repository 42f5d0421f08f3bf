package server

import "net/http"

// adminRoutes registers the admin API (/v1/admin/…, documented in
// openapi.yaml) on mux. Every handler authenticates its caller itself.
func (s *Server) adminRoutes(mux *http.ServeMux) {
	const t = "/v1/admin/tenants/{tenant}"
	const in = t + "/integrations/{name}"
	for _, r := range []struct {
		pattern string
		h       http.HandlerFunc
	}{
		{"GET /v1/admin/openapi.yaml", s.handleOpenAPI},
		{"GET /v1/admin/whoami", s.handleAdminWhoami},
		{"POST /v1/admin/login", s.handleAdminLogin},
		{"POST /v1/admin/login-links", s.handleAdminLoginLink},
		{"GET /v1/admin/audit", s.handleAdminAuditAll},
		{"GET /v1/admin/tenants", s.handleAdminTenants},
		{"POST /v1/admin/tenants", s.handleAdminCreateTenant},
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
	}
	mux.Handle("/v1/admin/", s.endpoint("admin", func(w http.ResponseWriter, r *http.Request) {
		writeProblem(w, http.StatusNotFound, "not_found", "No such admin endpoint (see /v1/admin/openapi.yaml)")
	}))
}

package server

import (
	"cmp"
	"fmt"
	"net/http"

	"github.com/jwtgate/jwtgate/core"
)

// handleAuthz is forward authentication for nginx auth_request, Traefik
// ForwardAuth and Envoy ext_authz (HTTP). The original request is read
// from the source service.forward_auth names (see originalRequest): the
// X-Original-* headers nginx is configured to set, Traefik's
// X-Forwarded-*, or, for Envoy, whose check request carries the original
// method and path after the /v1/authz prefix, the request itself.
func (s *Server) handleAuthz(w http.ResponseWriter, r *http.Request) {
	drain(w, r)
	c := s.cur.Load()
	// The original request first: one the proxy's headers do not say
	// unambiguously, or a path spelling upstreams read in different ways,
	// is refused whatever the credential (a route's answer would be a
	// guess), before a one-time token is spent on it.
	method, uri, err := originalRequest(r, c.forward)
	if err != nil {
		s.metrics.decision("authz", "", "invalid_request")
		s.log.Warn("original request refused", "source", cmp.Or(c.forward.name, "any"), "reason", err.Error())
		writeError(w, http.StatusBadRequest, "invalid_request", "Invalid original request")
		return
	}
	p, err := core.CleanPath(uri, c.paths)
	if err != nil {
		s.metrics.decision("authz", "", "invalid_request")
		s.log.Warn("request path refused", "method", method, "reason", err.Error())
		writeError(w, http.StatusBadRequest, "invalid_request", "Invalid request path")
		return
	}
	who, status := s.authenticate(r, c, "authz")
	if who == nil {
		noIdentity(w, status)
		return
	}
	if who.ref != nil {
		if who.ref.code == core.CodePermissionDenied {
			forbidden(w)
			return
		}
		unauthorized(w, who.ref.code, true)
		return
	}
	id := who.id
	if rt := core.SelectRoute(c.routes, method, p); rt != nil {
		// The identity's groups, the group resolver's included.
		if reason := rt.Requirements.UnmetBy(id.grants()); reason != "" {
			s.metrics.decision("authz", id.integration, string(core.CodePermissionDenied))
			s.log.Warn("request denied by route", "method", method, "path", p.String(), "route", rt.Prefix, "reason", reason,
				"integration", id.integration, "subject", id.subject, "token_sha256", tokenHash(who.token))
			forbidden(w)
			return
		}
	}
	h := w.Header()
	for k, v := range id.headers {
		h.Set(k, v)
	}
	h.Set("X-Jwtgate-Subject", id.subject)
	h.Set("X-Jwtgate-Tenant", id.tenant)
	h.Set("X-Jwtgate-Integration", id.integration)
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok", "subject": id.subject, "integration": id.integration})
}

func forbidden(w http.ResponseWriter) {
	w.Header().Set("WWW-Authenticate", fmt.Sprintf(`Bearer realm="jwtgate", error="insufficient_scope", error_description=%q`, core.CodePermissionDenied.Message()))
	writeError(w, http.StatusForbidden, string(core.CodePermissionDenied), core.CodePermissionDenied.Message())
}

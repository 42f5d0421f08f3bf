package server

import (
	"cmp"
	"net/http"

	"github.com/jwtgate/jwtgate/core"
	"github.com/jwtgate/jwtgate/edge"
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
		s.decision(r.Context(), "authz", "", "invalid_request")
		s.log.Warn("original request refused", "source", cmp.Or(c.forward.name, "any"), "reason", err.Error())
		writeError(w, http.StatusBadRequest, "invalid_request", "Invalid original request")
		return
	}
	p, err := edge.CleanPath(uri, c.paths)
	if err != nil {
		s.decision(r.Context(), "authz", "", "invalid_request")
		s.log.Warn("request path refused", "method", method, "reason", err.Error())
		refuse(w, edge.InvalidPath())
		return
	}
	rt := c.routes.Select(method, p)
	pin := ""
	if rt != nil {
		pin = rt.Integration
	}
	who, status := s.authenticate(r, c, "authz", pin)
	if who == nil {
		noIdentity(w, status)
		return
	}
	if who.ref != nil {
		refuse(w, edge.Refuse(who.ref.code, true))
		return
	}
	id := who.id
	if rt != nil {
		// jwtgate's own tokens carry the integration they were made for;
		// the core judged the pin of the others.
		if pin != "" && id.integration != pin {
			s.decision(r.Context(), "authz", id.integration, string(core.CodeConfigurationNotFound))
			s.log.Warn("request refused by route", "method", method, "path", p.String(), "route", rt.Prefix, "reason", "a token of integration "+id.integration+" on a route of "+pin,
				"subject", id.subject, tokenHashAttr(who.token))
			unauthorized(w, core.CodeConfigurationNotFound, true)
			return
		}
		// The identity's groups, the group resolver's included.
		if reason := rt.Requirements.UnmetBy(id.grants()); reason != "" {
			s.decision(r.Context(), "authz", id.integration, string(core.CodePermissionDenied))
			s.log.Warn("request denied by route", "method", method, "path", p.String(), "route", rt.Prefix, "reason", reason,
				"integration", id.integration, "subject", id.subject, tokenHashAttr(who.token))
			refuse(w, edge.Forbidden())
			return
		}
	}
	setIdentityHeaders(w.Header(), id)
	writeJSON(w, http.StatusOK, authzAnswer(id.subject, id.integration))
}

// setIdentityHeaders sets the headers edge.Identity.UpstreamHeaders names:
// the policy's claim headers and the X-Jwtgate-* ones. It sets them by
// their names as the policy spells them, which Header.Set canonicalises
// without a copy when they are canonical already, as they usually are
// (UpstreamHeaders' lower-case names would each be copied twice).
func setIdentityHeaders(h http.Header, id *identity) {
	for k, v := range id.headers {
		h.Set(k, v)
	}
	h.Set(edge.HeaderSubject, id.subject)
	h.Set(edge.HeaderTenant, id.tenant)
	h.Set(edge.HeaderIntegration, id.integration)
}

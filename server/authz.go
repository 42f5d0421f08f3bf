package server

import (
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
		s.log.Warn("original request refused", "source", or(c.forward.name, "any"), "reason", err.Error())
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
	d, tok, status := s.authenticate(r, c, "authz")
	if d == nil {
		noIdentity(w, status)
		return
	}
	if !d.Valid {
		if d.Code == core.CodePermissionDenied {
			forbidden(w)
			return
		}
		unauthorized(w, d.Code, true)
		return
	}
	if rt := core.SelectRoute(c.routes, method, p); rt != nil {
		if reason := d.Unmet(rt.Requirements); reason != "" {
			s.metrics.decision("authz", d.Integration, string(core.CodePermissionDenied))
			s.log.Warn("request denied by route", "method", method, "path", p.String(), "route", rt.Prefix, "reason", reason,
				"integration", d.Integration, "subject", d.Subject, "token_sha256", tokenHash(tok))
			forbidden(w)
			return
		}
	}
	h := w.Header()
	for k, v := range d.Headers {
		h.Set(k, v)
	}
	h.Set("X-Jwtgate-Subject", d.Subject)
	h.Set("X-Jwtgate-Tenant", d.Tenant)
	h.Set("X-Jwtgate-Integration", d.Integration)
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok", "subject": d.Subject, "integration": d.Integration})
}

func forbidden(w http.ResponseWriter) {
	w.Header().Set("WWW-Authenticate", fmt.Sprintf(`Bearer realm="jwtgate", error="insufficient_scope", error_description=%q`, core.CodePermissionDenied.Message()))
	writeError(w, http.StatusForbidden, string(core.CodePermissionDenied), core.CodePermissionDenied.Message())
}

// authenticate finds the caller's identity: a bearer token (one of
// jwtgate's access tokens, or an integration's token) or else the session
// cookie. A nil decision means there was no credential (status 401) or the
// store could not be asked (status 503).
func (s *Server) authenticate(r *http.Request, c *config, endpoint string) (*core.Decision, string, int) {
	tok, present, ok := bearerToken(r)
	if present && !ok {
		d := reject(&core.Decision{}, core.CodeInvalidToken, "malformed Authorization header")
		s.logDecision(endpoint, "", d)
		return d, "", 0
	}
	if ok {
		p, own := s.peekOwn(tok)
		if own {
			d, err := s.checkOwnToken(r.Context(), c, tok, tokenUseAccess)
			if err != nil {
				return nil, tok, http.StatusServiceUnavailable
			}
			s.logDecision(endpoint, tok, d)
			return d, tok, 0
		}
		d := s.verifyPeeked(r.Context(), c, core.Request{Token: tok, Now: s.now()}, p)
		s.logDecision(endpoint, tok, d)
		return d, tok, 0
	}
	if ck, err := r.Cookie(c.cookieName); err == nil && ck.Value != "" {
		d, err := s.checkOwnToken(r.Context(), c, ck.Value, tokenUseSession)
		if err != nil {
			return nil, ck.Value, http.StatusServiceUnavailable
		}
		s.logDecision(endpoint, ck.Value, d)
		return d, ck.Value, 0
	}
	return nil, "", http.StatusUnauthorized
}

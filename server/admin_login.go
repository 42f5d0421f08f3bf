package server

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/jwtgate/jwtgate/store"
)

// handleAdminLoginLink is POST /v1/admin/login-links {"tenant"}
// (operator): a one-time link that signs the console in, as that
// tenant's admin or (no tenant) as the operator. The code rides in the
// URL's fragment, which browsers never send to a server nor log.
func (s *Server) handleAdminLoginLink(w http.ResponseWriter, r *http.Request) {
	who, ok := s.operator(w, r)
	if !ok {
		return
	}
	var body struct {
		Tenant string `json:"tenant"`
	}
	if !decodeBody(w, r, &body) {
		return
	}
	if body.Tenant != "" {
		ctx, cancel := s.adminContext(r)
		_, err := s.admin.GetTenant(ctx, body.Tenant)
		cancel()
		if err != nil {
			s.storeProblem(w, err, "No such tenant")
			return
		}
	}
	link, expires, err := s.LoginLink(r.Context(), body.Tenant)
	if err != nil {
		s.storeProblem(w, err, "No such tenant")
		return
	}
	s.audit(r, adminRequest{who: who, tenant: body.Tenant}, "login_link.create", body.Tenant, nil)
	writeJSON(w, http.StatusCreated, map[string]any{"url": link, "expires_at": expires})
}

// handleAdminLogin is POST /v1/admin/login {"code"}: spends a login
// link's code for a console credential of the same scope, valid for
// consoleSessionTTL. Failures count against the client as a wrong admin
// token does.
func (s *Server) handleAdminLogin(w http.ResponseWriter, r *http.Request) {
	if s.admin == nil {
		writeProblem(w, http.StatusNotFound, "not_found", "The admin API needs a store that keeps integrations")
		return
	}
	client, now := clientOf(r.RemoteAddr), s.now()
	if !s.adminFailures.allow(client, now) {
		w.Header().Set("Retry-After", strconv.Itoa(int(adminRetryEvery.Seconds())))
		writeProblem(w, http.StatusTooManyRequests, "too_many_requests", "Too many failed attempts; try again later")
		return
	}
	var body struct {
		Code string `json:"code"`
	}
	if !decodeBody(w, r, &body) {
		return
	}
	ctx, cancel := s.adminContext(r)
	link, err := s.admin.ConsumeCredential(ctx, digest(body.Code), now)
	cancel()
	if err != nil {
		if !errors.Is(err, store.ErrNotFound) {
			s.storeProblem(w, err, "")
			return
		}
		s.adminFailures.fail(client, now)
		writeProblem(w, http.StatusUnauthorized, "unauthorized", "The login link is unknown, used or expired; ask for a new one")
		return
	}
	token, cred, ok := s.issueCredential(w, r, link.Tenant, "console sign-in", consoleSessionTTL, false)
	if !ok {
		return
	}
	who := credentialPrincipal(cred)
	s.audit(r, adminRequest{who: who, tenant: link.Tenant}, "login", cred.ID, map[string]any{"link": link.ID})
	writeJSON(w, http.StatusOK, map[string]any{"token": token, "tenant": cred.Tenant, "operator": who.operator, "expires_at": cred.ExpiresAt})
}

// LoginLink returns a one-time link that signs the console in as the
// operator (tenant "") or as a tenant's admin, valid for 15 minutes: for
// `jwtgate serve --login-link`, which prints it at start.
func (s *Server) LoginLink(ctx context.Context, tenant string) (string, time.Time, error) {
	if s.admin == nil {
		return "", time.Time{}, errors.New("the store keeps no admin credentials")
	}
	code, id := newCredential()
	now := s.now()
	cred := store.Credential{ID: id, Tenant: tenant, Hash: digest(code), Label: "one-time login link", CreatedAt: now, ExpiresAt: now.Add(loginLinkTTL), OneTime: true}
	ctx, cancel := context.WithTimeout(ctx, s.opts.StoreTimeout)
	defer cancel()
	if err := s.admin.CreateCredential(ctx, cred); err != nil {
		return "", time.Time{}, err
	}
	return s.publicURL + "/admin/#login=" + code, cred.ExpiresAt, nil
}

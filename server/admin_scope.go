package server

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/jwtgate/jwtgate/core"
	"github.com/jwtgate/jwtgate/store"
)

// adminRequest is an authenticated admin request on one tenant.
type adminRequest struct {
	who    principal
	tenant string
	c      *config
}

// adminTenant authenticates the caller and resolves the {tenant} of the
// path. A tenant the caller may not see is answered exactly as one that
// does not exist, so that IDs cannot be probed.
func (s *Server) adminTenant(w http.ResponseWriter, r *http.Request) (adminRequest, bool) {
	who, ok := s.adminCaller(w, r)
	if !ok {
		return adminRequest{}, false
	}
	tenant := r.PathValue("tenant")
	c := s.cur.Load()
	if !who.may(tenant) || checkAdminName("tenant", tenant) != nil && !fileTenant(c, tenant) {
		writeProblem(w, http.StatusNotFound, "not_found", "No such tenant")
		return adminRequest{}, false
	}
	if !fileTenant(c, tenant) {
		ctx, cancel := s.adminContext(r)
		_, err := s.admin.GetTenant(ctx, tenant)
		cancel()
		if err != nil {
			s.storeProblem(w, err, "No such tenant")
			return adminRequest{}, false
		}
	}
	return adminRequest{who: who, tenant: tenant, c: c}, true
}

// fileTenant reports whether an integration of the configuration file
// names tenant.
func fileTenant(c *config, tenant string) bool { return len(c.fileTenants[tenant]) > 0 }

// fileTenantsOf lists the file policy's integrations by tenant, sorted by
// name: what the admin API shows of the file, worked out once a build.
func fileTenantsOf(p *core.Policy) map[string][]string {
	out := map[string][]string{}
	for _, name := range p.Integrations() {
		info, _ := p.Integration(name)
		out[info.Tenant] = append(out[info.Tenant], name)
	}
	for _, names := range out {
		slices.Sort(names)
	}
	return out
}

// storedByName returns the stored integration of a policy name.
func (c *config) storedByName(name string) (storedIntegration, bool) {
	i, ok := c.stored.liveByName[name]
	if !ok {
		return storedIntegration{}, false
	}
	return c.stored.live[i], true
}

// head reads the {name} integration's head. One that is not stored, or
// lacks what has asks for (a live revision, a draft), is answered as not
// found, with notFound.
func (s *Server) head(w http.ResponseWriter, r *http.Request, ar adminRequest, notFound string, has func(store.IntegrationRecord) bool) (store.IntegrationRecord, bool) {
	ctx, cancel := s.adminContext(r)
	defer cancel()
	rec, err := s.admin.GetIntegration(ctx, ar.tenant, r.PathValue("name"))
	if err == nil && has != nil && !has(rec) {
		err = store.ErrNotFound
	}
	if err != nil {
		s.storeProblem(w, err, notFound)
		return rec, false
	}
	return rec, true
}

// What head may ask of an integration.
func hasLive(r store.IntegrationRecord) bool  { return r.Live != 0 }
func hasDraft(r store.IntegrationRecord) bool { return r.Draft != 0 }
func hasAny(r store.IntegrationRecord) bool   { return r.Live != 0 || r.Draft != 0 }

func (s *Server) adminContext(r *http.Request) (context.Context, context.CancelFunc) {
	return context.WithTimeout(r.Context(), s.opts.StoreTimeout)
}

// storeProblem answers a store error: not found, a precondition, or the
// store failing (logged, never shown).
func (s *Server) storeProblem(w http.ResponseWriter, err error, notFound string) {
	switch {
	case errors.Is(err, store.ErrNotFound):
		writeProblem(w, http.StatusNotFound, "not_found", notFound)
	case errors.Is(err, store.ErrConflict):
		writeProblem(w, http.StatusPreconditionFailed, "precondition_failed", "The resource changed since it was read; read it again")
	case errors.Is(err, store.ErrExists):
		writeProblem(w, http.StatusConflict, "conflict", "It exists already")
	default:
		s.metrics.storeError("admin")
		s.log.Error("admin API: store", "error", err.Error())
		writeProblem(w, http.StatusServiceUnavailable, "unavailable", "The store is unavailable; try again")
	}
}

// etag is the entity tag of a revision.
func etag(revision int64) string { return `"` + strconv.FormatInt(revision, 10) + `"` }

// precondition checks If-Match (and If-None-Match: *) against the live
// revision (0: none). An update of an existing integration must say which
// revision it changes, so that two admins cannot overwrite each other;
// it returns the revision the store must still find.
func precondition(w http.ResponseWriter, r *http.Request, live int64) (int64, bool) {
	match, none := r.Header.Get("If-Match"), r.Header.Get("If-None-Match")
	switch {
	case none == "*" && live != 0:
		writeProblem(w, http.StatusPreconditionFailed, "precondition_failed", "The integration exists (If-None-Match: *)")
	case match == "" && live != 0:
		writeProblem(w, http.StatusPreconditionRequired, "precondition_required", "Send If-Match with the ETag of the revision you read")
	case match == "*" && live == 0:
		writeProblem(w, http.StatusPreconditionFailed, "precondition_failed", "The integration does not exist (If-Match: *)")
	case match != "" && match != "*" && !matchesETag(match, live):
		writeProblem(w, http.StatusPreconditionFailed, "precondition_failed", "The integration changed since it was read; read it again")
	default:
		return live, true
	}
	return 0, false
}

// matchesETag reports whether an If-Match list holds the live revision's
// tag (weak tags never match: RFC 9110 13.1.1 compares strongly).
func matchesETag(list string, live int64) bool {
	if live == 0 {
		return false
	}
	for t := range strings.SplitSeq(list, ",") {
		if strings.TrimSpace(t) == etag(live) {
			return true
		}
	}
	return false
}

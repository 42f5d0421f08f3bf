package server

import (
	"errors"
	"fmt"
	"io"
	"net/http"

	"github.com/jwtgate/jwtgate/internal/jsondiff"
	"github.com/jwtgate/jwtgate/internal/secretdoc"
	"github.com/jwtgate/jwtgate/store"
)

// handleAdminIntegrations is GET /v1/admin/tenants/{tenant}/integrations:
// the tenant's stored integrations and those of the configuration file.
func (s *Server) handleAdminIntegrations(w http.ResponseWriter, r *http.Request) {
	ar, ok := s.adminTenant(w, r)
	if !ok {
		return
	}
	ctx, cancel := s.adminContext(r)
	defer cancel()
	recs, err := s.admin.ListIntegrations(ctx, ar.tenant)
	if err != nil {
		s.storeProblem(w, err, "")
		return
	}
	out := fileViews(ar.c, ar.tenant)
	for _, rec := range recs {
		v, _ := storedView(ar.c, rec, nil, ar.who.operator)
		out = append(out, v)
	}
	writeJSON(w, http.StatusOK, map[string]any{"integrations": out})
}

// handleAdminIntegration is GET …/integrations/{name}: one integration
// with its live document, and its revision as the ETag.
func (s *Server) handleAdminIntegration(w http.ResponseWriter, r *http.Request) {
	ar, ok := s.adminTenant(w, r)
	if !ok {
		return
	}
	name := r.PathValue("name")
	if v, ok := fileView(ar.c, ar.tenant, name); ok {
		writeJSON(w, http.StatusOK, v)
		return
	}
	rec, plain, ok := s.liveDoc(w, r, ar)
	if !ok {
		return
	}
	v, err := storedView(ar.c, rec, plain, ar.who.operator)
	if err != nil {
		s.internalProblem(w, err)
		return
	}
	w.Header().Set("ETag", etag(rec.Live))
	writeJSON(w, http.StatusOK, v)
}

// fileView finds a file integration of the tenant by its name.
func fileView(c *config, tenant, name string) (integrationView, bool) {
	for _, v := range fileViews(c, tenant) {
		if v.Name == name {
			return v, true
		}
	}
	return integrationView{}, false
}

// liveDoc reads the {name} integration's head and live document, in the
// clear; a deleted one is not found.
func (s *Server) liveDoc(w http.ResponseWriter, r *http.Request, ar adminRequest) (store.IntegrationRecord, []byte, bool) {
	rec, ok := s.head(w, r, ar, "No such integration", hasLive)
	if !ok {
		return rec, nil, false
	}
	plain, ok := s.revisionDoc(w, r, ar, rec.Live)
	return rec, plain, ok
}

// handleAdminPut is PUT …/integrations/{name}: create the integration, or
// update it (If-Match: the revision read). The document is checked by the
// configuration file's loader, alone and beside every other integration;
// the change is in force on this instance when the answer comes, and on
// the others within a second. Sending the document in force again makes
// no revision (changed: false), as a repeated apply should.
func (s *Server) handleAdminPut(w http.ResponseWriter, r *http.Request) {
	s.putIntegration(w, r, false)
}

// handleAdminPutDraft is PUT …/integrations/{name}/draft: a draft
// revision that runs in shadow beside the live one until promoted.
func (s *Server) handleAdminPutDraft(w http.ResponseWriter, r *http.Request) {
	s.putIntegration(w, r, true)
}

func (s *Server) putIntegration(w http.ResponseWriter, r *http.Request, draft bool) {
	ar, ok := s.adminTenant(w, r)
	if !ok {
		return
	}
	name := r.PathValue("name")
	if err := checkAdminName("name", name); err != nil {
		writeProblem(w, http.StatusUnprocessableEntity, "invalid_integration", "", fieldProblem{Field: "name", Reason: err.Error()})
		return
	}
	_, fileName := ar.c.filePolicy.Integration(policyName(ar.tenant, name))
	if _, ok := fileView(ar.c, ar.tenant, name); ok || fileName {
		writeProblem(w, http.StatusConflict, "read_only", "This integration is defined by the configuration file; change it there")
		return
	}
	raw, ok := readAdminBody(w, r)
	if !ok {
		return
	}
	ctx, cancel := s.adminContext(r)
	defer cancel()
	rec, err := s.admin.GetIntegration(ctx, ar.tenant, name)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		s.storeProblem(w, err, "")
		return
	}
	if rec.Live == 0 && rec.Draft == 0 && !s.roomFor(w, r, ar.tenant) {
		return
	}
	expect := int64(-1)
	if !draft {
		if expect, ok = precondition(w, r, rec.Live); !ok {
			return
		}
	}
	prev, ok := s.revisionDoc(w, r, ar, rec.Live)
	if !ok {
		return
	}
	plain, ok := s.acceptDoc(w, ar, name, raw, prev, !draft)
	if !ok {
		return
	}
	if r.URL.Query().Get("dry_run") == "true" {
		s.answerDryRun(w, ar, rec, name, plain, prev)
		return
	}
	if !draft && prev != nil && sameJSON(plain, prev) {
		v, _ := storedView(ar.c, rec, plain, ar.who.operator)
		unchanged := false
		v.Changed = &unchanged
		w.Header().Set("ETag", etag(rec.Live))
		writeJSON(w, http.StatusOK, v)
		return
	}
	kind := map[bool]string{true: "update", false: "create"}[rec.Live != 0]
	if draft {
		kind = "draft"
	}
	s.storeRevision(w, r, ar, name, kind, plain, prev, expect, draft)
}

// maxTenantIntegrations bounds a tenant's integrations: each costs every
// instance memory and a rebuild, and a tenant admin chooses how many.
const maxTenantIntegrations = 100

// roomFor reports whether the tenant may have one integration more.
func (s *Server) roomFor(w http.ResponseWriter, r *http.Request, tenant string) bool {
	ctx, cancel := s.adminContext(r)
	defer cancel()
	list, err := s.admin.ListIntegrations(ctx, tenant)
	if err != nil {
		s.storeProblem(w, err, "")
		return false
	}
	if len(list) >= maxTenantIntegrations {
		writeProblem(w, http.StatusConflict, "conflict", fmt.Sprintf("The tenant has %d integrations, the most it may have", len(list)))
		return false
	}
	return true
}

// answerDryRun answers a write checked in full but not made (?dry_run=true,
// as apply --dry-run asks): the integration as it would be, whether it
// would change and the diff.
func (s *Server) answerDryRun(w http.ResponseWriter, ar adminRequest, rec store.IntegrationRecord, name string, plain, prev []byte) {
	rec.Tenant, rec.Name = ar.tenant, name
	v, err := storedView(ar.c, rec, plain, ar.who.operator)
	if err != nil {
		s.internalProblem(w, err)
		return
	}
	changed := prev == nil || !sameJSON(plain, prev)
	v.Changed, v.Diff, v.DryRun = &changed, s.diffOf(prev, plain), true
	if rec.Live != 0 {
		w.Header().Set("ETag", etag(rec.Live))
	}
	writeJSON(w, http.StatusOK, v)
}

// revisionDoc returns a revision's document in the clear; nil for 0.
func (s *Server) revisionDoc(w http.ResponseWriter, r *http.Request, ar adminRequest, n int64) ([]byte, bool) {
	if n == 0 {
		return nil, true
	}
	ctx, cancel := s.adminContext(r)
	defer cancel()
	rev, err := s.admin.GetRevision(ctx, ar.tenant, r.PathValue("name"), n)
	if err != nil {
		s.storeProblem(w, err, "No such revision")
		return nil, false
	}
	plain, err := ar.c.secrets.open(rev)
	if err != nil {
		s.internalProblem(w, err)
		return nil, false
	}
	return plain, true
}

// acceptDoc turns a request's document into the one to store: secrets
// kept by fingerprint restored from prev, checked alone and (withOthers)
// beside every other integration, refused when it holds a secret and no
// secrets key is configured.
func (s *Server) acceptDoc(w http.ResponseWriter, ar adminRequest, name string, raw, prev []byte, withOthers bool) ([]byte, bool) {
	if _, probs := decodeDoc(raw); len(probs) > 0 {
		writeProblem(w, http.StatusUnprocessableEntity, "invalid_integration", "The document is refused", probs...)
		return nil, false
	}
	plain, err := secretdoc.Restore(raw, prev)
	if err != nil {
		var we *secretdoc.WithheldError
		if errors.As(err, &we) {
			writeProblem(w, http.StatusUnprocessableEntity, "invalid_integration", "", fieldProblem{Field: we.Path, Reason: err.Error()})
		} else {
			writeProblem(w, http.StatusUnprocessableEntity, "invalid_integration", err.Error())
		}
		return nil, false
	}
	doc, _ := decodeDoc(plain)
	cs, probs := checkDoc(ar.c, ar.tenant, name, doc)
	if len(probs) == 0 && withOthers {
		probs = checkWithOthers(ar.c, s.publicURL, ar.tenant, name, cs, ar.who.operator)
	}
	if len(probs) > 0 {
		writeProblem(w, http.StatusUnprocessableEntity, "invalid_integration", "The integration is refused", probs...)
		return nil, false
	}
	if secret, err := secretdoc.HasSecrets(plain); err != nil || secret && ar.c.secrets == nil {
		writeProblem(w, http.StatusUnprocessableEntity, "secrets_key_required", errSecretsKeyRequired.Error())
		return nil, false
	}
	return plain, true
}

// storeRevision stores a checked document as a new revision, audits it,
// puts it in force here and answers with the integration and its diff.
func (s *Server) storeRevision(w http.ResponseWriter, r *http.Request, ar adminRequest, name, kind string, plain, prev []byte, expect int64, draft bool) {
	s.storeRevisionAs(w, r, ar, name, store.Revision{Kind: kind}, plain, prev, expect, draft)
}

// storeRevisionNote stores a live revision with a note (a rollback's).
func (s *Server) storeRevisionNote(w http.ResponseWriter, r *http.Request, ar adminRequest, name, kind, note string, plain, prev []byte, expect int64) {
	s.storeRevisionAs(w, r, ar, name, store.Revision{Kind: kind, Note: note}, plain, prev, expect, false)
}

func (s *Server) storeRevisionAs(w http.ResponseWriter, r *http.Request, ar adminRequest, name string, rev store.Revision, plain, prev []byte, expect int64, draft bool) {
	public, _, err := secretdoc.Redact(plain)
	if err != nil {
		s.internalProblem(w, err)
		return
	}
	rev.Tenant, rev.Name, rev.Author, rev.CreatedAt = ar.tenant, name, ar.who.actor, s.now()
	rev.Doc, rev.Public = ar.c.secrets.seal(ar.tenant, name, plain), public
	ctx, cancel := s.adminContext(r)
	defer cancel()
	if rev, err = s.admin.PutRevision(ctx, rev, expect, draft); err != nil {
		s.storeProblem(w, err, "No such tenant")
		return
	}
	diff := s.diffOf(prev, plain)
	s.audit(r, ar, "integration."+rev.Kind, name, map[string]any{"revision": rev.Number, "note": rev.Note, "diff": diff})
	s.refreshStored(r.Context())
	status := http.StatusOK
	if rev.Kind == "create" {
		status = http.StatusCreated
	}
	s.answerStored(w, r, ar, name, plain, diff, status, draft)
}

// answerStored answers a write with the integration as it now is: its
// head read again, the document written, what changed; the ETag is the
// draft's for a draft.
func (s *Server) answerStored(w http.ResponseWriter, r *http.Request, ar adminRequest, name string, plain []byte, diff []jsondiff.Change, status int, draft bool) {
	ctx, cancel := s.adminContext(r)
	defer cancel()
	rec, err := s.admin.GetIntegration(ctx, ar.tenant, name)
	if err != nil {
		s.storeProblem(w, err, "")
		return
	}
	v, _ := storedView(s.cur.Load(), rec, plain, ar.who.operator)
	changed := true
	v.Changed, v.Diff = &changed, diff
	switch {
	case draft: // the tag promote takes
		w.Header().Set("ETag", etag(rec.Draft))
	case rec.Live != 0:
		w.Header().Set("ETag", etag(rec.Live))
	}
	writeJSON(w, status, v)
}

// diffOf is the change between two documents in the clear, as admins see
// them: secrets by fingerprint.
func (s *Server) diffOf(prev, next []byte) []jsondiff.Change {
	var a, b []byte
	if prev != nil {
		a, _, _ = secretdoc.Redact(prev)
	}
	if next != nil {
		b, _, _ = secretdoc.Redact(next)
	}
	d, _ := jsondiff.Diff(a, b)
	return d
}

// handleAdminDelete is DELETE …/integrations/{name}: disconnect. Its
// tokens are refused and its sessions dead from the next request on this
// instance, within a second everywhere. If-Match is checked when sent.
func (s *Server) handleAdminDelete(w http.ResponseWriter, r *http.Request) {
	ar, ok := s.adminTenant(w, r)
	if !ok {
		return
	}
	name := r.PathValue("name")
	if _, ok := fileView(ar.c, ar.tenant, name); ok {
		writeProblem(w, http.StatusConflict, "read_only", "This integration is defined by the configuration file; change it there")
		return
	}
	rec, ok := s.head(w, r, ar, "No such integration", hasAny)
	if !ok {
		return
	}
	ctx, cancel := s.adminContext(r)
	defer cancel()
	expect := int64(-1)
	if r.Header.Get("If-Match") != "" {
		if expect, ok = precondition(w, r, rec.Live); !ok {
			return
		}
	}
	rev, err := s.admin.DeleteIntegration(ctx, ar.tenant, name, expect, ar.who.actor, s.now())
	if err != nil {
		s.storeProblem(w, err, "No such integration")
		return
	}
	s.audit(r, ar, "integration.delete", name, map[string]any{"revision": rev.Number})
	s.refreshStored(r.Context())
	w.WriteHeader(http.StatusNoContent)
}

// readAdminBody reads a bounded request body.
func readAdminBody(w http.ResponseWriter, r *http.Request) ([]byte, bool) {
	raw, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxDocBytes))
	if err != nil {
		writeProblem(w, http.StatusRequestEntityTooLarge, "invalid_request", "The body is larger than 256 KiB")
		return nil, false
	}
	return raw, true
}

// sameJSON reports whether two documents mean the same JSON.
func sameJSON(a, b []byte) bool {
	d, err := jsondiff.Diff(a, b)
	return err == nil && len(d) == 0
}

func (s *Server) internalProblem(w http.ResponseWriter, err error) {
	s.log.Error("admin API", "error", err.Error())
	writeProblem(w, http.StatusInternalServerError, "internal_error", "")
}

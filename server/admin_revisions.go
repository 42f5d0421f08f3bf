package server

import (
	"encoding/json"
	"net/http"
	"strconv"
	"time"

	"github.com/jwtgate/jwtgate/internal/jsondiff"
	"github.com/jwtgate/jwtgate/store"
)

// revisionView is one revision as the admin API lists it.
type revisionView struct {
	Number    int64             `json:"revision"`
	Kind      string            `json:"kind"`
	Author    string            `json:"author"`
	Note      string            `json:"note,omitempty"`
	CreatedAt time.Time         `json:"created_at"`
	Document  json.RawMessage   `json:"document,omitempty"`
	Diff      []jsondiff.Change `json:"diff,omitempty"`
}

func viewOf(r store.Revision) revisionView {
	return revisionView{Number: r.Number, Kind: r.Kind, Author: r.Author, Note: r.Note, CreatedAt: r.CreatedAt}
}

// handleAdminRevisions is GET …/integrations/{name}/revisions, newest
// first (?before=N pages on).
func (s *Server) handleAdminRevisions(w http.ResponseWriter, r *http.Request) {
	ar, ok := s.adminTenant(w, r)
	if !ok {
		return
	}
	before, _ := strconv.ParseInt(r.URL.Query().Get("before"), 10, 64)
	ctx, cancel := s.adminContext(r)
	defer cancel()
	list, err := s.admin.ListRevisions(ctx, ar.tenant, r.PathValue("name"), max(before, 0), pageLimit(r))
	if err == nil && len(list) == 0 && before == 0 {
		err = store.ErrNotFound
	}
	if err != nil {
		s.storeProblem(w, err, "No such integration")
		return
	}
	out := make([]revisionView, 0, len(list))
	for _, rev := range list {
		out = append(out, viewOf(rev))
	}
	writeJSON(w, http.StatusOK, map[string]any{"revisions": out})
}

// handleAdminRevision is GET …/revisions/{revision}: its document as
// admins see it (secrets by fingerprint) and its diff from the one before.
func (s *Server) handleAdminRevision(w http.ResponseWriter, r *http.Request) {
	ar, ok := s.adminTenant(w, r)
	if !ok {
		return
	}
	n, err := strconv.ParseInt(r.PathValue("revision"), 10, 64)
	if err != nil || n < 1 {
		writeProblem(w, http.StatusNotFound, "not_found", "No such revision")
		return
	}
	ctx, cancel := s.adminContext(r)
	defer cancel()
	name := r.PathValue("name")
	rev, err := s.admin.GetRevision(ctx, ar.tenant, name, n)
	if err != nil {
		s.storeProblem(w, err, "No such revision")
		return
	}
	var before []byte
	if n > 1 {
		if p, err := s.admin.GetRevision(ctx, ar.tenant, name, n-1); err == nil {
			before = p.Public
		}
	}
	v := viewOf(rev)
	v.Document = rev.Public
	v.Diff, _ = jsondiff.Diff(before, rev.Public)
	writeJSON(w, http.StatusOK, v)
}

// handleAdminRollback is POST …/integrations/{name}/rollback
// {"revision": N}: a new revision with N's document, checked again as a
// new one would be (If-Match: the live revision).
func (s *Server) handleAdminRollback(w http.ResponseWriter, r *http.Request) {
	ar, ok := s.adminTenant(w, r)
	if !ok {
		return
	}
	var body struct {
		Revision int64 `json:"revision"`
	}
	if !decodeBody(w, r, &body) {
		return
	}
	if body.Revision < 1 {
		writeProblem(w, http.StatusBadRequest, "invalid_request", `Want {"revision": N}`)
		return
	}
	name := r.PathValue("name")
	rec, ok := s.head(w, r, ar, "No such integration", nil)
	if !ok {
		return
	}
	expect, ok := precondition(w, r, rec.Live)
	if !ok {
		return
	}
	target, ok := s.revisionDoc(w, r, ar, body.Revision)
	if !ok {
		return
	}
	if target == nil || len(target) == 0 {
		writeProblem(w, http.StatusConflict, "conflict", "That revision is a deletion; roll back to one with a document")
		return
	}
	prev, ok := s.revisionDoc(w, r, ar, rec.Live)
	if !ok {
		return
	}
	plain, ok := s.acceptDoc(w, ar, name, target, target, true)
	if !ok {
		return
	}
	s.storeRevisionNote(w, r, ar, name, "rollback", "rollback to "+strconv.FormatInt(body.Revision, 10), plain, prev, expect)
}

// handleAdminDraft is GET …/integrations/{name}/draft: the draft and its
// shadow tally, the requests where it would have decided otherwise than
// the live revision.
func (s *Server) handleAdminDraft(w http.ResponseWriter, r *http.Request) {
	ar, ok := s.adminTenant(w, r)
	if !ok {
		return
	}
	name := r.PathValue("name")
	rec, ok := s.head(w, r, ar, "No draft", hasDraft)
	if !ok {
		return
	}
	ctx, cancel := s.adminContext(r)
	defer cancel()
	plain, ok := s.revisionDoc(w, r, ar, rec.Draft)
	if !ok {
		return
	}
	live, ok := s.revisionDoc(w, r, ar, rec.Live)
	if !ok {
		return
	}
	s.flushShadow(ctx) // this instance's counts so far, then everyone's
	tally, err := s.admin.GetShadow(ctx, ar.tenant, name, rec.Draft)
	if err != nil {
		s.storeProblem(w, err, "")
		return
	}
	v, err := storedView(ar.c, rec, plain, ar.who.operator)
	if err != nil {
		s.internalProblem(w, err)
		return
	}
	v.Revision, v.DraftRevision = rec.Live, rec.Draft
	v.Diff = s.diffOf(live, plain)
	w.Header().Set("ETag", etag(rec.Draft))
	writeJSON(w, http.StatusOK, map[string]any{"draft": v, "shadow": shadowView(tally)})
}

// handleAdminPromote is POST …/integrations/{name}/draft/promote: the
// draft becomes the live revision (If-Match: the draft's ETag), checked
// beside every other integration first.
func (s *Server) handleAdminPromote(w http.ResponseWriter, r *http.Request) {
	ar, ok := s.adminTenant(w, r)
	if !ok {
		return
	}
	name := r.PathValue("name")
	rec, ok := s.head(w, r, ar, "No draft", hasDraft)
	if !ok {
		return
	}
	ctx, cancel := s.adminContext(r)
	defer cancel()
	expect, ok := precondition(w, r, rec.Draft)
	if !ok {
		return
	}
	plain, ok := s.revisionDoc(w, r, ar, rec.Draft)
	if !ok {
		return
	}
	if _, ok := s.acceptDoc(w, ar, name, plain, plain, true); !ok {
		return
	}
	rev, err := s.admin.PromoteDraft(ctx, ar.tenant, name, expect, ar.who.actor, s.now())
	if err != nil {
		s.storeProblem(w, err, "No draft")
		return
	}
	s.audit(r, ar, "integration.promote", name, map[string]any{"revision": rev.Number, "draft": expect})
	s.refreshStored(r.Context())
	s.answerStored(w, r, ar, name, plain, nil, http.StatusOK, false)
}

// handleAdminDiscardDraft is DELETE …/integrations/{name}/draft.
func (s *Server) handleAdminDiscardDraft(w http.ResponseWriter, r *http.Request) {
	ar, ok := s.adminTenant(w, r)
	if !ok {
		return
	}
	name := r.PathValue("name")
	rec, ok := s.head(w, r, ar, "No draft", hasDraft)
	if !ok {
		return
	}
	ctx, cancel := s.adminContext(r)
	defer cancel()
	expect := rec.Draft
	if r.Header.Get("If-Match") != "" {
		if expect, ok = precondition(w, r, rec.Draft); !ok {
			return
		}
	}
	if err := s.admin.DiscardDraft(ctx, ar.tenant, name, expect, ar.who.actor, s.now()); err != nil {
		s.storeProblem(w, err, "No draft")
		return
	}
	s.audit(r, ar, "integration.discard_draft", name, map[string]any{"draft": expect})
	s.refreshStored(r.Context())
	w.WriteHeader(http.StatusNoContent)
}

package server

import (
	"encoding/json"
	"net/http"
	"slices"
	"time"

	"github.com/jwtgate/jwtgate/core"
	"github.com/jwtgate/jwtgate/internal/secretdoc"
)

// handleAdminTest is POST …/integrations/{name}/test: the token tester of
// the admin API. {"token": …} tests against the live revision;
// {"token": …, "integration": {policy, service}} against that document
// unsaved (a draft being written; secrets kept by fingerprint are those
// of the live revision). The answer is the decision with its explain
// trace; a one-time jti is neither checked nor consumed.
func (s *Server) handleAdminTest(w http.ResponseWriter, r *http.Request) {
	ar, ok := s.adminTenant(w, r)
	if !ok {
		return
	}
	var body struct {
		Token       string          `json:"token"`
		Redirect    string          `json:"redirect_url"`
		Now         int64           `json:"now"`
		Integration json.RawMessage `json:"integration"`
	}
	if !decodeBody(w, r, &body) {
		return
	}
	if body.Token == "" {
		writeProblem(w, http.StatusBadRequest, "invalid_request", `Want {"token": …, "integration": {…} (optional)}`)
		return
	}
	now := s.now()
	if body.Now != 0 {
		now = time.Unix(body.Now, 0)
	}
	name := r.PathValue("name")
	full := policyName(ar.tenant, name)
	if v, ok := fileView(ar.c, ar.tenant, name); ok {
		full = v.Integration
	}
	var engine core.Engine = ar.c.tester
	oneTime := false
	if len(body.Integration) > 0 {
		v, ok := s.draftEngine(w, r, ar, name, body.Integration)
		if !ok {
			return
		}
		info, _ := v.Policy().Integration(full)
		engine, oneTime = v, info.OneTimeUse
	} else if in := ar.c.integrations[full]; in != nil {
		oneTime = in.OneTimeUse
	} else {
		writeProblem(w, http.StatusNotFound, "not_found", "No such integration in force; send its document as \"integration\" to test it unsaved")
		return
	}
	d := engine.Verify(r.Context(), core.Request{Token: body.Token, Now: now, Explain: true, Integration: full, RedirectParam: body.Redirect})
	answer := testerAnswer{Decision: d, Trace: d.Trace}
	if oneTime {
		answer.Trace = append(slices.Clip(d.Trace), core.Step{Name: "jti", Outcome: core.OutcomeInfo, Detail: "token tester: the jti is neither checked against the replay store nor consumed"})
	}
	s.log.Info("token tested", "tenant", ar.tenant, "integration", name, "valid", d.Valid, "code", string(d.Code), tokenHashAttr(body.Token))
	writeJSON(w, http.StatusOK, answer)
}

// draftEngine is a verifier of one unsaved document, checked as a write
// would check it alone, with the configuration's key source.
func (s *Server) draftEngine(w http.ResponseWriter, r *http.Request, ar adminRequest, name string, raw []byte) (*core.Verifier, bool) {
	if _, probs := decodeDoc(raw); len(probs) > 0 {
		writeProblem(w, http.StatusUnprocessableEntity, "invalid_integration", "The document is refused", probs...)
		return nil, false
	}
	var prev []byte
	if in, ok := ar.c.storedByName(policyName(ar.tenant, name)); ok {
		prev, _ = json.Marshal(in.doc)
	}
	plain, err := secretdoc.Restore(raw, prev)
	if err != nil {
		writeProblem(w, http.StatusUnprocessableEntity, "invalid_integration", err.Error())
		return nil, false
	}
	doc, _ := decodeDoc(plain)
	cs, probs := checkDoc(ar.c, ar.tenant, name, doc)
	if len(probs) > 0 {
		writeProblem(w, http.StatusUnprocessableEntity, "invalid_integration", "The document is refused", probs...)
		return nil, false
	}
	cfg := core.Config{Replay: noReplay{}}
	if ar.c.fetcher != nil {
		cfg.Keys = ar.c.fetcher
	}
	v, err := core.NewVerifier(cs.policy, cfg)
	if err != nil {
		s.internalProblem(w, err)
		return nil, false
	}
	return v, true
}

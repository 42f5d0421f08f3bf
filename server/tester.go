package server

import (
	"crypto/subtle"
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/jwtgate/jwtgate/core"
)

// handleTester is POST /v1/integrations/{name}/test, the token tester: the
// decision with its explain trace for a token against one integration. It
// needs the admin token as a bearer; a one-time jti is not consumed.
func (s *Server) handleTester(w http.ResponseWriter, r *http.Request) {
	c := s.cur.Load()
	if c.adminDigest == nil {
		drain(w, r)
		writeError(w, http.StatusForbidden, "forbidden", "The token tester is not enabled")
		return
	}
	if clientCertMissing(c, r) {
		drain(w, r)
		s.log.Warn("token tester: no client certificate (service.tls.client_ca_file)", "remote", r.RemoteAddr)
		writeError(w, http.StatusForbidden, "forbidden", "A client certificate is required")
		return
	}
	client, now := clientOf(r.RemoteAddr), s.now()
	if !s.adminFailures.allow(client, now) {
		drain(w, r)
		s.log.Warn("token tester: too many failed admin token attempts", "remote", r.RemoteAddr)
		w.Header().Set("Retry-After", strconv.Itoa(int(adminRetryEvery.Seconds())))
		writeError(w, http.StatusTooManyRequests, "too_many_requests", "Too many failed attempts; try again later")
		return
	}
	admin, _, ok := bearerToken(r)
	if !ok || subtle.ConstantTimeCompare(digest(admin), c.adminDigest) != 1 {
		drain(w, r)
		s.adminFailures.fail(client, now)
		s.log.Warn("token tester: admin token refused", "remote", r.RemoteAddr)
		w.Header().Set("WWW-Authenticate", `Bearer realm="jwtgate-admin", error="invalid_token"`)
		writeError(w, http.StatusUnauthorized, "unauthorized", "Admin token required")
		return
	}
	name := r.PathValue("name")
	if c.integrations[name] == nil {
		drain(w, r)
		writeError(w, http.StatusNotFound, string(core.CodeConfigurationNotFound), core.CodeConfigurationNotFound.Message())
		return
	}
	var body struct {
		Token    string `json:"token"`
		Redirect string `json:"redirect_url"`
		Now      int64  `json:"now"`
	}
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, c.maxBody)).Decode(&body); err != nil || body.Token == "" {
		writeError(w, http.StatusBadRequest, "invalid_request", "Want a JSON body {\"token\": …}")
		return
	}
	if body.Now != 0 {
		now = time.Unix(body.Now, 0)
	}
	d := c.tester.Verify(r.Context(), core.Request{Token: body.Token, Now: now, Explain: true, Integration: name, RedirectParam: body.Redirect})
	answer := testerAnswer{Decision: d, Trace: d.Trace}
	if c.integrations[name].OneTimeUse {
		answer.Trace = append(slices.Clip(d.Trace), core.Step{Name: "jti", Outcome: core.OutcomeInfo, Detail: "token tester: the jti is neither checked against the replay store nor consumed"})
	}
	s.metrics.decision("tester", d.Integration, string(d.Code))
	s.log.Info("token tested", "integration", name, "valid", d.Valid, "code", string(d.Code), tokenHashAttr(body.Token))
	writeJSON(w, http.StatusOK, answer)
}

// testerAnswer is the token tester's answer: the decision's JSON as the
// core gave it, with the tester's own notes after its trace (the decision
// itself is left as the core made it).
type testerAnswer struct {
	*core.Decision
	Trace []core.Step `json:"trace,omitempty"`
}

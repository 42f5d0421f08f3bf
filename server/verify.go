package server

import (
	"net/http"

	"github.com/jwtgate/jwtgate/core"
	"github.com/jwtgate/jwtgate/edge"
)

// verifyResponse is the 200 answer of POST /v1/verify: the remote
// validation contracts of Okera (sub) and Okto (user_id) in one object.
// verifyAnswer writes it; the tags are its specification.
type verifyResponse struct {
	Sub         string   `json:"sub"`
	UserID      string   `json:"user_id"`
	Tenant      string   `json:"tenant"`
	Groups      []string `json:"groups"`
	Integration string   `json:"integration"`
}

// handleVerify is POST /v1/verify: the token (an integration's, or one of
// jwtgate's access tokens) as a bearer; 200 with the identity or 401 with
// the code and its fixed message.
func (s *Server) handleVerify(w http.ResponseWriter, r *http.Request) {
	drain(w, r)
	c := s.cur.Load()
	tok, _, ok := bearerToken(r)
	if !ok {
		s.logCaller(r.Context(), "verify", &caller{ref: &refusal{code: core.CodeInvalidToken, reason: "missing or malformed Authorization: Bearer header"}})
		unauthorized(w, core.CodeInvalidToken, true)
		return
	}
	// jwtgate's own access tokens (the token exchange's) verify here too,
	// while their session is live.
	who, err := s.identify(r.Context(), c, tok, "")
	if err != nil {
		writeError(w, http.StatusServiceUnavailable, "temporarily_unavailable", "Service temporarily unavailable")
		return
	}
	s.logCaller(r.Context(), "verify", who)
	if who.ref != nil {
		unauthorized(w, who.ref.code, true)
		return
	}
	id := who.id
	groups := id.groups
	if groups == nil {
		groups = []string{}
	}
	writeJSON(w, http.StatusOK, verifyAnswer(verifyResponse{Sub: id.subject, UserID: id.subject, Tenant: id.tenant, Groups: groups, Integration: id.integration}))
}

// noIdentity answers a request that brought no usable credential: 503 when
// the store could not be asked (status), else 401 with a bare challenge.
func noIdentity(w http.ResponseWriter, status int) {
	if status == http.StatusServiceUnavailable {
		writeError(w, status, "temporarily_unavailable", "Service temporarily unavailable")
		return
	}
	unauthorized(w, core.CodeInvalidToken, false)
}

// unauthorized answers 401 with an RFC 6750 challenge naming the code's
// fixed message, never the reason (edge.Unauthorized).
func unauthorized(w http.ResponseWriter, code core.Code, tokenSent bool) {
	refuse(w, edge.Unauthorized(code, tokenSent))
}

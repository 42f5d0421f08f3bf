package server

import (
	"errors"
	"mime"
	"net/http"
	"strings"
	"time"

	"github.com/jwtgate/jwtgate/core"
)

// RFC 8693 identifiers.
const (
	grantTokenExchange = "urn:ietf:params:oauth:grant-type:token-exchange"
	tokenTypeJWT       = "urn:ietf:params:oauth:token-type:jwt"
	tokenTypeAccess    = "urn:ietf:params:oauth:token-type:access_token"
)

// tokenResponse is the RFC 8693 section 2.2.1 answer.
type tokenResponse struct {
	AccessToken     string `json:"access_token"`
	IssuedTokenType string `json:"issued_token_type"`
	TokenType       string `json:"token_type"`
	ExpiresIn       int64  `json:"expires_in"`
}

// oauthError is the RFC 6749 section 5.2 error answer.
type oauthError struct {
	Error       string `json:"error"`
	Description string `json:"error_description,omitempty"`
}

func writeOAuthError(w http.ResponseWriter, status int, code, description string) {
	w.Header().Set("Pragma", "no-cache")
	writeJSON(w, status, oauthError{Error: code, Description: description})
}

// handleToken is POST /oauth2/token, the RFC 8693 token exchange: an
// integration's JWT in (subject_token), a jwtgate access token out, signed
// with jwtgate's current key and naming a new session, so that logout
// revokes it. The subject is created or updated as at sign-in.
func (s *Server) handleToken(w http.ResponseWriter, r *http.Request) {
	c := s.cur.Load()
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if ct != "application/x-www-form-urlencoded" {
		drain(w, r)
		writeOAuthError(w, http.StatusBadRequest, "invalid_request", "the request must be application/x-www-form-urlencoded")
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, c.maxBody)
	if err := r.ParseForm(); err != nil {
		writeOAuthError(w, http.StatusBadRequest, "invalid_request", "malformed form body")
		return
	}
	f := r.PostForm
	for _, name := range []string{"grant_type", "subject_token", "subject_token_type", "requested_token_type"} {
		if len(f[name]) > 1 {
			writeOAuthError(w, http.StatusBadRequest, "invalid_request", "parameter "+name+" is repeated")
			return
		}
	}
	switch {
	case f.Get("grant_type") != grantTokenExchange:
		writeOAuthError(w, http.StatusBadRequest, "unsupported_grant_type", "only "+grantTokenExchange+" is supported")
		return
	case f.Get("subject_token") == "":
		writeOAuthError(w, http.StatusBadRequest, "invalid_request", "subject_token is required")
		return
	case f.Get("subject_token_type") != tokenTypeJWT:
		writeOAuthError(w, http.StatusBadRequest, "invalid_request", "subject_token_type must be "+tokenTypeJWT)
		return
	case f.Get("requested_token_type") != "" && f.Get("requested_token_type") != tokenTypeAccess && f.Get("requested_token_type") != tokenTypeJWT:
		writeOAuthError(w, http.StatusBadRequest, "invalid_request", "requested_token_type must be "+tokenTypeAccess)
		return
	case f.Get("actor_token") != "":
		writeOAuthError(w, http.StatusBadRequest, "invalid_request", "delegation (actor_token) is not supported")
		return
	}
	tok := strings.TrimSpace(f.Get("subject_token"))
	id, ref := s.verifySyncing(r.Context(), c, core.Request{Token: tok, Now: s.now()})
	s.logCaller(r.Context(), "token", &caller{token: tok, id: id, ref: ref})
	if ref != nil {
		// RFC 8693 section 2.2.2: an invalid subject_token is invalid_request.
		writeOAuthError(w, http.StatusBadRequest, "invalid_request", ref.code.Message())
		return
	}
	if _, err := s.upsertSubject(r.Context(), id); err != nil {
		writeOAuthError(w, http.StatusServiceUnavailable, "temporarily_unavailable", "Service temporarily unavailable")
		return
	}
	ttl := c.accessTokenTTL
	access, exp, err := s.startSession(r.Context(), id, tokenUseAccess, ttl)
	if errors.Is(err, errIntegrationRetired) {
		writeOAuthError(w, http.StatusBadRequest, "invalid_request", core.CodeConfigurationNotFound.Message())
		return
	}
	if err != nil {
		writeOAuthError(w, http.StatusServiceUnavailable, "temporarily_unavailable", "Service temporarily unavailable")
		return
	}
	w.Header().Set("Pragma", "no-cache")
	writeJSON(w, http.StatusOK, tokenResponse{
		AccessToken: access, IssuedTokenType: tokenTypeAccess, TokenType: "Bearer",
		ExpiresIn: int64(exp.Sub(s.now()).Round(time.Second).Seconds()),
	})
}

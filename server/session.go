package server

import (
	"cmp"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"time"

	"github.com/jwtgate/jwtgate/store"
)

func randomID() string {
	b := make([]byte, 24)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// errIntegrationRetired means no session can begin: the store has retired
// the integration. The caller refuses, configuration_not_found.
var errIntegrationRetired = errors.New("integration retired in the store")

// startSession records a session for a verified identity and returns a
// token of the given use naming it.
func (s *Server) startSession(ctx context.Context, id *identity, use string, ttl time.Duration) (string, time.Time, error) {
	now := s.now()
	exp := now.Add(ttl).Truncate(time.Second)
	sess := store.Session{
		ID: randomID(), Tenant: id.tenant, Subject: id.subject, Integration: id.integration,
		CreatedAt: now, ExpiresAt: exp,
	}
	if err := s.store.CreateSession(ctx, sess); err != nil {
		if errors.Is(err, store.ErrIntegrationRetired) {
			// Another instance sharing the store loaded a configuration
			// without this integration: it is removed for all.
			s.log.Warn("the integration is retired in the store; no session begins", "integration", id.integration)
			return "", time.Time{}, errIntegrationRetired
		}
		s.metrics.storeError("create_session")
		s.log.Error("store", "op", "create_session", "error", err.Error())
		return "", time.Time{}, err
	}
	tok, err := s.signOwnToken(id, sess.ID, use, now, exp)
	if err != nil {
		s.log.Error("signing keys", "error", err.Error())
		return "", time.Time{}, err
	}
	return tok, exp, nil
}

// touchSession records a session's use for its idle timeout; a store that
// fails to record it is logged, and the session goes on (it is live).
func (s *Server) touchSession(ctx context.Context, id string, now time.Time) {
	if err := s.store.TouchSession(ctx, id, now); err != nil {
		s.metrics.storeError("touch_session")
		s.log.Error("store", "op", "touch_session", "error", err.Error())
	}
}

// sessionResponse is the answer of GET /v1/session.
type sessionResponse struct {
	Authenticated bool            `json:"authenticated"`
	Subject       string          `json:"subject"`
	Tenant        string          `json:"tenant"`
	Integration   string          `json:"integration"`
	ExpiresAt     int64           `json:"expires_at"`
	Email         string          `json:"email,omitempty"`
	Name          string          `json:"name,omitempty"`
	Groups        []string        `json:"groups,omitzero"`
	Roles         []string        `json:"roles,omitzero"`
	Metadata      json.RawMessage `json:"metadata,omitempty"`
	// SyncedClaims are the stored subject's synced claims, by name.
	SyncedClaims map[string]json.RawMessage `json:"synced_claims,omitempty"`
	FirstSeen    *time.Time                 `json:"first_seen,omitempty"`
	LastSeen     *time.Time                 `json:"last_seen,omitempty"`
}

// handleSession is GET /v1/session: who am I, from the session cookie or a
// jwtgate access token, with the stored subject. A page at an allowed
// origin of the session's integration may read the answer (CORS); a page
// of another integration may not.
func (s *Server) handleSession(w http.ResponseWriter, r *http.Request) {
	c := s.cur.Load()
	varyOrigin(w)
	origin, _ := originOf(r)
	who, status := s.authenticateOwn(r, c, "session")
	if readableBy(c, origin, acceptedIntegration(who)) {
		grantCORS(w, origin)
	}
	if who == nil {
		noIdentity(w, status)
		return
	}
	if who.ref != nil {
		unauthorized(w, who.ref.code, true)
		return
	}
	id := who.id
	resp := sessionResponse{
		Authenticated: true, Subject: id.subject, Tenant: id.tenant, Integration: id.integration,
		ExpiresAt: id.expiresAt, Email: id.profile().email, Groups: id.groups, Roles: id.roles,
	}
	// The subject as the session's own integration vouched for it: another
	// integration's token for the same ID is another subject.
	sub, err := s.store.GetSubject(r.Context(), id.tenant, id.integration, id.subject)
	switch {
	case err == nil:
		resp.Email, resp.Name, resp.Groups, resp.Roles, resp.Metadata = cmp.Or(sub.Email, resp.Email), sub.Name, sub.Groups, sub.Roles, sub.Metadata
		resp.SyncedClaims = configuredSynced(c.integrations[id.integration], sub.Synced)
		if !sub.FirstSeen.IsZero() {
			resp.FirstSeen, resp.LastSeen = &sub.FirstSeen, &sub.LastSeen
		}
	case !errors.Is(err, store.ErrNotFound):
		s.metrics.storeError("get_subject")
		s.log.Error("store", "op", "get_subject", "error", err.Error())
	}
	writeJSON(w, http.StatusOK, resp)
}

// acceptedIntegration is the integration of an accepted caller, else "".
func acceptedIntegration(who *caller) string {
	if who == nil || who.id == nil {
		return ""
	}
	return who.id.integration
}

// handleLogout is POST /auth/logout: revokes the session of the cookie or
// access token at once, for every instance sharing the store. A
// cross-origin logout is refused as a cross-origin sign-in is (a forced
// logout is CSRF too).
func (s *Server) handleLogout(w http.ResponseWriter, r *http.Request) {
	drain(w, r)
	c := s.cur.Load()
	varyOrigin(w)
	origin, admitted := s.admitted(c, r)
	if !admitted {
		s.forbiddenOrigin(w, "logout", origin, "")
		return
	}
	who, status := s.authenticateOwn(r, c, "logout")
	name := acceptedIntegration(who)
	if name != "" && !s.allowedFor(c.integrations[name], origin) {
		s.forbiddenOrigin(w, "logout", origin, name)
		return
	}
	if readableBy(c, origin, name) {
		grantCORS(w, origin)
	}
	s.clearSessionCookie(w, c)
	if who == nil && status == http.StatusServiceUnavailable {
		writeError(w, status, "temporarily_unavailable", "Service temporarily unavailable")
		return
	}
	if who == nil || who.id == nil {
		// Nothing live to revoke: logging out twice is not an error.
		writeJSON(w, http.StatusOK, map[string]bool{"logged_out": true})
		return
	}
	if err := s.store.RevokeSession(r.Context(), who.id.sessionID, s.now()); err != nil {
		s.metrics.storeError("revoke_session")
		s.log.Error("store", "op", "revoke_session", "error", err.Error())
		writeError(w, http.StatusServiceUnavailable, "temporarily_unavailable", "Service temporarily unavailable")
		return
	}
	s.log.Info("logged out", "integration", who.id.integration, "subject", who.id.subject)
	writeJSON(w, http.StatusOK, map[string]bool{"logged_out": true})
}

package server

import (
	"cmp"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/jwtgate/jwtgate/core"
	"github.com/jwtgate/jwtgate/store"
)

// The uses of jwtgate's own tokens: the session cookie, and the access
// token of the token exchange. Each names a session in the store, which
// says whether it is still live.
const (
	tokenUseSession = "session"
	tokenUseAccess  = "access"
)

// ownClaims are the claims of jwtgate's own tokens.
type ownClaims struct {
	Issuer      string            `json:"iss"`
	Subject     string            `json:"sub"`
	Audience    string            `json:"aud"`
	IssuedAt    int64             `json:"iat"`
	ExpiresAt   int64             `json:"exp"`
	ID          string            `json:"jti"`
	Use         string            `json:"token_use"`
	SessionID   string            `json:"sid"`
	Tenant      string            `json:"tenant,omitempty"`
	Integration string            `json:"integration"`
	Email       string            `json:"email,omitempty"`
	Groups      []string          `json:"groups,omitzero"`
	Roles       []string          `json:"roles,omitzero"`
	Permissions []string          `json:"permissions,omitzero"`
	Headers     map[string]string `json:"headers,omitempty"`
}

func randomID() string {
	b := make([]byte, 24)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// peekOwn peeks at a token and reports whether it claims to be one of
// jwtgate's own (its issuer is the public URL); the signature is checked
// later.
func (s *Server) peekOwn(tok string) (*peeked, bool) {
	p, ok := peek(tok)
	return p, ok && p.Iss == s.publicURL
}

// startSession records a session for a verified identity and returns a
// token of the given use naming it.
func (s *Server) startSession(ctx context.Context, d *core.Decision, use string, ttl time.Duration) (string, time.Time, error) {
	now := s.now()
	exp := now.Add(ttl).Truncate(time.Second)
	sess := store.Session{
		ID: randomID(), Tenant: d.Tenant, Subject: d.Subject, Integration: d.Integration,
		CreatedAt: now, ExpiresAt: exp,
	}
	if err := s.store.CreateSession(ctx, sess); err != nil {
		if errors.Is(err, store.ErrIntegrationRetired) {
			// Another instance sharing the store loaded a configuration
			// without this integration: it is removed for all.
			s.log.Warn("the integration is retired in the store; no session begins", "integration", d.Integration)
			return "", time.Time{}, errIntegrationRetired
		}
		s.metrics.storeError("create_session")
		s.log.Error("store", "op", "create_session", "error", err.Error())
		return "", time.Time{}, err
	}
	claims := ownClaims{
		Issuer: s.publicURL, Subject: d.Subject, Audience: s.publicURL,
		IssuedAt: now.Unix(), ExpiresAt: exp.Unix(), ID: randomID(), Use: use, SessionID: sess.ID,
		Tenant: d.Tenant, Integration: d.Integration, Email: claimText(d.Claims, "email"),
		Groups: d.Groups, Roles: d.Roles, Permissions: d.Permissions, Headers: d.Headers,
	}
	tok, err := s.keys.sign(claims, now)
	if err != nil {
		s.log.Error("signing keys", "error", err.Error())
		return "", time.Time{}, err
	}
	return tok, exp, nil
}

// errStore means the store could not be asked; the caller answers 503.
var errStore = errors.New("store unavailable")

// errIntegrationRetired means no session can begin: the store has retired
// the integration. The caller refuses, configuration_not_found.
var errIntegrationRetired = errors.New("integration retired in the store")

// checkOwnToken verifies one of jwtgate's own tokens of the given use and
// that its session is live in the store (so that a logout on any instance
// is honoured) and its integration still configured. A rejection is a
// decision; err is errStore when the store could not be asked.
func (s *Server) checkOwnToken(ctx context.Context, c *config, tok, use string) (*core.Decision, error) {
	now := s.now()
	d := &core.Decision{}
	payload, err := s.keys.verify(tok, now)
	if err != nil {
		return reject(d, core.CodeInvalidToken, "jwtgate token: "+err.Error()), nil
	}
	var cl ownClaims
	if err := json.Unmarshal(payload, &cl); err != nil {
		return reject(d, core.CodeInvalidToken, "jwtgate token: "+err.Error()), nil
	}
	d.Integration, d.Tenant, d.Issuer, d.Subject, d.ExpiresAt = cl.Integration, cl.Tenant, cl.Issuer, cl.Subject, cl.ExpiresAt
	switch {
	case cl.Issuer != s.publicURL || cl.Audience != s.publicURL:
		return reject(d, core.CodeInvalidToken, "jwtgate token of another issuer or audience"), nil
	case cl.Use != use:
		return reject(d, core.CodeInvalidToken, "jwtgate "+cl.Use+" token where a "+use+" token was expected"), nil
	case now.Unix() >= cl.ExpiresAt:
		return reject(d, core.CodeTokenExpired, "jwtgate token expired"), nil
	case c.integrations[cl.Integration] == nil:
		return reject(d, core.CodeConfigurationNotFound, "integration "+cl.Integration+" is no longer configured"), nil
	}
	sess, err := s.store.GetSession(ctx, cl.SessionID)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return reject(d, core.CodeInvalidToken, "unknown session"), nil
	case err != nil:
		s.metrics.storeError("get_session")
		s.log.Error("store", "op", "get_session", "error", err.Error())
		return nil, errStore
	case !sess.RevokedAt.IsZero():
		return reject(d, core.CodeInvalidToken, "session revoked"), nil
	case sess.IntegrationGone:
		// Refused like a revoked session: the integration was removed (and
		// maybe configured again) since the session began.
		return reject(d, core.CodeInvalidToken, "session of a removed integration"), nil
	case !now.Before(sess.ExpiresAt):
		return reject(d, core.CodeTokenExpired, "session expired"), nil
	}
	d.Valid = true
	d.Groups, d.Roles, d.Permissions, d.Headers = cl.Groups, cl.Roles, cl.Permissions, cl.Headers
	d.Claims, _ = json.Marshal(map[string]any{"sid": cl.SessionID, "email": cl.Email})
	return d, nil
}

// sessionID returns the session of a verified own token.
func sessionID(d *core.Decision) string {
	return claimText(d.Claims, "sid")
}

func claimText(claims json.RawMessage, name string) string {
	if len(claims) == 0 {
		return ""
	}
	var m map[string]json.RawMessage
	if json.Unmarshal(claims, &m) != nil {
		return ""
	}
	var s string
	if json.Unmarshal(m[name], &s) != nil {
		return ""
	}
	return s
}

// secureCookie reports whether the session cookie is Secure: always, or
// with "auto" unless the public URL is plain http on a loopback host; and
// always with SameSite=None, which browsers take only with Secure.
func (s *Server) secureCookie(c *config) bool {
	switch {
	case c.secure == "always" || c.sameSite == http.SameSiteNoneMode:
		return true
	case c.secure == "never":
		return false
	}
	u, err := url.Parse(s.publicURL)
	if err != nil {
		return true
	}
	host := u.Hostname()
	local := host == "localhost" || host == "127.0.0.1" || host == "::1" || strings.HasSuffix(host, ".localhost")
	return !(u.Scheme == "http" && local)
}

// settleCookie names the session cookie once its attributes are known
// (Secure depends on the public URL): __Host-NAME when it is Secure with
// Path=/ and no Domain, __Secure-NAME when it is Secure with a Domain,
// else NAME. A prefixed cookie cannot be set by a page over plain http
// nor (__Host-) by a sibling host, so none of them can plant a session
// of its own choosing (login CSRF by cookie). The bare name is then
// ignored, an older cookie of that name included: it dies with its
// Max-Age, or at logout.
func (s *Server) settleCookie(c *config) {
	switch {
	case !s.secureCookie(c):
		c.cookieName = c.cookieBase
	case c.cookieDomain == "":
		c.cookieName = "__Host-" + c.cookieBase
	default:
		c.cookieName = "__Secure-" + c.cookieBase
	}
}

// sessionCookie is the session cookie with the configured attributes; a
// cookie is cleared with the same ones, or the browser keeps it.
func (s *Server) sessionCookie(c *config, value string) *http.Cookie {
	return &http.Cookie{
		Name: c.cookieName, Value: value, Path: "/", Domain: c.cookieDomain,
		HttpOnly: true, SameSite: cmp.Or(c.sameSite, http.SameSiteLaxMode), Secure: s.secureCookie(c),
	}
}

func (s *Server) setSessionCookie(w http.ResponseWriter, c *config, tok string, exp time.Time) {
	ck := s.sessionCookie(c, tok)
	ck.Expires, ck.MaxAge = exp, int(exp.Sub(s.now()).Seconds())
	http.SetCookie(w, ck)
}

// clearSessionCookie clears the cookie, and the bare-named one of before
// the prefix (host-only, as it was set).
func (s *Server) clearSessionCookie(w http.ResponseWriter, c *config) {
	ck := s.sessionCookie(c, "")
	ck.MaxAge = -1
	http.SetCookie(w, ck)
	if c.cookieName != c.cookieBase {
		ck.Name, ck.Domain = c.cookieBase, ""
		http.SetCookie(w, ck)
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
	FirstSeen     *time.Time      `json:"first_seen,omitempty"`
	LastSeen      *time.Time      `json:"last_seen,omitempty"`
}

// handleSession is GET /v1/session: who am I, from the session cookie or a
// jwtgate access token, with the stored subject. A page at an allowed
// origin of the session's integration may read the answer (CORS); a page
// of another integration may not.
func (s *Server) handleSession(w http.ResponseWriter, r *http.Request) {
	c := s.cur.Load()
	varyOrigin(w)
	origin, _ := originOf(r)
	d, _, status := s.ownIdentity(r, c, "session")
	name := ""
	if d != nil && d.Valid {
		name = d.Integration
	}
	if readableBy(c, origin, name) {
		grantCORS(w, origin)
	}
	if d == nil {
		noIdentity(w, status)
		return
	}
	if !d.Valid {
		unauthorized(w, d.Code, true)
		return
	}
	resp := sessionResponse{
		Authenticated: true, Subject: d.Subject, Tenant: d.Tenant, Integration: d.Integration,
		ExpiresAt: d.ExpiresAt, Email: claimText(d.Claims, "email"), Groups: d.Groups, Roles: d.Roles,
	}
	// The subject as the session's own integration vouched for it: another
	// integration's token for the same ID is another subject.
	sub, err := s.store.GetSubject(r.Context(), d.Tenant, d.Integration, d.Subject)
	switch {
	case err == nil:
		resp.Email, resp.Name, resp.Groups, resp.Roles, resp.Metadata = or(sub.Email, resp.Email), sub.Name, sub.Groups, sub.Roles, sub.Metadata
		if !sub.FirstSeen.IsZero() {
			resp.FirstSeen, resp.LastSeen = &sub.FirstSeen, &sub.LastSeen
		}
	case !errors.Is(err, store.ErrNotFound):
		s.metrics.storeError("get_subject")
		s.log.Error("store", "op", "get_subject", "error", err.Error())
	}
	writeJSON(w, http.StatusOK, resp)
}

// ownIdentity reads jwtgate's own credential: a bearer access token, else
// the session cookie. A nil decision: none was sent (401) or the store
// could not be asked (503).
func (s *Server) ownIdentity(r *http.Request, c *config, endpoint string) (*core.Decision, string, int) {
	tok, present, ok := bearerToken(r)
	use := tokenUseAccess
	if !present {
		ck, err := r.Cookie(c.cookieName)
		if err != nil || ck.Value == "" {
			return nil, "", http.StatusUnauthorized
		}
		tok, ok, use = ck.Value, true, tokenUseSession
	}
	if !ok {
		d := reject(&core.Decision{}, core.CodeInvalidToken, "malformed Authorization header")
		s.logDecision(endpoint, "", d)
		return d, "", 0
	}
	d, err := s.checkOwnToken(r.Context(), c, tok, use)
	if err != nil {
		return nil, tok, http.StatusServiceUnavailable
	}
	s.logDecision(endpoint, tok, d)
	return d, tok, 0
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
	d, _, status := s.ownIdentity(r, c, "logout")
	name := ""
	if d != nil && d.Valid {
		name = d.Integration
		if !s.allowedFor(c.integrations[name], origin) {
			s.forbiddenOrigin(w, "logout", origin, name)
			return
		}
	}
	if readableBy(c, origin, name) {
		grantCORS(w, origin)
	}
	s.clearSessionCookie(w, c)
	if d == nil && status == http.StatusServiceUnavailable {
		writeError(w, status, "temporarily_unavailable", "Service temporarily unavailable")
		return
	}
	if d == nil || !d.Valid {
		// Nothing live to revoke: logging out twice is not an error.
		writeJSON(w, http.StatusOK, map[string]bool{"logged_out": true})
		return
	}
	if err := s.store.RevokeSession(r.Context(), sessionID(d), s.now()); err != nil {
		s.metrics.storeError("revoke_session")
		s.log.Error("store", "op", "revoke_session", "error", err.Error())
		writeError(w, http.StatusServiceUnavailable, "temporarily_unavailable", "Service temporarily unavailable")
		return
	}
	s.log.Info("logged out", "integration", d.Integration, "subject", d.Subject)
	writeJSON(w, http.StatusOK, map[string]bool{"logged_out": true})
}

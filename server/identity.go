package server

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"

	"github.com/jwtgate/jwtgate/core"
)

// identity is who a credential names, as the server's handlers use it. It
// is built from a core decision (and, for an integration with a group
// resolver, the resolver's answer) and never written back into one: the
// decision is the core's, the identity the server's.
type identity struct {
	// integration is the configured integration: for one of jwtgate's own
	// tokens, its session's.
	integration string
	tenant      string
	subject     string
	// groups, roles and permissions keep the decision's absent/empty
	// distinction: nil is no such claim, which leaves a stored list alone
	// where an empty one clears it.
	groups, roles, permissions []string
	headers                    map[string]string // identity headers for an upstream
	expiresAt                  int64             // Unix seconds; 0 for none
	redirect                   string            // the post-sign-in target the core allowed
	sessionID                  string            // jwtgate's own tokens: the session they name
	// synced are the integration's synced claims the token carries, and
	// onboard its request for onboarding; read (verifySyncing) only where
	// the subject is stored.
	synced  map[string]json.RawMessage
	onboard bool
	// prof is read from claims on first use (profile): forward
	// authentication and remote validation never need it, and reading it
	// is a second parse of the payload.
	prof   profile
	claims json.RawMessage
}

// profile is what the server keeps of a subject beyond the decision.
type profile struct {
	email, name string
	metadata    json.RawMessage            // the token's metadata (or meta) object
	members     map[string]json.RawMessage // every claim, for the synced claims
}

// externalIdentity is the identity of a valid decision on an
// integration's token.
func externalIdentity(d *core.Decision) *identity {
	id := &identity{
		integration: d.Integration, tenant: d.Tenant, subject: d.Subject,
		groups: d.Groups, roles: d.Roles, permissions: d.Permissions, headers: d.Headers,
		expiresAt: d.ExpiresAt, redirect: d.Redirect, claims: d.Claims,
	}
	return id
}

// profile is the identity's email, name and metadata, read from the
// token's payload the first time they are asked for.
func (id *identity) profile() profile {
	if id.claims != nil {
		id.prof, id.claims = readProfile(id.claims), nil
	}
	return id.prof
}

// readProfile reads a profile from a verified payload. The core read the
// payload strictly (no member twice), so this reading of it cannot differ
// from the core's.
func readProfile(payload json.RawMessage) profile {
	var claims map[string]json.RawMessage
	if json.Unmarshal(payload, &claims) != nil {
		return profile{}
	}
	return profile{email: text(claims["email"]), name: text(claims["name"]), metadata: metadataClaim(claims), members: claims}
}

// grants are what route requirements judge.
func (id *identity) grants() core.Grants {
	return core.Grants{Permissions: id.permissions, Roles: id.roles, Groups: id.groups}
}

// text is a claim's value when it is a string, else "".
func text(raw json.RawMessage) string {
	var s string
	if json.Unmarshal(raw, &s) != nil {
		return ""
	}
	return s
}

// metadataClaim returns the token's "metadata" (Authonomy) or "meta"
// (Acadio) object, or nil when it has neither.
func metadataClaim(claims map[string]json.RawMessage) json.RawMessage {
	for _, name := range []string{"metadata", "meta"} {
		if v, ok := claims[name]; ok && len(v) > 0 && v[0] == '{' {
			return v
		}
	}
	return nil
}

// refusal is a credential the server does not accept, as a value of its
// own, never a hand-built core.Decision: the client is told the code (with
// its fixed message), the log the reason.
type refusal struct {
	code        core.Code
	reason      string
	integration string // the integration it concerns, when known
}

// refusalOf is the refusal of a rejected decision.
func refusalOf(d *core.Decision) *refusal {
	return &refusal{code: d.Code, reason: d.Reason, integration: d.Integration}
}

// refusedHeader refuses an Authorization header that holds no single
// bearer token.
func refusedHeader() *refusal {
	return &refusal{code: core.CodeInvalidToken, reason: "malformed Authorization header"}
}

// errStore means the store could not be asked; the caller answers 503.
var errStore = errors.New("store unavailable")

// caller is who sent a request, as its credential says: an identity, or
// a refusal (exactly one is set).
type caller struct {
	token string // the credential as presented, for the log's hash
	id    *identity
	ref   *refusal
}

// integration is the integration the credential concerns: an accepted
// one's always, a refused one's when it got that far.
func (who *caller) integration() string {
	if who.id != nil {
		return who.id.integration
	}
	return who.ref.integration
}

// logCaller logs what a credential came to, and counts it (and records it
// on the request's span, reqCtx's). Never the
// token: its hash. It runs on every request, so the line is built only
// when its level is on, from attributes (no boxing of the arguments), and
// the hash only when a handler writes it.
func (s *Server) logCaller(reqCtx context.Context, endpoint string, who *caller) {
	ctx := context.Background() // as Logger.Info and Warn log
	if ref := who.ref; ref != nil {
		s.decision(reqCtx, endpoint, ref.integration, string(ref.code))
		if s.log.Enabled(ctx, slog.LevelWarn) {
			s.log.LogAttrs(ctx, slog.LevelWarn, "token rejected", slog.String("endpoint", endpoint), slog.String("code", string(ref.code)),
				slog.String("reason", ref.reason), slog.String("integration", ref.integration), tokenHashAttr(who.token))
		}
		return
	}
	s.decision(reqCtx, endpoint, who.id.integration, "")
	// An accepted token is counted, and logged at DEBUG only: at INFO, a
	// line per request would cost a busy gateway a third of a verification
	// (the proxy in front keeps the access log). Refusals are logged above.
	if s.log.Enabled(ctx, slog.LevelDebug) {
		s.log.LogAttrs(ctx, slog.LevelDebug, "token accepted", slog.String("endpoint", endpoint), slog.String("integration", who.id.integration),
			slog.String("subject", who.id.subject), tokenHashAttr(who.token))
	}
}

// identify verifies a bearer token: an integration's, else one of
// jwtgate's own access tokens. err is errStore when the store could not be
// asked about an own token's session.
//
// The engine judges every token first, so that an integration's token —
// the hot path — is parsed once. Only a token it refuses is shown to the
// own verifier, and its answer counts only when the own policy routed the
// token (its issuer is the public URL, which no integration has:
// issuerClash), so that each token is judged by exactly the verifier of
// its issuer, as when the own policy routed tokens first, and fully: no
// header or claim lets a token reach a verifier that would not check it.
func (s *Server) identify(ctx context.Context, c *config, tok, pin string) (*caller, error) {
	now := s.now()
	id, ref := s.verifyExternal(ctx, c, core.Request{Token: tok, Now: now, Integration: pin})
	if ref == nil {
		return &caller{token: tok, id: id}, nil
	}
	d, ok := s.own.verify(ctx, tok, now)
	if !ok {
		return &caller{token: tok, ref: ref}, nil
	}
	id, ref, err := s.judgeOwnToken(ctx, c, d, tokenUseAccess, now)
	if err != nil {
		return nil, err
	}
	return &caller{token: tok, id: id, ref: ref}, nil
}

// authenticate finds the caller of a request, logged: a bearer token (one
// of jwtgate's access tokens, or an integration's token, verified against
// pin alone when set) or else the session cookie. A nil caller means there was no credential (status 401)
// or the store could not be asked (status 503).
func (s *Server) authenticate(r *http.Request, c *config, endpoint, pin string) (*caller, int) {
	tok, present, ok := bearerToken(r)
	switch {
	case present && !ok:
		return s.logged(r.Context(), endpoint, &caller{ref: refusedHeader()}), 0
	case ok:
		who, err := s.identify(r.Context(), c, tok, pin)
		if err != nil {
			return nil, http.StatusServiceUnavailable
		}
		return s.logged(r.Context(), endpoint, who), 0
	}
	return s.sessionCaller(r, c, endpoint)
}

// authenticateOwn finds the caller of a request by jwtgate's own
// credential only, logged: a bearer access token, else the session
// cookie. A nil caller as for authenticate.
func (s *Server) authenticateOwn(r *http.Request, c *config, endpoint string) (*caller, int) {
	tok, present, ok := bearerToken(r)
	switch {
	case !present:
		return s.sessionCaller(r, c, endpoint)
	case !ok:
		return s.logged(r.Context(), endpoint, &caller{ref: refusedHeader()}), 0
	}
	id, ref, err := s.checkOwnToken(r.Context(), c, tok, tokenUseAccess)
	if err != nil {
		return nil, http.StatusServiceUnavailable
	}
	return s.logged(r.Context(), endpoint, &caller{token: tok, id: id, ref: ref}), 0
}

// sessionCaller is the caller of the session cookie, or none (401).
func (s *Server) sessionCaller(r *http.Request, c *config, endpoint string) (*caller, int) {
	ck, err := r.Cookie(c.cookieName)
	if err != nil || ck.Value == "" {
		return nil, http.StatusUnauthorized
	}
	id, ref, err := s.checkOwnToken(r.Context(), c, ck.Value, tokenUseSession)
	if err != nil {
		return nil, http.StatusServiceUnavailable
	}
	return s.logged(r.Context(), endpoint, &caller{token: ck.Value, id: id, ref: ref}), 0
}

func (s *Server) logged(ctx context.Context, endpoint string, who *caller) *caller {
	s.logCaller(ctx, endpoint, who)
	return who
}

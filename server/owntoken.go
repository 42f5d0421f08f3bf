package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
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

// ownIntegration names the integration of jwtgate's own tokens in the
// policy ownTokens builds. That policy is the server's, apart from the
// configuration's, so the name never meets a configured integration's;
// what could meet is the issuer, and a public URL that is a configured
// issuer is refused (issuerClash), so that no token routes to both.
const ownIntegration = "jwtgate"

// ownClaims are the claims of jwtgate's own tokens. Their shape outlives a
// restart and is shared by every instance: a token issued by another one,
// or before an upgrade, must verify.
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

// ownTokens verifies jwtgate's own tokens with the core, as one
// integration of a policy of their own: issuer and audience the public
// URL, the algorithms of the keyring, and as keys the set jwtgate
// publishes at PUBLIC_URL/.well-known/jwks.json, which the keyring itself
// supplies as the core's key source (no HTTP; an unknown kid reads the
// key folder again, for keys another instance made). A key source rather
// than inline keys: a rotation then changes what the key source answers,
// not the policy, which is built once.
type ownTokens struct {
	verifier *core.Verifier
}

func newOwnTokens(publicURL string, keys *keyring, now func() time.Time) (*ownTokens, error) {
	jwksURL := publicURL + jwksPath
	type claim struct {
		Name string `json:"name"`
		Type string `json:"type"`
	}
	doc, err := json.Marshal(map[string]any{"integrations": []any{map[string]any{
		"name": ownIntegration, "issuer": publicURL, "audiences": []string{publicURL},
		"algorithms": slices.Sorted(maps.Keys(signingAlgorithms)),
		"keys":       []any{map[string]string{"jwks_url": jwksURL}},
		"required_claims": []claim{
			{"token_use", "string"}, {"sid", "string"}, {"integration", "string"}, {"exp", "number"},
		},
		// An own token repeats a subject an integration accepted, up to
		// the largest limit an integration may set.
		"max_header_value_bytes": core.MaxHeaderValueBytesLimit,
		// The skew only spares an iat from another instance whose clock
		// is ahead: checkOwnToken ends a token exactly at its exp, as its
		// session ends.
		"clock_skew": core.MaxClockSkew.String(),
	}}})
	if err != nil {
		return nil, err
	}
	policy, err := core.ParsePolicy("jwtgate's own tokens", doc, core.LoadOptions{})
	if err != nil {
		return nil, err
	}
	v, err := core.NewVerifier(policy, core.Config{Keys: ownKeySource{keys: keys, url: jwksURL, now: now}})
	if err != nil {
		return nil, err
	}
	return &ownTokens{verifier: v}, nil
}

// verify verifies a token as one of jwtgate's own. ok reports whether the
// own policy routed it (its issuer is the public URL): the decision is
// then the own verifier's judgement of it, valid or not; otherwise the
// token is not one of jwtgate's and the decision says nothing about it.
// (A decision names its integration once the core has routed the token.)
func (o *ownTokens) verify(ctx context.Context, tok string, now time.Time) (d *core.Decision, ok bool) {
	d = o.verifier.Verify(ctx, core.Request{Token: tok, Now: now})
	return d, d.Integration == ownIntegration
}

// checkOwnToken verifies one of jwtgate's own tokens of the given use and
// that its session is live in the store (so that a logout on any instance
// is honoured) and its integration still configured. err is errStore when
// the store could not be asked.
func (s *Server) checkOwnToken(ctx context.Context, c *config, tok, use string) (*identity, *refusal, error) {
	now := s.now()
	d, _ := s.own.verify(ctx, tok, now)
	return s.judgeOwnToken(ctx, c, d, use, now)
}

// judgeOwnToken is checkOwnToken on the own verifier's decision d, made
// at now.
func (s *Server) judgeOwnToken(ctx context.Context, c *config, d *core.Decision, use string, now time.Time) (*identity, *refusal, error) {
	if !d.Valid {
		return nil, &refusal{code: d.Code, reason: "jwtgate token: " + d.Reason}, nil
	}
	var cl ownClaims
	if err := json.Unmarshal(d.Claims, &cl); err != nil {
		return nil, &refusal{code: core.CodeInvalidToken, reason: "jwtgate token: " + err.Error()}, nil
	}
	refuse := func(code core.Code, reason string) (*identity, *refusal, error) {
		return nil, &refusal{code: code, reason: reason, integration: cl.Integration}, nil
	}
	switch {
	case cl.Use != use:
		return refuse(core.CodeInvalidToken, "jwtgate "+cl.Use+" token where a "+use+" token was expected")
	case !now.Before(time.Unix(d.ExpiresAt, 0)):
		// Exactly at exp, as the session ends (the core allows its clock
		// skew past it).
		return refuse(core.CodeTokenExpired, "jwtgate token expired")
	case c.integrations[cl.Integration] == nil:
		return refuse(core.CodeConfigurationNotFound, "integration "+cl.Integration+" is no longer configured")
	}
	sess, err := s.store.GetSession(ctx, cl.SessionID)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return refuse(core.CodeInvalidToken, "unknown session")
	case err != nil:
		s.metrics.storeError("get_session")
		s.log.Error("store", "op", "get_session", "error", err.Error())
		return nil, nil, errStore
	case !sess.RevokedAt.IsZero():
		return refuse(core.CodeInvalidToken, "session revoked")
	case sess.IntegrationGone:
		// Refused like a revoked session: the integration was removed (and
		// maybe configured again) since the session began.
		return refuse(core.CodeInvalidToken, "session of a removed integration")
	case !now.Before(sess.ExpiresAt):
		return refuse(core.CodeTokenExpired, "session expired")
	}
	if use == tokenUseSession {
		expired, touch := c.integrations[cl.Integration].idleExpired(sess.LastUsed, now)
		if expired {
			return refuse(core.CodeTokenExpired, "session idle for longer than the integration's idle_timeout")
		}
		if touch {
			s.touchSession(ctx, sess.ID, now)
		}
	}
	return &identity{
		integration: cl.Integration, tenant: cl.Tenant, subject: d.Subject,
		groups: d.Groups, roles: d.Roles, permissions: d.Permissions, headers: cl.Headers,
		expiresAt: d.ExpiresAt, prof: profile{email: cl.Email}, sessionID: cl.SessionID,
	}, nil, nil
}

// signOwnToken signs a token of the given use for an identity's session.
func (s *Server) signOwnToken(id *identity, sessionID, use string, now, exp time.Time) (string, error) {
	tok, err := s.keys.sign(ownClaims{
		Issuer: s.publicURL, Subject: id.subject, Audience: s.publicURL,
		IssuedAt: now.Unix(), ExpiresAt: exp.Unix(), ID: randomID(), Use: use, SessionID: sessionID,
		Tenant: id.tenant, Integration: id.integration, Email: id.profile().email,
		Groups: id.groups, Roles: id.roles, Permissions: id.permissions, Headers: id.headers,
	}, now)
	if err != nil {
		return "", fmt.Errorf("signing keys: %w", err)
	}
	return tok, nil
}

package server

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/jwtgate/jwtgate/core"
	"github.com/jwtgate/jwtgate/remote"
)

// peeked is what the server reads of a token's payload before anything
// has verified it: only its issuer, to pick the integration whose remote
// validation endpoint to ask (the core judges the token itself).
type peeked struct {
	Iss string `json:"iss"`
}

func peek(tok string) (*peeked, bool) {
	if len(tok) > core.MaxTokenBytesLimit || strings.Count(tok, ".") != 2 {
		return nil, false
	}
	seg := tok[strings.IndexByte(tok, '.')+1 : strings.LastIndexByte(tok, '.')]
	raw, err := base64.RawURLEncoding.DecodeString(seg)
	if err != nil {
		return nil, false
	}
	var p peeked
	if err := json.Unmarshal(raw, &p); err != nil {
		return nil, false
	}
	return &p, true
}

// verifyExternal verifies a token minted by an integration's system: the
// integration's remote validation endpoint first, when it has one (a
// refusal or a failure falls through), then the keys, through the engine.
// A valid decision without a groups claim gets its groups from the
// integration's resolver, when it has one.
func (s *Server) verifyExternal(ctx context.Context, c *config, req core.Request) *core.Decision {
	p, _ := peek(req.Token)
	return s.verifyPeeked(ctx, c, req, p)
}

// verifyPeeked is verifyExternal for a token already peeked at (p is nil
// when it could not be).
func (s *Server) verifyPeeked(ctx context.Context, c *config, req core.Request, p *peeked) *core.Decision {
	var in *integ
	if req.Integration != "" {
		in = c.integrations[req.Integration]
	}
	if in == nil && p != nil {
		in = c.byIssuer[p.Iss]
	}
	var d *core.Decision
	if in != nil && in.validator != nil && p != nil && (req.Integration == "" || in.issuer == p.Iss) {
		res, err := in.validator.Validate(ctx, req.Token)
		switch {
		case err == nil:
			s.metrics.remoteCalls.WithLabelValues("validation", "ok").Inc()
			d = c.vouch(ctx, in, req, res)
		case errors.Is(err, remote.ErrRejected):
			s.metrics.remoteCalls.WithLabelValues("validation", "rejected").Inc()
			s.log.Info("remote validation refused the token; trying the keys", "integration", in.name, "token_sha256", tokenHash(req.Token))
		default:
			s.metrics.remoteCalls.WithLabelValues("validation", "error").Inc()
			s.log.Warn("remote validation unavailable; trying the keys", "integration", in.name, "error", err.Error(), "token_sha256", tokenHash(req.Token))
		}
	}
	if d == nil {
		d = c.engine.Verify(ctx, req)
		if d.Valid {
			in = c.integrations[d.Integration]
		}
	}
	if d.Valid && d.Groups == nil && in != nil && in.resolver != nil {
		groups, err := in.resolver.Groups(ctx, d.Subject)
		if err != nil {
			s.metrics.remoteCalls.WithLabelValues("groups", "error").Inc()
			s.log.Warn("group resolver unavailable; the groups stay unknown", "integration", in.name, "error", err.Error())
		} else {
			s.metrics.remoteCalls.WithLabelValues("groups", "ok").Inc()
			if groups == nil {
				groups = []string{}
			}
			d.Groups = groups
		}
	}
	return d
}

// vouch has the core judge a token that in's remote validation endpoint
// accepted: the endpoint's answer laid over the token's payload goes
// through the same claims stage as a token verified with keys.
func (c *config) vouch(ctx context.Context, in *integ, req core.Request, res remote.Result) *core.Decision {
	answer, err := json.Marshal(res.Claims)
	if err != nil {
		answer = nil
	}
	req.Integration = in.name
	return c.vouched.VerifyVouched(ctx, req, core.Vouched{Subject: res.Subject, Claims: answer})
}

func reject(d *core.Decision, code core.Code, reason string) *core.Decision {
	d.Valid, d.Code, d.Message, d.Reason = false, code, code.Message(), reason
	return d
}

// logDecision logs a decision and counts it. Never the token: its hash.
func (s *Server) logDecision(endpoint, tok string, d *core.Decision) {
	s.metrics.decision(endpoint, d.Integration, string(d.Code))
	if d.Valid {
		s.log.Info("token accepted", "endpoint", endpoint, "integration", d.Integration, "subject", d.Subject, "token_sha256", tokenHash(tok))
		return
	}
	s.log.Warn("token rejected", "endpoint", endpoint, "code", string(d.Code), "reason", d.Reason, "integration", d.Integration, "token_sha256", tokenHash(tok))
}

// verifyResponse is the 200 answer of POST /v1/verify: the remote
// validation contracts of Okera (sub) and Okto (user_id) in one object.
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
		s.metrics.decision("verify", "", string(core.CodeInvalidToken))
		s.log.Warn("token rejected", "endpoint", "verify", "code", string(core.CodeInvalidToken), "reason", "missing or malformed Authorization: Bearer header")
		unauthorized(w, core.CodeInvalidToken, true)
		return
	}
	var d *core.Decision
	if p, own := s.peekOwn(tok); own {
		// jwtgate's own access tokens (the token exchange's) verify here
		// too, while their session is live.
		var err error
		if d, err = s.checkOwnToken(r.Context(), c, tok, tokenUseAccess); err != nil {
			writeError(w, http.StatusServiceUnavailable, "temporarily_unavailable", "Service temporarily unavailable")
			return
		}
	} else {
		d = s.verifyPeeked(r.Context(), c, core.Request{Token: tok, Now: s.now()}, p)
	}
	s.logDecision("verify", tok, d)
	if !d.Valid {
		unauthorized(w, d.Code, true)
		return
	}
	groups := d.Groups
	if groups == nil {
		groups = []string{}
	}
	writeJSON(w, http.StatusOK, verifyResponse{Sub: d.Subject, UserID: d.Subject, Tenant: d.Tenant, Groups: groups, Integration: d.Integration})
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
// fixed message, never the reason.
func unauthorized(w http.ResponseWriter, code core.Code, tokenSent bool) {
	if tokenSent {
		w.Header().Set("WWW-Authenticate", fmt.Sprintf(`Bearer realm="jwtgate", error="invalid_token", error_description=%q`, code.Message()))
	} else {
		w.Header().Set("WWW-Authenticate", `Bearer realm="jwtgate"`)
	}
	writeError(w, http.StatusUnauthorized, string(code), code.Message())
}

package server

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/jwtgate/jwtgate/cmd/jwtgate/internal/remote"
	"github.com/jwtgate/jwtgate/core"
)

// peeked is what the server reads of a token's payload before anything
// has verified it: only to pick the integration whose remote validation
// endpoint to ask, and, once that endpoint vouched for the token, its
// one-time jti and expiry.
type peeked struct {
	Iss string          `json:"iss"`
	Jti string          `json:"jti"`
	Exp json.Number     `json:"exp"`
	Raw json.RawMessage `json:"-"`
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
	p.Raw = raw
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
			d = s.remoteDecision(ctx, in, req, p, res)
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

// remoteDecision turns a remote validation endpoint's answer into a
// decision. The endpoint vouched for the token, so its payload is trusted
// for the one-time jti and the expiry; the identity comes from the answer.
func (s *Server) remoteDecision(ctx context.Context, in *integ, req core.Request, p *peeked, res remote.Result) *core.Decision {
	d := &core.Decision{Valid: true, Integration: in.name, Tenant: in.tenant, Issuer: in.issuer, Subject: res.Subject}
	claims := res.Claims
	if claims == nil {
		claims = map[string]any{}
	}
	d.Claims, _ = json.Marshal(claims)
	d.Groups = stringListClaim(claims[in.groupsClaim])
	d.Roles = stringListClaim(claims[in.rolesClaim])
	d.Permissions = stringListClaim(claims[in.permissionsClaim])
	if exp, err := p.Exp.Float64(); err == nil && exp > 0 && exp < 1e12 {
		d.ExpiresAt = int64(exp)
	}
	if len(in.headers) > 0 {
		d.Headers = map[string]string{}
		for h, claim := range in.headers {
			if v, ok := headerValue(claims[claim]); ok {
				d.Headers[h] = v
			}
		}
	}
	if safeRelative(req.RedirectParam) {
		d.Redirect = req.RedirectParam
	}
	if req.Explain {
		d.Trace = []core.Step{{Name: "remote_validation", Outcome: core.OutcomePass, Detail: "accepted by " + in.validator.URL}}
	}
	if in.oneTime {
		if p.Jti == "" || len(p.Jti) > 256 {
			return reject(d, core.CodeRequiredClaimsFailed, "integration requires one-time tokens, and the token has no usable jti")
		}
		until := req.Now.Add(24 * time.Hour)
		if d.ExpiresAt > 0 {
			until = time.Unix(d.ExpiresAt, 0).Add(core.DefaultClockSkew + time.Second)
		}
		// The same key as the core's, so that one jti is used once whichever
		// path verified it.
		fresh, err := countingReplay{s}.Claim(ctx, core.ReplayID(in.name, p.Jti), until, req.Now)
		if err != nil {
			return reject(d, core.CodeInvalidToken, "replay store failed: "+err.Error())
		}
		if !fresh {
			return reject(d, core.CodeTokenReplayed, fmt.Sprintf("jti %q was already used", p.Jti))
		}
	}
	return d
}

func reject(d *core.Decision, code core.Code, reason string) *core.Decision {
	d.Valid, d.Code, d.Message, d.Reason = false, code, code.Message(), reason
	return d
}

func stringListClaim(v any) []string {
	list, ok := v.([]any)
	if !ok {
		return nil
	}
	out := make([]string, 0, len(list))
	for _, e := range list {
		s, ok := e.(string)
		if !ok {
			return nil
		}
		out = append(out, s)
	}
	return out
}

// headerValue renders a claim of a remote answer as a header value, like
// the core does: strings as they are, lists of strings joined by commas,
// other values as JSON; none with control characters.
func headerValue(v any) (string, bool) {
	var val string
	switch x := v.(type) {
	case nil:
		return "", false
	case string:
		val = x
	default:
		if list := stringListClaim(v); list != nil {
			val = strings.Join(list, ",")
		} else {
			b, err := json.Marshal(v)
			if err != nil {
				return "", false
			}
			val = string(b)
		}
	}
	for i := 0; i < len(val); i++ {
		if c := val[i]; c < 0x20 || c == 0x7f {
			return "", false
		}
	}
	return val, true
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

package server

import (
	"context"
	"crypto/subtle"
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

// handleAuthz is forward authentication for nginx auth_request, Traefik
// ForwardAuth and Envoy ext_authz (HTTP). The original request is read
// from X-Forwarded-Method / X-Original-Method and X-Forwarded-Uri /
// X-Original-URI; for Envoy, whose check request carries the original
// method and path after the /v1/authz prefix, from the request itself.
func (s *Server) handleAuthz(w http.ResponseWriter, r *http.Request) {
	drain(w, r)
	c := s.cur.Load()
	method, uri := originalRequest(r)
	d, tok, status := s.authenticate(r, c, "authz")
	if d == nil {
		if status == http.StatusServiceUnavailable {
			writeError(w, status, "temporarily_unavailable", "Service temporarily unavailable")
			return
		}
		unauthorized(w, core.CodeInvalidToken, false)
		return
	}
	if !d.Valid {
		if d.Code == core.CodePermissionDenied {
			forbidden(w)
			return
		}
		unauthorized(w, d.Code, true)
		return
	}
	p := core.CleanPath(uri)
	if rt := core.SelectRoute(c.routes, method, p); rt != nil {
		if reason := d.Unmet(rt.Requirements); reason != "" {
			s.metrics.decision("authz", d.Integration, string(core.CodePermissionDenied))
			s.log.Warn("request denied by route", "method", method, "path", p, "route", rt.Prefix, "reason", reason,
				"integration", d.Integration, "subject", d.Subject, "token_sha256", tokenHash(tok))
			forbidden(w)
			return
		}
	}
	h := w.Header()
	for k, v := range d.Headers {
		h.Set(k, v)
	}
	h.Set("X-Jwtgate-Subject", d.Subject)
	h.Set("X-Jwtgate-Tenant", d.Tenant)
	h.Set("X-Jwtgate-Integration", d.Integration)
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok", "subject": d.Subject, "integration": d.Integration})
}

func forbidden(w http.ResponseWriter) {
	w.Header().Set("WWW-Authenticate", fmt.Sprintf(`Bearer realm="jwtgate", error="insufficient_scope", error_description=%q`, core.CodePermissionDenied.Message()))
	writeError(w, http.StatusForbidden, string(core.CodePermissionDenied), core.CodePermissionDenied.Message())
}

// authenticate finds the caller's identity: a bearer token (one of
// jwtgate's access tokens, or an integration's token) or else the session
// cookie. A nil decision means there was no credential (status 401) or the
// store could not be asked (status 503).
func (s *Server) authenticate(r *http.Request, c *config, endpoint string) (*core.Decision, string, int) {
	tok, present, ok := bearerToken(r)
	if present && !ok {
		d := reject(&core.Decision{}, core.CodeInvalidToken, "malformed Authorization header")
		s.logDecision(endpoint, "", d)
		return d, "", 0
	}
	if ok {
		p, own := s.peekOwn(tok)
		if own {
			d, err := s.checkOwnToken(r.Context(), c, tok, tokenUseAccess)
			if err != nil {
				return nil, tok, http.StatusServiceUnavailable
			}
			s.logDecision(endpoint, tok, d)
			return d, tok, 0
		}
		d := s.verifyPeeked(r.Context(), c, core.Request{Token: tok, Now: s.now()}, p)
		s.logDecision(endpoint, tok, d)
		return d, tok, 0
	}
	if ck, err := r.Cookie(c.cookieName); err == nil && ck.Value != "" {
		d, err := s.checkOwnToken(r.Context(), c, ck.Value, tokenUseSession)
		if err != nil {
			return nil, ck.Value, http.StatusServiceUnavailable
		}
		s.logDecision(endpoint, ck.Value, d)
		return d, ck.Value, 0
	}
	return nil, "", http.StatusUnauthorized
}

// originalRequest returns the method and URI of the request a proxy asks
// about.
func originalRequest(r *http.Request) (method, uri string) {
	method = firstHeader(r, "X-Forwarded-Method", "X-Original-Method")
	uri = firstHeader(r, "X-Forwarded-Uri", "X-Original-URI", "X-Original-Url")
	if rest, ok := strings.CutPrefix(r.URL.Path, "/v1/authz/"); ok {
		// Envoy ext_authz: the check request is the original one behind
		// the path prefix.
		if uri == "" {
			uri = "/" + rest
			if r.URL.RawQuery != "" {
				uri += "?" + r.URL.RawQuery
			}
		}
		if method == "" {
			method = r.Method
		}
	}
	if method == "" {
		method = http.MethodGet
	}
	if uri == "" {
		uri = "/"
	}
	return strings.ToUpper(method), uri
}

func firstHeader(r *http.Request, names ...string) string {
	for _, n := range names {
		if v := r.Header.Get(n); v != "" {
			return v
		}
	}
	return ""
}

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
	admin, _, ok := bearerToken(r)
	if !ok || subtle.ConstantTimeCompare(digest(admin), c.adminDigest) != 1 {
		drain(w, r)
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
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxBodyBytes)).Decode(&body); err != nil || body.Token == "" {
		writeError(w, http.StatusBadRequest, "invalid_request", "Want a JSON body {\"token\": …}")
		return
	}
	now := s.now()
	if body.Now != 0 {
		now = time.Unix(body.Now, 0)
	}
	d := c.tester.Verify(r.Context(), core.Request{Token: body.Token, Now: now, Explain: true, Integration: name, RedirectParam: body.Redirect})
	if c.integrations[name].oneTime {
		d.Trace = append(d.Trace, core.Step{Name: "jti", Outcome: core.OutcomeInfo, Detail: "token tester: the jti is neither checked against the replay store nor consumed"})
	}
	s.metrics.decision("tester", d.Integration, string(d.Code))
	s.log.Info("token tested", "integration", name, "valid", d.Valid, "code", string(d.Code), "token_sha256", tokenHash(body.Token))
	writeJSON(w, http.StatusOK, d.JSON())
}

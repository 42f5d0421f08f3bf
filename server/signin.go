package server

import (
	"context"
	"encoding/json"
	"errors"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/jwtgate/jwtgate/core"
	"github.com/jwtgate/jwtgate/store"
)

// signInRequest is a sign-in's token and redirect target, from wherever
// they came.
type signInRequest struct {
	token    string
	redirect string
}

// readSignIn reads the token of GET|POST /auth/jwt: ?token=, the bearer
// header, a JSON body {"token": …} or a form field "token". The redirect
// target comes from redirect_url or go, likewise.
func readSignIn(w http.ResponseWriter, r *http.Request, maxBody int64) (signInRequest, bool) {
	q := r.URL.Query()
	in := signInRequest{token: q.Get("token"), redirect: or(q.Get("redirect_url"), q.Get("go"))}
	if r.Method == http.MethodPost && r.Body != nil {
		body := http.MaxBytesReader(w, r.Body, maxBody)
		ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
		switch ct {
		case "application/json":
			var b struct {
				Token       string `json:"token"`
				RedirectURL string `json:"redirect_url"`
				Go          string `json:"go"`
			}
			if err := json.NewDecoder(body).Decode(&b); err != nil {
				return in, false
			}
			in.token = or(b.Token, in.token)
			in.redirect = or(or(b.RedirectURL, b.Go), in.redirect)
		case "application/x-www-form-urlencoded", "multipart/form-data":
			r.Body = body
			if err := r.ParseMultipartForm(maxBody); err != nil && !errors.Is(err, http.ErrNotMultipart) {
				return in, false
			}
			in.token = or(r.PostForm.Get("token"), in.token)
			in.redirect = or(or(r.PostForm.Get("redirect_url"), r.PostForm.Get("go")), in.redirect)
		default:
			drain(w, r)
		}
	}
	if in.token == "" {
		if tok, _, ok := bearerToken(r); ok {
			in.token = tok
		}
	}
	in.token = strings.TrimSpace(in.token)
	return in, true
}

// signInResponse is the JSON answer of a successful sign-in.
type signInResponse struct {
	Authenticated bool     `json:"authenticated"`
	Subject       string   `json:"subject"`
	Tenant        string   `json:"tenant"`
	Integration   string   `json:"integration"`
	Created       bool     `json:"created"`
	Redirect      string   `json:"redirect"`
	ExpiresAt     int64    `json:"expires_at"`
	Groups        []string `json:"groups,omitzero"`
}

// handleSignIn is GET|POST /auth/jwt, Authonomy's sign-in.
func (s *Server) handleSignIn(w http.ResponseWriter, r *http.Request) {
	s.signIn(w, r, "signin", "")
}

// handleCallback is GET /auth/callback/{integration}?token=…&go=/path,
// Acadio's callback: the same flow, for that integration only.
func (s *Server) handleCallback(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("integration")
	if !printable(name) {
		// A name no integration can have (a bad escape such as %ff, a
		// control character): the request itself is malformed.
		drain(w, r)
		writeError(w, http.StatusBadRequest, "invalid_request", "Invalid request")
		return
	}
	s.signIn(w, r, "callback", name)
}

// printable reports whether s is valid UTF-8 without control characters.
func printable(s string) bool {
	for _, c := range s {
		if c == utf8.RuneError || unicode.IsControl(c) {
			return false
		}
	}
	return utf8.ValidString(s)
}

// signIn is the flow of both. A POST is a page's request (a form or a
// fetch): it must come from jwtgate's own origin, from no page at all, or
// from an allowed origin of the token's integration (login CSRF: a
// cross-site POST would sign the victim's browser in as the attacker). A
// GET is the redirect flow, cross-site by nature; see the README.
func (s *Server) signIn(w http.ResponseWriter, r *http.Request, endpoint, integration string) {
	c := s.cur.Load()
	post := r.Method == http.MethodPost
	varyOrigin(w)
	origin, admitted := s.admitted(c, r)
	if post && !admitted {
		s.forbiddenOrigin(w, endpoint, origin, integration)
		return
	}
	in, ok := readSignIn(w, r, c.maxBody)
	if !ok {
		writeError(w, http.StatusBadRequest, "invalid_request", "Invalid request")
		return
	}
	var d *core.Decision
	if in.token == "" {
		d = reject(&core.Decision{Integration: integration}, core.CodeInvalidToken, "no token in the query, the Authorization header or the body")
	} else {
		d = s.verifyExternal(r.Context(), c, core.Request{Token: in.token, Now: s.now(), RedirectParam: in.redirect, Integration: integration})
	}
	s.logDecision(endpoint, in.token, d)
	// The token's own integration decides; a valid decision always names
	// one, a refused one may (and is then refused as the valid one would be).
	if post && (d.Valid || d.Integration != "") && !s.allowedFor(c.integrations[d.Integration], origin) {
		s.forbiddenOrigin(w, endpoint, origin, d.Integration)
		return
	}
	if readableBy(c, origin, d.Integration) {
		grantCORS(w, origin)
	}
	if !d.Valid {
		s.signInFailed(w, r, c, d, integration)
		return
	}
	ig := c.integrations[d.Integration]
	created, err := s.upsertSubject(r.Context(), d)
	if err != nil {
		writeError(w, http.StatusServiceUnavailable, "temporarily_unavailable", "Service temporarily unavailable")
		return
	}
	tok, exp, err := s.startSession(r.Context(), d, tokenUseSession, c.sessionTTL)
	if errors.Is(err, errIntegrationRetired) {
		s.signInFailed(w, r, c, reject(d, core.CodeConfigurationNotFound, err.Error()), integration)
		return
	}
	if err != nil {
		writeError(w, http.StatusServiceUnavailable, "temporarily_unavailable", "Service temporarily unavailable")
		return
	}
	s.setSessionCookie(w, c, tok, exp)
	target := signInTarget(ig, d, in.redirect)
	s.log.Info("signed in", "endpoint", endpoint, "integration", d.Integration, "subject", d.Subject, "created", created, "redirect", target)
	if signInWantsJSON(r) {
		writeJSON(w, http.StatusOK, signInResponse{
			Authenticated: true, Subject: d.Subject, Tenant: d.Tenant, Integration: d.Integration,
			Created: created, Redirect: target, ExpiresAt: exp.Unix(), Groups: d.Groups,
		})
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, target, http.StatusSeeOther)
}

// signInWantsJSON: the JSON answer to Accept: application/json, and to a
// page's fetch() (Sec-Fetch-Mode: cors), which cannot follow a redirect
// to a page; a redirect to a navigation.
func signInWantsJSON(r *http.Request) bool {
	return wantsJSON(r) || strings.EqualFold(r.Header.Get("Sec-Fetch-Mode"), "cors")
}

// signInTarget is where a signed-in browser goes: the decision's redirect
// (the core checked the claim and the parameter against the integration's
// allowed domains), or, for an integration without a redirect section, the
// parameter when it is a same-site path; else the integration's
// default_redirect, else "/".
func signInTarget(ig *integ, d *core.Decision, param string) string {
	if d.Redirect != "" {
		return d.Redirect
	}
	if ig != nil && !ig.hasRedirect && safeRelative(param) {
		return param
	}
	if ig != nil && ig.defaultRedirect != "" {
		return ig.defaultRedirect
	}
	return "/"
}

// signInFailed sends the browser to the integration's error page with
// ?error=code, or answers JSON (to Accept: application/json, or when no
// error page is known).
func (s *Server) signInFailed(w http.ResponseWriter, r *http.Request, c *config, d *core.Decision, integration string) {
	name := or(integration, d.Integration)
	ig := c.integrations[name]
	if signInWantsJSON(r) || ig == nil || ig.errorRedirect == "" {
		writeError(w, http.StatusUnauthorized, string(d.Code), d.Code.Message())
		return
	}
	target := ig.errorRedirect
	sep := "?"
	if strings.Contains(target, "?") {
		sep = "&"
	}
	target += sep + "error=" + url.QueryEscape(string(d.Code))
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, target, http.StatusSeeOther)
}

// upsertSubject creates or updates the subject of a verified decision.
// Groups and roles follow Acadio's rule: a claim present (even empty)
// replaces the stored list, an absent one (nil) leaves it alone.
func (s *Server) upsertSubject(ctx context.Context, d *core.Decision) (bool, error) {
	sub := store.Subject{
		Tenant: d.Tenant, ID: d.Subject, Integration: d.Integration,
		Email: claimText(d.Claims, "email"), Name: claimText(d.Claims, "name"),
		Groups: d.Groups, Roles: d.Roles, Metadata: metadataClaim(d.Claims),
	}
	_, created, err := s.store.UpsertSubject(ctx, sub, s.now())
	if err != nil {
		s.metrics.storeError("upsert_subject")
		s.log.Error("store", "op", "upsert_subject", "error", err.Error())
		return false, err
	}
	return created, nil
}

// metadataClaim returns the token's "metadata" (Authonomy) or "meta"
// (Acadio) object, or nil when it has neither.
func metadataClaim(claims json.RawMessage) json.RawMessage {
	if len(claims) == 0 {
		return nil
	}
	var m map[string]json.RawMessage
	if json.Unmarshal(claims, &m) != nil {
		return nil
	}
	for _, name := range []string{"metadata", "meta"} {
		if v, ok := m[name]; ok && len(v) > 0 && v[0] == '{' {
			return v
		}
	}
	return nil
}

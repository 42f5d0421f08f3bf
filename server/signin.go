package server

import (
	"cmp"
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
	in := signInRequest{token: q.Get("token"), redirect: cmp.Or(q.Get("redirect_url"), q.Get("go"))}
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
			in.token = cmp.Or(b.Token, in.token)
			in.redirect = cmp.Or(b.RedirectURL, b.Go, in.redirect)
		case "application/x-www-form-urlencoded", "multipart/form-data":
			r.Body = body
			if err := r.ParseMultipartForm(maxBody); err != nil && !errors.Is(err, http.ErrNotMultipart) {
				return in, false
			}
			in.token = cmp.Or(r.PostForm.Get("token"), in.token)
			in.redirect = cmp.Or(r.PostForm.Get("redirect_url"), r.PostForm.Get("go"), in.redirect)
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
// GET is the redirect flow, cross-site by nature; see docs/serve.md.
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
	who := s.signInCaller(r.Context(), c, in, integration)
	s.logCaller(r.Context(), endpoint, who)
	// The token's own integration decides; an accepted token always names
	// one, a refused one may (and is then refused as the accepted one would be).
	name := who.integration()
	if post && name != "" && !s.allowedFor(c.integrations[name], origin) {
		s.forbiddenOrigin(w, endpoint, origin, name)
		return
	}
	if readableBy(c, origin, name) {
		grantCORS(w, origin)
	}
	if who.ref != nil {
		s.signInFailed(w, r, c, who.ref, integration)
		return
	}
	s.startSignedIn(w, r, c, endpoint, who.id, in.redirect, integration)
}

// signInCaller verifies a sign-in's token, for the integration the
// callback names ("" for any).
func (s *Server) signInCaller(ctx context.Context, c *config, in signInRequest, integration string) *caller {
	if in.token == "" {
		return &caller{ref: &refusal{code: core.CodeInvalidToken, reason: "no token in the query, the Authorization header or the body", integration: integration}}
	}
	id, ref := s.verifySyncing(ctx, c, core.Request{Token: in.token, Now: s.now(), RedirectParam: in.redirect, Integration: integration})
	return &caller{token: in.token, id: id, ref: ref}
}

// startSignedIn records the subject, begins the session and sends the
// browser on with its cookie (or answers JSON).
func (s *Server) startSignedIn(w http.ResponseWriter, r *http.Request, c *config, endpoint string, id *identity, redirect, integration string) {
	created, err := s.upsertSubject(r.Context(), id)
	if err != nil {
		writeError(w, http.StatusServiceUnavailable, "temporarily_unavailable", "Service temporarily unavailable")
		return
	}
	in := c.integrations[id.integration]
	tok, exp, err := s.startSession(r.Context(), id, tokenUseSession, in.ttlOr(c.sessionTTL))
	if errors.Is(err, errIntegrationRetired) {
		s.signInFailed(w, r, c, &refusal{code: core.CodeConfigurationNotFound, reason: err.Error(), integration: id.integration}, integration)
		return
	}
	if err != nil {
		writeError(w, http.StatusServiceUnavailable, "temporarily_unavailable", "Service temporarily unavailable")
		return
	}
	s.setSessionCookie(w, c, in, tok, exp)
	target := signInTarget(in, id, redirect)
	if onboard := onboardingTarget(in, id, created); onboard != "" {
		target = onboard
	}
	s.log.Info("signed in", "endpoint", endpoint, "integration", id.integration, "subject", id.subject, "created", created, "redirect", target)
	if signInWantsJSON(r) {
		writeJSON(w, http.StatusOK, signInResponse{
			Authenticated: true, Subject: id.subject, Tenant: id.tenant, Integration: id.integration,
			Created: created, Redirect: target, ExpiresAt: exp.Unix(), Groups: id.groups,
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

// signInFailed sends the browser to the integration's error page with
// ?error=code, or answers JSON (to Accept: application/json, or when no
// error page is known).
func (s *Server) signInFailed(w http.ResponseWriter, r *http.Request, c *config, ref *refusal, integration string) {
	ig := c.integrations[cmp.Or(integration, ref.integration)]
	if signInWantsJSON(r) || ig == nil || ig.errorRedirect == "" {
		writeError(w, http.StatusUnauthorized, string(ref.code), ref.code.Message())
		return
	}
	target := ig.errorRedirect
	sep := "?"
	if strings.Contains(target, "?") {
		sep = "&"
	}
	target += sep + "error=" + url.QueryEscape(string(ref.code))
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, target, http.StatusSeeOther)
}

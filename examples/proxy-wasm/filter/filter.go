package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/url"
	"sort"
	"strings"
	"time"

	"github.com/jwtgate/jwtgate/core"
	pw "github.com/jwtgate/jwtgate/examples/proxy-wasm/internal/proxywasm"
)

type vmContext struct{}

func (vmContext) OnVMStart(int) bool { return true }

func (vmContext) NewPluginContext(id uint32) pw.PluginContext {
	return &plugin{id: id, current: id, waiting: map[uint32]time.Time{}}
}

// plugin is one configured filter (a root context). A VM runs one callback
// at a time, so its state needs no locks; what VMs share goes through the
// host's shared data (keys.go, replay.go).
type plugin struct {
	id       uint32
	s        *settings
	verifier *core.Verifier
	keys     *keyCache // nil without jwks_url
	// waiting holds the streams paused until their keys are fetched, with
	// the time at which they are refused instead.
	waiting map[uint32]time.Time
	// missing is set by the key source during a Verify when a key set has
	// not been fetched yet; refetching when it started (or found under way)
	// a fetch for a kid the set lacks.
	missing, refetching bool
	// current is the context being decided (the plugin's own between
	// requests), for host calls that must switch context and back.
	current uint32
}

func (p *plugin) OnPluginStart(int) bool {
	data, err := pw.GetPluginConfiguration()
	if err != nil {
		pw.LogCriticalf("jwtgate: reading the plugin configuration: %v", err)
		return false
	}
	s, err := parseConfig(data)
	if err != nil {
		pw.LogCritical("jwtgate: " + err.Error())
		return false
	}
	p.s = s
	cfg := core.Config{}
	if s.policy.OneTimeUse() {
		r := &sharedReplay{prefix: s.prefix, buckets: s.buckets, max: s.bucketMax}
		r.create()
		cfg.Replay = r
	}
	if len(s.jwksClusters) > 0 {
		p.keys = newKeyCache(p)
		cfg.Keys = p.keys
	}
	if p.verifier, err = core.NewVerifier(s.policy, cfg); err != nil {
		pw.LogCritical("jwtgate: " + err.Error())
		return false
	}
	if err := pw.SetTickPeriodMilliSeconds(s.tickMs); err != nil {
		pw.LogWarnf("jwtgate: setting the tick period: %v", err)
	}
	if p.keys != nil {
		p.keys.tick(wallNow()) // start fetching at once
	}
	pw.LogInfof("jwtgate: filter configured: integrations %s, %d routes, %d key set URLs", strings.Join(s.policy.Integrations(), ", "), len(s.routes), len(s.jwksClusters))
	return true
}

func (p *plugin) OnPluginDone() bool { return true }

func (p *plugin) OnTick() {
	if p.s == nil {
		return
	}
	now := wallNow()
	if p.keys != nil {
		p.keys.tick(now)
	}
	p.resumeWaiting()
}

// resumeWaiting decides the paused streams again: their keys may have
// arrived, or their wait ended.
func (p *plugin) resumeWaiting() {
	if len(p.waiting) == 0 || p.current != p.id {
		return // nothing waits, or a request is being decided: the next tick will do
	}
	ids := make([]uint32, 0, len(p.waiting))
	for id := range p.waiting {
		ids = append(ids, id)
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	for _, id := range ids {
		if err := pw.SetEffectiveContext(id); err != nil {
			delete(p.waiting, id) // the stream is gone
			continue
		}
		p.handle(id, true)
	}
	pw.SetEffectiveContext(p.id)
}

func (p *plugin) NewHttpContext(id uint32) pw.HttpContext { return &stream{id: id, p: p} }

type stream struct {
	id uint32
	p  *plugin
}

func (h *stream) OnHttpRequestHeaders(int, bool) pw.Action { return h.p.handle(h.id, false) }

func (h *stream) OnHttpStreamDone() { delete(h.p.waiting, h.id) }

// handle decides one request, in its headers callback or, for a request
// paused waiting for keys, later (resumed).
func (p *plugin) handle(id uint32, resumed bool) pw.Action {
	p.current = id
	defer func() { p.current = p.id }()
	s := p.s
	if s == nil {
		return p.refuse(id, 500, "", "internal_error", "The filter is not configured", false)
	}
	headers, err := pw.GetHttpRequestHeaders()
	if err != nil {
		pw.LogErrorf("jwtgate: reading the request headers: %v", err)
		return p.refuse(id, 500, "", "internal_error", "Internal error", false)
	}
	var method, rawPath string
	strip := map[string]bool{}
	for _, h := range headers {
		name := strings.ToLower(h[0])
		switch {
		case name == ":method":
			method = h[1]
		case name == ":path":
			rawPath = h[1]
		case strings.HasPrefix(name, "x-jwtgate-") || contains(s.policyHeaders, name):
			strip[name] = true
		}
	}
	// Identity headers come from the filter only: a client's own are dropped,
	// on every path.
	for name := range strip {
		pw.RemoveHttpRequestHeader(name)
	}
	// The path first, as jwtgate serve's /v1/authz does: a spelling
	// upstreams read in different ways is refused whatever the credential,
	// and skip prefixes cover only exact spellings.
	reqPath, err := core.CleanPath(rawPath, s.paths)
	if err != nil {
		pw.LogInfof("jwtgate: %v", err)
		return p.refuse(id, 400, "", "invalid_request", "Invalid request path", false)
	}
	for _, sk := range s.skip {
		if sk.Covers(reqPath) {
			return p.proceed(resumed)
		}
	}

	tok, sent, malformed := s.token(headers, rawPath)
	rt := s.routeFor(method, reqPath)
	var d *core.Decision
	if malformed != "" {
		d = &core.Decision{Code: core.CodeInvalidToken, Message: core.CodeInvalidToken.Message(), Reason: malformed}
	} else {
		req := core.Request{Token: tok, Now: wallNow(), Explain: s.explain, RedirectParam: redirectParam(rawPath)}
		if rt != nil {
			req.Integration = rt.integration
		}
		p.missing, p.refetching = false, false
		d = p.verifier.Verify(context.Background(), req)
	}
	if s.debug {
		pw.LogDebug("jwtgate decision " + string(d.JSON()))
	}
	if !d.Valid && ((d.Code == core.CodeKeysUnavailable && p.missing) || p.refetching) && s.waitForKeys > 0 {
		deadline, ok := p.waiting[id]
		if !ok {
			deadline = wallNow().Add(s.waitForKeys)
			p.waiting[id] = deadline
		}
		if wallNow().Before(deadline) {
			pw.LogDebugf("jwtgate: request paused until the key set is fetched (%s)", d.Reason)
			return pw.ActionPause
		}
	}
	delete(p.waiting, id)
	if !d.Valid {
		pw.LogInfof("jwtgate: token rejected: code=%s reason=%q integration=%q token_sha256=%s", d.Code, d.Reason, d.Integration, tokenHash(tok))
		if d.Code == core.CodePermissionDenied {
			return p.refuse(id, 403, "insufficient_scope", string(d.Code), d.Message, true)
		}
		return p.refuse(id, 401, "invalid_token", string(d.Code), d.Message, sent || malformed != "")
	}
	if rt != nil {
		if reason := d.Unmet(rt.Requirements); reason != "" {
			pw.LogInfof("jwtgate: request denied by route %s: %s (integration=%q subject=%q)", rt.Prefix, reason, d.Integration, d.Subject)
			return p.refuse(id, 403, "insufficient_scope", string(core.CodePermissionDenied), core.CodePermissionDenied.Message(), true)
		}
	}
	names := make([]string, 0, len(d.Headers))
	for k := range d.Headers {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		pw.ReplaceHttpRequestHeader(strings.ToLower(k), d.Headers[k])
	}
	if s.identity {
		pw.ReplaceHttpRequestHeader("x-jwtgate-subject", d.Subject)
		pw.ReplaceHttpRequestHeader("x-jwtgate-tenant", d.Tenant)
		pw.ReplaceHttpRequestHeader("x-jwtgate-integration", d.Integration)
	}
	if s.removeAuth {
		pw.RemoveHttpRequestHeader("authorization")
		if s.tokenHeader != "authorization" {
			pw.RemoveHttpRequestHeader(s.tokenHeader)
		}
	}
	pw.LogDebugf("jwtgate: token accepted: integration=%q subject=%q", d.Integration, d.Subject)
	return p.proceed(resumed)
}

func (p *plugin) proceed(resumed bool) pw.Action {
	if resumed {
		if err := pw.ResumeHttpRequest(); err != nil {
			pw.LogErrorf("jwtgate: resuming the request: %v", err)
		}
	}
	return pw.ActionContinue
}

type errorBody struct {
	Error   string `json:"error"`
	Message string `json:"message"`
}

// refuse answers the request with jwtgate serve's error response: the JSON
// body {"error","message"} and an RFC 6750 challenge that names the code's
// fixed message, never the reason. tokenSent false gives the bare
// challenge of a request without credentials.
func (p *plugin) refuse(id uint32, status uint32, challenge, code, message string, tokenSent bool) pw.Action {
	delete(p.waiting, id)
	body, _ := json.Marshal(errorBody{Error: code, Message: message})
	hs := [][2]string{
		{"content-type", "application/json"},
		{"cache-control", "no-store"},
		{"x-content-type-options", "nosniff"},
	}
	switch {
	case challenge == "":
	case tokenSent:
		hs = append(hs, [2]string{"www-authenticate", fmt.Sprintf(`Bearer realm="jwtgate", error=%q, error_description=%q`, challenge, message)})
	default:
		hs = append(hs, [2]string{"www-authenticate", `Bearer realm="jwtgate"`})
	}
	if err := pw.SendHttpResponseWithDetails(status, "jwtgate_"+code, hs, append(body, '\n'), -1); err != nil {
		pw.LogErrorf("jwtgate: sending the local response: %v", err)
	}
	return pw.ActionPause
}

// token finds the request's token: in the token header, else the query
// parameter, else the cookie. sent reports whether a credential was
// offered; malformed, when set, says why the header could not be read.
func (s *settings) token(headers [][2]string, rawPath string) (tok string, sent bool, malformed string) {
	var values []string
	for _, h := range headers {
		if strings.EqualFold(h[0], s.tokenHeader) {
			values = append(values, h[1])
		}
	}
	if len(values) > 1 {
		return "", true, fmt.Sprintf("%d %s headers", len(values), s.tokenHeader)
	}
	if len(values) == 1 {
		v := values[0]
		switch {
		case s.bearer:
			// As jwtgate serve: "Bearer TOKEN", the scheme in any case.
			scheme, t, found := strings.Cut(v, " ")
			t = strings.TrimSpace(t)
			if !found || !strings.EqualFold(scheme, "Bearer") || t == "" || strings.ContainsAny(t, " \t") {
				return "", true, "malformed Authorization header"
			}
			return t, true, ""
		case s.tokenPrefix != "":
			t, ok := strings.CutPrefix(v, s.tokenPrefix)
			if !ok {
				return "", true, fmt.Sprintf("the %s header does not start with %q", s.tokenHeader, s.tokenPrefix)
			}
			return t, true, ""
		}
		return v, true, ""
	}
	if s.query != "" {
		if _, q, ok := strings.Cut(rawPath, "?"); ok {
			if vals, err := url.ParseQuery(q); err == nil && len(vals[s.query]) > 0 {
				return vals[s.query][0], true, ""
			}
		}
	}
	if s.cookie != "" {
		for _, h := range headers {
			if !strings.EqualFold(h[0], "cookie") {
				continue
			}
			for _, part := range strings.Split(h[1], ";") {
				name, val, ok := strings.Cut(strings.TrimSpace(part), "=")
				if ok && name == s.cookie && val != "" {
					return val, true, ""
				}
			}
		}
	}
	return "", false, ""
}

// redirectParam is the redirect target passed beside the token, as
// jwtgate serve reads it: the redirect_url or go query parameter.
func redirectParam(rawPath string) string {
	_, q, ok := strings.Cut(rawPath, "?")
	if !ok {
		return ""
	}
	vals, err := url.ParseQuery(q)
	if err != nil {
		return ""
	}
	if v := vals.Get("redirect_url"); v != "" {
		return v
	}
	return vals.Get("go")
}

// tokenHash names a token in logs without revealing it.
func tokenHash(tok string) string {
	if tok == "" {
		return "-"
	}
	sum := sha256.Sum256([]byte(tok))
	return hex.EncodeToString(sum[:8])
}

// wallNow is the proxy's wall clock: in proxy-wasm, WASI clock_time_get
// is the host's own clock (Envoy's), so the runtime's time.Now is the
// proxy's time. The monotonic reading (the runtime's nanotime) is dropped
// so that every comparison the filter and the core make is on that one
// clock.
func wallNow() time.Time { return time.Now().Round(0) }

package main

import (
	"context"
	"sort"
	"strings"
	"time"

	"github.com/jwtgate/jwtgate/core"
	"github.com/jwtgate/jwtgate/edge"
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
	// engine decides: the verifier, behind the decision cache when on.
	engine core.Engine
	hits   core.CacheCounters // the cache's, to log a hit
	keys   *keyCache          // nil without jwks_url
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
	if p.engine, err = p.withCache(); err != nil {
		pw.LogCritical("jwtgate: " + err.Error())
		return false
	}
	if err := pw.SetTickPeriodMilliSeconds(uint32(s.tick.Milliseconds())); err != nil {
		pw.LogWarnf("jwtgate: setting the tick period: %v", err)
	}
	if p.keys != nil {
		p.keys.tick(wallNow()) // start fetching at once
	}
	pw.LogInfof("jwtgate: filter configured: integrations %s, %d routes, %d key set URLs", strings.Join(s.policy.Integrations(), ", "), len(s.routes), len(s.jwksClusters))
	return true
}

// withCache puts decision_cache in front of the verifier, keyed by the
// whole token and dropped whenever the VM's copy of a key set is replaced
// (keyCache.generation), so that a rotated-away key stops verifying at the
// tick that brings the new set, as it would without the cache.
func (p *plugin) withCache() (core.Engine, error) {
	if p.s.cache == nil {
		return p.verifier, nil
	}
	o := *p.s.cache
	o.Counters = &p.hits
	if p.keys != nil {
		o.KeyGeneration = p.keys.generation
	}
	return core.NewCache(p.verifier, p.s.policy, o)
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
		return p.refuse(id, internalError("The filter is not configured"))
	}
	pairs, err := pw.GetHttpRequestHeaders()
	if err != nil {
		pw.LogErrorf("jwtgate: reading the request headers: %v", err)
		return p.refuse(id, internalError("Internal error"))
	}
	headers := edge.HeaderList(pairs)
	method, target := pseudo(headers, ":method"), pseudo(headers, ":path")
	// Identity headers come from the filter only: a client's own are
	// dropped, on every path.
	for _, h := range headers {
		if s.reserved.Has(h[0]) {
			pw.RemoveHttpRequestHeader(strings.ToLower(h[0]))
		}
	}
	// The path first, as jwtgate serve's /v1/authz does: a spelling
	// upstreams read in different ways is refused whatever the credential,
	// and skip prefixes cover only exact spellings.
	reqPath, err := edge.CleanPath(target, s.paths)
	if err != nil {
		pw.LogInfof("jwtgate: %v", err)
		return p.refuse(id, edge.InvalidPath())
	}
	for _, sk := range s.skip {
		if sk.Covers(reqPath) {
			return p.proceed(resumed)
		}
	}

	cred := s.sources.Extract(headers, target)
	if cred.Malformed != "" {
		// Refused here, before the core: there is no token to judge.
		pw.LogInfof("jwtgate: token rejected: code=%s reason=%q", core.CodeInvalidToken, cred.Malformed)
		return p.refuse(id, edge.Unauthorized(core.CodeInvalidToken, true))
	}
	rt := s.routes.Select(method, reqPath)
	// A request without any token is verified as the empty token, so
	// that its decision, like every other, is the core's.
	req := core.Request{Token: cred.Token, Now: wallNow(), Explain: s.explain, RedirectParam: edge.RedirectParam(target)}
	if rt != nil {
		req.Integration = rt.Integration
	}
	d := p.decide(req)
	if p.holdForKeys(id, d) {
		return pw.ActionPause
	}
	delete(p.waiting, id)
	if !d.Valid {
		pw.LogInfof("jwtgate: token rejected: code=%s reason=%q integration=%q token_sha256=%s", d.Code, d.Reason, d.Integration, edge.TokenHash(cred.Token))
		return p.refuse(id, edge.Refuse(d.Code, cred.Sent))
	}
	if rt != nil {
		if reason := d.Unmet(rt.Requirements); reason != "" {
			pw.LogInfof("jwtgate: request denied by route %s: %s (integration=%q subject=%q)", rt.Prefix, reason, d.Integration, d.Subject)
			return p.refuse(id, edge.Forbidden())
		}
	}
	for _, h := range edge.IdentityOf(d).UpstreamHeaders(s.identity) {
		pw.ReplaceHttpRequestHeader(h[0], h[1])
	}
	if !s.forward {
		for _, name := range s.sources.HeaderNames() {
			pw.RemoveHttpRequestHeader(strings.ToLower(name))
		}
	}
	if s.debug { // formatting costs in wasm even when the host drops the line
		pw.LogDebugf("jwtgate: token accepted: integration=%q subject=%q", d.Integration, d.Subject)
	}
	return p.proceed(resumed)
}

// decide verifies the request, from the decision cache when it can, and
// logs the decision with debug (and, then, whether the cache answered).
func (p *plugin) decide(req core.Request) *core.Decision {
	p.missing, p.refetching = false, false
	hits := p.hits.Hits()
	d := p.engine.Verify(context.Background(), req)
	if p.s.debug {
		pw.LogDebug("jwtgate decision " + string(d.JSON()))
		if p.hits.Hits() != hits {
			pw.LogDebug("jwtgate: decision from the decision cache")
		}
	}
	return d
}

// holdForKeys reports whether the request waits for a key set being
// fetched (it is decided again then), until wait_for_keys has passed.
func (p *plugin) holdForKeys(id uint32, d *core.Decision) bool {
	waitable := (d.Code == core.CodeKeysUnavailable && p.missing) || p.refetching
	if d.Valid || !waitable || p.s.waitForKeys <= 0 {
		return false
	}
	deadline, ok := p.waiting[id]
	if !ok {
		deadline = wallNow().Add(p.s.waitForKeys)
		p.waiting[id] = deadline
	}
	if !wallNow().Before(deadline) {
		return false
	}
	pw.LogDebugf("jwtgate: request paused until the key set is fetched (%s)", d.Reason)
	return true
}

// pseudo is the value of a pseudo-header (:method, :path), "" if absent.
func pseudo(h edge.HeaderList, name string) string {
	if v := h.Values(name); len(v) > 0 {
		return v[0]
	}
	return ""
}

func (p *plugin) proceed(resumed bool) pw.Action {
	if resumed {
		if err := pw.ResumeHttpRequest(); err != nil {
			pw.LogErrorf("jwtgate: resuming the request: %v", err)
		}
	}
	return pw.ActionContinue
}

// internalError is the filter's own failure, without a challenge.
func internalError(message string) edge.Refusal {
	return edge.Refusal{Status: 500, Code: "internal_error", Message: message}
}

// refuse answers the request with a local response, as jwtgate serve
// answers: edge's refusal (its status, its challenge, the JSON body with
// the code's fixed message, never the reason).
func (p *plugin) refuse(id uint32, r edge.Refusal) pw.Action {
	delete(p.waiting, id)
	hs := [][2]string{
		{"content-type", "application/json"},
		{"cache-control", "no-store"},
		{"x-content-type-options", "nosniff"},
	}
	if r.Challenge != "" {
		hs = append(hs, [2]string{"www-authenticate", r.Challenge})
	}
	if err := pw.SendHttpResponseWithDetails(uint32(r.Status), "jwtgate_"+r.Code, hs, append(r.Body(), '\n'), -1); err != nil {
		pw.LogErrorf("jwtgate: sending the local response: %v", err)
	}
	return pw.ActionPause
}

// wallNow is the proxy's wall clock: in proxy-wasm, WASI clock_time_get
// is the host's own clock (Envoy's), so the runtime's time.Now is the
// proxy's time. The monotonic reading (the runtime's nanotime) is dropped
// so that every comparison the filter and the core make is on that one
// clock.
func wallNow() time.Time { return time.Now().Round(0) }

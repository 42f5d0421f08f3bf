package server

import (
	"context"
	"slices"
	"sync"
	"time"

	"github.com/jwtgate/jwtgate/core"
	"github.com/jwtgate/jwtgate/store"
)

// Shadow evaluation: a draft revision runs beside the live one on real
// traffic. Each token of an integration with a draft is judged again,
// off the request path, by a verifier built with the drafts in place of
// the live revisions; where the two decide differently the request is
// counted and sampled (codes and the failing checks' names, never the
// token nor a claim), so that an admin sees what a change would break.
const (
	// shadowQueue bounds the tokens waiting for their second judgement;
	// beyond it they are dropped (counted), never waited for.
	shadowQueue = 256
	// shadowFlushEvery is how often the tallies go to the store.
	shadowFlushEvery = 5 * time.Second
	// shadowSamples bounds the samples one flush sends per draft.
	shadowSamples = 50
)

// shadow is one configuration's draft verifier.
type shadow struct {
	verifier *core.Verifier
	policy   *core.Policy
	// drafts are the draft revisions by policy name; newOnly those of
	// integrations without a live revision, whose tokens the live policy
	// routes nowhere.
	drafts  map[string]storedIntegration
	newOnly bool
}

// shadowJob is a request to judge again.
type shadowJob struct {
	c     *config
	token string
	now   time.Time
	live  *core.Decision
	name  string
}

// shadowTallies are this instance's counts not yet flushed, by draft.
type shadowTallies struct {
	mu      sync.Mutex
	m       map[shadowKey]*store.ShadowTally
	dropped int64
}

type shadowKey struct {
	tenant, name string
	revision     int64
}

// buildShadow makes the draft verifier of a configuration with drafts:
// its policy with each draft in place of its live revision (or beside
// them, for an integration not yet live), compiled once per revision.
func (s *Server) buildShadow(c *config, set *storedSet, next map[compileKey]compiledStored, keys core.KeySource) *shadow {
	if len(set.drafts) == 0 {
		return nil
	}
	sh := &shadow{drafts: map[string]storedIntegration{}}
	drafts := s.compileAll(c, set.drafts, next, map[string]string{})
	parts := []*core.Policy{c.filePolicy}
	for _, in := range set.live {
		full := policyName(in.tenant, in.name)
		if _, drafted := drafts[full]; !drafted && c.storedParts[full] != nil {
			parts = append(parts, c.storedParts[full])
		}
	}
	for _, d := range set.drafts {
		full := policyName(d.tenant, d.name)
		cs, ok := drafts[full]
		if !ok {
			continue // refused alone: it could never be promoted
		}
		sh.drafts[full] = d
		sh.newOnly = sh.newOnly || c.storedParts[full] == nil
		parts = append(parts, cs.policy)
	}
	policy, _ := core.JoinPolicies(parts...)
	cfg := core.Config{Replay: noReplay{}}
	if keys != nil {
		cfg.Keys = keys
	}
	v, err := core.NewVerifier(policy, cfg)
	if err != nil {
		s.log.Error("drafts: no shadow verifier", "error", err.Error())
		return nil
	}
	sh.verifier, sh.policy = v, policy
	return sh
}

// offerShadow queues a live decision for its second judgement when its
// integration has a draft. It never blocks the request.
func (s *Server) offerShadow(c *config, req core.Request, d *core.Decision) {
	sh := c.shadow
	if sh == nil {
		return
	}
	name := d.Integration
	if name == "" && sh.newOnly {
		if info, ok := sh.policy.Route(req.Token); ok {
			name = info.Name
		}
	}
	if _, ok := sh.drafts[name]; !ok {
		return
	}
	select {
	case s.shadowJobs <- shadowJob{c: c, token: req.Token, now: req.Now, live: d, name: name}:
	default:
		s.tallies.mu.Lock()
		s.tallies.dropped++
		s.tallies.mu.Unlock()
	}
}

// runShadow judges the queued tokens and flushes the tallies, until ctx
// ends.
func (s *Server) runShadow(ctx context.Context) {
	t := time.NewTicker(shadowFlushEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			s.flushShadow(context.Background())
			return
		case j := <-s.shadowJobs:
			s.judgeAgain(ctx, j)
		case <-t.C:
			s.flushShadow(ctx)
		}
	}
}

// judgeAgain compares a live decision with the draft's. The failing
// check of each is read from an explained verification (the live one
// with the tester, which consumes no jti).
func (s *Server) judgeAgain(ctx context.Context, j shadowJob) {
	draft := j.c.shadow.drafts[j.name]
	req := core.Request{Token: j.token, Now: j.now, Explain: true}
	dd := j.c.shadow.verifier.Verify(ctx, req)
	differ := dd.Valid != j.live.Valid || dd.Code != j.live.Code
	key := shadowKey{draft.tenant, draft.name, draft.revision}
	var sample *store.ShadowSample
	if differ {
		ld := j.c.tester.Verify(ctx, req)
		sample = &store.ShadowSample{At: j.now, LiveCode: codeOf(j.live), LiveReason: failedStep(ld),
			DraftCode: codeOf(dd), DraftReason: failedStep(dd)}
	}
	s.tallies.mu.Lock()
	defer s.tallies.mu.Unlock()
	if s.tallies.m == nil {
		s.tallies.m = map[shadowKey]*store.ShadowTally{}
	}
	t := s.tallies.m[key]
	if t == nil {
		t = &store.ShadowTally{Revision: draft.revision}
		s.tallies.m[key] = t
	}
	t.Compared++
	if sample != nil {
		t.Differed++
		if len(t.Samples) < shadowSamples {
			t.Samples = append(t.Samples, *sample)
		}
	}
}

func codeOf(d *core.Decision) string {
	if d.Valid {
		return "valid"
	}
	return string(d.Code)
}

// failedStep is the name of the check a decision failed at ("" when
// valid): what a sample may say of why, never the values it compared.
func failedStep(d *core.Decision) string {
	for _, st := range slices.Backward(d.Trace) {
		if st.Outcome == core.OutcomeFail {
			return st.Name
		}
	}
	return ""
}

// flushShadow adds this instance's tallies to the store's.
func (s *Server) flushShadow(ctx context.Context) {
	if s.admin == nil {
		return
	}
	s.tallies.mu.Lock()
	m := s.tallies.m
	s.tallies.m = nil
	s.tallies.mu.Unlock()
	for k, t := range m {
		cctx, cancel := context.WithTimeout(ctx, s.opts.StoreTimeout)
		err := s.admin.RecordShadow(cctx, k.tenant, k.name, k.revision, t.Compared, t.Differed, t.Samples)
		cancel()
		if err != nil {
			s.metrics.storeError("record_shadow")
			s.log.Error("drafts: shadow tally not recorded", "tenant", k.tenant, "integration", k.name, "error", err.Error())
		}
	}
}

// shadowAnswer is a draft's tally as the admin API shows it.
type shadowAnswer struct {
	Compared int64          `json:"compared"`
	Differed int64          `json:"differed"`
	Samples  []sampleAnswer `json:"samples"`
}

type sampleAnswer struct {
	At          time.Time `json:"at"`
	LiveCode    string    `json:"live_code"`
	LiveReason  string    `json:"live_failed_check,omitempty"`
	DraftCode   string    `json:"draft_code"`
	DraftReason string    `json:"draft_failed_check,omitempty"`
}

func shadowView(t store.ShadowTally) shadowAnswer {
	out := shadowAnswer{Compared: t.Compared, Differed: t.Differed, Samples: []sampleAnswer{}}
	for _, s := range t.Samples {
		out.Samples = append(out.Samples, sampleAnswer{s.At, s.LiveCode, s.LiveReason, s.DraftCode, s.DraftReason})
	}
	return out
}

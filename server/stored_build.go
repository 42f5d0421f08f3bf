package server

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"maps"
	"slices"

	"github.com/jwtgate/jwtgate/core"
	"github.com/jwtgate/jwtgate/store"
)

// storedSet is the store's integrations as one build reads them.
type storedSet struct {
	version int64
	live    []storedIntegration
	drafts  []storedIntegration
	// live and draft index them by policy name.
	liveByName, draftByName map[string]int
	// unreadable are those whose document could not be opened (a
	// secrets key that is not the one they were sealed with), by policy
	// name: left out of the build, each with its reason.
	unreadable map[string]string
}

// loadStored reads the stored integrations and opens their documents;
// an empty set without an admin store. With prev (the set the current
// configuration was built from), only the revisions that changed are
// read: the heads, then their documents.
func (s *Server) loadStored(ctx context.Context, key *secretsKey, prev *storedSet) (storedSet, error) {
	set := storedSet{unreadable: map[string]string{}}
	if s.admin == nil {
		return set, nil
	}
	ctx, cancel := context.WithTimeout(ctx, s.opts.StoreTimeout)
	defer cancel()
	var live, drafts []store.Revision
	var err error
	if prev == nil || len(prev.live)+len(prev.drafts)+len(prev.unreadable) == 0 {
		set.version, live, drafts, err = s.admin.LoadIntegrations(ctx)
	} else {
		set.version, live, drafts, err = s.changedSince(ctx, prev)
	}
	if err != nil {
		s.metrics.storeError("load_integrations")
		return set, err
	}
	set.live = s.openAll(live, key, set.unreadable, prev, false)
	set.drafts = s.openAll(drafts, key, set.unreadable, prev, true)
	set.liveByName, set.draftByName = byName(set.live), byName(set.drafts)
	return set, nil
}

// changedSince reads the change version, then the heads, then the
// documents of the revisions prev does not hold (those it holds come
// back as revisions without a document, for openAll to take from prev).
// A change between the two reads makes the heads newer than the version:
// the next reconcile reads again.
func (s *Server) changedSince(ctx context.Context, prev *storedSet) (int64, []store.Revision, []store.Revision, error) {
	version, err := s.admin.ChangeVersion(ctx)
	if err != nil {
		return 0, nil, nil, err
	}
	heads, err := s.admin.ListIntegrations(ctx, "")
	if err != nil {
		return 0, nil, nil, err
	}
	var live, drafts []store.Revision
	for _, h := range heads {
		for _, r := range []struct {
			n    int64
			have map[string]int
			list []storedIntegration
			into *[]store.Revision
		}{{h.Live, prev.liveByName, prev.live, &live}, {h.Draft, prev.draftByName, prev.drafts, &drafts}} {
			if r.n == 0 {
				continue
			}
			if i, ok := r.have[policyName(h.Tenant, h.Name)]; ok && r.list[i].revision == r.n {
				*r.into = append(*r.into, store.Revision{Tenant: h.Tenant, Name: h.Name, Number: r.n})
				continue
			}
			rev, err := s.admin.GetRevision(ctx, h.Tenant, h.Name, r.n)
			if err != nil {
				return 0, nil, nil, err
			}
			*r.into = append(*r.into, rev)
		}
	}
	return version, live, drafts, nil
}

// openAll opens the documents of revs; a revision without one is prev's
// (see changedSince).
func (s *Server) openAll(revs []store.Revision, key *secretsKey, unreadable map[string]string, prev *storedSet, drafts bool) []storedIntegration {
	out := make([]storedIntegration, 0, len(revs))
	for _, r := range revs {
		if r.Doc == nil && prev != nil {
			have, list := prev.liveByName, prev.live
			if drafts {
				have, list = prev.draftByName, prev.drafts
			}
			if i, ok := have[policyName(r.Tenant, r.Name)]; ok {
				out = append(out, list[i])
				continue
			}
		}
		doc, current, err := openDoc(key, r)
		if err != nil {
			unreadable[policyName(r.Tenant, r.Name)] = err.Error()
			s.log.Error("stored integration left out", "tenant", r.Tenant, "integration", r.Name, "revision", r.Number, "error", err.Error())
			continue
		}
		out = append(out, storedIntegration{tenant: r.Tenant, name: r.Name, revision: r.Number, doc: doc, stale: !current})
	}
	return out
}

func byName(list []storedIntegration) map[string]int {
	m := make(map[string]int, len(list))
	for i, in := range list {
		m[policyName(in.tenant, in.name)] = i
	}
	return m
}

// leaves returns the errors err joins, recursively, or err alone.
func leaves(err error) []error {
	j, ok := err.(interface{ Unwrap() []error })
	if !ok {
		return []error{err}
	}
	var out []error
	for _, e := range j.Unwrap() {
		out = append(out, leaves(e)...)
	}
	return out
}

// openDoc returns a stored revision's document: sealed with the secrets
// key, or stored in the clear when it holds no secret.
func openDoc(key *secretsKey, r store.Revision) (doc integrationDoc, current bool, err error) {
	plain, current, err := key.openAs(r)
	if err != nil {
		return doc, false, err
	}
	if err := json.Unmarshal(plain, &doc); err != nil {
		return doc, false, err
	}
	return doc, current, nil
}

// assemble parses the configuration file's bytes alone (its errors at its
// own lines), joins the stored integrations to its policy (set; nil: read
// from the store, or the current ones while the store cannot be read),
// and builds the engines of the result. A stored integration the loader
// refuses, alone or beside the others (two instances that stored the
// same issuer at once), is left out, logged and reported, so that one bad
// row cannot stop every other change.
func (s *Server) assemble(ctx context.Context, file string, data []byte, set *storedSet) (*config, error) {
	policy, err := parsePolicy(file, data)
	var c *config
	if err == nil {
		c, err = parseService(file, data, policy, fileReader(file), lookupEnv)
	}
	if err != nil {
		return nil, err
	}
	if set == nil {
		set = s.storedOrCurrent(ctx, c.secrets)
	}
	quarantined := maps.Clone(set.unreadable)
	next := map[compileKey]compiledStored{}
	parts := s.compileAll(c, set.live, next, quarantined)
	joined, kept := s.join(c, policy, parts, quarantined)
	c.withStored(joined, kept)
	merged := data
	if !s.nativeEngine && len(kept) > 0 {
		// The plugin reads the configuration's bytes: the stored ones it
		// serves are merged into them.
		if merged, err = mergeStored(data, keptOf(set.live, kept)); err != nil {
			return nil, err
		}
	}
	if n := staleDocs(set); n > 0 {
		s.log.Warn("stored documents not sealed with the current secrets key; POST /v1/admin/reseal seals them, after which the previous keys can go", "documents", n)
	}
	for name, reason := range quarantined {
		if _, unreadable := set.unreadable[name]; !unreadable {
			s.log.Error("stored integration refused by the loader; left out", "integration", name, "error", reason)
		}
	}
	c.hash, c.fileData, c.stored, c.quarantined, c.filePolicy = sha256.Sum256(data), data, *set, quarantined, policy
	c.fileTenants = fileTenantsOf(policy)
	if c, err = s.buildLocked(ctx, file, merged, joined, c); err != nil {
		return nil, err
	}
	var keys core.KeySource
	if c.fetcher != nil {
		keys = c.fetcher
	}
	c.shadow = s.buildShadow(c, set, next, keys)
	s.compiled = next
	return c, nil
}

// compileAll compiles the stored integrations of list, each once per
// revision (s.compiled holds the last build's), into next, and returns
// them by policy name; one the loader refuses is put in quarantined.
func (s *Server) compileAll(c *config, list []storedIntegration, next map[compileKey]compiledStored, quarantined map[string]string) map[string]compiledStored {
	service := serviceKey(c)
	out := make(map[string]compiledStored, len(list))
	for _, in := range list {
		full := policyName(in.tenant, in.name)
		k := compileKey{name: full, revision: in.revision, service: service}
		cs, ok := next[k]
		if !ok {
			if cs, ok = s.compiled[k]; !ok {
				cs = compileStored(c, in.tenant, in.name, in.doc)
			}
			next[k] = cs
		}
		if cs.err != nil {
			quarantined[full] = firstReason(cs.err)
			continue
		}
		out[full] = cs
	}
	return out
}

// join joins the compiled stored integrations to the file's policy, in
// the store's order, and returns the joined policy and those it kept;
// the refused ones go in quarantined.
func (s *Server) join(c *config, file *core.Policy, compiled map[string]compiledStored, quarantined map[string]string) (*core.Policy, map[string]compiledStored) {
	parts := []*core.Policy{file}
	for _, name := range slices.Sorted(maps.Keys(compiled)) {
		info, _ := compiled[name].policy.Integration(name)
		if info.Issuer == cmp.Or(c.publicURL, s.publicURL) {
			quarantined[name] = "issuer: the issuer of jwtgate's own tokens (service.public_url)"
			continue
		}
		parts = append(parts, compiled[name].policy)
	}
	joined, err := core.JoinPolicies(parts...)
	kept := make(map[string]compiledStored, len(compiled))
	for name, cs := range compiled {
		if _, ok := joined.Integration(name); ok {
			kept[name] = cs
		}
	}
	var pes core.PolicyErrors
	if errors.As(err, &pes) {
		for _, pe := range pes {
			if _, ok := compiled[pe.Integration]; ok && quarantined[pe.Integration] == "" {
				quarantined[pe.Integration] = pe.Field + ": " + pe.Reason
			}
		}
	}
	return joined, kept
}

// staleDocs counts the set's documents stored otherwise than the current
// secrets key would store them.
func staleDocs(set *storedSet) int {
	n := 0
	for _, in := range slices.Concat(set.live, set.drafts) {
		if in.stale {
			n++
		}
	}
	return n
}

// keptOf returns the stored integrations of list that kept names.
func keptOf(list []storedIntegration, kept map[string]compiledStored) []storedIntegration {
	return slices.DeleteFunc(slices.Clone(list), func(in storedIntegration) bool {
		_, ok := kept[policyName(in.tenant, in.name)]
		return !ok
	})
}

// firstReason is the first problem of a loader's error, as "field: reason".
func firstReason(err error) string {
	for _, p := range fieldProblems(err, "", true, nil) {
		return p.Field + ": " + p.Reason
	}
	for _, e := range leaves(err) {
		var ce *configError
		if errors.As(e, &ce) {
			return ce.field + ": " + ce.reason
		}
		var pe *core.PolicyError
		if errors.As(e, &pe) {
			return pe.Field + ": " + pe.Reason
		}
	}
	return err.Error()
}

// withStored puts the joined policy and the stored integrations' service
// settings in a configuration parsed from the file alone. Each build gets
// its own copy of the settings, whose clients buildLocked sets.
func (c *config) withStored(joined *core.Policy, kept map[string]compiledStored) {
	c.policy, c.maxBody = joined, bodyLimit(joined)
	c.jwksURLs = slices.Compact(slices.Sorted(slices.Values(joined.JWKSURLs())))
	c.storedParts = make(map[string]*core.Policy, len(kept))
	for name, cs := range kept {
		in := *cs.settings
		if in.validator != nil {
			v := *in.validator
			in.validator = &v
		}
		if in.resolver != nil {
			r := *in.resolver
			in.resolver = &r
		}
		c.integrations[name] = &in
		for o := range cs.origins {
			c.origins[o] = true
		}
		c.storedParts[name] = cs.policy
	}
}

// storedOrCurrent reads the stored integrations; while the store cannot
// be read, the current configuration's are kept, so that a file reload
// does not drop them.
func (s *Server) storedOrCurrent(ctx context.Context, key *secretsKey) *storedSet {
	var prev *storedSet
	if cur := s.cur.Load(); cur != nil && cur.secrets.ids() == key.ids() {
		prev = &cur.stored // the documents it opened open alike
	}
	set, err := s.loadStored(ctx, key, prev)
	if err == nil {
		return &set
	}
	s.log.Error("stored integrations unreadable; the last ones read are kept", "error", err.Error())
	if cur := s.cur.Load(); cur != nil {
		return &cur.stored
	}
	return &storedSet{}
}

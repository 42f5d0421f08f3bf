package server

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"slices"
	"strings"

	"github.com/jwtgate/jwtgate/core"
	"github.com/jwtgate/jwtgate/store"
)

// maxQuarantineRounds bounds the parses of one build that leave out
// stored integrations at fault: each round leaves out every one the
// loader named, so a few are enough unless an exclusion reveals another.
const maxQuarantineRounds = 4

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
// an empty set without an admin store.
func (s *Server) loadStored(ctx context.Context, key *secretsKey) (storedSet, error) {
	set := storedSet{unreadable: map[string]string{}}
	if s.admin == nil {
		return set, nil
	}
	ctx, cancel := context.WithTimeout(ctx, s.opts.StoreTimeout)
	defer cancel()
	version, live, drafts, err := s.admin.LoadIntegrations(ctx)
	if err != nil {
		s.metrics.storeError("load_integrations")
		return set, err
	}
	set.version = version
	set.live = s.openAll(live, key, set.unreadable)
	set.drafts = s.openAll(drafts, key, set.unreadable)
	set.liveByName, set.draftByName = byName(set.live), byName(set.drafts)
	return set, nil
}

func (s *Server) openAll(revs []store.Revision, key *secretsKey, unreadable map[string]string) []storedIntegration {
	out := make([]storedIntegration, 0, len(revs))
	for _, r := range revs {
		doc, err := openDoc(key, r)
		if err != nil {
			unreadable[policyName(r.Tenant, r.Name)] = err.Error()
			s.log.Error("stored integration left out", "tenant", r.Tenant, "integration", r.Name, "revision", r.Number, "error", err.Error())
			continue
		}
		out = append(out, storedIntegration{tenant: r.Tenant, name: r.Name, revision: r.Number, doc: doc})
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

// effective is a configuration built from the file and the stored
// integrations: the merged bytes the engines load, and those stored
// integrations the loader refused, each with its reason.
type effective struct {
	data        []byte
	policy      *core.Policy
	config      *config
	quarantined map[string]string
}

// parseEffective parses the file, already checked alone, with the stored
// integrations. A stored integration the loader refuses (two instances
// that stored the same issuer at once, say) is left out, logged and
// reported, so that one bad row cannot stop every other change.
func parseEffective(file string, data []byte, stored []storedIntegration) (effective, error) {
	out := effective{quarantined: map[string]string{}}
	for range maxQuarantineRounds {
		merged, err := mergeStored(data, stored)
		if err != nil {
			return out, err
		}
		policy, err := parsePolicy(file, merged)
		var c *config
		if err == nil {
			c, err = parseService(file, merged, policy, fileReader(file), lookupEnv)
		}
		if err == nil {
			out.data, out.policy, out.config = merged, policy, c
			return out, nil
		}
		at := blame(err, stored)
		if len(at) == 0 {
			return out, err
		}
		stored = slices.DeleteFunc(slices.Clone(stored), func(in storedIntegration) bool {
			reason, bad := at[policyName(in.tenant, in.name)]
			if bad {
				out.quarantined[policyName(in.tenant, in.name)] = reason
			}
			return bad
		})
	}
	return out, errors.New("stored integrations: too many refused in one build")
}

// blame returns the stored integrations the loader's errors name, by
// policy name, each with the first reason given for it.
func blame(err error, stored []storedIntegration) map[string]string {
	names := map[string]bool{}
	for _, in := range stored {
		names[policyName(in.tenant, in.name)] = true
	}
	at := map[string]string{}
	for _, e := range leaves(err) {
		name, reason := "", e.Error()
		var pe *core.PolicyError
		var ce *configError
		switch {
		case errors.As(e, &pe):
			name, reason = pe.Integration, pe.Field+": "+pe.Reason
		case errors.As(e, &ce):
			rest, ok := strings.CutPrefix(ce.field, "service.integrations.")
			if !ok {
				continue
			}
			name, _, _ = strings.Cut(rest, ".")
			reason = ce.field + ": " + ce.reason
		}
		if names[name] && at[name] == "" {
			at[name] = reason
		}
	}
	return at
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
func openDoc(key *secretsKey, r store.Revision) (integrationDoc, error) {
	plain, err := key.open(r)
	if err != nil {
		return integrationDoc{}, err
	}
	var doc integrationDoc
	if err := json.Unmarshal(plain, &doc); err != nil {
		return integrationDoc{}, err
	}
	return doc, nil
}

// assemble parses the configuration file's bytes alone (its errors at its
// own lines), then with the stored integrations (set; nil: read from the
// store, or the current ones while the store cannot be read), and builds
// the engines of the result.
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
	merged := data
	quarantined := map[string]string{}
	if len(set.live) > 0 {
		eff, err := parseEffective(file, data, set.live)
		if err != nil {
			return nil, err
		}
		merged, policy, c, quarantined = eff.data, eff.policy, eff.config, eff.quarantined
		for name, reason := range quarantined {
			s.log.Error("stored integration refused by the loader; left out", "integration", name, "error", reason)
		}
	}
	for name, reason := range set.unreadable {
		quarantined[name] = reason
	}
	c.hash, c.fileData, c.stored, c.quarantined = sha256.Sum256(data), data, *set, quarantined
	if c, err = s.buildLocked(ctx, file, merged, policy, c); err != nil {
		return nil, err
	}
	var keys core.KeySource
	if c.fetcher != nil {
		keys = c.fetcher
	}
	c.shadow = s.buildShadow(file, data, set, keys)
	return c, nil
}

// storedOrCurrent reads the stored integrations; while the store cannot
// be read, the current configuration's are kept, so that a file reload
// does not drop them.
func (s *Server) storedOrCurrent(ctx context.Context, key *secretsKey) *storedSet {
	set, err := s.loadStored(ctx, key)
	if err == nil {
		return &set
	}
	s.log.Error("stored integrations unreadable; the last ones read are kept", "error", err.Error())
	if cur := s.cur.Load(); cur != nil {
		return &cur.stored
	}
	return &storedSet{}
}

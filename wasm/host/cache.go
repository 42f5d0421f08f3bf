package host

import (
	"context"
	"errors"

	"github.com/jwtgate/jwtgate/core"
)

// The decision cache of Options.DecisionCache. It lives per generation:
// a Reload or a Swap makes a new generation, whose cache starts empty, so
// that no decision of the old policy or module outlives it. The cache
// needs the policy natively (core.Cache reads from it which integrations
// are one-time, whose decisions it must never reuse), so the host parses
// it once more, as the guest did.

// guestEngine is the host without its cache: the engine a core.Cache asks
// on a miss.
type guestEngine struct{ h *Host }

func (e guestEngine) Verify(ctx context.Context, req core.Request) *core.Decision {
	return e.h.verifyGuest(ctx, req)
}

// initCache completes Options.DecisionCache, or refuses it when it could
// not see the keys change.
func (h *Host) initCache() error {
	if h.opts.DecisionCache == nil {
		return nil
	}
	o := *h.opts.DecisionCache
	if o.KeyGeneration == nil && h.opts.Keys != nil {
		g, ok := h.opts.Keys.(interface{ Generation() uint64 })
		if !ok {
			return errors.New("jwtgate/host: DecisionCache with a key source that has no Generation method: set DecisionCache.KeyGeneration, or the cache would outlive a key set's change")
		}
		o.KeyGeneration = g.Generation
	}
	if o.Counters == nil {
		o.Counters = &core.CacheCounters{}
	}
	h.cacheOpts = &o
	return nil
}

// newCache is the cache of a generation loading policy, nil without one.
// A policy the guest accepted but the native core refuses (a custom
// module's dialect) is served uncached, with a warning: the cache cannot
// tell its one-time integrations.
func (h *Host) newCache(ctx context.Context, policy []byte) (*core.Cache, error) {
	if h.cacheOpts == nil {
		return nil, nil
	}
	p, err := core.ParsePolicy(h.opts.PolicyName, policy, core.LoadOptions{Discovery: true})
	if err != nil {
		h.opts.Logger.WarnContext(ctx, "decision cache off for this policy: the native core does not read it", "error", err)
		return nil, nil
	}
	return core.NewCache(guestEngine{h}, p, *h.cacheOpts)
}

// CacheStats returns the decision cache's counts (over every policy the
// host loaded) and the current policy's entries, and false when the host
// has no cache (Options.DecisionCache unset).
func (h *Host) CacheStats() (core.CacheStats, bool) {
	c := h.cur.Load().cache
	if c == nil {
		return core.CacheStats{}, false
	}
	return c.Stats(), true
}

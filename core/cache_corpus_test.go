package core_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/jwtgate/jwtgate/core"
	"github.com/jwtgate/jwtgate/internal/testcorpus"
)

// cacheOffsets are the instants, relative to each case's Now, at which the
// corpus runs through the cache: inside every window, then back before the
// iat of the common tokens (a clock going back must not be answered from
// entries stored later), and across each boundary the corpus has: the
// fractional exp (Now+0.25s, skew 60s), the aged integration's max_age
// (iat Now-5m, max_age 10m, no skew), the common exp (Now+1h, skew 60s),
// each a millisecond before, at, and a millisecond after (a nanosecond is
// below a float64's resolution of Unix seconds, for the core as for the
// cache).
var cacheOffsets = []time.Duration{
	0, 30 * time.Second, -2*time.Minute - time.Millisecond, -90 * time.Minute,
	60*time.Second + 250*time.Millisecond - time.Millisecond, 60*time.Second + 250*time.Millisecond,
	60*time.Second + 250*time.Millisecond + time.Millisecond,
	5*time.Minute - time.Millisecond, 5 * time.Minute, 5*time.Minute + time.Millisecond,
	time.Hour + time.Minute - time.Millisecond, time.Hour + time.Minute, time.Hour + time.Minute + time.Millisecond,
	2 * time.Hour,
}

// TestCacheCorpusIdentical runs the whole differential corpus at each
// offset twice through a cached verifier (cold, then warm) beside an
// uncached one, and requires byte-identical decision JSON; the warm pass
// must answer every cacheable valid decision from the cache.
func TestCacheCorpusIdentical(t *testing.T) {
	ctx := context.Background()
	for _, g := range testcorpus.Groups(testcorpus.Cases()) {
		p, err := core.ParsePolicy("corpus.yaml", g.Policy, core.LoadOptions{})
		require.NoError(t, err)
		plain, err := core.NewVerifier(p, core.Config{Replay: core.NewMemoryReplayStore(0)})
		require.NoError(t, err)
		inner, err := core.NewVerifier(p, core.Config{Replay: core.NewMemoryReplayStore(0)})
		require.NoError(t, err)
		cache, err := core.NewCache(inner, p, core.CacheOptions{})
		require.NoError(t, err)
		// A token the group presents at two instants may be out of its
		// window at one, which drops its entry (time/past-skew-edge):
		// those are not required to hit.
		nows := map[string]map[time.Time]bool{}
		for _, c := range g.Cases {
			if nows[c.Token] == nil {
				nows[c.Token] = map[time.Time]bool{}
			}
			nows[c.Token][c.Now] = true
		}
		valid := 0
		for _, off := range cacheOffsets {
			for _, warm := range []bool{false, true} {
				for _, c := range g.Cases {
					req := c.Request()
					req.Now = req.Now.Add(off)
					want := plain.Verify(ctx, req)
					hits := cache.Stats().Hits
					got := cache.Verify(ctx, req)
					require.Equal(t, string(want.JSON()), string(got.JSON()), "%s at %+v, warm %v", c.Name, off, warm)
					if !want.Valid {
						continue
					}
					valid++
					info, _ := p.Integration(want.Integration)
					if warm && !req.Explain && !info.OneTimeUse && len(nows[c.Token]) == 1 {
						require.Equal(t, hits+1, cache.Stats().Hits, "%s at %+v: the warm pass answers from the cache", c.Name, off)
					}
				}
			}
		}
		require.Positive(t, valid, "the corpus has valid cases to cache")
	}
}

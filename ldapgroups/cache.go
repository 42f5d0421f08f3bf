package ldapgroups

import (
	"sync"
	"time"
)

// cache keeps answers (a user's groups, or none for a user who is not in
// the directory) for a TTL, for at most max subjects. Failures are never
// cached: the next lookup asks the server again.
type cache struct {
	ttl time.Duration
	max int
	now func() time.Time

	mu      sync.Mutex
	entries map[string]cached
	swept   time.Time // the last sweep of expired entries
}

type cached struct {
	groups  []string
	expires time.Time
}

func newCache(ttl time.Duration, max int, now func() time.Time) *cache {
	if ttl < 0 {
		return nil
	}
	return &cache{ttl: ttl, max: max, now: now, entries: map[string]cached{}}
}

// get returns a copy of subject's unexpired answer.
func (c *cache) get(subject string) ([]string, bool) {
	if c == nil {
		return nil, false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.entries[subject]
	if !ok {
		return nil, false
	}
	if !c.now().Before(e.expires) {
		delete(c.entries, subject)
		return nil, false
	}
	return append([]string{}, e.groups...), true
}

// put records subject's answer. A full cache drops its expired entries
// (at most once a quarter TTL: a sweep reads them all), then, if still
// full, an arbitrary one: the bound holds whatever subjects clients send.
func (c *cache) put(subject string, groups []string) {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	now := c.now()
	if _, ok := c.entries[subject]; !ok && len(c.entries) >= c.max {
		if now.Sub(c.swept) >= c.ttl/4 {
			c.swept = now
			for k, e := range c.entries {
				if !now.Before(e.expires) {
					delete(c.entries, k)
				}
			}
		}
		for k := range c.entries {
			if len(c.entries) < c.max {
				break
			}
			delete(c.entries, k)
		}
	}
	c.entries[subject] = cached{groups: append([]string{}, groups...), expires: now.Add(c.ttl)}
}

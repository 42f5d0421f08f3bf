package core

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jwtgate/jwtgate/core/internal/permission"
)

// Defaults of CacheOptions. A server's working set is the tokens its
// users present within the TTL ceiling: 10,000 live tokens is a busy one
// (a few thousand users, each with a token or two), and at a typical
// 1–1.6 KiB an entry (a token of 0.5–1 KiB, its claims once more, the
// decision's fields) that is about 16 MiB, a small share of a server's
// memory; the byte bound also holds when tokens are large (max_token_bytes
// allows 16 KiB and more), where the entry bound alone would not.
const (
	DefaultCacheEntries = 10_000
	DefaultCacheBytes   = 16 << 20
	DefaultCacheTTL     = 5 * time.Minute
)

// entryOverhead approximates the bytes of an entry besides its strings:
// the Decision struct, the entry, its map slot and slice headers.
const entryOverhead = 512

// CacheOptions configures a Cache. Zero values take the defaults.
type CacheOptions struct {
	// MaxEntries and MaxBytes bound the cache (defaults 10,000 and
	// 16 MiB); bytes are the token's and an estimate of the decision's.
	MaxEntries int
	MaxBytes   int64
	// TTL is the ceiling of an entry's life after the request that stored
	// it, by Request.Now (default 5 minutes): it bounds what the cache
	// cannot see, such as a key set its host has not refreshed yet.
	TTL time.Duration
	// KeyGeneration, when set, grows whenever a key set the engine uses
	// changes (jwks.Fetcher.Generation); the cache drops every entry when
	// it does. Nil: the keys never change (inline and file keys are fixed
	// for the life of a policy; a reload makes a new cache).
	KeyGeneration func() uint64
	// Counters, when set, counts hits and misses; successive caches of one
	// host (one per loaded policy) share it, so that the totals a host
	// exports only grow. Nil: the cache counts in its own.
	Counters *CacheCounters
}

// CacheCounters count hits and misses, safe for concurrent use.
type CacheCounters struct{ hits, misses atomic.Uint64 }

// Hits returns the requests answered from a cache.
func (c *CacheCounters) Hits() uint64 { return c.hits.Load() }

// Misses returns the requests answered by the engine.
func (c *CacheCounters) Misses() uint64 { return c.misses.Load() }

// CacheStats is a snapshot of a cache.
type CacheStats struct {
	Hits, Misses uint64 // of the counters (CacheOptions.Counters)
	Entries      int
	Bytes        int64
	Evictions    uint64 // entries dropped to make room
}

// Cache is an Engine that remembers the valid decisions of another, for
// the repeated tokens of a busy host. A hit costs a map look-up, the time
// window's comparisons and a copy of the decision.
//
// An entry is keyed by everything of a request that decides the answer
// besides Now: the whole token (never a hash, which an attacker could
// collide), Integration and RedirectParam. It answers only while its
// decision's TimeWindow contains the request's Now, before its TTL
// ceiling, and while the keys are those it was verified with; otherwise
// it is dropped and the engine verifies afresh, which gives the exact
// rejection. Not cached: explain requests (their trace words the time),
// rejected decisions, decisions of one_time_use integrations (each use
// must reach the replay store) and decisions without a window.
//
// A hit returns a shallow copy of the stored decision: a struct of its
// own, sharing the stored slices, map and claims, which callers must not
// modify (no caller does; a decision is read-only once made). It is safe
// for concurrent use; it has no clock and no goroutines, so it runs on
// every target.
type Cache struct {
	engine  Engine
	policy  *Policy
	o       CacheOptions
	counts  *CacheCounters
	evicted atomic.Uint64

	mu      sync.Mutex
	entries map[cacheKey]*cacheEntry
	lru     cacheEntry // ring sentinel: lru.next is the most recently used
	bytes   int64
	gen     uint64 // the key generation the entries were verified under
}

type cacheKey struct{ token, integration, redirect string }

type cacheEntry struct {
	key        cacheKey
	d          *Decision
	window     TimeWindow
	deadline   time.Time // the TTL ceiling
	size       int64
	prev, next *cacheEntry
}

var _ Engine = (*Cache)(nil)

// NewCache returns a cache in front of e, which verifies against p (the
// cache reads from it which integrations are one-time).
func NewCache(e Engine, p *Policy, o CacheOptions) (*Cache, error) {
	if e == nil || p == nil {
		return nil, errors.New("jwtgate: a cache needs an engine and its policy")
	}
	if o.MaxEntries < 0 || o.MaxBytes < 0 || o.TTL < 0 {
		return nil, errors.New("jwtgate: cache bounds must not be negative")
	}
	if o.MaxEntries == 0 {
		o.MaxEntries = DefaultCacheEntries
	}
	if o.MaxBytes == 0 {
		o.MaxBytes = DefaultCacheBytes
	}
	if o.TTL == 0 {
		o.TTL = DefaultCacheTTL
	}
	c := &Cache{engine: e, policy: p, o: o, counts: o.Counters, entries: map[cacheKey]*cacheEntry{}}
	if c.counts == nil {
		c.counts = &CacheCounters{}
	}
	c.lru.prev, c.lru.next = &c.lru, &c.lru
	c.gen = c.generation()
	return c, nil
}

// Engine returns the engine the cache is in front of.
func (c *Cache) Engine() Engine { return c.engine }

// Verify answers from the cache when it can, else asks the engine and
// stores a cacheable decision.
func (c *Cache) Verify(ctx context.Context, req Request) *Decision {
	if req.Explain || req.Now.IsZero() {
		c.counts.misses.Add(1)
		return c.engine.Verify(ctx, req)
	}
	k := cacheKey{req.Token, req.Integration, req.RedirectParam}
	// Read before verifying: a key set that changes while the engine works
	// makes the decision unfit to store (put checks it again).
	gen := c.generation()
	if d := c.get(k, gen, req.Now); d != nil {
		c.counts.hits.Add(1)
		return d
	}
	c.counts.misses.Add(1)
	d := c.engine.Verify(ctx, req)
	c.put(k, gen, req.Now, d)
	return d
}

// Stats returns the counts and the current size.
func (c *Cache) Stats() CacheStats {
	c.mu.Lock()
	n, b := len(c.entries), c.bytes
	c.mu.Unlock()
	return CacheStats{Hits: c.counts.Hits(), Misses: c.counts.Misses(), Entries: n, Bytes: b, Evictions: c.evicted.Load()}
}

// Close closes the engine, when it has a Close (a plugin host does), so
// that a host closing a replaced engine closes what the cache wraps.
func (c *Cache) Close() error {
	if cl, ok := c.engine.(interface{ Close() error }); ok {
		return cl.Close()
	}
	return nil
}

func (c *Cache) generation() uint64 {
	if c.o.KeyGeneration == nil {
		return 0
	}
	return c.o.KeyGeneration()
}

// get returns a copy of the entry for k when it still answers at now.
func (c *Cache) get(k cacheKey, gen uint64, now time.Time) *Decision {
	c.mu.Lock()
	defer c.mu.Unlock()
	if gen != c.gen {
		// A generation only grows: an older one is a request that read it
		// before another cleared the cache, and must not clear it again.
		if gen > c.gen {
			c.clearLocked(gen)
		}
		return nil
	}
	e := c.entries[k]
	if e == nil {
		return nil
	}
	if !now.Before(e.deadline) || !e.window.Contains(now) {
		c.removeLocked(e)
		return nil
	}
	c.unlink(e)
	c.pushFront(e)
	d := *e.d
	return &d
}

// put stores d for k when it is cacheable and the keys did not change
// since gen was read.
func (c *Cache) put(k cacheKey, gen uint64, now time.Time, d *Decision) {
	w, ok := d.Window()
	if !ok || !c.cacheable(d) {
		return
	}
	size := entrySize(k, d)
	if size > c.o.MaxBytes {
		return
	}
	// Computed now, so that Allows never writes to a shared decision.
	if d.perms == nil {
		s := permission.NewSet(d.Permissions)
		d.perms = &s
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if gen != c.gen || c.generation() != gen {
		return
	}
	if old := c.entries[k]; old != nil {
		c.removeLocked(old)
	}
	e := &cacheEntry{key: k, d: d, window: w, deadline: now.Add(c.o.TTL), size: size}
	c.entries[k] = e
	c.pushFront(e)
	c.bytes += size
	for len(c.entries) > c.o.MaxEntries || c.bytes > c.o.MaxBytes {
		c.removeLocked(c.lru.prev)
		c.evicted.Add(1)
	}
}

// cacheable reports whether d's integration allows its decisions to be
// reused: known to the policy and not one-time.
func (c *Cache) cacheable(d *Decision) bool {
	in := c.policy.byName[d.Integration]
	return in != nil && !in.oneTime
}

func (c *Cache) clearLocked(gen uint64) {
	clear(c.entries)
	c.lru.prev, c.lru.next = &c.lru, &c.lru
	c.bytes, c.gen = 0, gen
}

func (c *Cache) removeLocked(e *cacheEntry) {
	delete(c.entries, e.key)
	c.unlink(e)
	c.bytes -= e.size
}

func (c *Cache) unlink(e *cacheEntry) {
	e.prev.next, e.next.prev = e.next, e.prev
	e.prev, e.next = nil, nil
}

func (c *Cache) pushFront(e *cacheEntry) {
	e.prev, e.next = &c.lru, c.lru.next
	c.lru.next.prev = e
	c.lru.next = e
}

// entrySize estimates the bytes an entry holds: its key's strings, the
// decision's strings, lists, headers and claims, and a fixed overhead.
func entrySize(k cacheKey, d *Decision) int64 {
	n := entryOverhead + len(k.token) + len(k.integration) + len(k.redirect)
	for _, s := range []string{string(d.Code), d.Message, d.Reason, d.Integration, d.Tenant, d.Issuer, d.Subject, d.Redirect} {
		n += len(s)
	}
	n += len(d.Claims)
	for _, l := range [][]string{d.Audience, d.Groups, d.Roles, d.Permissions} {
		for _, s := range l {
			n += 16 + len(s)
		}
	}
	for h, v := range d.Headers {
		n += 48 + len(h) + len(v)
	}
	// The permission set built for Allows: about the size of the list.
	n += 2 * len(d.Permissions) * 16
	return int64(n)
}

package core

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/jwtgate/jwtgate/internal/jwttest"
)

const (
	cacheIss     = "https://cache.example"
	cacheOnceIss = "https://cache-once.example"
)

var cachePolicyDoc = `integrations:
  - name: c
    issuer: ` + cacheIss + `
    algorithms: [HS256]
    keys: [{secret: "` + hsSecret + `"}]
    redirect: {allowed_domains: [app.example.com], default: /home}
    require_permissions: ["users:read"]
  - name: once
    issuer: ` + cacheOnceIss + `
    algorithms: [HS256]
    keys: [{secret: "` + hsSecret + `"}]
    one_time_use: true
`

// countingEngine counts the requests that reach the engine.
type countingEngine struct {
	e      Engine
	n      atomic.Int64
	before func() // called before each verification, when set
}

func (c *countingEngine) Verify(ctx context.Context, req Request) *Decision {
	c.n.Add(1)
	if c.before != nil {
		c.before()
	}
	return c.e.Verify(ctx, req)
}

// newTestCache is a cache of the cache policy in front of a counting
// verifier, and an uncached verifier of its own to compare with.
func newTestCache(t *testing.T, o CacheOptions) (*Cache, *countingEngine, *Verifier) {
	t.Helper()
	p := mustPolicy(t, cachePolicyDoc)
	v, err := NewVerifier(p, Config{Replay: NewMemoryReplayStore(0)})
	require.NoError(t, err)
	ce := &countingEngine{e: v}
	c, err := NewCache(ce, p, o)
	require.NoError(t, err)
	plain, err := NewVerifier(p, Config{Replay: NewMemoryReplayStore(0)})
	require.NoError(t, err)
	return c, ce, plain
}

func cacheToken(t *testing.T, extra map[string]any) string {
	return sign(t, "HS256", []byte(hsSecret), "", claims(cacheIss, jwttest.Merge(map[string]any{"permissions": []string{"users:read"}}, extra)), nil)
}

func req(tok string, now time.Time) Request { return Request{Token: tok, Now: now} }

func TestCacheHitIsTheStoredDecision(t *testing.T) {
	c, ce, _ := newTestCache(t, CacheOptions{})
	tok := cacheToken(t, nil)
	first := c.Verify(context.Background(), req(tok, testNow))
	require.True(t, first.Valid, first.Reason)
	second := c.Verify(context.Background(), req(tok, testNow.Add(time.Second)))
	assert.Equal(t, int64(1), ce.n.Load(), "the second request is answered from the cache")
	assert.Equal(t, string(first.JSON()), string(second.JSON()))
	assert.NotSame(t, first, second, "a hit is a copy")
	second.Subject = "changed"
	third := c.Verify(context.Background(), req(tok, testNow))
	assert.Equal(t, "user-123", third.Subject, "changing a copy does not change the entry")
	assert.True(t, third.Allows("users:read"))
	st := c.Stats()
	assert.Equal(t, CacheStats{Hits: 2, Misses: 1, Entries: 1, Bytes: st.Bytes}, st)
	assert.Positive(t, st.Bytes)
}

// The time window to the boundary, for nbf, iat and exp with the skew:
// a hit outside it drops the entry, and the engine gives the rejection.
func TestCacheWindowBoundaries(t *testing.T) {
	ctx := context.Background()
	skew := DefaultClockSkew
	for _, tc := range []struct {
		name   string
		extra  map[string]any
		probes []time.Duration // offsets from testNow, after a store at testNow
	}{
		{"nbf", map[string]any{"nbf": testNow.Add(30 * time.Second).Unix()}, []time.Duration{30*time.Second - skew - time.Millisecond, 30*time.Second - skew}},
		{"iat", map[string]any{"iat": testNow.Add(20 * time.Second).Unix()}, []time.Duration{20*time.Second - skew - time.Millisecond, 20*time.Second - skew}},
		{"exp", map[string]any{"exp": testNow.Add(time.Minute).Unix()}, []time.Duration{time.Minute + skew, time.Minute + skew + time.Millisecond}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, ce, plain := newTestCache(t, CacheOptions{})
			tok := cacheToken(t, tc.extra)
			require.True(t, c.Verify(ctx, req(tok, testNow)).Valid)
			for _, off := range tc.probes {
				for range 2 { // the second finds the entry the first left or dropped
					now := testNow.Add(off)
					want := plain.Verify(ctx, req(tok, now))
					got := c.Verify(ctx, req(tok, now))
					require.Equal(t, string(want.JSON()), string(got.JSON()), "at %v", off)
				}
				require.True(t, c.Verify(ctx, req(tok, testNow)).Valid, "stored again")
			}
			assert.Less(t, ce.n.Load(), int64(2+3*len(tc.probes)), "some probes were hits")
		})
	}
}

func TestCacheTTLCeiling(t *testing.T) {
	c, ce, _ := newTestCache(t, CacheOptions{TTL: time.Minute})
	tok := cacheToken(t, nil)
	ctx := context.Background()
	c.Verify(ctx, req(tok, testNow))
	c.Verify(ctx, req(tok, testNow.Add(time.Minute-time.Nanosecond)))
	require.Equal(t, int64(1), ce.n.Load(), "a hit within the ceiling")
	assert.True(t, c.Verify(ctx, req(tok, testNow.Add(time.Minute))).Valid)
	assert.Equal(t, int64(2), ce.n.Load(), "verified afresh at the ceiling")
}

func TestCacheNeverStores(t *testing.T) {
	ctx := context.Background()
	once := sign(t, "HS256", []byte(hsSecret), "", claims(cacheOnceIss, map[string]any{"jti": "j-1"}), nil)
	for _, tc := range []struct {
		name string
		req  Request
	}{
		{"explain", Request{Token: cacheToken(t, nil), Now: testNow, Explain: true}},
		{"rejected", req(cacheToken(t, map[string]any{"exp": testNow.Add(-time.Hour).Unix()}), testNow)},
		{"denied", req(cacheToken(t, map[string]any{"permissions": []string{}}), testNow)},
		{"no time", req(cacheToken(t, nil), time.Time{})},
		{"one-time", req(once, testNow)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, ce, plain := newTestCache(t, CacheOptions{})
			for range 3 {
				want := plain.Verify(ctx, tc.req)
				got := c.Verify(ctx, tc.req)
				require.Equal(t, string(want.JSON()), string(got.JSON()))
			}
			assert.Equal(t, int64(3), ce.n.Load(), "every request reached the engine")
			assert.Equal(t, CacheStats{Misses: 3}, c.Stats())
		})
	}
	t.Run("one-time replay", func(t *testing.T) {
		c, _, _ := newTestCache(t, CacheOptions{})
		tok := sign(t, "HS256", []byte(hsSecret), "", claims(cacheOnceIss, map[string]any{"jti": "j-2"}), nil)
		require.True(t, c.Verify(ctx, req(tok, testNow)).Valid)
		assert.Equal(t, CodeTokenReplayed, c.Verify(ctx, req(tok, testNow)).Code)
	})
}

// The key holds the integration asked for and the redirect parameter:
// requests differing in them are different entries.
func TestCacheKeyHasEveryInput(t *testing.T) {
	c, _, _ := newTestCache(t, CacheOptions{})
	ctx := context.Background()
	tok := cacheToken(t, nil)
	a := c.Verify(ctx, Request{Token: tok, Now: testNow, RedirectParam: "https://app.example.com/a"})
	b := c.Verify(ctx, Request{Token: tok, Now: testNow, RedirectParam: "https://app.example.com/b"})
	assert.Equal(t, "https://app.example.com/a", a.Redirect)
	assert.Equal(t, "https://app.example.com/b", b.Redirect)
	assert.Equal(t, "https://app.example.com/a", c.Verify(ctx, Request{Token: tok, Now: testNow, RedirectParam: "https://app.example.com/a"}).Redirect)
	require.True(t, c.Verify(ctx, Request{Token: tok, Now: testNow, Integration: "c"}).Valid)
	assert.Equal(t, CodeConfigurationNotFound, c.Verify(ctx, Request{Token: tok, Now: testNow, Integration: "once"}).Code)
	assert.Equal(t, 3, c.Stats().Entries)
}

func TestCacheEntryBoundAndLRU(t *testing.T) {
	c, ce, _ := newTestCache(t, CacheOptions{MaxEntries: 3})
	ctx := context.Background()
	toks := make([]string, 5)
	for i := range toks {
		toks[i] = cacheToken(t, map[string]any{"jti": fmt.Sprint(i)})
	}
	for _, tok := range toks[:3] {
		c.Verify(ctx, req(tok, testNow))
	}
	c.Verify(ctx, req(toks[0], testNow)) // toks[1] is now the least recently used
	for _, tok := range toks[3:] {
		c.Verify(ctx, req(tok, testNow))
		assert.LessOrEqual(t, c.Stats().Entries, 3)
	}
	assert.Equal(t, uint64(2), c.Stats().Evictions)
	n := ce.n.Load()
	c.Verify(ctx, req(toks[0], testNow))
	assert.Equal(t, n, ce.n.Load(), "the entry used recently survived")
	c.Verify(ctx, req(toks[1], testNow))
	assert.Equal(t, n+1, ce.n.Load(), "the least recently used entry was evicted")
}

func TestCacheByteBound(t *testing.T) {
	probe, _, _ := newTestCache(t, CacheOptions{})
	ctx := context.Background()
	probe.Verify(ctx, req(cacheToken(t, map[string]any{"jti": "0"}), testNow))
	one := probe.Stats().Bytes
	c, _, _ := newTestCache(t, CacheOptions{MaxBytes: 3*one + one/2})
	for i := range 10 {
		require.True(t, c.Verify(ctx, req(cacheToken(t, map[string]any{"jti": fmt.Sprint(i)}), testNow)).Valid)
		st := c.Stats()
		require.LessOrEqual(t, st.Bytes, 3*one+one/2)
		require.LessOrEqual(t, st.Entries, 3)
	}
	assert.Equal(t, 3, c.Stats().Entries)
	big, _, _ := newTestCache(t, CacheOptions{MaxBytes: one - 1})
	big.Verify(ctx, req(cacheToken(t, map[string]any{"jti": "0"}), testNow))
	assert.Equal(t, CacheStats{Misses: 1}, big.Stats(), "an entry larger than the bound is not stored")
}

func TestCacheKeyGeneration(t *testing.T) {
	var gen atomic.Uint64
	c, ce, _ := newTestCache(t, CacheOptions{KeyGeneration: gen.Load})
	ctx := context.Background()
	tok := cacheToken(t, nil)
	c.Verify(ctx, req(tok, testNow))
	c.Verify(ctx, req(tok, testNow))
	require.Equal(t, int64(1), ce.n.Load())
	gen.Add(1)
	c.Verify(ctx, req(tok, testNow))
	assert.Equal(t, int64(2), ce.n.Load(), "a key change drops the entries")
	// Keys that change while the engine verifies: the decision is not stored.
	tok2 := cacheToken(t, map[string]any{"jti": "2"})
	ce.before = func() { gen.Add(1) }
	c.Verify(ctx, req(tok2, testNow))
	ce.before = nil
	c.Verify(ctx, req(tok2, testNow))
	assert.Equal(t, int64(4), ce.n.Load(), "a decision made while the keys changed was not stored")
	c.Verify(ctx, req(tok2, testNow))
	assert.Equal(t, int64(4), ce.n.Load(), "one made after was")
}

func TestNewCacheRefuses(t *testing.T) {
	p := mustPolicy(t, cachePolicyDoc)
	v, err := NewVerifier(p, Config{Replay: NewMemoryReplayStore(0)})
	require.NoError(t, err)
	for _, tc := range []struct {
		name string
		e    Engine
		p    *Policy
		o    CacheOptions
	}{
		{"no engine", nil, p, CacheOptions{}},
		{"no policy", v, nil, CacheOptions{}},
		{"negative entries", v, p, CacheOptions{MaxEntries: -1}},
		{"negative bytes", v, p, CacheOptions{MaxBytes: -1}},
		{"negative ttl", v, p, CacheOptions{TTL: -time.Second}},
	} {
		_, err := NewCache(tc.e, tc.p, tc.o)
		assert.Error(t, err, tc.name)
	}
}

type closingEngine struct {
	Engine
	closed bool
}

func (c *closingEngine) Close() error { c.closed = true; return nil }

func TestCacheCloseClosesTheEngine(t *testing.T) {
	p := mustPolicy(t, cachePolicyDoc)
	v, err := NewVerifier(p, Config{Replay: NewMemoryReplayStore(0)})
	require.NoError(t, err)
	ce := &closingEngine{Engine: v}
	c, err := NewCache(ce, p, CacheOptions{})
	require.NoError(t, err)
	require.NoError(t, c.Close())
	assert.True(t, ce.closed)
}

// Concurrent hits, misses, evictions and key changes (run with -race).
func TestCacheConcurrent(t *testing.T) {
	var gen atomic.Uint64
	c, _, _ := newTestCache(t, CacheOptions{MaxEntries: 8, KeyGeneration: gen.Load})
	toks := make([]string, 16)
	for i := range toks {
		toks[i] = cacheToken(t, map[string]any{"jti": fmt.Sprint(i)})
	}
	var wg sync.WaitGroup
	var bad atomic.Int64
	for w := range 8 {
		wg.Go(func() {
			for i := range 300 {
				if w == 0 && i%50 == 0 {
					gen.Add(1)
				}
				d := c.Verify(context.Background(), req(toks[(w*7+i)%len(toks)], testNow))
				if !d.Valid || !d.Allows("users:read") || d.Subject != "user-123" {
					bad.Add(1)
				}
			}
		})
	}
	wg.Wait()
	assert.Zero(t, bad.Load())
	st := c.Stats()
	assert.Equal(t, uint64(8*300), st.Hits+st.Misses)
	assert.LessOrEqual(t, st.Entries, 8)
}

// jsonEngine stands for a host whose engine runs elsewhere: it gets the
// decision as JSON, and the window beside it (as an ABI would carry it).
type jsonEngine struct{ v *Verifier }

func (j jsonEngine) Verify(ctx context.Context, req Request) *Decision {
	d := j.v.Verify(ctx, req)
	var out Decision
	if err := json.Unmarshal(d.JSON(), &out); err != nil {
		return EngineFailed("bad decision", req.Explain)
	}
	if w, ok := d.Window(); ok {
		out.SetWindow(w)
	}
	return &out
}

func TestCacheInFrontOfARemoteEngine(t *testing.T) {
	p := mustPolicy(t, cachePolicyDoc)
	v, err := NewVerifier(p, Config{Replay: NewMemoryReplayStore(0)})
	require.NoError(t, err)
	tok := cacheToken(t, nil)
	ctx := context.Background()

	bare, err := NewCache(jsonEngineWithout{v}, p, CacheOptions{})
	require.NoError(t, err)
	for range 2 {
		require.True(t, bare.Verify(ctx, req(tok, testNow)).Valid)
	}
	assert.Equal(t, CacheStats{Misses: 2}, bare.Stats(), "a decision without a window is not stored")

	c, err := NewCache(jsonEngine{v}, p, CacheOptions{})
	require.NoError(t, err)
	want := v.Verify(ctx, req(tok, testNow))
	for range 2 {
		assert.Equal(t, string(want.JSON()), string(c.Verify(ctx, req(tok, testNow)).JSON()))
	}
	assert.Equal(t, uint64(1), c.Stats().Hits, "with the window set, it is")
	_, ok := (&Decision{}).Window()
	assert.False(t, ok, "a rejected decision has no window")
}

// jsonEngineWithout hands over the JSON only.
type jsonEngineWithout struct{ v *Verifier }

func (j jsonEngineWithout) Verify(ctx context.Context, req Request) *Decision {
	var out Decision
	if err := json.Unmarshal(j.v.Verify(ctx, req).JSON(), &out); err != nil {
		return EngineFailed("bad decision", req.Explain)
	}
	return &out
}

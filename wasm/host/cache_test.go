package host

import (
	"bytes"
	"context"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/jwtgate/jwtgate/core"
	"github.com/jwtgate/jwtgate/internal/jwttest"
	"github.com/jwtgate/jwtgate/internal/testcorpus"
	"github.com/jwtgate/jwtgate/jwks"
	"github.com/jwtgate/jwtgate/wasm/abi"
)

// cachedHost is the real plugin with a decision cache whose TTL is longer
// than the corpus tokens' life, so that only their windows bound it.
func cachedHost(t *testing.T, module []byte, opts Options) *Host {
	t.Helper()
	opts.PoolSize = 1
	if opts.DecisionCache == nil {
		opts.DecisionCache = &core.CacheOptions{TTL: 3 * time.Hour}
	}
	return mustLoad(t, module, testcorpus.Policy(), opts)
}

// TestDecisionCacheAnswersInsideTheWindow: a repeated token is answered
// without entering the guest, byte for byte the cold decision and the
// native one at every now inside its window; past exp (and the skew) the
// cache answers nothing stale: the guest verifies afresh, token_expired.
func TestDecisionCacheAnswersInsideTheWindow(t *testing.T) {
	ctx := context.Background()
	h := cachedHost(t, guestModule(t), Options{})
	native := nativeVerifier(t, testcorpus.Policy())
	tok := validToken() // exp Now+1h, iat Now-1m, clock_skew 60s
	req := func(now time.Time) core.Request { return core.Request{Token: tok, Now: now} }

	cold := h.Verify(ctx, req(testcorpus.Now))
	require.True(t, cold.Valid, cold.Reason)
	w, ok := cold.Window()
	require.True(t, ok, "the host gives the guest's window to the decision")
	nw, _ := native.Verify(ctx, req(testcorpus.Now)).Window()
	assert.Equal(t, nw, w, "the window crossed the ABI to the bit")
	require.Equal(t, uint64(1), h.verifies.Load())

	exp := testcorpus.Now.Add(time.Hour)
	for _, now := range []time.Time{
		testcorpus.Now, testcorpus.Now.Add(time.Nanosecond), testcorpus.Now.Add(-time.Minute),
		testcorpus.Now.Add(30 * time.Minute), exp, exp.Add(core.DefaultClockSkew), // the last instant it holds
	} {
		got := h.Verify(ctx, req(now))
		assert.Equal(t, string(cold.JSON()), string(got.JSON()), "at %v: the hit is the cold decision", now)
		assert.Equal(t, string(native.Verify(ctx, req(now)).JSON()), string(got.JSON()), "at %v: and the native one", now)
	}
	assert.Equal(t, uint64(1), h.verifies.Load(), "every repeat was a hit: no guest call")
	st, ok := h.CacheStats()
	require.True(t, ok)
	assert.Equal(t, uint64(6), st.Hits)
	assert.Equal(t, 1, st.Entries)

	// A microsecond past: the checks compare float64 seconds, which at
	// today's times cannot tell a nanosecond (nor can the window).
	for _, now := range []time.Time{exp.Add(core.DefaultClockSkew + time.Microsecond), exp.Add(2 * time.Hour)} {
		d := h.Verify(ctx, req(now))
		assert.Equal(t, core.CodeTokenExpired, d.Code, "at %v: %s", now, d.JSON())
		assert.Equal(t, string(native.Verify(ctx, req(now)).JSON()), string(d.JSON()))
	}
	assert.Equal(t, uint64(3), h.verifies.Load(), "outside the window the guest verifies")
	st, _ = h.CacheStats()
	assert.Equal(t, 0, st.Entries, "the stale entry is gone")
}

// TestDecisionCacheNeverReuses: one-time tokens, explain requests and
// rejections always reach the guest; Call never uses the cache.
func TestDecisionCacheNeverReuses(t *testing.T) {
	ctx := context.Background()
	h := cachedHost(t, guestModule(t), Options{})
	once := jwttest.Sign("HS256", []byte(testcorpus.HSSecret), nil, testcorpus.Claims(testcorpus.IssOnce, map[string]any{"jti": "cache-once"}))
	d := h.Verify(ctx, core.Request{Token: once, Now: testcorpus.Now})
	require.True(t, d.Valid, d.Reason)
	d = h.Verify(ctx, core.Request{Token: once, Now: testcorpus.Now})
	assert.Equal(t, core.CodeTokenReplayed, d.Code, "the second use reached the replay store")
	for range 2 {
		assert.NotEmpty(t, h.Verify(ctx, core.Request{Token: validToken(), Now: testcorpus.Now, Explain: true}).Trace)
		assert.False(t, h.Verify(ctx, core.Request{Token: "garbage", Now: testcorpus.Now}).Valid)
		_, err := h.Call(ctx, core.Request{Token: validToken(), Now: testcorpus.Now})
		require.NoError(t, err)
	}
	assert.Equal(t, uint64(8), h.verifies.Load(), "every one entered the guest")
	st, _ := h.CacheStats()
	assert.Zero(t, st.Hits)
	assert.Zero(t, st.Entries)
}

// TestDecisionCacheDroppedByReloadSwapAndKeys: Reload and Swap start an
// empty cache (the counters go on), and so does a change of the key
// source's generation.
func TestDecisionCacheDroppedByReloadSwapAndKeys(t *testing.T) {
	ctx := context.Background()
	keys := &generationKeys{KeySource: jwks.New(jwks.Options{})}
	h := cachedHost(t, guestModule(t), Options{Keys: keys})
	req := core.Request{Token: validToken(), Now: testcorpus.Now}
	verifyTwice := func(what string) {
		t.Helper()
		before := h.verifies.Load()
		for range 2 {
			require.True(t, h.Verify(ctx, req).Valid)
		}
		assert.Equal(t, before+1, h.verifies.Load(), "%s: one guest call, then a hit", what)
	}
	verifyTwice("first")
	require.NoError(t, h.Reload(ctx, testcorpus.Policy()))
	st, _ := h.CacheStats()
	assert.Zero(t, st.Entries, "a reloaded policy starts an empty cache")
	verifyTwice("after Reload")
	require.NoError(t, h.Swap(ctx, guestModule(t)))
	verifyTwice("after Swap")
	keys.gen.Add(1)
	verifyTwice("after a key set change")
	st, _ = h.CacheStats()
	assert.Equal(t, uint64(4), st.Hits, "the counters outlive the reloads")
}

// generationKeys is a key source whose sets change when gen grows, as
// jwks.Fetcher's Generation says.
type generationKeys struct {
	core.KeySource
	gen atomic.Uint64
}

func (k *generationKeys) Generation() uint64 { return k.gen.Load() }

// TestDecisionCacheOptions: off by default; refused with a key source
// whose changes it could not see unless KeyGeneration is given.
func TestDecisionCacheOptions(t *testing.T) {
	ctx := context.Background()
	h := mustLoad(t, guestModule(t), testcorpus.Policy(), Options{PoolSize: 1})
	_, ok := h.CacheStats()
	assert.False(t, ok, "no cache unless asked")
	for range 2 {
		require.True(t, h.Verify(ctx, core.Request{Token: validToken(), Now: testcorpus.Now}).Valid)
	}
	assert.Equal(t, uint64(2), h.verifies.Load())

	blind := &countingKeys{KeySource: jwks.New(jwks.Options{})}
	_, err := Load(ctx, guestModule(t), testcorpus.Policy(), Options{CacheDir: compileCache(t), Keys: blind, DecisionCache: &core.CacheOptions{}})
	require.ErrorContains(t, err, "KeyGeneration")
	cachedHost(t, guestModule(t), Options{Keys: blind, DecisionCache: &core.CacheOptions{KeyGeneration: func() uint64 { return 0 }}})
}

// TestDecisionCacheOldModule: a module without jwtgate_window (as before
// it existed) still serves, every decision from the guest, none cached.
func TestDecisionCacheOldModule(t *testing.T) {
	ctx := context.Background()
	module := guestModule(t)
	require.Positive(t, bytes.Count(module, []byte(abi.ExportWindow)))
	old := bytes.ReplaceAll(module, []byte(abi.ExportWindow), []byte(strings.Replace(abi.ExportWindow, "window", "wind0w", 1)))
	h := cachedHost(t, old, Options{})
	require.NotContains(t, h.cur.Load().code.compiled.ExportedFunctions(), abi.ExportWindow)
	for range 3 {
		d := h.Verify(ctx, core.Request{Token: validToken(), Now: testcorpus.Now})
		require.True(t, d.Valid, d.Reason)
		_, windowed := d.Window()
		assert.False(t, windowed)
	}
	assert.Equal(t, uint64(3), h.verifies.Load(), "nothing cached")
	st, _ := h.CacheStats()
	assert.Zero(t, st.Entries)
}

package host

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/jwtgate/jwtgate/core"
	"github.com/jwtgate/jwtgate/internal/jwttest"
	"github.com/jwtgate/jwtgate/internal/testcorpus"
)

func nativeVerifier(t testing.TB, policy []byte) *core.Verifier {
	t.Helper()
	p, err := core.ParsePolicy("policy", policy, core.LoadOptions{})
	require.NoError(t, err)
	v, err := core.NewVerifier(p, core.Config{Replay: core.NewMemoryReplayStore(0)})
	require.NoError(t, err)
	return v
}

func TestVerifyDecision(t *testing.T) {
	h := mustLoad(t, guestModule(t), testcorpus.Policy(), Options{})
	ctx := context.Background()
	d, err := h.decide(ctx, core.Request{Token: validToken(), Now: testcorpus.Now, Explain: true})
	require.NoError(t, err)
	require.True(t, d.Valid, "%s", d.JSON())
	assert.Equal(t, "hs", d.Integration)
	assert.Equal(t, "user-123", d.Subject)
	assert.NotEmpty(t, d.Trace)
	assert.Equal(t, "user-123", d.Headers["X-User"])
	assert.True(t, d.Allows("users:read"), "Allows works on a decoded decision")
	assert.False(t, d.Allows("users:write"))
	// Verify, the core.Engine method, gives the same decision.
	var e core.Engine = h
	assert.JSONEq(t, string(d.JSON()), string(e.Verify(ctx, core.Request{Token: validToken(), Now: testcorpus.Now, Explain: true}).JSON()))
	got := h.Integrations()
	assert.Len(t, got, 9)
	assert.Equal(t, "hs", got[0])
	assert.Equal(t, core.DefaultMaxTokenBytes, h.MaxTokenBytes(), "the policy's limit")
}

// TestPolicyErrors: a bad policy comes back as the native *core.PolicyError,
// and policies the guest cannot serve are refused clearly.
func TestPolicyErrors(t *testing.T) {
	module := guestModule(t)
	ctx := context.Background()
	bad := []byte("integrations:\n  - name: x\n    issuer: https://x\n    algorithms: [RS256]\n    keys: [{secret: short}]\n")
	_, nativeErr := core.ParsePolicy("my.yaml", bad, core.LoadOptions{})
	_, err := Load(ctx, module, bad, Options{PolicyName: "my.yaml", CacheDir: compileCache(t)})
	var pe *core.PolicyError
	require.ErrorAs(t, err, &pe)
	assert.Equal(t, nativeErr.Error(), err.Error(), "the same policy error")
	// Every problem, and syntax errors' columns, cross the ABI.
	for _, bad := range []string{
		"integrations:\n  - name: x\n    issuer: https://x\n    algorithms: [RS256, XX1]\n    audience: [a]\n    keys: [{secret: short}]\n  - name: Y\n    issuer: https://x\n",
		"integrations:\n  - name: x\n\tissuer: https://x\n",
	} {
		_, nativeErr := core.ParsePolicy("my.yaml", []byte(bad), core.LoadOptions{})
		_, err := Load(ctx, module, []byte(bad), Options{PolicyName: "my.yaml", CacheDir: compileCache(t)})
		var native, wasm core.PolicyErrors
		require.ErrorAs(t, nativeErr, &native)
		require.ErrorAs(t, err, &wasm)
		if !strings.Contains(bad, "\t") {
			assert.GreaterOrEqual(t, len(native), 2, "several problems")
		}
		assert.Equal(t, nativeErr.Error(), err.Error())
		require.Len(t, wasm, len(native))
		assert.Equal(t, *native[0], *wasm[0])
	}
	fileKey := []byte("integrations:\n  - name: x\n    issuer: https://x\n    algorithms: [RS256]\n    keys: [{jwks_file: keys.json}]\n")
	_, err = Load(ctx, module, fileKey, Options{CacheDir: compileCache(t)})
	require.ErrorAs(t, err, &pe, "file key")
	assert.Contains(t, err.Error(), "inline the key")
	// A jwks_url loads (the host serves it, see keys_test.go).
	url := []byte("integrations:\n  - name: x\n    issuer: https://x\n    algorithms: [RS256]\n    keys: [{jwks_url: 'https://x/jwks'}]\n")
	h, err := Load(ctx, module, url, Options{CacheDir: compileCache(t)})
	require.NoError(t, err)
	require.NoError(t, h.Close(ctx))
	_, err = Load(ctx, module, bytes.Repeat([]byte("#"), 100), Options{MaxPolicyBytes: 50})
	assert.ErrorIs(t, err, ErrPolicyTooLarge)
}

// TestTokenLimit: tokens over the limit never enter the guest, and get the
// decision the core would give.
func TestTokenLimit(t *testing.T) {
	h := mustLoad(t, guestModule(t), testcorpus.Policy(), Options{MaxTokenBytes: 1000})
	tok := jwttest.Sign("HS256", []byte(testcorpus.HSSecret), nil, testcorpus.Claims(testcorpus.IssHS, map[string]any{"padding": strings.Repeat("x", 1000)}))
	d, err := h.decide(context.Background(), core.Request{Token: tok, Now: testcorpus.Now, Explain: true})
	require.NoError(t, err)
	want := fmt.Sprintf("token is %d bytes, the limit is 1000", len(tok))
	assert.False(t, d.Valid)
	assert.Equal(t, core.CodeInvalidToken, d.Code)
	assert.Equal(t, want, d.Reason)
	assert.Len(t, d.Trace, 1)
	requireServes(t, h)
}

// TestPolicyTokenLimit: the guest finds the policy's own token limit, so
// that the host refuses exactly what the core would.
func TestPolicyTokenLimit(t *testing.T) {
	module := guestModule(t)
	for _, limit := range []int{64, 1000, core.DefaultMaxTokenBytes, 16385, 100_000, core.MaxTokenBytesLimit} {
		policy := fmt.Sprintf("integrations:\n  - {name: a, issuer: https://a, algorithms: [HS256], keys: [{secret: %q}], max_token_bytes: %d}\n  - {name: b, issuer: https://b, algorithms: [HS256], keys: [{secret: %q}], max_token_bytes: 64}\n", testcorpus.HSSecret, limit, testcorpus.HSSecret)
		h := mustLoad(t, module, []byte(policy), Options{PoolSize: 1})
		assert.Equal(t, limit, h.MaxTokenBytes(), "the host finds max_token_bytes")
		native := nativeVerifier(t, []byte(policy))
		for _, n := range []int{limit, limit + 1} {
			req := core.Request{Token: strings.Repeat("a", n), Now: testcorpus.Now, Explain: true}
			got, err := h.Call(context.Background(), req)
			require.NoError(t, err)
			assert.Equal(t, string(native.Verify(context.Background(), req).JSON()), string(got), "%d-byte token, limit %d", n, limit)
		}
	}
}

// TestReplaySharedAcrossInstances: a one-time token presented concurrently
// on every instance of the pool is accepted exactly once, because the store
// is the host's.
func TestReplaySharedAcrossInstances(t *testing.T) {
	store := core.NewMemoryReplayStore(0)
	h := mustLoad(t, guestModule(t), testcorpus.Policy(), Options{PoolSize: 4, Replay: store})
	for round := range 5 {
		tok := jwttest.Sign("HS256", []byte(testcorpus.HSSecret), nil, testcorpus.Claims(testcorpus.IssOnce, map[string]any{"jti": fmt.Sprintf("shared-%d", round)}))
		var fresh, replayed atomic.Int32
		var wg sync.WaitGroup
		for range 16 {
			wg.Go(func() {
				d, err := h.decide(context.Background(), core.Request{Token: tok, Now: testcorpus.Now})
				switch {
				case !assert.NoError(t, err):
				case d.Valid:
					fresh.Add(1)
				case d.Code == core.CodeTokenReplayed:
					replayed.Add(1)
				default:
					assert.Fail(t, "unexpected decision", "%s", d.JSON())
				}
			})
		}
		wg.Wait()
		require.Equal(t, int32(1), fresh.Load(), "round %d: fresh", round)
		require.Equal(t, int32(15), replayed.Load(), "round %d: replayed", round)
	}
	assert.Equal(t, 5, store.Len(), "ids in the host's store")
}

// failingStore is a replay store that always fails.
type failingStore struct{}

func (failingStore) Claim(context.Context, string, time.Time, time.Time) (bool, error) {
	return false, errors.New("store down: connection refused")
}

func TestReplayStoreError(t *testing.T) {
	h := mustLoad(t, guestModule(t), testcorpus.Policy(), Options{Replay: failingStore{}})
	p, _ := core.ParsePolicy("policy", testcorpus.Policy(), core.LoadOptions{})
	native, _ := core.NewVerifier(p, core.Config{Replay: failingStore{}})
	req := core.Request{Token: jwttest.Sign("HS256", []byte(testcorpus.HSSecret), nil, testcorpus.Claims(testcorpus.IssOnce, map[string]any{"jti": "x"})), Now: testcorpus.Now, Explain: true}
	got, err := h.Call(context.Background(), req)
	require.NoError(t, err)
	assert.Equal(t, string(native.Verify(context.Background(), req).JSON()), string(got))
}

// TestConcurrency: many goroutines on a small pool, every decision equal to
// the native one (run under -race).
func TestConcurrency(t *testing.T) {
	policy := testcorpus.Policy()
	native := nativeVerifier(t, policy)
	h := mustLoad(t, guestModule(t), policy, Options{PoolSize: 3})
	var cases []testcorpus.Case
	for _, c := range testcorpus.Cases() {
		if !strings.HasPrefix(c.Name, "once/") && len(c.Token) < 64<<10 {
			cases = append(cases, c)
		}
	}
	want := make([][]byte, len(cases))
	for i, c := range cases {
		want[i] = native.Verify(context.Background(), c.Request()).JSON()
	}
	var wg sync.WaitGroup
	for g := range 24 {
		wg.Go(func() {
			for i := range 40 {
				k := (g*7 + i*13) % len(cases)
				got, err := h.Call(context.Background(), cases[k].Request())
				if !assert.NoError(t, err) || !assert.Equal(t, string(want[k]), string(got), cases[k].Name) {
					return
				}
			}
		})
	}
	wg.Wait()
}

// TestReloadAndSwap: Reload and Swap take effect for new calls while calls
// keep flowing; a failed Reload or Swap leaves the old state serving.
func TestReloadAndSwap(t *testing.T) {
	ctx := context.Background()
	policy := testcorpus.Policy()
	module := guestModule(t)
	h := mustLoad(t, module, policy, Options{PoolSize: 2})

	// Without hs, the same token has no integration.
	noHS := bytes.Replace(policy, []byte("  - name: hs\n"), []byte("  - name: hs-renamed\n"), 1)
	noHS = bytes.Replace(noHS, []byte("issuer: "+testcorpus.IssHS+"\n"), []byte("issuer: https://elsewhere.example\n"), 1)

	stop := make(chan struct{})
	var wg sync.WaitGroup
	var calls, failures atomic.Int64
	for range 6 {
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				d, err := h.decide(ctx, core.Request{Token: validToken(), Now: testcorpus.Now})
				calls.Add(1)
				if !assert.NoError(t, err, "a call during reload/swap") {
					failures.Add(1)
					return
				}
				if !d.Valid && !assert.Equal(t, core.CodeConfigurationNotFound, d.Code, "%s", d.JSON()) {
					return
				}
			}
		})
	}
	check := func(wantValid bool) {
		t.Helper()
		d, err := h.decide(ctx, core.Request{Token: validToken(), Now: testcorpus.Now})
		require.NoError(t, err)
		require.Equal(t, wantValid, d.Valid, "after the change")
	}
	for i := range 4 {
		require.NoError(t, h.Reload(ctx, noHS))
		check(false)
		require.NoError(t, h.Reload(ctx, policy))
		check(true)
		mod := module
		if i%2 == 0 {
			mod = faultyModule(t)
		}
		require.NoError(t, h.Swap(ctx, mod))
		check(true)
	}
	var pe *core.PolicyError
	assert.ErrorAs(t, h.Reload(ctx, []byte("integrations: []")), &pe, "bad reload")
	check(true)
	assert.ErrorIs(t, h.Swap(ctx, module[:1000]), ErrInvalidModule, "bad swap")
	check(true)
	close(stop)
	wg.Wait()
	t.Logf("%d calls during 8 reloads and 4 swaps", calls.Load())
}

func TestClose(t *testing.T) {
	h, err := Load(context.Background(), guestModule(t), testcorpus.Policy(), Options{CacheDir: compileCache(t)})
	require.NoError(t, err)
	requireServes(t, h)
	require.NoError(t, h.Close(context.Background()))
	_, err = h.decide(context.Background(), core.Request{Token: validToken(), Now: time.Now()})
	require.ErrorIs(t, err, ErrClosed, "after Close")
	require.ErrorIs(t, h.Reload(context.Background(), testcorpus.Policy()), ErrClosed, "Reload after Close")
}

// TestCloseInFlight: Close lets the calls in flight finish, and every later
// call gets ErrClosed; no panic, no hang, no race.
func TestCloseInFlight(t *testing.T) {
	h, err := Load(context.Background(), guestModule(t), testcorpus.Policy(), Options{PoolSize: 2, CacheDir: compileCache(t)})
	require.NoError(t, err)
	var wg sync.WaitGroup
	var ok, closed atomic.Int32
	// Close once calls are flowing: a fixed sleep would close before the
	// first call on a loaded machine.
	serving := make(chan struct{})
	for range 8 {
		wg.Go(func() {
			for {
				_, err := h.decide(context.Background(), core.Request{Token: validToken(), Now: testcorpus.Now})
				switch {
				case err == nil:
					if ok.Add(1) == 8 {
						close(serving)
					}
				case errors.Is(err, ErrClosed):
					closed.Add(1)
					return
				default:
					assert.NoError(t, err)
					return
				}
			}
		})
	}
	exited := make(chan struct{}) // every caller failed: nothing to close under
	go func() { wg.Wait(); close(exited) }()
	select {
	case <-serving:
	case <-exited:
	}
	require.NoError(t, h.Close(context.Background()))
	wg.Wait()
	t.Logf("%d calls served, %d goroutines saw ErrClosed", ok.Load(), closed.Load())
}

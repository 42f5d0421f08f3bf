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
	if !d.Valid || d.Integration != "hs" || d.Subject != "user-123" || len(d.Trace) == 0 || d.Headers["X-User"] != "user-123" {
		t.Fatalf("unexpected decision %s", d.JSON())
	}
	if !d.Allows("users:read") || d.Allows("users:write") {
		t.Error("Allows does not work on a decoded decision")
	}
	// Verify, the core.Engine method, gives the same decision.
	var e core.Engine = h
	assert.JSONEq(t, string(d.JSON()), string(e.Verify(ctx, core.Request{Token: validToken(), Now: testcorpus.Now, Explain: true}).JSON()))
	if got := h.Integrations(); len(got) != 9 || got[0] != "hs" {
		t.Errorf("Integrations() = %v", got)
	}
	if h.MaxTokenBytes() != core.DefaultMaxTokenBytes {
		t.Errorf("MaxTokenBytes() = %d, want the policy's %d", h.MaxTokenBytes(), core.DefaultMaxTokenBytes)
	}
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
	if !errors.As(err, &pe) {
		t.Fatalf("got %T %v, want *core.PolicyError", err, err)
	}
	if err.Error() != nativeErr.Error() {
		t.Errorf("policy error differs\nnative: %v\nwasm:   %v", nativeErr, err)
	}
	// Every problem, and syntax errors' columns, cross the ABI.
	for _, bad := range []string{
		"integrations:\n  - name: x\n    issuer: https://x\n    algorithms: [RS256, XX1]\n    audience: [a]\n    keys: [{secret: short}]\n  - name: Y\n    issuer: https://x\n",
		"integrations:\n  - name: x\n\tissuer: https://x\n",
	} {
		_, nativeErr := core.ParsePolicy("my.yaml", []byte(bad), core.LoadOptions{})
		_, err := Load(ctx, module, []byte(bad), Options{PolicyName: "my.yaml", CacheDir: compileCache(t)})
		var native, wasm core.PolicyErrors
		if !errors.As(nativeErr, &native) || !errors.As(err, &wasm) {
			t.Fatalf("got %T %v, want core.PolicyErrors", err, err)
		}
		if len(native) < 2 && !strings.Contains(bad, "\t") {
			t.Errorf("native: %d problems, want several", len(native))
		}
		if err.Error() != nativeErr.Error() || len(wasm) != len(native) || *wasm[0] != *native[0] {
			t.Errorf("policy errors differ\nnative: %v\nwasm:   %v", nativeErr, err)
		}
	}
	fileKey := []byte("integrations:\n  - name: x\n    issuer: https://x\n    algorithms: [RS256]\n    keys: [{jwks_file: keys.json}]\n")
	_, err = Load(ctx, module, fileKey, Options{CacheDir: compileCache(t)})
	if !errors.As(err, &pe) || !strings.Contains(err.Error(), "inline the key") {
		t.Errorf("file key: got %v", err)
	}
	// A jwks_url loads (the host serves it, see keys_test.go).
	url := []byte("integrations:\n  - name: x\n    issuer: https://x\n    algorithms: [RS256]\n    keys: [{jwks_url: 'https://x/jwks'}]\n")
	h, err := Load(ctx, module, url, Options{CacheDir: compileCache(t)})
	require.NoError(t, err)
	require.NoError(t, h.Close(ctx))
	_, err = Load(ctx, module, bytes.Repeat([]byte("#"), 100), Options{MaxPolicyBytes: 50})
	if !errors.Is(err, ErrPolicyTooLarge) {
		t.Errorf("large policy: got %v", err)
	}
}

// TestTokenLimit: tokens over the limit never enter the guest, and get the
// decision the core would give.
func TestTokenLimit(t *testing.T) {
	h := mustLoad(t, guestModule(t), testcorpus.Policy(), Options{MaxTokenBytes: 1000})
	tok := testcorpus.Sign("HS256", []byte(testcorpus.HSSecret), nil, testcorpus.Claims(testcorpus.IssHS, map[string]any{"padding": strings.Repeat("x", 1000)}))
	d, err := h.decide(context.Background(), core.Request{Token: tok, Now: testcorpus.Now, Explain: true})
	require.NoError(t, err)
	want := fmt.Sprintf("token is %d bytes, the limit is 1000", len(tok))
	if d.Valid || d.Code != core.CodeInvalidToken || d.Reason != want || len(d.Trace) != 1 {
		t.Fatalf("got %s", d.JSON())
	}
	requireServes(t, h)
}

// TestPolicyTokenLimit: the guest finds the policy's own token limit, so
// that the host refuses exactly what the core would.
func TestPolicyTokenLimit(t *testing.T) {
	module := guestModule(t)
	for _, limit := range []int{64, 1000, core.DefaultMaxTokenBytes, 16385, 100_000, core.MaxTokenBytesLimit} {
		policy := fmt.Sprintf("integrations:\n  - {name: a, issuer: https://a, algorithms: [HS256], keys: [{secret: %q}], max_token_bytes: %d}\n  - {name: b, issuer: https://b, algorithms: [HS256], keys: [{secret: %q}], max_token_bytes: 64}\n", testcorpus.HSSecret, limit, testcorpus.HSSecret)
		h := mustLoad(t, module, []byte(policy), Options{PoolSize: 1})
		if got := h.MaxTokenBytes(); got != limit {
			t.Errorf("max_token_bytes %d: the host found %d", limit, got)
		}
		native := nativeVerifier(t, []byte(policy))
		for _, n := range []int{limit, limit + 1} {
			req := core.Request{Token: strings.Repeat("a", n), Now: testcorpus.Now, Explain: true}
			got, err := h.Call(context.Background(), req)
			require.NoError(t, err)
			if want := native.Verify(context.Background(), req).JSON(); !bytes.Equal(got, want) {
				t.Errorf("%d-byte token, limit %d:\nnative: %s\nwasm:   %s", n, limit, want, got)
			}
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
		tok := testcorpus.Sign("HS256", []byte(testcorpus.HSSecret), nil, testcorpus.Claims(testcorpus.IssOnce, map[string]any{"jti": fmt.Sprintf("shared-%d", round)}))
		var fresh, replayed atomic.Int32
		var wg sync.WaitGroup
		for range 16 {
			wg.Go(func() {
				d, err := h.decide(context.Background(), core.Request{Token: tok, Now: testcorpus.Now})
				switch {
				case err != nil:
					t.Error(err)
				case d.Valid:
					fresh.Add(1)
				case d.Code == core.CodeTokenReplayed:
					replayed.Add(1)
				default:
					t.Errorf("unexpected %s", d.JSON())
				}
			})
		}
		wg.Wait()
		if fresh.Load() != 1 || replayed.Load() != 15 {
			t.Fatalf("round %d: %d fresh, %d replayed; want 1 and 15", round, fresh.Load(), replayed.Load())
		}
	}
	if store.Len() != 5 {
		t.Errorf("the host store holds %d ids, want 5", store.Len())
	}
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
	req := core.Request{Token: testcorpus.Sign("HS256", []byte(testcorpus.HSSecret), nil, testcorpus.Claims(testcorpus.IssOnce, map[string]any{"jti": "x"})), Now: testcorpus.Now, Explain: true}
	got, err := h.Call(context.Background(), req)
	require.NoError(t, err)
	if want := native.Verify(context.Background(), req).JSON(); !bytes.Equal(got, want) {
		t.Fatalf("native: %s\nwasm:   %s", want, got)
	}
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
				if err != nil {
					t.Error(err)
					return
				}
				if !bytes.Equal(got, want[k]) {
					t.Errorf("%s: %s != %s", cases[k].Name, got, want[k])
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
				if err != nil {
					failures.Add(1)
					t.Errorf("call failed during reload/swap: %v", err)
					return
				}
				if !d.Valid && d.Code != core.CodeConfigurationNotFound {
					t.Errorf("unexpected decision %s", d.JSON())
					return
				}
			}
		})
	}
	check := func(wantValid bool) {
		t.Helper()
		d, err := h.decide(ctx, core.Request{Token: validToken(), Now: testcorpus.Now})
		if err != nil || d.Valid != wantValid {
			t.Fatalf("after the change: err=%v valid=%v, want valid=%v", err, d != nil && d.Valid, wantValid)
		}
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
	if err := h.Reload(ctx, []byte("integrations: []")); !errors.As(err, &pe) {
		t.Errorf("bad reload: got %v", err)
	}
	check(true)
	if err := h.Swap(ctx, module[:1000]); !errors.Is(err, ErrInvalidModule) {
		t.Errorf("bad swap: got %v", err)
	}
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
	if _, err := h.decide(context.Background(), core.Request{Token: validToken(), Now: time.Now()}); !errors.Is(err, ErrClosed) {
		t.Fatalf("after Close: %v", err)
	}
	if err := h.Reload(context.Background(), testcorpus.Policy()); !errors.Is(err, ErrClosed) {
		t.Fatalf("Reload after Close: %v", err)
	}
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
					t.Errorf("unexpected error: %v", err)
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

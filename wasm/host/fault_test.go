package host

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/jwtgate/jwtgate/core"
	"github.com/jwtgate/jwtgate/internal/jwttest"
	"github.com/jwtgate/jwtgate/internal/testcorpus"
	"github.com/jwtgate/jwtgate/internal/wasmtest"
)

// validToken is a token the corpus policy accepts.
func validToken() string {
	return jwttest.Sign("HS256", []byte(testcorpus.HSSecret), nil, testcorpus.Claims(testcorpus.IssHS, nil))
}

func requireServes(t *testing.T, h *Host) {
	t.Helper()
	d, err := h.decide(context.Background(), core.Request{Token: validToken(), Now: testcorpus.Now})
	require.NoError(t, err, "the host no longer serves")
	require.True(t, d.Valid, "valid token refused: %s", d.Reason)
}

func requireKind(t *testing.T, err, kind error, discarded bool) *Error {
	t.Helper()
	require.ErrorIs(t, err, kind)
	var e *Error
	require.ErrorAs(t, err, &e)
	require.Equal(t, discarded, e.Discarded, "%v: Discarded", err)
	return e
}

// TestFaults drives the fault-injection build: every misbehaviour gets a
// typed error, and the host keeps serving afterwards.
func TestFaults(t *testing.T) {
	h := mustLoad(t, faultyModule(t), testcorpus.Policy(), Options{PoolSize: 2, CallTimeout: 10 * time.Second, MemoryLimitPages: 1024})
	ctx := context.Background()
	call := func(tok string) error {
		_, err := h.decide(ctx, core.Request{Token: tok, Now: testcorpus.Now})
		return err
	}
	requireServes(t, h)

	t.Run("loop", func(t *testing.T) {
		h := mustLoad(t, faultyModule(t), testcorpus.Policy(), Options{PoolSize: 1, CallTimeout: 200 * time.Millisecond})
		start := time.Now()
		_, err := h.decide(ctx, core.Request{Token: "fault:loop", Now: testcorpus.Now})
		requireKind(t, err, ErrDeadline, true)
		assert.ErrorIs(t, err, context.DeadlineExceeded)
		assert.Less(t, time.Since(start), 5*time.Second, "the deadline's time to stop the guest")
		requireServes(t, h)
	})
	t.Run("caller-deadline", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
		defer cancel()
		_, err := h.decide(ctx, core.Request{Token: "fault:loop", Now: testcorpus.Now})
		requireKind(t, err, ErrDeadline, true)
		requireServes(t, h)
	})
	t.Run("caller-cancel", func(t *testing.T) {
		// Cancel once the guest says it loops: a fixed delay could end
		// before the call starts on a loaded machine (and the call would
		// then be refused while waiting for an instance, another error).
		looping := make(chan struct{})
		logger := slog.New(&signalHandler{msg: "fault: looping", ch: looping})
		h := mustLoad(t, faultyModule(t), testcorpus.Policy(), Options{PoolSize: 1, CallTimeout: 10 * time.Second, Logger: logger})
		ctx, cancel := context.WithCancel(ctx)
		defer cancel()
		go func() {
			select {
			case <-looping:
			case <-ctx.Done():
			}
			cancel()
		}()
		_, err := h.decide(ctx, core.Request{Token: "fault:loop", Now: testcorpus.Now})
		requireKind(t, err, ErrCanceled, true)
		requireServes(t, h)
	})
	t.Run("alloc", func(t *testing.T) {
		start := time.Now()
		_, err := h.decide(ctx, core.Request{Token: "fault:alloc", Now: testcorpus.Now})
		t.Logf("out of memory after %v", time.Since(start))
		e := requireKind(t, err, ErrOutOfMemory, true)
		t.Logf("%v", e)
		requireServes(t, h)
	})
	t.Run("trap", func(t *testing.T) {
		e := requireKind(t, call("fault:trap"), ErrTrap, true)
		assert.Contains(t, e.Detail, "out of bounds", "the detail names the trap")
		requireServes(t, h)
	})
	t.Run("runtime-crash", func(t *testing.T) {
		e := requireKind(t, call("fault:exit"), ErrTrap, true)
		assert.Contains(t, e.Detail, "nil map", "the detail has the guest's last words")
		requireServes(t, h)
	})
	t.Run("decide-fails-closed", func(t *testing.T) {
		d := h.Verify(ctx, core.Request{Token: "fault:trap", Now: testcorpus.Now, Explain: true})
		assert.JSONEq(t, `{"valid":false,"code":"invalid_token","message":"Invalid token","reason":"the wasm engine failed: guest trapped",`+
			`"trace":[{"step":"engine","outcome":"fail","detail":"the wasm engine failed: guest trapped"}]}`, string(d.JSON()),
			"a failure fails closed, naming only its kind (no guest output)")
		assert.True(t, h.Verify(ctx, core.Request{Token: validToken(), Now: testcorpus.Now}).Valid)
	})
	t.Run("keyset-bounds", func(t *testing.T) {
		// A guest asking for a key set past the ABI's bounds is refused by
		// the host, which reads nothing; without a key source, refused too.
		keys := mustLoad(t, faultyModule(t), testcorpus.Policy(), Options{PoolSize: 1, Keys: failingKeys{}})
		_, err := keys.decide(ctx, core.Request{Token: "fault:keyset-long-url", Now: testcorpus.Now})
		e := requireKind(t, err, ErrGuestPanic, false)
		assert.Contains(t, e.Detail, "keyset_get answered -45: keyset_get: url or kid over the ABI's limits")
		e = requireKind(t, call("fault:keyset-long-url"), ErrGuestPanic, false)
		assert.Contains(t, e.Detail, "keyset_get answered -25: no key source configured")
		requireServes(t, h)
	})
	t.Run("panic-recovered", func(t *testing.T) {
		for range 3 { // the same instance stays in service
			e := requireKind(t, call("fault:panic"), ErrGuestPanic, false)
			assert.Contains(t, e.Detail, "injected fault")
		}
		requireServes(t, h)
	})
}

// TestBadModules: modules that cannot serve are refused at Load and at
// Swap with a clear error, and a Swap to one leaves the old module serving.
func TestBadModules(t *testing.T) {
	good := guestModule(t)
	h := mustLoad(t, good, testcorpus.Policy(), Options{PoolSize: 1})
	ctx := context.Background()
	for _, tc := range []struct {
		name   string
		module []byte
		kind   error
		detail string
	}{
		{"abi-version-1", wasmtest.VersionModule(1), ErrABIVersion, "the module implements ABI version 1, this host speaks version 2 only"},
		{"abi-version-3", wasmtest.VersionModule(3), ErrABIVersion, "the module implements ABI version 3, this host speaks version 2 only"},
		{"truncated", good[:len(good)/2], ErrInvalidModule, ""},
		{"empty", nil, ErrInvalidModule, ""},
		{"not-wasm", []byte("#!/bin/sh\necho hello\n"), ErrInvalidModule, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Load(ctx, tc.module, testcorpus.Policy(), Options{})
			require.ErrorIs(t, err, tc.kind, "Load")
			assert.Contains(t, err.Error(), tc.detail)
			require.ErrorIs(t, h.Swap(ctx, tc.module), tc.kind, "Swap")
			requireServes(t, h)
		})
	}
}

// failingKeys is a key source that always fails.
type failingKeys struct{}

func (failingKeys) KeySet(context.Context, string, string) (*core.KeySet, error) {
	return nil, errors.New("key server down")
}

// signalHandler closes ch at the first log record whose message is msg.
type signalHandler struct {
	msg  string
	ch   chan struct{}
	once sync.Once
}

func (h *signalHandler) Enabled(context.Context, slog.Level) bool { return true }

func (h *signalHandler) Handle(_ context.Context, r slog.Record) error {
	if r.Message == h.msg {
		h.once.Do(func() { close(h.ch) })
	}
	return nil
}

func (h *signalHandler) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h *signalHandler) WithGroup(string) slog.Handler      { return h }

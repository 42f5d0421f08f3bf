package host

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jwtgate/jwtgate/core"
	"github.com/jwtgate/jwtgate/internal/testcorpus"
)

// validToken is a token the corpus policy accepts.
func validToken() string {
	return testcorpus.Sign("HS256", []byte(testcorpus.HSSecret), nil, testcorpus.Claims(testcorpus.IssHS, nil))
}

func requireServes(t *testing.T, h *Host) {
	t.Helper()
	d, err := h.VerifyRequest(context.Background(), core.Request{Token: validToken(), Now: testcorpus.Now})
	if err != nil {
		t.Fatalf("the host no longer serves: %v", err)
	}
	if !d.Valid {
		t.Fatalf("valid token refused: %s", d.Reason)
	}
}

func requireKind(t *testing.T, err, kind error, discarded bool) *Error {
	t.Helper()
	if !errors.Is(err, kind) {
		t.Fatalf("got error %v, want %v", err, kind)
	}
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("got %T, want *Error", err)
	}
	if e.Discarded != discarded {
		t.Fatalf("%v: Discarded=%v, want %v", err, e.Discarded, discarded)
	}
	return e
}

// TestFaults drives the fault-injection build: every misbehaviour gets a
// typed error, and the host keeps serving afterwards.
func TestFaults(t *testing.T) {
	h := mustLoad(t, faultyModule(t), testcorpus.Policy(), Options{PoolSize: 2, CallTimeout: 10 * time.Second, MemoryLimitPages: 1024})
	ctx := context.Background()
	call := func(tok string) error {
		_, err := h.VerifyRequest(ctx, core.Request{Token: tok, Now: testcorpus.Now})
		return err
	}
	requireServes(t, h)

	t.Run("loop", func(t *testing.T) {
		h := mustLoad(t, faultyModule(t), testcorpus.Policy(), Options{PoolSize: 1, CallTimeout: 200 * time.Millisecond})
		start := time.Now()
		_, err := h.VerifyRequest(ctx, core.Request{Token: "fault:loop", Now: testcorpus.Now})
		requireKind(t, err, ErrDeadline, true)
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("%v does not wrap context.DeadlineExceeded", err)
		}
		if el := time.Since(start); el > 5*time.Second {
			t.Errorf("the deadline took %v to stop the guest", el)
		}
		requireServes(t, h)
	})
	t.Run("caller-deadline", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
		defer cancel()
		_, err := h.VerifyRequest(ctx, core.Request{Token: "fault:loop", Now: testcorpus.Now})
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
		_, err := h.VerifyRequest(ctx, core.Request{Token: "fault:loop", Now: testcorpus.Now})
		requireKind(t, err, ErrCanceled, true)
		requireServes(t, h)
	})
	t.Run("alloc", func(t *testing.T) {
		start := time.Now()
		_, err := h.VerifyRequest(ctx, core.Request{Token: "fault:alloc", Now: testcorpus.Now})
		t.Logf("out of memory after %v", time.Since(start))
		e := requireKind(t, err, ErrOutOfMemory, true)
		t.Logf("%v", e)
		requireServes(t, h)
	})
	t.Run("trap", func(t *testing.T) {
		e := requireKind(t, call("fault:trap"), ErrTrap, true)
		if !strings.Contains(e.Detail, "out of bounds") {
			t.Errorf("detail %q does not name the trap", e.Detail)
		}
		requireServes(t, h)
	})
	t.Run("runtime-crash", func(t *testing.T) {
		e := requireKind(t, call("fault:exit"), ErrTrap, true)
		if !strings.Contains(e.Detail, "nil map") {
			t.Errorf("detail %q lacks the guest's last words", e.Detail)
		}
		requireServes(t, h)
	})
	t.Run("decide-fails-closed", func(t *testing.T) {
		d := h.Decide(ctx, core.Request{Token: "fault:trap", Now: testcorpus.Now, Explain: true})
		if d.Valid || d.Code != core.CodeInvalidToken || !strings.Contains(d.Reason, "guest trapped") || len(d.Trace) != 1 {
			t.Errorf("Decide on a trap: %s", d.JSON())
		}
		if d := h.Decide(ctx, core.Request{Token: validToken(), Now: testcorpus.Now}); !d.Valid {
			t.Errorf("Decide on a valid token: %s", d.JSON())
		}
	})
	t.Run("panic-recovered", func(t *testing.T) {
		for range 3 { // the same instance stays in service
			e := requireKind(t, call("fault:panic"), ErrGuestPanic, false)
			if !strings.Contains(e.Detail, "injected fault") {
				t.Errorf("detail %q", e.Detail)
			}
		}
		requireServes(t, h)
	})
}

// wrongABIModule is a hand-assembled module whose jwtgate_abi_version
// returns 2.
func wrongABIModule() []byte {
	name := "jwtgate_abi_version"
	b := []byte{0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00}
	b = append(b, 0x01, 0x05, 0x01, 0x60, 0x00, 0x01, 0x7f) // type: () -> i32
	b = append(b, 0x03, 0x02, 0x01, 0x00)                   // function 0 of type 0
	b = append(b, 0x05, 0x03, 0x01, 0x00, 0x01)             // memory, min 1 page
	exports := []byte{0x02, byte(len(name))}
	exports = append(exports, name...)
	exports = append(exports, 0x00, 0x00, 0x06)
	exports = append(exports, "memory"...)
	exports = append(exports, 0x02, 0x00)
	b = append(b, 0x07, byte(len(exports)))
	b = append(b, exports...)
	b = append(b, 0x0a, 0x06, 0x01, 0x04, 0x00, 0x41, 0x02, 0x0b) // code: i32.const 2
	return b
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
		{"wrong-abi-version", wrongABIModule(), ErrABIVersion, "ABI version 2"},
		{"truncated", good[:len(good)/2], ErrInvalidModule, ""},
		{"empty", nil, ErrInvalidModule, ""},
		{"not-wasm", []byte("#!/bin/sh\necho hello\n"), ErrInvalidModule, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Load(ctx, tc.module, testcorpus.Policy(), Options{})
			if !errors.Is(err, tc.kind) {
				t.Fatalf("Load: got %v, want %v", err, tc.kind)
			}
			if !strings.Contains(err.Error(), tc.detail) {
				t.Errorf("%q does not say %q", err, tc.detail)
			}
			if err := h.Swap(ctx, tc.module); !errors.Is(err, tc.kind) {
				t.Fatalf("Swap: got %v, want %v", err, tc.kind)
			}
			requireServes(t, h)
		})
	}
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

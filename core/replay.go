package core

import (
	"context"
	"errors"
	"sync"
	"time"
)

// ReplayStore remembers the IDs of one-time tokens until they expire. The
// core never keeps this state itself: a host passes the store, and a
// deployment of several processes passes one they share.
type ReplayStore interface {
	// Claim records id as used until expiry and reports whether it was
	// unused before. It must be atomic: of two concurrent claims of one id,
	// exactly one succeeds. now is the verifier's current time, so that
	// stores and tests agree on what has expired.
	Claim(ctx context.Context, id string, expiry, now time.Time) (fresh bool, err error)
}

// replayID is the key under which a one-time token's jti is claimed in the
// ReplayStore: one namespace per integration, so that two issuers' IDs
// never collide. Vouched claims (VerifyVouched) go through the same stage,
// so no host needs to build this key itself.
func replayID(integration, jti string) string {
	return integration + "\x00" + jti
}

// ErrReplayStoreFull is returned by MemoryReplayStore when it holds its
// maximum number of unexpired IDs. Verification then fails closed.
var ErrReplayStoreFull = errors.New("replay store is full")

// MemoryReplayStore is an in-process ReplayStore, bounded in size.
type MemoryReplayStore struct {
	mu      sync.Mutex
	max     int
	entries map[string]time.Time
}

// NewMemoryReplayStore returns a store holding at most max unexpired IDs
// (a non-positive max means 1,000,000).
func NewMemoryReplayStore(max int) *MemoryReplayStore {
	if max <= 0 {
		max = 1_000_000
	}
	return &MemoryReplayStore{max: max, entries: map[string]time.Time{}}
}

// Claim implements ReplayStore.
func (s *MemoryReplayStore) Claim(_ context.Context, id string, expiry, now time.Time) (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if until, ok := s.entries[id]; ok && now.Before(until) {
		return false, nil
	}
	if len(s.entries) >= s.max {
		for k, until := range s.entries {
			if !now.Before(until) {
				delete(s.entries, k)
			}
		}
		if len(s.entries) >= s.max {
			return false, ErrReplayStoreFull
		}
	}
	s.entries[id] = expiry
	return true, nil
}

// Len returns the number of IDs held, expired or not.
func (s *MemoryReplayStore) Len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.entries)
}

// The range of times a ReplayStore (and any store of jwtgate's) must hold:
// the years 0001 to 9999, as RFC 3339 writes them. A token may name any
// time ("exp": 9999999999999 is a common "never"); the core clamps what it
// hands a store into this range, and stores clamp again, so that no store
// overflows (SQLite's microseconds end in the year 294246, PostgreSQL's
// timestamptz in 294276) and every store agrees on the same instant.
var (
	minStoredTime = time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC)
	maxStoredTime = time.Date(9999, 12, 31, 23, 59, 59, 999999000, time.UTC)
)

// ClampTime returns t moved into the range every store holds, 0001-01-01
// to 9999-12-31 (UTC), without a monotonic clock reading.
func ClampTime(t time.Time) time.Time {
	switch {
	case t.Before(minStoredTime):
		return minStoredTime
	case t.After(maxStoredTime):
		return maxStoredTime
	}
	return t.Round(0)
}

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

// ReplayID is the key under which a one-time token's jti is claimed in the
// ReplayStore: one namespace per integration, so that two issuers' IDs
// never collide. Hosts that accept a one-time token by another path (a
// remote validation endpoint) claim the same key.
func ReplayID(integration, jti string) string {
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

package store

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jwtgate/jwtgate/internal/jwttest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// purger is what the tests reach of a store beyond Store: its replay purge.
type purger interface {
	purgeReplay(ctx context.Context, now time.Time) (int64, error)
	janitor() *janitor
}

// t0 is the tests' clock: a time with sub-microsecond digits, in a zone
// other than UTC, to check that times come back truncated and in UTC.
var t0 = time.Date(2031, 3, 14, 15, 9, 26, 535897932, time.FixedZone("X", 5*3600+1800))

// The range every store holds (core.ClampTime's), spelled out.
var (
	minStored = time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC)
	maxStored = time.Date(9999, 12, 31, 23, 59, 59, 999999000, time.UTC)
)

// sharedOpener makes the open function of testStore from create, which
// makes a new empty database for a test and returns its DSN. The first call
// of open for a test creates its database; later calls for the same test
// open more handles on it, standing for more instances of jwtgate serve.
// Handles are closed when the test ends, before create's own cleanups run.
func sharedOpener(create func(t *testing.T) string) func(t *testing.T) Store {
	var (
		mu   sync.Mutex
		dsns = map[*testing.T]string{}
	)
	dsnFor := func(t *testing.T) string {
		mu.Lock()
		defer mu.Unlock()
		dsn, ok := dsns[t]
		if !ok {
			dsn = create(t)
			dsns[t] = dsn
			t.Cleanup(func() {
				mu.Lock()
				defer mu.Unlock()
				delete(dsns, t)
			})
		}
		return dsn
	}
	return func(t *testing.T) Store {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		s, err := Open(ctx, dsnFor(t))
		require.NoError(t, err)
		t.Cleanup(func() { assert.NoError(t, s.Close()) })
		return s
	}
}

// testStore is the suite every Store implementation passes. open returns a
// new handle on the test's database: the same database for every call made
// with the same *testing.T, a new one for each test.
func testStore(t *testing.T, open func(t *testing.T) Store) {
	ctx := context.Background()

	t.Run("ClaimFreshReplayedExpired", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		claim := func(id string, expiry, now time.Time) bool {
			t.Helper()
			fresh, err := s.Claim(ctx, id, expiry, now)
			require.NoError(t, err)
			return fresh
		}
		assert.True(t, claim("a", t0.Add(time.Minute), t0), "first claim")
		assert.False(t, claim("a", t0.Add(time.Minute), t0), "same id again")
		assert.False(t, claim("a", t0.Add(time.Hour), t0.Add(time.Minute-time.Microsecond)), "just before expiry")
		assert.True(t, claim("b", t0.Add(time.Minute), t0), "another id")
		// The core's IDs hold a NUL byte; any bytes must do.
		assert.True(t, claim("acadio\x00j\x00\xff1", t0.Add(time.Minute), t0), "an ID with NUL and invalid UTF-8")
		assert.False(t, claim("acadio\x00j\x00\xff1", t0.Add(time.Minute), t0), "the same ID again")
		// At its expiry an id is free again (expiry <= now), like
		// core.MemoryReplayStore; its row is reused with the new expiry.
		assert.True(t, claim("a", t0.Add(3*time.Minute), t0.Add(time.Minute)), "at expiry")
		assert.False(t, claim("a", t0.Add(time.Hour), t0.Add(2*time.Minute)), "replay within the new expiry")
		assert.True(t, claim("a", t0.Add(time.Hour), t0.Add(4*time.Minute)), "after the new expiry")
		_, err := s.Claim(ctx, "", t0.Add(time.Minute), t0)
		assert.Error(t, err, "empty id")
	})

	t.Run("ClaimFarFutureExpiry", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		// A token's "never" (exp 9999999999999 and beyond) is held until
		// the end of the stores' range, not overflowed into the past.
		for i, expiry := range []time.Time{
			time.Date(9999, 12, 31, 23, 59, 59, 0, time.UTC),
			maxStored,
			time.Unix(9999999999999, 0),
			time.Unix(1<<62, 0),
			time.Date(300000, 1, 1, 0, 0, 0, 0, time.UTC),
		} {
			id := fmt.Sprintf("future-%d", i)
			fresh, err := s.Claim(ctx, id, expiry, t0)
			require.NoError(t, err, "%v", expiry)
			assert.True(t, fresh, "first claim, expiry %v", expiry)
			for _, now := range []time.Time{t0, t0.AddDate(1000, 0, 0), maxStored.Add(-time.Second)} {
				fresh, err = s.Claim(ctx, id, expiry, now)
				require.NoError(t, err, "%v", expiry)
				assert.False(t, fresh, "replay at %v, expiry %v", now, expiry)
			}
		}
	})

	t.Run("ClaimPastExpiry", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		// An expiry before now holds nothing, however far in the past.
		for i, expiry := range []time.Time{
			time.Unix(-1, 0),
			time.Unix(-1<<62, 0),
			minStored,
			time.Date(-4713, 1, 1, 0, 0, 0, 0, time.UTC),
		} {
			id := fmt.Sprintf("past-%d", i)
			for range 2 {
				fresh, err := s.Claim(ctx, id, expiry, t0)
				require.NoError(t, err, "%v", expiry)
				assert.True(t, fresh, "expiry %v is past", expiry)
			}
		}
	})

	t.Run("ClaimNowAtExtremes", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		claim := func(id string, expiry, now time.Time) bool {
			t.Helper()
			fresh, err := s.Claim(ctx, id, expiry, now)
			require.NoError(t, err, "expiry %v, now %v", expiry, now)
			return fresh
		}
		farPast, farFuture := time.Unix(-1<<62, 0), time.Unix(1<<62, 0)
		// A clock far in the past: a claim until t0 holds.
		assert.True(t, claim("early", t0, farPast))
		assert.False(t, claim("early", t0, farPast), "replay, now far in the past")
		assert.False(t, claim("early", t0, minStored), "replay, now at the start of the range")
		p := s.(purger)
		n, err := p.purgeReplay(ctx, farPast)
		require.NoError(t, err)
		assert.EqualValues(t, 0, n, "nothing has expired yet, now far in the past")
		assert.False(t, claim("early", t0, t0.Add(-time.Microsecond)), "the claim survived the purge")

		// A clock past the end of the range: every claim has expired, the
		// clamped "never" too.
		assert.True(t, claim("late", time.Unix(9999999999999, 0), t0))
		assert.False(t, claim("late", time.Unix(9999999999999, 0), maxStored.Add(-time.Microsecond)))
		assert.True(t, claim("late", time.Unix(9999999999999, 0), farFuture), "at the end of the range")
		assert.True(t, claim("early", farFuture, farFuture))
		n, err = p.purgeReplay(ctx, farFuture)
		require.NoError(t, err)
		assert.EqualValues(t, 2, n, "everything has expired at the end of the range")
	})

	t.Run("ClaimConcurrent", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		assert.Equal(t, 1, claimRace(t, []Store{s}, 50, "jti-concurrent"))
	})

	t.Run("ClaimTwoInstances", func(t *testing.T) {
		t.Parallel()
		a, b := open(t), open(t)
		assert.Equal(t, 1, claimRace(t, []Store{a, b}, 50, "jti-two"))
		fresh, err := b.Claim(ctx, "x", t0.Add(time.Minute), t0)
		require.NoError(t, err)
		assert.True(t, fresh)
		fresh, err = a.Claim(ctx, "x", t0.Add(time.Minute), t0.Add(time.Second))
		require.NoError(t, err)
		assert.False(t, fresh, "claimed on b, replayed on a")
		fresh, err = a.Claim(ctx, "x", t0.Add(2*time.Minute), t0.Add(time.Minute))
		require.NoError(t, err)
		assert.True(t, fresh, "expired on b, reused on a")
	})

	t.Run("ClaimPurge", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		p, ok := s.(purger)
		require.True(t, ok, "%T has no purgeReplay", s)
		for _, id := range []string{"e1", "e2", "e3"} {
			fresh, err := s.Claim(ctx, id, t0.Add(time.Second), t0)
			require.NoError(t, err)
			require.True(t, fresh)
		}
		fresh, err := s.Claim(ctx, "live", t0.Add(time.Hour), t0)
		require.NoError(t, err)
		require.True(t, fresh)
		n, err := p.purgeReplay(ctx, t0.Add(time.Second))
		require.NoError(t, err)
		assert.EqualValues(t, 3, n, "expired rows purged")
		fresh, err = s.Claim(ctx, "live", t0.Add(time.Hour), t0.Add(2*time.Second))
		require.NoError(t, err)
		assert.False(t, fresh, "the live id survives the purge")

		// Every `every` claims, a claim purges by itself.
		s2 := open(t)
		p2 := s2.(purger)
		p2.janitor().every = 3
		for _, id := range []string{"f1", "f2"} { // claims 1 and 2
			fresh, err := s2.Claim(ctx, id, t0.Add(time.Second), t0)
			require.NoError(t, err)
			require.True(t, fresh)
		}
		fresh, err = s2.Claim(ctx, "g", t0.Add(time.Hour), t0.Add(time.Minute)) // claim 3: purges
		require.NoError(t, err)
		require.True(t, fresh)
		n, err = p2.purgeReplay(ctx, t0.Add(time.Minute))
		require.NoError(t, err)
		assert.EqualValues(t, 0, n, "the third claim has purged already")
	})

	t.Run("SubjectCreateUpdate", func(t *testing.T) {
		t.Parallel()
		a, b := open(t), open(t)
		in := Subject{
			Tenant: "acme", ID: "u1", Integration: "okta",
			Email: "ada@example.com", Name: "Ada",
			Groups: []string{"eng", "ops"}, Roles: []string{"admin"},
			Metadata: json.RawMessage(`{"k":1}`),
			// Ignored: the store sets them.
			FirstSeen: t0.Add(-time.Hour), LastSeen: t0.Add(-time.Hour),
		}
		got, created, err := a.UpsertSubject(ctx, in, t0)
		require.NoError(t, err)
		assert.True(t, created)
		want := in
		want.FirstSeen, want.LastSeen = micro(t0), micro(t0)
		assertSubject(t, want, got)
		stored, err := b.GetSubject(ctx, "acme", "okta", "u1")
		require.NoError(t, err)
		assertSubject(t, want, stored)

		// Empty strings and nil lists leave the stored values alone.
		t1 := t0.Add(time.Hour)
		got, created, err = b.UpsertSubject(ctx, Subject{Tenant: "acme", Integration: "okta", ID: "u1"}, t1)
		require.NoError(t, err)
		assert.False(t, created)
		want.LastSeen = micro(t1)
		assertSubject(t, want, got)

		// A present list replaces; other fields replace when non-empty.
		t2 := t1.Add(time.Hour)
		got, created, err = a.UpsertSubject(ctx, Subject{
			Tenant: "acme", ID: "u1", Integration: "okta", Email: "ada@example.org",
			Groups: []string{"research"},
		}, t2)
		require.NoError(t, err)
		assert.False(t, created)
		want.Email, want.Groups, want.LastSeen = "ada@example.org", []string{"research"}, micro(t2)
		assertSubject(t, want, got)

		// An empty, non-nil list clears; nil Roles still leave them.
		got, _, err = b.UpsertSubject(ctx, Subject{Tenant: "acme", Integration: "okta", ID: "u1", Groups: []string{}, Name: "Ada L."}, t2)
		require.NoError(t, err)
		want.Groups, want.Name = []string{}, "Ada L."
		assertSubject(t, want, got)
		stored, err = a.GetSubject(ctx, "acme", "okta", "u1")
		require.NoError(t, err)
		assertSubject(t, want, stored)
		assert.NotNil(t, stored.Groups, "cleared groups are [] not nil")
		assert.Equal(t, []string{"admin"}, stored.Roles)

		// Roles cleared too; metadata replaced.
		got, _, err = a.UpsertSubject(ctx, Subject{Tenant: "acme", Integration: "okta", ID: "u1", Roles: []string{}, Metadata: json.RawMessage(`{"k":2}`)}, t2)
		require.NoError(t, err)
		want.Roles, want.Metadata = []string{}, json.RawMessage(`{"k":2}`)
		assertSubject(t, want, got)

		// The same ID in another tenant is another subject; lists never
		// given are nil.
		got, created, err = a.UpsertSubject(ctx, Subject{Tenant: "other", Integration: "okta", ID: "u1"}, t2)
		require.NoError(t, err)
		assert.True(t, created)
		assertSubject(t, Subject{Tenant: "other", Integration: "okta", ID: "u1", FirstSeen: micro(t2), LastSeen: micro(t2)}, got)
		assert.Nil(t, got.Groups)
		assert.Nil(t, got.Roles)
		assert.Nil(t, got.Metadata)

		_, _, err = a.UpsertSubject(ctx, Subject{Tenant: "acme"}, t2)
		assert.Error(t, err, "empty ID")
	})

	t.Run("SubjectPerIntegration", func(t *testing.T) {
		t.Parallel()
		a, b := open(t), open(t)
		alpha := Subject{
			Tenant: "acme", Integration: "alpha", ID: "alice", Email: "alice@alpha.example", Name: "Alice",
			Groups: []string{"readers"}, Roles: []string{"user"}, Metadata: json.RawMessage(`{"from":"alpha"}`),
		}
		_, created, err := a.UpsertSubject(ctx, alpha, t0)
		require.NoError(t, err)
		require.True(t, created)
		// Another integration's token for the same tenant and ID: another
		// subject, which leaves alpha's alone.
		beta := Subject{
			Tenant: "acme", Integration: "beta", ID: "alice", Email: "mallory@beta.example", Name: "Mallory",
			Groups: []string{"admins"}, Roles: []string{"admin"}, Metadata: json.RawMessage(`{"from":"beta"}`),
		}
		got, created, err := b.UpsertSubject(ctx, beta, t0.Add(time.Minute))
		require.NoError(t, err)
		assert.True(t, created, "beta's alice is a subject of its own")
		beta.FirstSeen, beta.LastSeen = micro(t0.Add(time.Minute)), micro(t0.Add(time.Minute))
		assertSubject(t, beta, got)
		stored, err := b.GetSubject(ctx, "acme", "alpha", "alice")
		require.NoError(t, err)
		alpha.FirstSeen, alpha.LastSeen = micro(t0), micro(t0)
		assertSubject(t, alpha, stored)
		stored, err = a.GetSubject(ctx, "acme", "beta", "alice")
		require.NoError(t, err)
		assertSubject(t, beta, stored)
	})

	t.Run("SubjectConcurrentCreate", func(t *testing.T) {
		t.Parallel()
		handles := []Store{open(t), open(t)}
		var created atomic.Int32
		var wg sync.WaitGroup
		for i := range 20 {
			wg.Go(func() {
				_, c, err := handles[i%2].UpsertSubject(ctx, Subject{
					Tenant: "acme", ID: "race", Email: fmt.Sprintf("u%d@example.com", i),
				}, t0.Add(time.Duration(i)*time.Second))
				assert.NoError(t, err)
				if c {
					created.Add(1)
				}
			})
		}
		wg.Wait()
		assert.EqualValues(t, 1, created.Load(), "exactly one upsert creates")
	})

	t.Run("SubjectMetadata", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		// Kept byte for byte: key order, spacing, escapes, big numbers.
		meta := json.RawMessage("{\"z\": [1, 2.50, \"x\"],\n \"a\":{\"nested\":true,\"n\":null}, \"u\":\"é\\u2028\\\"\", \"big\": 12345678901234567890}")
		got, _, err := s.UpsertSubject(ctx, Subject{Tenant: "t", ID: "m", Metadata: meta}, t0)
		require.NoError(t, err)
		assert.Equal(t, string(meta), string(got.Metadata))
		stored, err := s.GetSubject(ctx, "t", "", "m")
		require.NoError(t, err)
		assert.Equal(t, string(meta), string(stored.Metadata))

		// nil leaves it; an empty non-nil value stores JSON null.
		stored, _, err = s.UpsertSubject(ctx, Subject{Tenant: "t", ID: "m"}, t0)
		require.NoError(t, err)
		assert.Equal(t, string(meta), string(stored.Metadata))
		stored, _, err = s.UpsertSubject(ctx, Subject{Tenant: "t", ID: "m", Metadata: json.RawMessage{}}, t0)
		require.NoError(t, err)
		assert.Equal(t, "null", string(stored.Metadata))

		_, _, err = s.UpsertSubject(ctx, Subject{Tenant: "t", ID: "m", Metadata: json.RawMessage(`{"secret":`)}, t0)
		require.Error(t, err, "invalid JSON")
		assert.NotContains(t, err.Error(), "secret")
		stored, err = s.GetSubject(ctx, "t", "", "m")
		require.NoError(t, err)
		assert.Equal(t, "null", string(stored.Metadata), "a refused upsert changes nothing")
	})

	t.Run("SubjectSynced", func(t *testing.T) {
		t.Parallel()
		a, b := open(t), open(t)
		key := Subject{Tenant: "acadio-school", Integration: "jwt-auth", ID: "ada"}
		with := func(synced map[string]json.RawMessage) Subject {
			s := key
			s.Synced = synced
			return s
		}
		credits := json.RawMessage("[{\"orderId\": \"o-1\",\n \"id\": 7}, {\"id\":12345678901234567890,\"orderId\":\"\\u00e9\"}]")
		got, created, err := a.UpsertSubject(ctx, with(map[string]json.RawMessage{"credits": credits, "badges": json.RawMessage(`["b"]`)}), t0)
		require.NoError(t, err)
		assert.True(t, created)
		assertSynced(t, map[string]string{"credits": string(credits), "badges": `["b"]`}, got.Synced)
		stored, err := b.GetSubject(ctx, key.Tenant, key.Integration, key.ID)
		require.NoError(t, err)
		assertSynced(t, map[string]string{"credits": string(credits), "badges": `["b"]`}, stored.Synced)

		// Absent: left alone (nil, and a map without the claim).
		got, _, err = b.UpsertSubject(ctx, with(nil), t0)
		require.NoError(t, err)
		assertSynced(t, map[string]string{"credits": string(credits), "badges": `["b"]`}, got.Synced)
		got, _, err = b.UpsertSubject(ctx, with(map[string]json.RawMessage{"badges": json.RawMessage(`["c","d"]`)}), t0)
		require.NoError(t, err)
		assertSynced(t, map[string]string{"credits": string(credits), "badges": `["c","d"]`}, got.Synced)
		// Empty: the stored list is cleared, and stays a (synced) empty list.
		got, _, err = a.UpsertSubject(ctx, with(map[string]json.RawMessage{"credits": json.RawMessage(`[]`)}), t0)
		require.NoError(t, err)
		assertSynced(t, map[string]string{"credits": `[]`, "badges": `["c","d"]`}, got.Synced)
		stored, err = b.GetSubject(ctx, key.Tenant, key.Integration, key.ID)
		require.NoError(t, err)
		assertSynced(t, map[string]string{"credits": `[]`, "badges": `["c","d"]`}, stored.Synced)

		// Another integration's subject of the same ID has its own.
		other := Subject{Tenant: key.Tenant, Integration: "other", ID: key.ID}
		got, _, err = a.UpsertSubject(ctx, other, t0)
		require.NoError(t, err)
		assert.Nil(t, got.Synced, "no synced claims")
		stored, err = a.GetSubject(ctx, other.Tenant, other.Integration, other.ID)
		require.NoError(t, err)
		assert.Nil(t, stored.Synced)

		// Refused: invalid JSON, an empty name; nothing changes.
		_, _, err = a.UpsertSubject(ctx, with(map[string]json.RawMessage{"credits": json.RawMessage(`[{"secret":`)}), t0)
		require.Error(t, err)
		assert.NotContains(t, err.Error(), "secret")
		_, _, err = a.UpsertSubject(ctx, with(map[string]json.RawMessage{"": json.RawMessage(`[]`)}), t0)
		require.Error(t, err)
		stored, err = b.GetSubject(ctx, key.Tenant, key.Integration, key.ID)
		require.NoError(t, err)
		assertSynced(t, map[string]string{"credits": `[]`, "badges": `["c","d"]`}, stored.Synced)
	})

	t.Run("SubjectNotFound", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		_, err := s.GetSubject(ctx, "acme", "okta", "nobody")
		assert.ErrorIs(t, err, ErrNotFound)
		_, _, err = s.UpsertSubject(ctx, Subject{Tenant: "acme", Integration: "okta", ID: "somebody"}, t0)
		require.NoError(t, err)
		_, err = s.GetSubject(ctx, "other", "okta", "somebody")
		assert.ErrorIs(t, err, ErrNotFound, "subjects are per tenant")
		_, err = s.GetSubject(ctx, "acme", "google", "somebody")
		assert.ErrorIs(t, err, ErrNotFound, "subjects are per integration")
	})

	t.Run("Sessions", func(t *testing.T) {
		t.Parallel()
		a, b := open(t), open(t)
		require.NoError(t, a.SyncIntegrations(ctx, []string{"okta"}))
		in := Session{
			ID: "sess-1", Tenant: "acme", Subject: "u1", Integration: "okta",
			CreatedAt: t0, ExpiresAt: t0.Add(8 * time.Hour),
		}
		require.NoError(t, a.CreateSession(ctx, in))
		want := in
		want.CreatedAt, want.ExpiresAt = micro(in.CreatedAt), micro(in.ExpiresAt)
		for _, s := range []Store{a, b} {
			got, err := s.GetSession(ctx, "sess-1")
			require.NoError(t, err)
			assertSession(t, want, got)
			assert.True(t, got.RevokedAt.IsZero(), "live")
		}
		assert.Error(t, b.CreateSession(ctx, in), "duplicate ID")
		assert.Error(t, b.CreateSession(ctx, Session{Tenant: "acme"}), "empty ID")

		// Revoked on b, seen revoked on a.
		revokedAt := t0.Add(time.Hour)
		require.NoError(t, b.RevokeSession(ctx, "sess-1", revokedAt))
		got, err := a.GetSession(ctx, "sess-1")
		require.NoError(t, err)
		want.RevokedAt = micro(revokedAt)
		assertSession(t, want, got)

		// Idempotent: the first revocation's time stays.
		require.NoError(t, a.RevokeSession(ctx, "sess-1", revokedAt.Add(time.Hour)))
		got, err = b.GetSession(ctx, "sess-1")
		require.NoError(t, err)
		assertSession(t, want, got)

		// Unknown sessions.
		require.NoError(t, a.RevokeSession(ctx, "nope", revokedAt))
		_, err = a.GetSession(ctx, "nope")
		assert.ErrorIs(t, err, ErrNotFound)

		// Expired sessions are returned as they are.
		old := Session{ID: "sess-old", Tenant: "acme", Subject: "u2", Integration: "okta", CreatedAt: t0.Add(-48 * time.Hour), ExpiresAt: t0.Add(-24 * time.Hour)}
		require.NoError(t, b.CreateSession(ctx, old))
		got, err = a.GetSession(ctx, "sess-old")
		require.NoError(t, err)
		old.CreatedAt, old.ExpiresAt = micro(old.CreatedAt), micro(old.ExpiresAt)
		assertSession(t, old, got)
	})

	t.Run("SessionsDieWithTheirIntegration", func(t *testing.T) {
		t.Parallel()
		a, b := open(t), open(t)
		syncNames := func(s Store, names ...string) {
			t.Helper()
			require.NoError(t, s.SyncIntegrations(ctx, names))
		}
		create := func(s Store, id, integration string) error {
			return s.CreateSession(ctx, Session{ID: id, Tenant: "acme", Subject: "u1", Integration: integration, CreatedAt: t0, ExpiresAt: t0.Add(time.Hour)})
		}
		gone := func(s Store, id string) bool {
			t.Helper()
			got, err := s.GetSession(ctx, id)
			require.NoError(t, err)
			return got.IntegrationGone
		}
		syncNames(a, "okta", "google")
		require.NoError(t, create(a, "o1", "okta"))
		require.NoError(t, create(a, "g1", "google"))
		assert.False(t, gone(b, "o1"))
		assert.ErrorIs(t, create(a, "x1", "never-synced"), ErrIntegrationRetired)
		_, err := a.GetSession(ctx, "x1")
		assert.ErrorIs(t, err, ErrNotFound, "not stored")

		// The same names again (any order, repeated): nothing changes.
		syncNames(b, "google", "okta", "google")
		assert.False(t, gone(a, "o1"))

		// okta removed on b: a sees it at once; no new session begins.
		syncNames(b, "google")
		assert.True(t, gone(a, "o1"))
		assert.False(t, gone(a, "g1"))
		assert.ErrorIs(t, create(a, "o2", "okta"), ErrIntegrationRetired)
		syncNames(a, "google")

		// Back: the old session stays dead, new ones live.
		syncNames(a, "okta", "google")
		assert.True(t, gone(b, "o1"), "removed and added back")
		require.NoError(t, create(b, "o3", "okta"))
		assert.False(t, gone(a, "o3"))
		assert.False(t, gone(a, "g1"), "google was never removed")

		// Concurrent syncs of one configuration on both handles, after a
		// removal: they agree, and a session begun after them survives
		// more of them.
		syncNames(a, "google")
		var wg sync.WaitGroup
		for i := range 8 {
			wg.Go(func() { assert.NoError(t, []Store{a, b}[i%2].SyncIntegrations(ctx, []string{"okta", "google"})) })
		}
		wg.Wait()
		assert.True(t, gone(a, "o3"))
		require.NoError(t, create(a, "o4", "okta"))
		for i := range 8 {
			wg.Go(func() { assert.NoError(t, []Store{a, b}[i%2].SyncIntegrations(ctx, []string{"google", "okta"})) })
		}
		wg.Wait()
		assert.False(t, gone(b, "o4"))

		// No integration at all: every session is gone.
		syncNames(b)
		assert.True(t, gone(a, "g1"))
		assert.True(t, gone(a, "o4"))
	})

	t.Run("TimesClamped", func(t *testing.T) {
		t.Parallel()
		a, b := open(t), open(t)
		farPast, farFuture := time.Unix(-1<<62, 0), time.Unix(1<<62, 0)
		require.NoError(t, a.SyncIntegrations(ctx, []string{"okta"}))

		// Sessions: every time is held within the range.
		require.NoError(t, a.CreateSession(ctx, Session{
			ID: "forever", Tenant: "acme", Subject: "u1", Integration: "okta", CreatedAt: farPast, ExpiresAt: time.Unix(9999999999999, 0),
		}))
		got, err := b.GetSession(ctx, "forever")
		require.NoError(t, err)
		assertTime(t, minStored, got.CreatedAt, "CreatedAt")
		assertTime(t, maxStored, got.ExpiresAt, "ExpiresAt")
		assert.True(t, got.RevokedAt.IsZero(), "live")
		require.NoError(t, b.RevokeSession(ctx, "forever", farFuture))
		got, err = a.GetSession(ctx, "forever")
		require.NoError(t, err)
		assertTime(t, maxStored, got.RevokedAt, "RevokedAt")

		// A revocation however far in the past still revokes (a zero
		// RevokedAt is a live session; a nanosecond later is not).
		for i, at := range []time.Time{farPast, minStored.Add(time.Nanosecond)} {
			id := fmt.Sprintf("revoked-%d", i)
			require.NoError(t, a.CreateSession(ctx, Session{ID: id, Integration: "okta", CreatedAt: t0, ExpiresAt: t0.Add(time.Hour), RevokedAt: at}))
			got, err = b.GetSession(ctx, id)
			require.NoError(t, err)
			assert.False(t, got.RevokedAt.IsZero(), "created revoked at %v", at)
			assert.True(t, got.RevokedAt.Before(minStored.Add(time.Second)), "%v", got.RevokedAt)
			require.NoError(t, a.CreateSession(ctx, Session{ID: id + "-later", Integration: "okta", CreatedAt: t0, ExpiresAt: t0.Add(time.Hour)}))
			require.NoError(t, a.RevokeSession(ctx, id+"-later", at))
			got, err = b.GetSession(ctx, id+"-later")
			require.NoError(t, err)
			assert.False(t, got.RevokedAt.IsZero(), "revoked at %v", at)
		}

		// Subjects: first and last seen.
		sub, _, err := a.UpsertSubject(ctx, Subject{Tenant: "acme", ID: "u1"}, farFuture)
		require.NoError(t, err)
		assertTime(t, maxStored, sub.FirstSeen, "FirstSeen")
		assertTime(t, maxStored, sub.LastSeen, "LastSeen")
		_, _, err = b.UpsertSubject(ctx, Subject{Tenant: "acme", ID: "u1"}, farPast)
		require.NoError(t, err)
		sub, err = a.GetSubject(ctx, "acme", "", "u1")
		require.NoError(t, err)
		assertTime(t, maxStored, sub.FirstSeen, "FirstSeen")
		assertTime(t, minStored, sub.LastSeen, "LastSeen")
	})

	t.Run("PingClose", func(t *testing.T) {
		t.Parallel()
		ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		dsnStore := open(t) // makes the database; closed at the end
		require.NoError(t, dsnStore.Ping(ctx))
		s := open(t)
		require.NoError(t, s.Ping(ctx))
		require.NoError(t, s.Close())
		assert.Error(t, s.Ping(ctx), "ping after close")
		_, err := s.Claim(ctx, "after-close", t0.Add(time.Minute), t0)
		assert.Error(t, err, "claim after close")
		// The other handle is unaffected.
		fresh, err := dsnStore.Claim(ctx, "after-close", t0.Add(time.Minute), t0)
		require.NoError(t, err)
		assert.True(t, fresh)
	})
}

// claimRace has n goroutines claim id at once, spread over handles, and
// returns how many were told it was fresh.
func claimRace(t *testing.T, handles []Store, n int, id string) int {
	t.Helper()
	var (
		fresh atomic.Int32
		wg    sync.WaitGroup
		start = make(chan struct{})
	)
	for i := range n {
		wg.Go(func() {
			<-start
			f, err := handles[i%len(handles)].Claim(context.Background(), id, t0.Add(time.Minute), t0)
			assert.NoError(t, err)
			if f {
				fresh.Add(1)
			}
		})
	}
	close(start)
	wg.Wait()
	return int(fresh.Load())
}

func assertSubject(t *testing.T, want, got Subject) {
	t.Helper()
	assert.Equal(t, want.Tenant, got.Tenant, "Tenant")
	assert.Equal(t, want.ID, got.ID, "ID")
	assert.Equal(t, want.Integration, got.Integration, "Integration")
	assert.Equal(t, want.Email, got.Email, "Email")
	assert.Equal(t, want.Name, got.Name, "Name")
	assert.Equal(t, want.Groups, got.Groups, "Groups")
	assert.Equal(t, want.Roles, got.Roles, "Roles")
	assert.Equal(t, string(want.Metadata), string(got.Metadata), "Metadata")
	assertSynced(t, jwttest.RawStrings(want.Synced), got.Synced)
	assertTime(t, want.FirstSeen, got.FirstSeen, "FirstSeen")
	assertTime(t, want.LastSeen, got.LastSeen, "LastSeen")
}

// assertSynced checks synced claims byte for byte; want nil is none.
func assertSynced(t *testing.T, want map[string]string, got map[string]json.RawMessage) {
	t.Helper()
	if want == nil {
		assert.Nil(t, got, "Synced")
		return
	}
	assert.Equal(t, want, jwttest.RawStrings(got), "Synced")
}

func assertSession(t *testing.T, want, got Session) {
	t.Helper()
	assert.Equal(t, want.ID, got.ID, "ID")
	assert.Equal(t, want.Tenant, got.Tenant, "Tenant")
	assert.Equal(t, want.Subject, got.Subject, "Subject")
	assert.Equal(t, want.Integration, got.Integration, "Integration")
	assertTime(t, want.CreatedAt, got.CreatedAt, "CreatedAt")
	assertTime(t, want.ExpiresAt, got.ExpiresAt, "ExpiresAt")
	assertTime(t, want.RevokedAt, got.RevokedAt, "RevokedAt")
}

// assertTime checks that got is want, in UTC, to the microsecond.
func assertTime(t *testing.T, want, got time.Time, what string) {
	t.Helper()
	assert.Equal(t, time.UTC, got.Location(), "%s in UTC", what)
	assert.True(t, want.Equal(got), "%s: want %v, got %v", what, want, got)
	assert.Equal(t, want.IsZero(), got.IsZero(), "%s zero", what)
}

// --- SQLite

func newSQLiteDB(t *testing.T) string {
	return "sqlite:" + filepath.Join(t.TempDir(), "jwtgate.db")
}

func TestSQLite(t *testing.T) {
	testStore(t, sharedOpener(newSQLiteDB))
}

func TestSQLiteSetup(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "jwtgate.db")
	s, err := Open(ctx, "sqlite:"+path)
	require.NoError(t, err)
	w := s.(*sqliteStore).w
	var mode string
	var fk, busy int
	require.NoError(t, w.QueryRowContext(ctx, `PRAGMA journal_mode`).Scan(&mode))
	require.NoError(t, w.QueryRowContext(ctx, `PRAGMA foreign_keys`).Scan(&fk))
	require.NoError(t, w.QueryRowContext(ctx, `PRAGMA busy_timeout`).Scan(&busy))
	assert.Equal(t, "wal", mode)
	assert.Equal(t, 1, fk)
	assert.Equal(t, 5000, busy)
	var version int
	require.NoError(t, w.QueryRowContext(ctx, `SELECT MAX(version) FROM schema_version`).Scan(&version))
	assert.Equal(t, latestVersion(sqliteMigrations), version)
	_, err = s.(*sqliteStore).r.ExecContext(ctx, `DELETE FROM replay`)
	assert.Error(t, err, "the read pool is read-only")

	fresh, err := s.Claim(ctx, "kept", t0.Add(time.Hour), t0)
	require.NoError(t, err)
	require.True(t, fresh)
	require.NoError(t, s.Close())

	// Reopening keeps the data and the schema.
	s, err = Open(ctx, "sqlite:"+path)
	require.NoError(t, err)
	fresh, err = s.Claim(ctx, "kept", t0.Add(time.Hour), t0)
	require.NoError(t, err)
	assert.False(t, fresh)
	require.NoError(t, s.Close())

	// A schema from a newer jwtgate is refused.
	db, err := sql.Open("sqlite", path)
	require.NoError(t, err)
	_, err = db.ExecContext(ctx, `INSERT INTO schema_version (version) VALUES (99)`)
	require.NoError(t, err)
	require.NoError(t, db.Close())
	_, err = Open(ctx, "sqlite:"+path)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "schema version 99")
}

// v1Subjects are the rows a schema version 1 database holds in the
// migration tests: keyed by (tenant, id), with the integration that last
// wrote them.
var v1Subjects = []Subject{
	{Tenant: "acme", ID: "u1", Integration: "okta", Email: "ada@example.com", Name: "Ada",
		Groups: []string{"eng"}, Roles: []string{"admin"}, Metadata: json.RawMessage(`{"k":1}`),
		FirstSeen: micro(t0), LastSeen: micro(t0.Add(time.Hour))},
	{Tenant: "acme", ID: "u2", FirstSeen: micro(t0), LastSeen: micro(t0)},
}

// v1Sessions are the sessions of the migration tests' version 1
// database: one of an integration still configured, one of an integration
// removed before the upgrade.
var v1Sessions = []Session{
	{ID: "s-okta", Tenant: "acme", Subject: "u1", Integration: "okta", CreatedAt: micro(t0), ExpiresAt: micro(t0.Add(time.Hour))},
	{ID: "s-removed", Tenant: "acme", Subject: "u1", Integration: "removed", CreatedAt: micro(t0), ExpiresAt: micro(t0.Add(time.Hour))},
}

// checkMigrated checks a database migrated from v1Subjects and
// v1Sessions: each subject is the subject of the integration that last
// wrote it, and another integration's upsert of the same ID makes a
// subject of its own; a migrated subject takes synced claims; once the configured integrations are synced, the
// sessions of those stay live and the others are gone.
func checkMigrated(t *testing.T, s Store) {
	ctx := context.Background()
	require.NoError(t, s.SyncIntegrations(ctx, []string{"okta", "google"}))
	for _, want := range v1Sessions {
		got, err := s.GetSession(ctx, want.ID)
		require.NoError(t, err)
		want.IntegrationGone = want.Integration == "removed"
		assertSession(t, want, got)
		assert.Equal(t, want.IntegrationGone, got.IntegrationGone, want.ID)
	}
	for _, want := range v1Subjects {
		got, err := s.GetSubject(ctx, want.Tenant, want.Integration, want.ID)
		require.NoError(t, err, "%s/%s", want.Integration, want.ID)
		assertSubject(t, want, got)
	}
	got, created, err := s.UpsertSubject(ctx, Subject{Tenant: "acme", Integration: "google", ID: "u1", Roles: []string{"user"}}, t0.Add(2*time.Hour))
	require.NoError(t, err)
	assert.True(t, created)
	assert.Equal(t, []string{"user"}, got.Roles)
	got, err = s.GetSubject(ctx, "acme", "okta", "u1")
	require.NoError(t, err)
	assertSubject(t, v1Subjects[0], got)
	// A migrated subject takes synced claims; its other fields stay.
	got, _, err = s.UpsertSubject(ctx, Subject{Tenant: "acme", Integration: "okta", ID: "u1",
		Synced: map[string]json.RawMessage{"credits": json.RawMessage(`[{"id":1}]`)}}, v1Subjects[0].LastSeen)
	require.NoError(t, err)
	want := v1Subjects[0]
	want.Synced = map[string]json.RawMessage{"credits": json.RawMessage(`[{"id":1}]`)}
	assertSubject(t, want, got)
	checkMigratedAdmin(t, s.(Admin))
}

// checkMigratedAdmin checks the admin tables of a migrated database: new
// and empty, and the migrated subjects and sessions seen through them.
func checkMigratedAdmin(t *testing.T, a Admin) {
	ctx := context.Background()
	v, err := a.ChangeVersion(ctx)
	require.NoError(t, err)
	assert.Zero(t, v)
	subs, err := a.ListSubjects(ctx, "acme", "", 0)
	require.NoError(t, err)
	var keys []string
	for _, s := range subs {
		keys = append(keys, s.Integration+"/"+s.ID)
	}
	assert.Equal(t, []string{"/u2", "google/u1", "okta/u1"}, keys)
	sessions, err := a.ListSessions(ctx, "acme", "", v1Sessions[0].CreatedAt, 0)
	require.NoError(t, err)
	require.Len(t, sessions, 1, "the removed integration's session is gone")
	assert.Equal(t, "s-okta", sessions[0].ID)
	require.NoError(t, a.CreateTenant(ctx, Tenant{ID: "acme", CreatedAt: t0}))
	rev, err := a.PutRevision(ctx, Revision{Tenant: "acme", Name: "okta", Kind: "update", Doc: []byte("d"), CreatedAt: t0}, 0, false)
	require.NoError(t, err)
	assert.EqualValues(t, 1, rev.Number)
}

// TestSQLiteMigrate brings a schema version 1 file, and a version 4 one
// (the last before the admin tables), with subjects and sessions up to
// date.
func TestSQLiteMigrate(t *testing.T) {
	for _, from := range []int{1, 4} {
		t.Run(fmt.Sprint("from v", from), func(t *testing.T) {
			ctx := context.Background()
			path := filepath.Join(t.TempDir(), "jwtgate.db")
			db, err := sql.Open("sqlite", path+"?_txlock=immediate")
			require.NoError(t, err)
			require.NoError(t, migrateSQLite(ctx, db, sqliteMigrations[:from]))
			for _, sub := range v1Subjects {
				groups, _ := encodeList(sub.Groups)
				roles, _ := encodeList(sub.Roles)
				meta, _ := encodeMetadata(sub.Metadata)
				_, err := db.ExecContext(ctx, `INSERT INTO subjects (`+sqliteSubjectColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
					sub.Tenant, sub.ID, sub.Integration, sub.Email, sub.Name, groups, roles, meta, sub.FirstSeen.UnixMicro(), sub.LastSeen.UnixMicro())
				require.NoError(t, err)
			}
			for _, sess := range v1Sessions {
				_, err := db.ExecContext(ctx, `INSERT INTO sessions (id, tenant, subject, integration, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?)`,
					sess.ID, sess.Tenant, sess.Subject, sess.Integration, sess.CreatedAt.UnixMicro(), sess.ExpiresAt.UnixMicro())
				require.NoError(t, err)
			}
			require.NoError(t, db.Close())

			s, err := Open(ctx, "sqlite:"+path)
			require.NoError(t, err)
			defer s.Close()
			checkMigrated(t, s)
		})
	}
}

// TestSQLiteFileGone: a file deleted or replaced under an open store fails
// Ping (readiness), though SQLite itself would serve on from the deleted
// file and a restart would begin on an empty one.
func TestSQLiteFileGone(t *testing.T) {
	ctx := context.Background()
	for _, c := range []struct {
		name string
		do   func(t *testing.T, path string)
		want string
	}{
		{"deleted", func(t *testing.T, path string) {
			require.NoError(t, os.Remove(path))
		}, "no longer exists"},
		{"renamed away", func(t *testing.T, path string) {
			require.NoError(t, os.Rename(path, path+".old"))
		}, "no longer exists"},
		{"replaced", func(t *testing.T, path string) {
			other := filepath.Join(t.TempDir(), "other.db")
			s, err := Open(ctx, "sqlite:"+other)
			require.NoError(t, err)
			require.NoError(t, s.Close())
			require.NoError(t, os.Rename(other, path))
		}, "replaced"},
	} {
		t.Run(c.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "jwtgate.db")
			s, err := Open(ctx, "sqlite:"+path)
			require.NoError(t, err)
			defer s.Close()
			require.NoError(t, s.Ping(ctx))
			c.do(t, path)
			err = s.Ping(ctx)
			require.Error(t, err)
			assert.Contains(t, err.Error(), c.want)
			assert.Contains(t, err.Error(), path)
		})
	}

	// Rewriting the file's content in place is not replacing it.
	path := filepath.Join(t.TempDir(), "jwtgate.db")
	s, err := Open(ctx, "sqlite:"+path)
	require.NoError(t, err)
	defer s.Close()
	_, err = s.Claim(ctx, "x", t0.Add(time.Hour), t0)
	require.NoError(t, err)
	assert.NoError(t, s.Ping(ctx))
}

// TestSQLiteConcurrentOpen has several handles create one new file's
// schema at once.
func TestSQLiteConcurrentOpen(t *testing.T) {
	dsn := newSQLiteDB(t)
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			s, err := Open(context.Background(), dsn)
			if assert.NoError(t, err) {
				assert.NoError(t, s.Ping(context.Background()))
				assert.NoError(t, s.Close())
			}
		})
	}
	wg.Wait()
}

// TestSQLiteProcesses has several processes (this test binary, run again
// as TestSQLiteChild) claim the same IDs in one file: each ID is fresh for
// exactly one of them.
func TestSQLiteProcesses(t *testing.T) {
	if testing.Short() {
		t.Skip("starts processes")
	}
	exe, err := os.Executable()
	require.NoError(t, err)
	dsn := newSQLiteDB(t)
	const procs = 4
	outs := make([][]byte, procs)
	errs := make([]error, procs)
	var wg sync.WaitGroup
	for i := range procs {
		wg.Go(func() {
			cmd := exec.Command(exe, "-test.run=^TestSQLiteChild$", "-test.count=1")
			cmd.Env = append(os.Environ(), "JWTGATE_STORE_CHILD_DSN="+dsn)
			outs[i], errs[i] = cmd.CombinedOutput()
		})
	}
	wg.Wait()
	fresh := map[string]int{}
	for i := range procs {
		require.NoError(t, errs[i], "child %d: %s", i, outs[i])
		for _, line := range strings.Split(string(outs[i]), "\n") {
			if id, ok := strings.CutPrefix(line, "fresh "); ok {
				fresh[id]++
			}
		}
	}
	assert.Len(t, fresh, childIDs, "every ID fresh once")
	for id, n := range fresh {
		assert.Equal(t, 1, n, "%s fresh in %d processes", id, n)
	}
}

// childIDs is how many IDs each TestSQLiteChild process claims.
const childIDs = 200

// TestSQLiteChild is TestSQLiteProcesses's child: it claims childIDs IDs
// from 8 goroutines and prints the fresh ones.
func TestSQLiteChild(t *testing.T) {
	dsn := os.Getenv("JWTGATE_STORE_CHILD_DSN")
	if dsn == "" {
		t.Skip("run by TestSQLiteProcesses")
	}
	s, err := Open(context.Background(), dsn)
	require.NoError(t, err)
	defer s.Close()
	ids := make(chan string)
	var mu sync.Mutex
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for id := range ids {
				fresh, err := s.Claim(context.Background(), id, t0.Add(time.Hour), t0)
				assert.NoError(t, err)
				if fresh {
					mu.Lock()
					fmt.Println("fresh " + id)
					mu.Unlock()
				}
			}
		})
	}
	for i := range childIDs {
		ids <- fmt.Sprintf("id-%d", i)
	}
	close(ids)
	wg.Wait()
}

// --- PostgreSQL

const defaultTestPostgres = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"

// testPostgresDSN returns the server the PostgreSQL tests use.
func testPostgresDSN() string {
	if dsn := os.Getenv("JWTGATE_TEST_POSTGRES"); dsn != "" {
		return dsn
	}
	return defaultTestPostgres
}

// redactDSN returns dsn without its password, for test messages.
func redactDSN(dsn string) string {
	u, err := url.Parse(dsn)
	if err != nil {
		return "(unparsable DSN)"
	}
	return u.Redacted()
}

// connectTestPostgres connects to the test server, or ends the test: it
// fails when CI=true (CI must test both stores), else skips.
func connectTestPostgres(t *testing.T) *pgx.Conn {
	t.Helper()
	dsn := testPostgresDSN()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		msg := fmt.Sprintf("PostgreSQL at %s is unreachable (set JWTGATE_TEST_POSTGRES to a reachable server): %v", redactDSN(dsn), err)
		require.NotEqual(t, "true", os.Getenv("CI"), "%s; CI=true requires the PostgreSQL store tests to run", msg)
		t.Skip(msg)
	}
	return conn
}

// newPostgresDB creates a schema of the test's own, dropped (CASCADE) when
// the test ends, and returns a DSN whose search_path is that schema.
func newPostgresDB(t *testing.T) string {
	t.Helper()
	conn := connectTestPostgres(t)
	ctx := context.Background()
	defer conn.Close(ctx)
	var b [8]byte
	_, _ = rand.Read(b[:])
	schema := "jwtgate_test_" + hex.EncodeToString(b[:])
	_, err := conn.Exec(ctx, `CREATE SCHEMA `+schema)
	require.NoError(t, err)
	t.Cleanup(func() {
		conn := connectTestPostgres(t)
		defer conn.Close(context.Background())
		_, err := conn.Exec(context.Background(), `DROP SCHEMA `+schema+` CASCADE`)
		assert.NoError(t, err)
	})
	u, err := url.Parse(testPostgresDSN())
	require.NoError(t, err)
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

func TestPostgres(t *testing.T) {
	connectTestPostgres(t).Close(context.Background())
	testStore(t, sharedOpener(newPostgresDB))
}

func TestPostgresSetup(t *testing.T) {
	ctx := context.Background()
	dsn := newPostgresDB(t)

	// Instances starting at once create the schema once, in the schema of
	// the search_path.
	var wg sync.WaitGroup
	for range 6 {
		wg.Go(func() {
			s, err := Open(ctx, dsn)
			if assert.NoError(t, err) {
				assert.NoError(t, s.Ping(ctx))
				assert.NoError(t, s.Close())
			}
		})
	}
	wg.Wait()

	s, err := Open(ctx, dsn)
	require.NoError(t, err)
	pool := s.(*pgStore).pool
	var version int
	require.NoError(t, pool.QueryRow(ctx, `SELECT MAX(version) FROM schema_version`).Scan(&version))
	assert.Equal(t, latestVersion(pgMigrations), version)
	var schema string
	require.NoError(t, pool.QueryRow(ctx, `SELECT table_schema FROM information_schema.tables WHERE table_name = 'replay' AND table_schema = current_schema()`).Scan(&schema))
	assert.True(t, strings.HasPrefix(schema, "jwtgate_test_"), "tables in %q", schema)
	_, err = pool.Exec(ctx, `INSERT INTO schema_version (version) VALUES (99)`)
	require.NoError(t, err)
	require.NoError(t, s.Close())

	_, err = Open(ctx, dsn)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "schema version 99")
}

// TestPostgresMigrate brings a schema version 1 database, and a version
// 4 one (the last before the admin tables), with subjects and sessions up
// to date.
func TestPostgresMigrate(t *testing.T) {
	for _, from := range []int{1, 4} {
		t.Run(fmt.Sprint("from v", from), func(t *testing.T) {
			ctx := context.Background()
			dsn := newPostgresDB(t)
			pool, err := pgxpool.New(ctx, dsn)
			require.NoError(t, err)
			require.NoError(t, migratePG(ctx, pool, pgMigrations[:from]))
			for _, sub := range v1Subjects {
				groups, _ := encodeList(sub.Groups)
				roles, _ := encodeList(sub.Roles)
				meta, _ := encodeMetadata(sub.Metadata)
				_, err := pool.Exec(ctx, `INSERT INTO subjects (`+pgSubjectColumns+`) VALUES ($1, $2, $3, $4, $5, $6::json, $7::json, $8::json, $9, $10)`,
					sub.Tenant, sub.ID, sub.Integration, sub.Email, sub.Name, groups, roles, meta, sub.FirstSeen, sub.LastSeen)
				require.NoError(t, err)
			}
			for _, sess := range v1Sessions {
				_, err := pool.Exec(ctx, `INSERT INTO sessions (id, tenant, subject, integration, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6)`,
					sess.ID, sess.Tenant, sess.Subject, sess.Integration, sess.CreatedAt, sess.ExpiresAt)
				require.NoError(t, err)
			}
			pool.Close()

			s, err := Open(ctx, dsn)
			require.NoError(t, err)
			defer s.Close()
			checkMigrated(t, s)
		})
	}
}

// --- Open

func TestOpenRefuses(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	for _, c := range []struct {
		dsn, want string
	}{
		{"", "no scheme"},
		{"/var/lib/jwtgate.db", "no scheme"},
		{"mysql://u:s3cret@db/jwtgate", `unsupported DSN scheme "mysql"`},
		{"SQLITE:x.db", `unsupported DSN scheme "SQLITE"`},
		{"s3cret@db:5432", "no scheme"},
		{"sqlite:", "empty path"},
		{"sqlite://x.db", `starts with "//"`},
		{"sqlite:x.db?mode=ro", "may not contain '?'"},
		{"sqlite::memory:", "must name a file"},
		{"sqlite:" + filepath.Join(t.TempDir(), "missing", "dir", "x.db"), "sqlite: open"},
		{"postgres://u:s3cret@host:notaport/db", "invalid DSN"},
		{"postgres://u:s3cret@host/db?sslmode=bogus", "invalid DSN"},
		{"postgresql://u:s3cret@127.0.0.1:1/db?connect_timeout=2&sslmode=disable", "store: postgres:"},
	} {
		s, err := Open(ctx, c.dsn)
		if !assert.Error(t, err, "%q", c.dsn) {
			s.Close()
			continue
		}
		assert.Contains(t, err.Error(), c.want, "%q", c.dsn)
		assert.NotContains(t, err.Error(), "s3cret", "%q: the error quotes the password", c.dsn)
		assert.False(t, errors.Is(err, ErrNotFound))
	}
}

// TestOpenInvalidDSN: a DSN that names no store jwtgate can open is
// ErrInvalidDSN, from Open and from CheckDSN alike, naming what is wrong
// without quoting a password; a store that is merely unreachable is not.
func TestOpenInvalidDSN(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	for _, c := range []struct {
		dsn, want string
	}{
		{"", "no scheme"},
		{"mysql://u:s3cret@db/jwtgate", `unsupported DSN scheme "mysql"`},
		{"sqlite:", "empty path"},
		{"sqlite://x.db", `starts with "//"`},
		{"sqlite:x.db?mode=ro", "may not contain '?'"},
		{"sqlite::memory:", "must name a file"},
		{"postgres://u:s3cret@host:notaport/db", "port"},
		{"postgres://u:s3cret@host:99999/db", "port 99999"},
		{"postgres://u:s3cret@host:0/db", "port 0"},
		{"postgres://u:s3cret@host/db?sslmode=bogus", "invalid DSN"},
	} {
		for name, err := range map[string]error{"Open": openErr(ctx, c.dsn), "CheckDSN": CheckDSN(c.dsn)} {
			require.Error(t, err, "%s %q", name, c.dsn)
			assert.ErrorIs(t, err, ErrInvalidDSN, "%s %q", name, c.dsn)
			assert.Contains(t, err.Error(), c.want, "%s %q", name, c.dsn)
			assert.NotContains(t, err.Error(), "s3cret", "%s %q", name, c.dsn)
			assert.NotContains(t, err.Error(), "store: store:", "%s %q", name, c.dsn)
		}
	}
	for _, dsn := range []string{"sqlite:x.db", "sqlite:/var/lib/jwtgate/x.db", "postgres://u:s3cret@127.0.0.1:5432/db?sslmode=disable", "postgresql://db.example/jwtgate"} {
		assert.NoError(t, CheckDSN(dsn), dsn)
	}
	err := openErr(ctx, "postgresql://u:s3cret@127.0.0.1:1/db?connect_timeout=2&sslmode=disable")
	require.Error(t, err)
	assert.False(t, errors.Is(err, ErrInvalidDSN), "unreachable is not invalid: %v", err)
}

// openErr opens dsn and returns the error (closing a store that opened).
func openErr(ctx context.Context, dsn string) error {
	s, err := Open(ctx, dsn)
	if err == nil {
		s.Close()
		return errors.New("opened")
	}
	return err
}

// TestPostgresConnectErrors: a failed connection says once what failed —
// host, port, user, database and the server's message — and how to fix it,
// on one line, never with the password.
func TestPostgresConnectErrors(t *testing.T) {
	connectTestPostgres(t).Close(context.Background())
	u, err := url.Parse(testPostgresDSN())
	require.NoError(t, err)
	host, port := u.Hostname(), u.Port()
	if port == "" {
		port = "5432"
	}
	with := func(user, db, port string, query ...string) string {
		v := *u
		v.User = url.UserPassword(user, "s3cret-pw")
		v.Host = host + ":" + port
		v.Path = "/" + db
		q := v.Query()
		q.Set("connect_timeout", "5")
		for i := 0; i+1 < len(query); i += 2 {
			q.Set(query[i], query[i+1])
		}
		v.RawQuery = q.Encode()
		return v.String()
	}
	existing := strings.TrimPrefix(u.Path, "/")
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	for _, c := range []struct {
		name, dsn string
		want      []string
	}{
		{"no such role", with("jwtgate_no_such_role", existing, port),
			[]string{"at " + host + ":" + port, `user "jwtgate_no_such_role"`, `database "` + existing + `"`, `role "jwtgate_no_such_role" does not exist`, "check the user name"}},
		{"no such database", with(u.User.Username(), "jwtgate_no_such_db", port),
			[]string{`database "jwtgate_no_such_db"`, `database "jwtgate_no_such_db" does not exist`, "createdb"}},
		{"nothing listening", with("u", "db", "1"),
			[]string{"at " + host + ":1", `user "u"`, `database "db"`, "connection refused", "listens on that port"}},
		// sslmode=prefer tries TLS first, then plain: still one line.
		{"refused twice", with("u", "db", "1", "sslmode", "prefer"),
			[]string{"at " + host + ":1", "connection refused"}},
	} {
		err := openErr(ctx, c.dsn)
		require.Error(t, err, c.name)
		msg := err.Error()
		for _, w := range c.want {
			assert.Contains(t, msg, w, c.name)
		}
		assert.NotContains(t, msg, "s3cret-pw", c.name)
		assert.NotContains(t, msg, "\n", "%s: one line: %s", c.name, msg)
		assert.Equal(t, 1, strings.Count(msg, "cannot connect"), "%s: said once: %s", c.name, msg)
		assert.False(t, errors.Is(err, ErrInvalidDSN), c.name)
	}
}

package store

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// adminOf returns a new handle on the test's database as an Admin.
func adminOf(t *testing.T, open func(t *testing.T) Store) Admin {
	t.Helper()
	a, ok := open(t).(Admin)
	require.True(t, ok, "the store is not an Admin")
	return a
}

// mustTenant creates a tenant.
func mustTenant(t *testing.T, a Admin, id string) {
	t.Helper()
	require.NoError(t, a.CreateTenant(context.Background(), Tenant{ID: id, Name: "Tenant " + id, CreatedAt: t0}))
}

// put stores a revision of doc for tenant/name.
func put(a Admin, tenant, name, doc string, expect int64, draft bool) (Revision, error) {
	return a.PutRevision(context.Background(), Revision{Tenant: tenant, Name: name, Kind: "update",
		Doc: []byte("doc:" + doc), Public: []byte(`{"d":"` + doc + `"}`), Author: "ada", CreatedAt: t0}, expect, draft)
}

// testAdmin is the suite every Admin implementation passes; open as for
// testStore.
func testAdmin(t *testing.T, open func(t *testing.T) Store) {
	ctx := context.Background()

	t.Run("Tenants", func(t *testing.T) {
		t.Parallel()
		a, b := adminOf(t, open), adminOf(t, open)
		for _, id := range []string{"c", "a", "b"} {
			mustTenant(t, a, id)
		}
		assert.ErrorIs(t, b.CreateTenant(ctx, Tenant{ID: "a"}), ErrExists)
		got, err := b.GetTenant(ctx, "a")
		require.NoError(t, err)
		assert.Equal(t, "Tenant a", got.Name)
		assertTime(t, micro(t0), got.CreatedAt, "CreatedAt")
		_, err = b.GetTenant(ctx, "nope")
		assert.ErrorIs(t, err, ErrNotFound)

		page, err := b.ListTenants(ctx, "", 2)
		require.NoError(t, err)
		require.Len(t, page, 2)
		assert.Equal(t, []string{"a", "b"}, []string{page[0].ID, page[1].ID})
		page, err = b.ListTenants(ctx, "b", 0)
		require.NoError(t, err)
		require.Len(t, page, 1)
		assert.Equal(t, "c", page[0].ID)
		page, err = b.ListTenants(ctx, "", -5)
		require.NoError(t, err)
		assert.Len(t, page, 1, "a negative limit is 1")

		// Refused while an integration is live or drafted; allowed once
		// it is deleted, and then its credentials are revoked.
		_, err = put(a, "a", "web", "1", 0, false)
		require.NoError(t, err)
		_, err = put(a, "b", "web", "1", 0, true)
		require.NoError(t, err)
		require.NoError(t, a.CreateCredential(ctx, Credential{ID: "k", Tenant: "a", Hash: hash("a-secret"), CreatedAt: t0}))
		assert.ErrorIs(t, b.DeleteTenant(ctx, "a"), ErrConflict)
		assert.ErrorIs(t, b.DeleteTenant(ctx, "b"), ErrConflict, "a draft counts")
		_, err = a.DeleteIntegration(ctx, "a", "web", 1, "ada", t0)
		require.NoError(t, err)
		require.NoError(t, b.DeleteTenant(ctx, "a"))
		_, err = b.GetTenant(ctx, "a")
		assert.ErrorIs(t, err, ErrNotFound)
		_, err = a.LookupCredential(ctx, hash("a-secret"), t0)
		assert.ErrorIs(t, err, ErrNotFound, "a deleted tenant's credentials are revoked")
		assert.ErrorIs(t, b.DeleteTenant(ctx, "a"), ErrNotFound)
		_, err = put(a, "a", "web", "2", -1, false)
		assert.ErrorIs(t, err, ErrNotFound, "no revision for a gone tenant")
	})

	t.Run("RevisionNumbering", func(t *testing.T) {
		t.Parallel()
		a, b := adminOf(t, open), adminOf(t, open)
		mustTenant(t, a, "acme")
		v0, err := a.ChangeVersion(ctx)
		require.NoError(t, err)

		_, err = put(a, "nobody", "web", "1", 0, false)
		assert.ErrorIs(t, err, ErrNotFound, "unknown tenant")
		r1, err := put(a, "acme", "web", "1", 0, false)
		require.NoError(t, err)
		assert.EqualValues(t, 1, r1.Number)
		assertTime(t, micro(t0), r1.CreatedAt, "CreatedAt")
		_, err = put(b, "acme", "web", "again", 0, false)
		assert.ErrorIs(t, err, ErrConflict, "create when live")
		_, err = put(b, "acme", "web", "stale", 7, false)
		assert.ErrorIs(t, err, ErrConflict)
		r2, err := put(b, "acme", "web", "2", 1, false)
		require.NoError(t, err)
		assert.EqualValues(t, 2, r2.Number)
		r3, err := put(a, "acme", "web", "3", -1, false)
		require.NoError(t, err)
		assert.EqualValues(t, 3, r3.Number)
		_, err = put(a, "acme", "other", "1", 0, false)
		require.NoError(t, err)

		head, err := b.GetIntegration(ctx, "acme", "web")
		require.NoError(t, err)
		assert.EqualValues(t, 3, head.Live)
		assert.EqualValues(t, 0, head.Draft)
		assert.Equal(t, "ada", head.UpdatedBy)
		assertTime(t, micro(t0), head.UpdatedAt, "UpdatedAt")
		got, err := b.GetRevision(ctx, "acme", "web", 2)
		require.NoError(t, err)
		assert.Equal(t, "doc:2", string(got.Doc))
		assert.Equal(t, `{"d":"2"}`, string(got.Public))
		_, err = b.GetRevision(ctx, "acme", "web", 9)
		assert.ErrorIs(t, err, ErrNotFound)

		// Delete, then create again: the numbers go on.
		_, err = a.DeleteIntegration(ctx, "acme", "web", 2, "bob", t0)
		assert.ErrorIs(t, err, ErrConflict)
		del, err := a.DeleteIntegration(ctx, "acme", "web", 3, "bob", t0.Add(time.Hour))
		require.NoError(t, err)
		assert.EqualValues(t, 4, del.Number)
		assert.Equal(t, "delete", del.Kind)
		assert.Nil(t, del.Doc)
		_, err = a.DeleteIntegration(ctx, "acme", "web", -1, "bob", t0)
		assert.ErrorIs(t, err, ErrNotFound, "not live")
		head, err = b.GetIntegration(ctx, "acme", "web")
		require.NoError(t, err)
		assert.EqualValues(t, 0, head.Live)
		assert.Equal(t, "bob", head.UpdatedBy)
		_, err = put(b, "acme", "web", "back", 3, false)
		assert.ErrorIs(t, err, ErrConflict, "deleted: not live")
		r5, err := put(b, "acme", "web", "back", 0, false)
		require.NoError(t, err)
		assert.EqualValues(t, 5, r5.Number)

		revs, err := a.ListRevisions(ctx, "acme", "web", 0, 2)
		require.NoError(t, err)
		require.Len(t, revs, 2)
		assert.EqualValues(t, []int64{5, 4}, []int64{revs[0].Number, revs[1].Number})
		assert.Nil(t, revs[0].Doc, "listed without Doc")
		assert.Equal(t, `{"d":"back"}`, string(revs[0].Public))
		revs, err = a.ListRevisions(ctx, "acme", "web", 4, 0)
		require.NoError(t, err)
		require.Len(t, revs, 3)
		assert.EqualValues(t, 3, revs[0].Number)
		assert.EqualValues(t, 1, revs[2].Number)

		_, err = a.GetIntegration(ctx, "acme", "never")
		assert.ErrorIs(t, err, ErrNotFound)
		v1, err := b.ChangeVersion(ctx)
		require.NoError(t, err)
		assert.EqualValues(t, 6, v1-v0, "every write bumps the version, no failed one")
	})

	t.Run("RevisionRace", func(t *testing.T) {
		t.Parallel()
		handles := []Admin{adminOf(t, open), adminOf(t, open)}
		mustTenant(t, handles[0], "acme")
		// Two rounds: creating (expect 0), then updating (expect 1).
		for round, expect := range []int64{0, 1} {
			var won, lost atomic.Int32
			var wg sync.WaitGroup
			start := make(chan struct{})
			for i := range 8 {
				wg.Go(func() {
					<-start
					_, err := put(handles[i%2], "acme", "web", fmt.Sprint(i), expect, false)
					switch {
					case err == nil:
						won.Add(1)
					case assert.ErrorIs(t, err, ErrConflict):
						lost.Add(1)
					}
				})
			}
			close(start)
			wg.Wait()
			assert.EqualValues(t, 1, won.Load(), "round %d: exactly one wins", round)
			assert.EqualValues(t, 7, lost.Load(), "round %d", round)
		}
		head, err := handles[1].GetIntegration(ctx, "acme", "web")
		require.NoError(t, err)
		assert.EqualValues(t, 2, head.Live)

		// Without a check, every write lands, numbered without a gap.
		var wg sync.WaitGroup
		for i := range 8 {
			wg.Go(func() {
				_, err := put(handles[i%2], "acme", "web", fmt.Sprint(i), -1, false)
				assert.NoError(t, err)
			})
		}
		wg.Wait()
		revs, err := handles[0].ListRevisions(ctx, "acme", "web", 0, 0)
		require.NoError(t, err)
		require.Len(t, revs, 10)
		for i, r := range revs {
			assert.EqualValues(t, 10-i, r.Number)
		}
	})

	t.Run("Drafts", func(t *testing.T) {
		t.Parallel()
		a, b := adminOf(t, open), adminOf(t, open)
		mustTenant(t, a, "acme")
		_, err := a.PromoteDraft(ctx, "acme", "web", -1, "ada", t0)
		assert.ErrorIs(t, err, ErrNotFound, "never stored")
		_, err = put(a, "acme", "web", "live", 0, false)
		require.NoError(t, err)
		_, err = a.PromoteDraft(ctx, "acme", "web", -1, "ada", t0)
		assert.ErrorIs(t, err, ErrNotFound, "no draft")

		d, err := put(b, "acme", "web", "draft", 1, true)
		require.NoError(t, err)
		assert.EqualValues(t, 2, d.Number)
		head, err := a.GetIntegration(ctx, "acme", "web")
		require.NoError(t, err)
		assert.EqualValues(t, 1, head.Live, "a draft leaves the live one")
		assert.EqualValues(t, 2, head.Draft)
		d3, err := put(b, "acme", "web", "draft2", 1, true)
		require.NoError(t, err)
		assert.ErrorIs(t, a.DiscardDraft(ctx, "acme", "web", 2, "ada", t0), ErrConflict, "replaced draft")
		_, err = a.PromoteDraft(ctx, "acme", "web", 2, "ada", t0)
		assert.ErrorIs(t, err, ErrConflict)

		p, err := a.PromoteDraft(ctx, "acme", "web", d3.Number, "cy", t0.Add(time.Minute))
		require.NoError(t, err)
		assert.EqualValues(t, 4, p.Number)
		assert.Equal(t, "promote", p.Kind)
		assert.Equal(t, "doc:draft2", string(p.Doc))
		assert.Equal(t, `{"d":"draft2"}`, string(p.Public))
		head, err = b.GetIntegration(ctx, "acme", "web")
		require.NoError(t, err)
		assert.EqualValues(t, 4, head.Live)
		assert.EqualValues(t, 0, head.Draft)
		assert.Equal(t, "cy", head.UpdatedBy)
		stored, err := b.GetRevision(ctx, "acme", "web", 4)
		require.NoError(t, err)
		assert.Equal(t, "doc:draft2", string(stored.Doc))

		// A live write clears the draft; a discarded draft stays in the
		// history.
		_, err = put(b, "acme", "web", "d5", 4, true)
		require.NoError(t, err)
		_, err = put(b, "acme", "web", "live6", 4, false)
		require.NoError(t, err)
		head, err = b.GetIntegration(ctx, "acme", "web")
		require.NoError(t, err)
		assert.EqualValues(t, []int64{6, 0}, []int64{head.Live, head.Draft})
		_, err = put(b, "acme", "web", "d7", 6, true)
		require.NoError(t, err)
		require.NoError(t, a.DiscardDraft(ctx, "acme", "web", 7, "ada", t0))
		assert.ErrorIs(t, a.DiscardDraft(ctx, "acme", "web", 7, "ada", t0), ErrNotFound)
		head, err = b.GetIntegration(ctx, "acme", "web")
		require.NoError(t, err)
		assert.EqualValues(t, []int64{6, 0}, []int64{head.Live, head.Draft})
		_, err = b.GetRevision(ctx, "acme", "web", 7)
		assert.NoError(t, err)

		// A draft of a new integration: listed, not live.
		mustTenant(t, a, "beta")
		_, err = put(a, "beta", "new", "d", 0, true)
		require.NoError(t, err)
		_, err = put(a, "acme", "gone", "x", 0, false)
		require.NoError(t, err)
		_, err = a.DeleteIntegration(ctx, "acme", "gone", -1, "ada", t0)
		require.NoError(t, err)
		list, err := b.ListIntegrations(ctx, "")
		require.NoError(t, err)
		require.Len(t, list, 2, "the deleted one is not listed")
		assert.Equal(t, []string{"acme/web", "beta/new"}, []string{list[0].Tenant + "/" + list[0].Name, list[1].Tenant + "/" + list[1].Name})
		assert.EqualValues(t, []int64{0, 1}, []int64{list[1].Live, list[1].Draft})
		list, err = b.ListIntegrations(ctx, "beta")
		require.NoError(t, err)
		assert.Len(t, list, 1)

		version, live, drafts, err := b.LoadIntegrations(ctx)
		require.NoError(t, err)
		cv, err := a.ChangeVersion(ctx)
		require.NoError(t, err)
		assert.Equal(t, cv, version)
		require.Len(t, live, 1)
		assert.Equal(t, "doc:live6", string(live[0].Doc))
		require.Len(t, drafts, 1)
		assert.Equal(t, "beta", drafts[0].Tenant)
		assert.Equal(t, "doc:d", string(drafts[0].Doc))
	})

	t.Run("ResealDocs", func(t *testing.T) {
		a := adminOf(t, open)
		mustTenant(t, a, "acme")
		// 450 revisions over three pages, and a deletion (no document).
		for i := range 150 {
			for k := range 3 {
				_, err := put(a, "acme", fmt.Sprintf("i%03d", i), fmt.Sprint(k), -1, false)
				require.NoError(t, err)
			}
		}
		_, err := a.DeleteIntegration(ctx, "acme", "i000", -1, "ada", t0)
		require.NoError(t, err)
		v := mustVersion(t, a)
		seen := 0
		n, err := a.ResealDocs(ctx, func(r Revision) ([]byte, bool, error) {
			seen++
			require.NotNil(t, r.Doc)
			if r.Number == 2 {
				return nil, false, nil // left as it is
			}
			return append([]byte("new:"), r.Doc...), true, nil
		})
		require.NoError(t, err)
		assert.Equal(t, 450, seen, "every revision with a document, once")
		assert.Equal(t, int64(300), n)
		r1, err := a.GetRevision(ctx, "acme", "i042", 1)
		require.NoError(t, err)
		assert.Equal(t, "new:doc:0", string(r1.Doc))
		assert.Equal(t, `{"d":"0"}`, string(r1.Public), "the other columns are left alone")
		r2, err := a.GetRevision(ctx, "acme", "i042", 2)
		require.NoError(t, err)
		assert.Equal(t, "doc:1", string(r2.Doc))
		assert.Equal(t, v, mustVersion(t, a), "the documents mean the same: no change to follow")

		boom := errors.New("boom")
		_, err = a.ResealDocs(ctx, func(Revision) ([]byte, bool, error) { return nil, false, boom })
		assert.ErrorIs(t, err, boom)
	})

	t.Run("LoadManyIntegrations", func(t *testing.T) {
		t.Parallel()
		a := adminOf(t, open)
		mustTenant(t, a, "acme")
		const n = 2000
		seedIntegrations(t, a, "acme", n)
		start := time.Now()
		version, live, drafts, err := a.LoadIntegrations(ctx)
		require.NoError(t, err)
		elapsed := time.Since(start)
		assert.Less(t, elapsed, 5*time.Second, "one query a list")
		assert.Len(t, live, n)
		assert.Len(t, drafts, n/10)
		assert.EqualValues(t, n+n/10, version, "a write a bump")
		assert.Equal(t, version, mustVersion(t, a))
		for i := 1; i < len(live); i++ {
			assert.Less(t, live[i-1].Name, live[i].Name, "ordered")
		}
		assert.Equal(t, "doc:"+live[0].Name, string(live[0].Doc))
	})

	t.Run("Credentials", func(t *testing.T) {
		t.Parallel()
		a, b := adminOf(t, open), adminOf(t, open)
		mustTenant(t, a, "acme")
		mustTenant(t, a, "beta")
		for _, c := range []Credential{
			{ID: "k1", Tenant: "acme", Hash: hash("s1"), Label: "laptop", CreatedAt: t0},
			{ID: "k2", Tenant: "acme", Hash: hash("s2"), CreatedAt: t0, ExpiresAt: t0.Add(time.Hour)},
			{ID: "code", Tenant: "acme", Hash: hash("c1"), CreatedAt: t0, ExpiresAt: t0.Add(time.Minute), OneTime: true},
			{ID: "op", Hash: hash("op"), CreatedAt: t0},
			{ID: "b1", Tenant: "beta", Hash: hash("b1"), CreatedAt: t0},
		} {
			require.NoError(t, a.CreateCredential(ctx, c), c.ID)
		}
		assert.ErrorIs(t, b.CreateCredential(ctx, Credential{ID: "k1", Tenant: "acme", Hash: hash("x")}), ErrExists, "same ID")
		assert.ErrorIs(t, b.CreateCredential(ctx, Credential{ID: "k9", Tenant: "acme", Hash: hash("s1")}), ErrExists, "same hash")
		assert.ErrorIs(t, b.CreateCredential(ctx, Credential{ID: "k9", Tenant: "nobody", Hash: hash("n")}), ErrNotFound)

		got, err := b.LookupCredential(ctx, hash("s1"), t0)
		require.NoError(t, err)
		assert.Equal(t, "k1", got.ID)
		assert.Equal(t, "laptop", got.Label)
		assert.True(t, got.ExpiresAt.IsZero(), "never expires")
		got, err = b.LookupCredential(ctx, hash("s2"), t0.Add(time.Hour-time.Microsecond))
		require.NoError(t, err)
		assertTime(t, micro(t0.Add(time.Hour)), got.ExpiresAt, "ExpiresAt")
		_, err = b.LookupCredential(ctx, hash("s2"), t0.Add(time.Hour))
		assert.ErrorIs(t, err, ErrNotFound, "expired")
		_, err = b.LookupCredential(ctx, hash("c1"), t0)
		assert.ErrorIs(t, err, ErrNotFound, "a one-time code is not looked up")
		_, err = b.ConsumeCredential(ctx, hash("s1"), t0)
		assert.ErrorIs(t, err, ErrNotFound, "not one-time")
		_, err = b.ConsumeCredential(ctx, hash("c1"), t0.Add(time.Minute))
		assert.ErrorIs(t, err, ErrNotFound, "expired code")

		list, err := a.ListCredentials(ctx, "acme")
		require.NoError(t, err)
		require.Len(t, list, 3)
		assert.Equal(t, []string{"code", "k1", "k2"}, []string{list[0].ID, list[1].ID, list[2].ID})
		for _, c := range list {
			assert.Nil(t, c.Hash, "listed without the hash")
		}
		list, err = a.ListCredentials(ctx, "")
		require.NoError(t, err)
		require.Len(t, list, 1, "the operator's")
		assert.Equal(t, "op", list[0].ID)

		// Concurrent consumption: exactly one.
		var won atomic.Int32
		var wg sync.WaitGroup
		for i := range 10 {
			wg.Go(func() {
				c, err := []Admin{a, b}[i%2].ConsumeCredential(ctx, hash("c1"), t0)
				if err == nil {
					assert.Equal(t, "code", c.ID)
					won.Add(1)
				} else {
					assert.ErrorIs(t, err, ErrNotFound)
				}
			})
		}
		wg.Wait()
		assert.EqualValues(t, 1, won.Load())
		list, err = a.ListCredentials(ctx, "acme")
		require.NoError(t, err)
		assert.Len(t, list, 2, "a used code is not listed")

		// A tenant revokes only its own; the operator any.
		assert.ErrorIs(t, b.RevokeCredential(ctx, "acme", "b1"), ErrNotFound)
		_, err = b.LookupCredential(ctx, hash("b1"), t0)
		assert.NoError(t, err, "beta's key survives acme's attempt")
		require.NoError(t, b.RevokeCredential(ctx, "acme", "k1"))
		_, err = a.LookupCredential(ctx, hash("s1"), t0)
		assert.ErrorIs(t, err, ErrNotFound, "revoked")
		require.NoError(t, b.RevokeCredential(ctx, "", "b1"))
		_, err = a.LookupCredential(ctx, hash("b1"), t0)
		assert.ErrorIs(t, err, ErrNotFound)
		assert.ErrorIs(t, b.RevokeCredential(ctx, "", "nope"), ErrNotFound)
	})

	t.Run("Audit", func(t *testing.T) {
		t.Parallel()
		a, b := adminOf(t, open), adminOf(t, open)
		var ids []int64
		for i := range 7 {
			tenant := []string{"acme", "beta"}[i%2]
			id, err := []Admin{a, b}[i%2].AppendAudit(ctx, AuditEntry{At: t0.Add(time.Duration(i) * time.Second), Actor: "ada",
				Tenant: tenant, Action: "put", Target: fmt.Sprintf("web-%d", i), Detail: []byte(fmt.Sprintf(`{"n": %d}`, i))})
			require.NoError(t, err)
			ids = append(ids, id)
		}
		for i := 1; i < len(ids); i++ {
			assert.Greater(t, ids[i], ids[i-1], "increasing")
		}
		_, err := a.AppendAudit(ctx, AuditEntry{Tenant: "acme", Detail: []byte(`{"secret":`)})
		assert.ErrorIs(t, err, ErrInvalidArgument)
		id, err := a.AppendAudit(ctx, AuditEntry{Tenant: "gamma", At: t0})
		require.NoError(t, err)

		all, err := b.ListAudit(ctx, "", 0, 3)
		require.NoError(t, err)
		require.Len(t, all, 3)
		assert.Equal(t, id, all[0].ID, "newest first")
		assert.Nil(t, all[0].Detail)
		assert.Equal(t, "web-6", all[1].Target)
		assert.Equal(t, `{"n": 6}`, string(all[1].Detail), "byte for byte")
		assertTime(t, micro(t0.Add(6*time.Second)), all[1].At, "At")
		next, err := b.ListAudit(ctx, "", all[2].ID, 100)
		require.NoError(t, err)
		assert.Len(t, next, 5, "the rest")
		assert.Equal(t, "web-4", next[0].Target)

		acme, err := b.ListAudit(ctx, "acme", 0, 0)
		require.NoError(t, err)
		require.Len(t, acme, 4)
		for i, e := range acme {
			assert.Equal(t, "acme", e.Tenant)
			assert.Equal(t, fmt.Sprintf("web-%d", 6-2*i), e.Target)
		}
		acme, err = b.ListAudit(ctx, "acme", acme[1].ID, 1)
		require.NoError(t, err)
		require.Len(t, acme, 1)
		assert.Equal(t, "web-2", acme[0].Target)
	})

	t.Run("Shadow", func(t *testing.T) {
		t.Parallel()
		a, b := adminOf(t, open), adminOf(t, open)
		empty, err := a.GetShadow(ctx, "acme", "web", 2)
		require.NoError(t, err)
		assert.Equal(t, ShadowTally{Revision: 2}, empty)
		samples := func(from, n int) []ShadowSample {
			var out []ShadowSample
			for i := from; i < from+n; i++ {
				out = append(out, ShadowSample{At: t0.Add(time.Duration(i) * time.Second), LiveCode: "allow", DraftCode: "deny", DraftReason: fmt.Sprint(i)})
			}
			return out
		}
		require.NoError(t, a.RecordShadow(ctx, "acme", "web", 2, 10, 3, samples(0, 3)))
		require.NoError(t, b.RecordShadow(ctx, "acme", "web", 2, 5, 0, nil))
		got, err := b.GetShadow(ctx, "acme", "web", 2)
		require.NoError(t, err)
		assert.EqualValues(t, 15, got.Compared)
		assert.EqualValues(t, 3, got.Differed)
		require.Len(t, got.Samples, 3)
		assert.Equal(t, "2", got.Samples[0].DraftReason, "newest first")
		assertTime(t, micro(t0.Add(2*time.Second)), got.Samples[0].At, "At")

		// More than the cap, over several records and in one.
		for i := range 4 {
			require.NoError(t, []Admin{a, b}[i%2].RecordShadow(ctx, "acme", "web", 2, 20, 20, samples(3+20*i, 20)))
		}
		got, err = a.GetShadow(ctx, "acme", "web", 2)
		require.NoError(t, err)
		assert.EqualValues(t, 95, got.Compared)
		assert.EqualValues(t, 83, got.Differed)
		require.Len(t, got.Samples, maxShadowSamples)
		assert.Equal(t, "82", got.Samples[0].DraftReason)
		assert.Equal(t, "33", got.Samples[maxShadowSamples-1].DraftReason)
		require.NoError(t, a.RecordShadow(ctx, "acme", "web", 3, 120, 120, samples(1000, 120)))
		got, err = a.GetShadow(ctx, "acme", "web", 3)
		require.NoError(t, err)
		require.Len(t, got.Samples, maxShadowSamples)
		assert.Equal(t, "1119", got.Samples[0].DraftReason)
		assert.Equal(t, "1070", got.Samples[maxShadowSamples-1].DraftReason)
		got, err = a.GetShadow(ctx, "acme", "web", 2)
		require.NoError(t, err)
		assert.EqualValues(t, 95, got.Compared, "revisions have tallies of their own")

		assert.ErrorIs(t, a.RecordShadow(ctx, "acme", "web", 2, -1, 0, nil), ErrInvalidArgument)
	})

	t.Run("TenantSubjectsAndSessions", func(t *testing.T) {
		t.Parallel()
		st := open(t)
		a := st.(Admin)
		b := adminOf(t, open)
		require.NoError(t, st.SyncIntegrations(ctx, []string{"okta", "google"}))
		for _, s := range []Subject{
			{Tenant: "acme", Integration: "okta", ID: "u2"},
			{Tenant: "acme", Integration: "okta", ID: "u1", Email: "u1@acme", Groups: []string{"g"}},
			{Tenant: "acme", Integration: "google", ID: "u3"},
			{Tenant: "beta", Integration: "okta", ID: "u1"},
		} {
			_, _, err := st.UpsertSubject(ctx, s, t0)
			require.NoError(t, err)
		}
		subs, err := b.ListSubjects(ctx, "acme", "", 2)
		require.NoError(t, err)
		require.Len(t, subs, 2)
		assert.Equal(t, []string{"google/u3", "okta/u1"}, []string{subs[0].Integration + "/" + subs[0].ID, subs[1].Integration + "/" + subs[1].ID})
		assert.Equal(t, "u1@acme", subs[1].Email)
		assert.Equal(t, []string{"g"}, subs[1].Groups)
		subs, err = b.ListSubjects(ctx, "acme", SubjectCursor(subs[1]), 10)
		require.NoError(t, err)
		require.Len(t, subs, 1, "another tenant's are not listed")
		assert.Equal(t, "u2", subs[0].ID)
		subs, err = b.ListSubjects(ctx, "beta", "", 0)
		require.NoError(t, err)
		require.Len(t, subs, 1)
		assert.Equal(t, "beta", subs[0].Tenant)

		for i, s := range []Session{
			{ID: "a1", Tenant: "acme", Subject: "u1", Integration: "okta"},
			{ID: "a2", Tenant: "acme", Subject: "u1", Integration: "google"},
			{ID: "a3", Tenant: "acme", Subject: "u2", Integration: "okta"},
			{ID: "a-old", Tenant: "acme", Subject: "u1", Integration: "okta", CreatedAt: t0.Add(-2 * time.Hour), ExpiresAt: t0.Add(-time.Hour)},
			{ID: "b1", Tenant: "beta", Subject: "u1", Integration: "okta"},
		} {
			if s.CreatedAt.IsZero() {
				s.CreatedAt, s.ExpiresAt = t0.Add(time.Duration(i)*time.Minute), t0.Add(time.Hour)
			}
			require.NoError(t, st.CreateSession(ctx, s))
		}
		ids := func(l []Session) []string {
			var out []string
			for _, s := range l {
				out = append(out, s.ID)
			}
			return out
		}
		got, err := b.ListSessions(ctx, "acme", "", t0.Add(5*time.Minute), 0)
		require.NoError(t, err)
		assert.Equal(t, []string{"a3", "a2", "a1"}, ids(got), "live ones, newest first")
		got, err = b.ListSessions(ctx, "acme", "u1", t0.Add(5*time.Minute), 0)
		require.NoError(t, err)
		assert.Equal(t, []string{"a2", "a1"}, ids(got))
		got, err = b.ListSessions(ctx, "beta", "", t0.Add(5*time.Minute), 0)
		require.NoError(t, err)
		assert.Equal(t, []string{"b1"}, ids(got))

		// A tenant cannot revoke another's session.
		assert.ErrorIs(t, a.RevokeTenantSession(ctx, "acme", "b1", t0), ErrNotFound)
		sess, err := st.GetSession(ctx, "b1")
		require.NoError(t, err)
		assert.True(t, sess.RevokedAt.IsZero(), "beta's session is untouched")
		assert.ErrorIs(t, a.RevokeTenantSession(ctx, "acme", "nope", t0), ErrNotFound)
		require.NoError(t, a.RevokeTenantSession(ctx, "acme", "a3", t0.Add(time.Minute)))
		require.NoError(t, a.RevokeTenantSession(ctx, "acme", "a3", t0.Add(2*time.Minute)), "again")
		sess, err = st.GetSession(ctx, "a3")
		require.NoError(t, err)
		assertTime(t, micro(t0.Add(time.Minute)), sess.RevokedAt, "the first revocation's time")

		n, err := b.RevokeSubjectSessions(ctx, "acme", "u1", t0)
		require.NoError(t, err)
		assert.EqualValues(t, 3, n, "a1, a2 and the expired a-old")
		got, err = b.ListSessions(ctx, "acme", "", t0, 0)
		require.NoError(t, err)
		assert.Empty(t, got)
		sess, err = st.GetSession(ctx, "b1")
		require.NoError(t, err)
		assert.True(t, sess.RevokedAt.IsZero(), "beta's u1 is another subject")

		// Sessions of a retired integration are not live.
		require.NoError(t, st.SyncIntegrations(ctx, []string{"google"}))
		got, err = b.ListSessions(ctx, "beta", "", t0, 0)
		require.NoError(t, err)
		assert.Empty(t, got)
	})
}

// hash is a credential's stored hash of secret.
func hash(secret string) []byte {
	sum := sha256.Sum256([]byte(secret))
	return sum[:]
}

// mustVersion returns the change version.
func mustVersion(t *testing.T, a Admin) int64 {
	t.Helper()
	v, err := a.ChangeVersion(context.Background())
	require.NoError(t, err)
	return v
}

// seedIntegrations stores n live integrations of tenant, and a draft of
// every tenth, with PutRevision.
func seedIntegrations(t *testing.T, a Admin, tenant string, n int) {
	t.Helper()
	var wg sync.WaitGroup
	names := make(chan int)
	for range 4 {
		wg.Go(func() {
			for i := range names {
				name := fmt.Sprintf("int-%05d", i)
				_, err := put(a, tenant, name, name, 0, false)
				assert.NoError(t, err)
				if i%10 == 0 {
					_, err = put(a, tenant, name, "draft-"+name, 1, true)
					assert.NoError(t, err)
				}
			}
		})
	}
	for i := range n {
		names <- i
	}
	close(names)
	wg.Wait()
}

func TestSQLiteAdmin(t *testing.T) {
	testAdmin(t, sharedOpener(newSQLiteDB))
}

func TestPostgresAdmin(t *testing.T) {
	connectTestPostgres(t).Close(context.Background())
	testAdmin(t, sharedOpener(newPostgresDB))
}

func TestSQLiteWatchChanges(t *testing.T) {
	s := sharedOpener(newSQLiteDB)(t).(Admin)
	called := false
	require.NoError(t, s.WatchChanges(context.Background(), func() { called = true }))
	assert.False(t, called)
}

// TestPostgresWatchChanges: a write through another handle on the schema
// is noticed within a second, also after the listening connection was
// killed; a write to another schema is not.
func TestPostgresWatchChanges(t *testing.T) {
	connectTestPostgres(t).Close(context.Background())
	open := sharedOpener(newPostgresDB)
	watcher, writer := open(t).(*pgStore), open(t).(Admin)
	mustTenant(t, writer, "acme")
	elsewhere := sharedOpener(newPostgresDB)(t).(Admin) // another schema of the database
	mustTenant(t, elsewhere, "acme")

	ctx, cancel := context.WithCancel(context.Background())
	notes := make(chan struct{}, 16)
	done := make(chan error, 1)
	go func() { done <- watcher.WatchChanges(ctx, func() { notes <- struct{}{} }) }()
	wait := func(what string) {
		t.Helper()
		select {
		case <-notes:
		case <-time.After(time.Second):
			require.FailNow(t, "no notice within 1 s: "+what)
		}
	}
	quiet := func(what string) {
		t.Helper()
		select {
		case <-notes:
			assert.Fail(t, "a notice for "+what)
		case <-time.After(200 * time.Millisecond):
		}
	}
	wait("listening")
	quiet("nothing")
	_, err := put(writer, "acme", "web", "1", 0, false)
	require.NoError(t, err)
	wait("a write on the other handle")
	_, err = put(writer, "acme", "web", "stale", 0, false)
	require.ErrorIs(t, err, ErrConflict)
	quiet("a write that failed")
	_, err = put(elsewhere, "acme", "web", "1", 0, false)
	require.NoError(t, err)
	quiet("a write to another schema")

	// Killed: it reconnects, says so, and hears writes again.
	pid := watcher.watchPID.Load()
	require.NotZero(t, pid)
	conn := connectTestPostgres(t)
	defer conn.Close(context.Background())
	_, err = conn.Exec(context.Background(), `SELECT pg_terminate_backend($1)`, int32(pid))
	require.NoError(t, err)
	wait("reconnected")
	assert.NotEqual(t, pid, watcher.watchPID.Load())
	_, err = put(writer, "acme", "web", "2", 1, false)
	require.NoError(t, err)
	wait("a write after the reconnection")

	cancel()
	select {
	case err := <-done:
		assert.NoError(t, err)
	case <-time.After(5 * time.Second):
		assert.Fail(t, "WatchChanges did not return when ctx ended")
	}
}

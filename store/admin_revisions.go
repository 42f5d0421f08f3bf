package store

import (
	"context"
	"fmt"
	"time"
)

// integrationHead is an integration's row of integration_heads: its live
// and draft revisions and the last number given out, so that numbers are
// never reused, also after a delete.
type integrationHead struct {
	live, draft, last int64
	updatedAt         time.Time
	updatedBy         string
}

// revisionTx is what the revision writes need of a backend, inside one
// transaction. The writes below are the same for both backends; only the
// SQL differs. Locks are taken in one order (tenant, head, change
// version), so that concurrent writes cannot deadlock.
type revisionTx interface {
	// tenantExists reports whether the tenant exists, and keeps it from
	// being deleted until the transaction ends.
	tenantExists(ctx context.Context, tenant string) (bool, error)
	// lockHead returns the head of an integration, locked until the
	// transaction ends; with create, a zero head is made first when there
	// is none, so that concurrent first writes wait for one another.
	lockHead(ctx context.Context, tenant, name string, create bool) (integrationHead, bool, error)
	// revision returns one revision, with its Doc, or ErrNotFound.
	revision(ctx context.Context, tenant, name string, number int64) (Revision, error)
	insertRevision(ctx context.Context, rev Revision) error
	writeHead(ctx context.Context, tenant, name string, h integrationHead) error
	// bumpVersion bumps the change version and tells the other instances.
	bumpVersion(ctx context.Context) error
}

// checkExpect compares a revision number with the one a caller read
// (-1: no check).
func checkExpect(have, expect int64) error {
	if expect != -1 && have != expect {
		return ErrConflict
	}
	return nil
}

// putRevision is PutRevision inside tx.
func putRevision(ctx context.Context, tx revisionTx, rev Revision, expect int64, draft bool) (Revision, error) {
	ok, err := tx.tenantExists(ctx, rev.Tenant)
	if err != nil {
		return Revision{}, err
	}
	if !ok {
		return Revision{}, fmt.Errorf("tenant %q: %w", rev.Tenant, ErrNotFound)
	}
	h, _, err := tx.lockHead(ctx, rev.Tenant, rev.Name, true)
	if err != nil {
		return Revision{}, err
	}
	if err := checkExpect(h.live, expect); err != nil {
		return Revision{}, err
	}
	rev.CreatedAt = micro(rev.CreatedAt)
	if draft {
		return appendRevision(ctx, tx, h, rev, func(h *integrationHead, n int64) { h.draft = n })
	}
	return appendRevision(ctx, tx, h, rev, makeLive)
}

// makeLive makes revision n the live one, the draft cleared.
func makeLive(h *integrationHead, n int64) { h.live, h.draft = n, 0 }

// appendRevision numbers rev after h's last, stores it, and writes the
// head as set leaves it given the new number.
func appendRevision(ctx context.Context, tx revisionTx, h integrationHead, rev Revision, set func(h *integrationHead, n int64)) (Revision, error) {
	h.last++
	rev.Number = h.last
	set(&h, rev.Number)
	h.updatedAt, h.updatedBy = rev.CreatedAt, rev.Author
	if err := tx.insertRevision(ctx, rev); err != nil {
		return Revision{}, err
	}
	if err := tx.writeHead(ctx, rev.Tenant, rev.Name, h); err != nil {
		return Revision{}, err
	}
	return rev, tx.bumpVersion(ctx)
}

// deleteIntegration is DeleteIntegration inside tx: a "delete" revision,
// neither live nor drafted after it.
func deleteIntegration(ctx context.Context, tx revisionTx, tenant, name string, expect int64, author string, at time.Time) (Revision, error) {
	h, found, err := tx.lockHead(ctx, tenant, name, false)
	if err != nil {
		return Revision{}, err
	}
	if !found || h.live == 0 {
		return Revision{}, ErrNotFound
	}
	if err := checkExpect(h.live, expect); err != nil {
		return Revision{}, err
	}
	rev := Revision{Tenant: tenant, Name: name, Kind: "delete", Author: author,
		Note: fmt.Sprintf("delete %d", h.live), CreatedAt: micro(at)}
	return appendRevision(ctx, tx, h, rev, func(h *integrationHead, _ int64) { h.live, h.draft = 0, 0 })
}

// draftHead returns the locked head of an integration whose draft is
// expectDraft (-1: any draft).
func draftHead(ctx context.Context, tx revisionTx, tenant, name string, expectDraft int64) (integrationHead, error) {
	h, found, err := tx.lockHead(ctx, tenant, name, false)
	if err != nil {
		return integrationHead{}, err
	}
	if !found || h.draft == 0 {
		return integrationHead{}, ErrNotFound
	}
	return h, checkExpect(h.draft, expectDraft)
}

// promoteDraft is PromoteDraft inside tx: the draft's documents as a new,
// live revision.
func promoteDraft(ctx context.Context, tx revisionTx, tenant, name string, expectDraft int64, author string, at time.Time) (Revision, error) {
	h, err := draftHead(ctx, tx, tenant, name, expectDraft)
	if err != nil {
		return Revision{}, err
	}
	d, err := tx.revision(ctx, tenant, name, h.draft)
	if err != nil {
		return Revision{}, err
	}
	rev := Revision{Tenant: tenant, Name: name, Kind: "promote", Doc: d.Doc, Public: d.Public,
		Author: author, Note: fmt.Sprintf("promote %d", h.draft), CreatedAt: micro(at)}
	return appendRevision(ctx, tx, h, rev, makeLive)
}

// discardDraft is DiscardDraft inside tx.
func discardDraft(ctx context.Context, tx revisionTx, tenant, name string, expectDraft int64, author string, at time.Time) error {
	h, err := draftHead(ctx, tx, tenant, name, expectDraft)
	if err != nil {
		return err
	}
	h.draft, h.updatedAt, h.updatedBy = 0, micro(at), author
	if err := tx.writeHead(ctx, tenant, name, h); err != nil {
		return err
	}
	return tx.bumpVersion(ctx)
}

package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// pgList runs a query on the pool and scans each row.
func pgList[T any](ctx context.Context, q interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
}, scan func(pgx.Row) (T, error), query string, args ...any) ([]T, error) {
	rows, err := q.Query(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(row pgx.CollectableRow) (T, error) { return scan(row) })
}

// pgWrite runs fn in one transaction, errors said as op's.
func (s *pgStore) pgWrite(ctx context.Context, op string, fn func(tx pgx.Tx) error) error {
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return fmt.Errorf("store: postgres: %s: begin: %w", op, err)
	}
	defer tx.Rollback(ctx)
	if err := fn(tx); err != nil {
		return fmt.Errorf("store: postgres: %s: %w", op, err)
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("store: postgres: %s: commit: %w", op, err)
	}
	return nil
}

// pgNotFound maps pgx.ErrNoRows to ErrNotFound.
func pgNotFound(err error) error {
	if errors.Is(err, pgx.ErrNoRows) {
		return ErrNotFound
	}
	return err
}

// pgOneRow returns none when the statement of tag changed no row.
func pgOneRow(tag pgconn.CommandTag, err error, none error) error {
	if err == nil && tag.RowsAffected() == 0 {
		return none
	}
	return err
}

// pgExpiry is the stored form of an expiry: NULL for never.
func pgExpiry(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	m := micro(t)
	return &m
}

// --- Tenants

// CreateTenant implements Admin.
func (s *pgStore) CreateTenant(ctx context.Context, t Tenant) error {
	tag, err := s.pool.Exec(ctx, `INSERT INTO tenants (id, name, created_at) VALUES ($1, $2, $3) ON CONFLICT (id) DO NOTHING`,
		t.ID, t.Name, micro(t.CreatedAt))
	if err := pgOneRow(tag, err, ErrExists); err != nil {
		return fmt.Errorf("store: postgres: create tenant: %w", err)
	}
	return nil
}

func scanPGTenant(row pgx.Row) (Tenant, error) {
	var t Tenant
	err := row.Scan(&t.ID, &t.Name, &t.CreatedAt)
	t.CreatedAt = t.CreatedAt.UTC()
	return t, err
}

// GetTenant implements Admin.
func (s *pgStore) GetTenant(ctx context.Context, id string) (Tenant, error) {
	t, err := scanPGTenant(s.pool.QueryRow(ctx, `SELECT id, name, created_at FROM tenants WHERE id = $1`, id))
	if err != nil {
		return Tenant{}, fmt.Errorf("store: postgres: get tenant: %w", pgNotFound(err))
	}
	return t, nil
}

// ListTenants implements Admin.
func (s *pgStore) ListTenants(ctx context.Context, after string, limit int) ([]Tenant, error) {
	out, err := pgList(ctx, s.pool, scanPGTenant,
		`SELECT id, name, created_at FROM tenants WHERE id > $1 ORDER BY id LIMIT $2`, after, clampLimit(limit))
	if err != nil {
		return nil, fmt.Errorf("store: postgres: list tenants: %w", err)
	}
	return out, nil
}

// DeleteTenant implements Admin. The tenant's row is locked first, so
// that a revision write waiting on it (pgRevisionTx.tenantExists) then
// finds it gone, and one that holds it is seen in the check.
func (s *pgStore) DeleteTenant(ctx context.Context, id string) error {
	return s.pgWrite(ctx, "delete tenant", func(tx pgx.Tx) error {
		var one int
		if err := tx.QueryRow(ctx, `SELECT 1 FROM tenants WHERE id = $1 FOR UPDATE`, id).Scan(&one); err != nil {
			return pgNotFound(err)
		}
		var active bool
		if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM integration_heads
			WHERE tenant = $1 AND (live <> 0 OR draft <> 0))`, id).Scan(&active); err != nil {
			return err
		}
		if active {
			return ErrConflict
		}
		if _, err := tx.Exec(ctx, `DELETE FROM tenants WHERE id = $1`, id); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `UPDATE credentials SET revoked = true WHERE tenant = $1`, id)
		return err
	})
}

// --- Integrations and revisions

const pgRevisionColumns = `tenant, name, number, kind, doc, public, author, note, created_at`

// pgRevisionLight is pgRevisionColumns without the Doc.
const pgRevisionLight = `tenant, name, number, kind, NULL::bytea, public, author, note, created_at`

func scanPGRevision(row pgx.Row) (Revision, error) {
	var r Revision
	err := row.Scan(&r.Tenant, &r.Name, &r.Number, &r.Kind, &r.Doc, &r.Public, &r.Author, &r.Note, &r.CreatedAt)
	r.CreatedAt = r.CreatedAt.UTC()
	return r, err
}

// pgNotifyChannel is the channel integration writes notify, with the
// schema (current_schema()) as the payload, so that stores kept in other
// schemas of the database can ignore them.
const pgNotifyChannel = "jwtgate_integrations"

// pgRevisionTx is a revisionTx: row locks serialize the writes of one
// integration, and the change version's row those of all.
type pgRevisionTx struct{ tx pgx.Tx }

func (t pgRevisionTx) tenantExists(ctx context.Context, tenant string) (bool, error) {
	var one int
	err := t.tx.QueryRow(ctx, `SELECT 1 FROM tenants WHERE id = $1 FOR SHARE`, tenant).Scan(&one)
	if errors.Is(err, pgx.ErrNoRows) {
		return false, nil
	}
	return err == nil, err
}

// lockHead implements revisionTx. With create, the insert waits for a
// concurrent one of the same key and then does nothing; the SELECT that
// follows (a new snapshot, READ COMMITTED) sees its row.
func (t pgRevisionTx) lockHead(ctx context.Context, tenant, name string, create bool) (integrationHead, bool, error) {
	if create {
		if _, err := t.tx.Exec(ctx, `INSERT INTO integration_heads (tenant, name) VALUES ($1, $2)
			ON CONFLICT (tenant, name) DO NOTHING`, tenant, name); err != nil {
			return integrationHead{}, false, err
		}
	}
	var h integrationHead
	err := t.tx.QueryRow(ctx, `SELECT live, draft, last, updated_at, updated_by FROM integration_heads
		WHERE tenant = $1 AND name = $2 FOR UPDATE`, tenant, name).Scan(&h.live, &h.draft, &h.last, &h.updatedAt, &h.updatedBy)
	if errors.Is(err, pgx.ErrNoRows) {
		return integrationHead{}, false, nil
	}
	return h, err == nil, err
}

func (t pgRevisionTx) revision(ctx context.Context, tenant, name string, number int64) (Revision, error) {
	r, err := scanPGRevision(t.tx.QueryRow(ctx, `SELECT `+pgRevisionColumns+` FROM revisions
		WHERE tenant = $1 AND name = $2 AND number = $3`, tenant, name, number))
	return r, pgNotFound(err)
}

func (t pgRevisionTx) insertRevision(ctx context.Context, r Revision) error {
	_, err := t.tx.Exec(ctx, `INSERT INTO revisions (`+pgRevisionColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
		r.Tenant, r.Name, r.Number, r.Kind, r.Doc, r.Public, r.Author, r.Note, micro(r.CreatedAt))
	return err
}

func (t pgRevisionTx) writeHead(ctx context.Context, tenant, name string, h integrationHead) error {
	_, err := t.tx.Exec(ctx, `UPDATE integration_heads SET live = $1, draft = $2, last = $3, updated_at = $4, updated_by = $5
		WHERE tenant = $6 AND name = $7`, h.live, h.draft, h.last, micro(h.updatedAt), h.updatedBy, tenant, name)
	return err
}

// bumpVersion implements revisionTx; the notification is delivered at
// commit, and not at all on a rollback.
func (t pgRevisionTx) bumpVersion(ctx context.Context) error {
	if _, err := t.tx.Exec(ctx, `UPDATE change_version SET version = version + 1`); err != nil {
		return err
	}
	_, err := t.tx.Exec(ctx, `SELECT pg_notify($1, COALESCE(current_schema(), ''))`, pgNotifyChannel)
	return err
}

// pgRevise runs a revision write in one transaction.
func pgRevise[T any](s *pgStore, ctx context.Context, op string, fn func(tx revisionTx) (T, error)) (T, error) {
	var out T
	err := s.pgWrite(ctx, op, func(tx pgx.Tx) error {
		var err error
		out, err = fn(pgRevisionTx{tx})
		return err
	})
	return out, err
}

// PutRevision implements Admin.
func (s *pgStore) PutRevision(ctx context.Context, rev Revision, expect int64, draft bool) (Revision, error) {
	return pgRevise(s, ctx, "put revision", func(tx revisionTx) (Revision, error) {
		return putRevision(ctx, tx, rev, expect, draft)
	})
}

// DeleteIntegration implements Admin.
func (s *pgStore) DeleteIntegration(ctx context.Context, tenant, name string, expect int64, author string, at time.Time) (Revision, error) {
	return pgRevise(s, ctx, "delete integration", func(tx revisionTx) (Revision, error) {
		return deleteIntegration(ctx, tx, tenant, name, expect, author, at)
	})
}

// PromoteDraft implements Admin.
func (s *pgStore) PromoteDraft(ctx context.Context, tenant, name string, expectDraft int64, author string, at time.Time) (Revision, error) {
	return pgRevise(s, ctx, "promote draft", func(tx revisionTx) (Revision, error) {
		return promoteDraft(ctx, tx, tenant, name, expectDraft, author, at)
	})
}

// DiscardDraft implements Admin.
func (s *pgStore) DiscardDraft(ctx context.Context, tenant, name string, expectDraft int64, author string, at time.Time) error {
	_, err := pgRevise(s, ctx, "discard draft", func(tx revisionTx) (struct{}, error) {
		return struct{}{}, discardDraft(ctx, tx, tenant, name, expectDraft, author, at)
	})
	return err
}

const pgHeadColumns = `tenant, name, live, draft, updated_at, updated_by`

func scanPGHead(row pgx.Row) (IntegrationRecord, error) {
	var r IntegrationRecord
	err := row.Scan(&r.Tenant, &r.Name, &r.Live, &r.Draft, &r.UpdatedAt, &r.UpdatedBy)
	r.UpdatedAt = r.UpdatedAt.UTC()
	return r, err
}

// GetIntegration implements Admin.
func (s *pgStore) GetIntegration(ctx context.Context, tenant, name string) (IntegrationRecord, error) {
	r, err := scanPGHead(s.pool.QueryRow(ctx, `SELECT `+pgHeadColumns+` FROM integration_heads
		WHERE tenant = $1 AND name = $2`, tenant, name))
	if err != nil {
		return IntegrationRecord{}, fmt.Errorf("store: postgres: get integration: %w", pgNotFound(err))
	}
	return r, nil
}

// ListIntegrations implements Admin.
func (s *pgStore) ListIntegrations(ctx context.Context, tenant string) ([]IntegrationRecord, error) {
	out, err := pgList(ctx, s.pool, scanPGHead, `SELECT `+pgHeadColumns+` FROM integration_heads
		WHERE ($1::text = '' OR tenant = $1::text) AND (live <> 0 OR draft <> 0) ORDER BY tenant, name`, tenant)
	if err != nil {
		return nil, fmt.Errorf("store: postgres: list integrations: %w", err)
	}
	return out, nil
}

// GetRevision implements Admin.
func (s *pgStore) GetRevision(ctx context.Context, tenant, name string, number int64) (Revision, error) {
	r, err := scanPGRevision(s.pool.QueryRow(ctx, `SELECT `+pgRevisionColumns+` FROM revisions
		WHERE tenant = $1 AND name = $2 AND number = $3`, tenant, name, number))
	if err != nil {
		return Revision{}, fmt.Errorf("store: postgres: get revision: %w", pgNotFound(err))
	}
	return r, nil
}

// ListRevisions implements Admin.
func (s *pgStore) ListRevisions(ctx context.Context, tenant, name string, before int64, limit int) ([]Revision, error) {
	out, err := pgList(ctx, s.pool, scanPGRevision, `SELECT `+pgRevisionLight+` FROM revisions
		WHERE tenant = $1 AND name = $2 AND ($3::bigint = 0 OR number < $3::bigint) ORDER BY number DESC LIMIT $4`,
		tenant, name, before, clampLimit(limit))
	if err != nil {
		return nil, fmt.Errorf("store: postgres: list revisions: %w", err)
	}
	return out, nil
}

// pgHeadRevisions selects the revision each head's column names (live or
// draft), ordered by (tenant, name).
func pgHeadRevisions(column string) string {
	return `SELECT r.tenant, r.name, r.number, r.kind, r.doc, r.public, r.author, r.note, r.created_at
		FROM integration_heads h JOIN revisions r ON r.tenant = h.tenant AND r.name = h.name AND r.number = h.` + column + `
		WHERE h.` + column + ` <> 0 ORDER BY h.tenant, h.name`
}

// LoadIntegrations implements Admin, in one REPEATABLE READ transaction:
// its queries share one snapshot.
func (s *pgStore) LoadIntegrations(ctx context.Context) (int64, []Revision, []Revision, error) {
	tx, err := s.pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		return 0, nil, nil, fmt.Errorf("store: postgres: load integrations: begin: %w", err)
	}
	defer tx.Rollback(ctx)
	var version int64
	if err := tx.QueryRow(ctx, `SELECT version FROM change_version`).Scan(&version); err != nil {
		return 0, nil, nil, fmt.Errorf("store: postgres: load integrations: %w", err)
	}
	var lists [2][]Revision
	for i, column := range []string{"live", "draft"} {
		if lists[i], err = pgList(ctx, tx, scanPGRevision, pgHeadRevisions(column)); err != nil {
			return 0, nil, nil, fmt.Errorf("store: postgres: load integrations: %s: %w", column, err)
		}
	}
	return version, lists[0], lists[1], nil
}

// ChangeVersion implements Admin.
func (s *pgStore) ChangeVersion(ctx context.Context) (int64, error) {
	var v int64
	if err := s.pool.QueryRow(ctx, `SELECT version FROM change_version`).Scan(&v); err != nil {
		return 0, fmt.Errorf("store: postgres: change version: %w", err)
	}
	return v, nil
}

// --- Credentials

const pgCredentialColumns = `id, tenant, hash, label, created_at, expires_at, one_time`

func scanPGCredential(row pgx.Row) (Credential, error) {
	var c Credential
	var expires *time.Time
	err := row.Scan(&c.ID, &c.Tenant, &c.Hash, &c.Label, &c.CreatedAt, &expires, &c.OneTime)
	c.CreatedAt = c.CreatedAt.UTC()
	if expires != nil {
		c.ExpiresAt = expires.UTC()
	}
	return c, err
}

// CreateCredential implements Admin. The tenant's row is locked (FOR
// SHARE) so that DeleteTenant cannot pass between the check and the
// insert, leaving an unrevoked credential of a gone tenant.
func (s *pgStore) CreateCredential(ctx context.Context, c Credential) error {
	return s.pgWrite(ctx, "create credential", func(tx pgx.Tx) error {
		if c.Tenant != "" {
			ok, err := pgRevisionTx{tx}.tenantExists(ctx, c.Tenant)
			if err != nil {
				return err
			}
			if !ok {
				return fmt.Errorf("tenant %q: %w", c.Tenant, ErrNotFound)
			}
		}
		tag, err := tx.Exec(ctx, `INSERT INTO credentials (`+pgCredentialColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7)
			ON CONFLICT DO NOTHING`, c.ID, c.Tenant, c.Hash, c.Label, micro(c.CreatedAt), pgExpiry(c.ExpiresAt), c.OneTime)
		return pgOneRow(tag, err, ErrExists)
	})
}

// LookupCredential implements Admin.
func (s *pgStore) LookupCredential(ctx context.Context, hash []byte, now time.Time) (Credential, error) {
	c, err := scanPGCredential(s.pool.QueryRow(ctx, `SELECT `+pgCredentialColumns+` FROM credentials
		WHERE hash = $1 AND NOT one_time AND NOT revoked AND (expires_at IS NULL OR expires_at > $2)`, hash, micro(now)))
	if err != nil {
		return Credential{}, fmt.Errorf("store: postgres: lookup credential: %w", pgNotFound(err))
	}
	return c, nil
}

// ConsumeCredential implements Admin: one statement, which uses the code
// up as it reads it; a concurrent one waits on the row and then finds it
// used.
func (s *pgStore) ConsumeCredential(ctx context.Context, hash []byte, now time.Time) (Credential, error) {
	c, err := scanPGCredential(s.pool.QueryRow(ctx, `UPDATE credentials SET used = true
		WHERE hash = $1 AND one_time AND NOT used AND NOT revoked AND (expires_at IS NULL OR expires_at > $2)
		RETURNING `+pgCredentialColumns, hash, micro(now)))
	if err != nil {
		return Credential{}, fmt.Errorf("store: postgres: consume credential: %w", pgNotFound(err))
	}
	return c, nil
}

// ListCredentials implements Admin.
func (s *pgStore) ListCredentials(ctx context.Context, tenant string) ([]Credential, error) {
	out, err := pgList(ctx, s.pool, scanPGCredential, `SELECT id, tenant, NULL::bytea, label, created_at, expires_at, one_time
		FROM credentials WHERE tenant = $1 AND NOT revoked AND NOT used ORDER BY id LIMIT $2`, tenant, maxListLimit)
	if err != nil {
		return nil, fmt.Errorf("store: postgres: list credentials: %w", err)
	}
	return out, nil
}

// RevokeCredential implements Admin.
func (s *pgStore) RevokeCredential(ctx context.Context, tenant, id string) error {
	tag, err := s.pool.Exec(ctx, `UPDATE credentials SET revoked = true WHERE id = $1 AND ($2::text = '' OR tenant = $2::text)`, id, tenant)
	if err := pgOneRow(tag, err, ErrNotFound); err != nil {
		return fmt.Errorf("store: postgres: revoke credential: %w", err)
	}
	return nil
}

// --- Audit

const pgAuditColumns = `id, at, actor, tenant, action, target, detail::text`

func scanPGAudit(row pgx.Row) (AuditEntry, error) {
	var e AuditEntry
	var detail *string
	err := row.Scan(&e.ID, &e.At, &e.Actor, &e.Tenant, &e.Action, &e.Target, &detail)
	e.At, e.Detail = e.At.UTC(), detailBytes(detail)
	return e, err
}

// AppendAudit implements Admin.
func (s *pgStore) AppendAudit(ctx context.Context, e AuditEntry) (int64, error) {
	detail, err := auditDetail(e.Detail)
	if err != nil {
		return 0, err
	}
	var id int64
	if err := s.pool.QueryRow(ctx, `INSERT INTO audit (at, actor, tenant, action, target, detail)
		VALUES ($1, $2, $3, $4, $5, $6::json) RETURNING id`,
		micro(e.At), e.Actor, e.Tenant, e.Action, e.Target, detail).Scan(&id); err != nil {
		return 0, fmt.Errorf("store: postgres: append audit: %w", err)
	}
	return id, nil
}

// ListAudit implements Admin.
func (s *pgStore) ListAudit(ctx context.Context, tenant string, before int64, limit int) ([]AuditEntry, error) {
	out, err := pgList(ctx, s.pool, scanPGAudit, `SELECT `+pgAuditColumns+` FROM audit
		WHERE ($1::text = '' OR tenant = $1::text) AND ($2::bigint = 0 OR id < $2::bigint) ORDER BY id DESC LIMIT $3`,
		tenant, before, clampLimit(limit))
	if err != nil {
		return nil, fmt.Errorf("store: postgres: list audit: %w", err)
	}
	return out, nil
}

// --- Shadow tallies

// RecordShadow implements Admin: the tally counts every sample ever
// recorded, which numbers them; those beyond the newest maxShadowSamples
// are deleted. The upsert locks the tally's row, so that concurrent
// records of one revision take turns.
func (s *pgStore) RecordShadow(ctx context.Context, tenant, name string, revision, compared, differed int64, samples []ShadowSample) error {
	kept, err := checkShadow(compared, differed, samples)
	if err != nil {
		return err
	}
	return s.pgWrite(ctx, "record shadow", func(tx pgx.Tx) error {
		var total int64
		if err := tx.QueryRow(ctx, `INSERT INTO shadow_tallies (tenant, name, revision, compared, differed, samples)
			VALUES ($1, $2, $3, $4, $5, $6)
			ON CONFLICT (tenant, name, revision) DO UPDATE SET
				compared = shadow_tallies.compared + EXCLUDED.compared,
				differed = shadow_tallies.differed + EXCLUDED.differed,
				samples  = shadow_tallies.samples + EXCLUDED.samples
			RETURNING samples`, tenant, name, revision, compared, differed, len(kept)).Scan(&total); err != nil {
			return err
		}
		first := total - int64(len(kept)) + 1
		for i, sm := range kept {
			if _, err := tx.Exec(ctx, `INSERT INTO shadow_samples
				(tenant, name, revision, seq, at, live_code, live_reason, draft_code, draft_reason)
				VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`, tenant, name, revision, first+int64(i), micro(sm.At),
				sm.LiveCode, sm.LiveReason, sm.DraftCode, sm.DraftReason); err != nil {
				return err
			}
		}
		_, err := tx.Exec(ctx, `DELETE FROM shadow_samples WHERE tenant = $1 AND name = $2 AND revision = $3 AND seq <= $4`,
			tenant, name, revision, total-maxShadowSamples)
		return err
	})
}

// GetShadow implements Admin.
func (s *pgStore) GetShadow(ctx context.Context, tenant, name string, revision int64) (ShadowTally, error) {
	out := ShadowTally{Revision: revision}
	err := s.pool.QueryRow(ctx, `SELECT compared, differed FROM shadow_tallies WHERE tenant = $1 AND name = $2 AND revision = $3`,
		tenant, name, revision).Scan(&out.Compared, &out.Differed)
	if errors.Is(err, pgx.ErrNoRows) {
		return out, nil
	}
	if err == nil {
		out.Samples, err = pgList(ctx, s.pool, func(row pgx.Row) (ShadowSample, error) {
			var sm ShadowSample
			err := row.Scan(&sm.At, &sm.LiveCode, &sm.LiveReason, &sm.DraftCode, &sm.DraftReason)
			sm.At = sm.At.UTC()
			return sm, err
		}, `SELECT at, live_code, live_reason, draft_code, draft_reason
			FROM shadow_samples WHERE tenant = $1 AND name = $2 AND revision = $3 ORDER BY seq DESC`, tenant, name, revision)
	}
	if err != nil {
		return ShadowTally{}, fmt.Errorf("store: postgres: get shadow: %w", err)
	}
	return out, nil
}

// --- A tenant's subjects and sessions

// ListSubjects implements Admin.
func (s *pgStore) ListSubjects(ctx context.Context, tenant, after string, limit int) ([]Subject, error) {
	integration, id := splitSubjectCursor(after)
	out, err := pgList(ctx, s.pool, func(row pgx.Row) (Subject, error) { return scanPGSubject(row) },
		`SELECT `+pgSubjectColumns+` FROM subjects WHERE tenant = $1 AND (integration, id) > ($2::text, $3::text)
		ORDER BY integration, id LIMIT $4`, tenant, integration, id, clampLimit(limit))
	if err != nil {
		return nil, fmt.Errorf("store: postgres: list subjects: %w", err)
	}
	return out, nil
}

// ListSessions implements Admin: the sessions neither revoked, expired,
// nor of a gone integration (see Session.IntegrationGone).
func (s *pgStore) ListSessions(ctx context.Context, tenant, subject string, now time.Time, limit int) ([]Session, error) {
	out, err := pgList(ctx, s.pool, func(row pgx.Row) (Session, error) {
		var sess Session
		err := row.Scan(&sess.ID, &sess.Tenant, &sess.Subject, &sess.Integration, &sess.CreatedAt, &sess.ExpiresAt)
		sess.CreatedAt, sess.ExpiresAt = sess.CreatedAt.UTC(), sess.ExpiresAt.UTC()
		return sess, err
	}, `SELECT s.id, s.tenant, s.subject, s.integration, s.created_at, s.expires_at
		FROM sessions s JOIN integrations i ON i.name = s.integration AND NOT i.retired AND i.generation = s.generation
		WHERE s.tenant = $1 AND ($2::text = '' OR s.subject = $2::text) AND s.revoked_at IS NULL AND s.expires_at > $3
		ORDER BY s.created_at DESC, s.id DESC LIMIT $4`, tenant, subject, micro(now), clampLimit(limit))
	if err != nil {
		return nil, fmt.Errorf("store: postgres: list sessions: %w", err)
	}
	return out, nil
}

// RevokeTenantSession implements Admin.
func (s *pgStore) RevokeTenantSession(ctx context.Context, tenant, id string, at time.Time) error {
	tag, err := s.pool.Exec(ctx, `UPDATE sessions SET revoked_at = COALESCE(revoked_at, $1) WHERE id = $2 AND tenant = $3`,
		revokedMicro(at), id, tenant)
	if err := pgOneRow(tag, err, ErrNotFound); err != nil {
		return fmt.Errorf("store: postgres: revoke tenant session: %w", err)
	}
	return nil
}

// RevokeSubjectSessions implements Admin.
func (s *pgStore) RevokeSubjectSessions(ctx context.Context, tenant, subject string, at time.Time) (int64, error) {
	tag, err := s.pool.Exec(ctx, `UPDATE sessions SET revoked_at = $1 WHERE tenant = $2 AND subject = $3 AND revoked_at IS NULL`,
		revokedMicro(at), tenant, subject)
	if err != nil {
		return 0, fmt.Errorf("store: postgres: revoke subject sessions: %w", err)
	}
	return tag.RowsAffected(), nil
}

// docsAfter implements resealer.
func (s *pgStore) docsAfter(ctx context.Context, after Revision, n int) ([]Revision, error) {
	rows, err := s.pool.Query(ctx, `SELECT tenant, name, number, doc FROM revisions
		WHERE doc IS NOT NULL AND (tenant, name, number) > ($1, $2, $3) ORDER BY tenant, name, number LIMIT $4`,
		after.Tenant, after.Name, after.Number, n)
	if err != nil {
		return nil, fmt.Errorf("store: postgres: reseal: %w", err)
	}
	defer rows.Close()
	var out []Revision
	for rows.Next() {
		var r Revision
		if err := rows.Scan(&r.Tenant, &r.Name, &r.Number, &r.Doc); err != nil {
			return nil, fmt.Errorf("store: postgres: reseal: %w", err)
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// replaceDoc implements resealer.
func (s *pgStore) replaceDoc(ctx context.Context, r Revision, old []byte) (bool, error) {
	tag, err := s.pool.Exec(ctx, `UPDATE revisions SET doc = $1 WHERE tenant = $2 AND name = $3 AND number = $4 AND doc = $5`,
		r.Doc, r.Tenant, r.Name, r.Number, old)
	if err != nil {
		return false, fmt.Errorf("store: postgres: reseal: %w", err)
	}
	return tag.RowsAffected() == 1, nil
}

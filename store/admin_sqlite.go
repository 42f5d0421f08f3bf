package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// rowScanner is a *sql.Row or *sql.Rows.
type rowScanner interface {
	Scan(dest ...any) error
}

// sqliteList runs a query on the read pool and scans each row.
func sqliteList[T any](ctx context.Context, db *sql.DB, scan func(rowScanner) (T, error), query string, args ...any) ([]T, error) {
	rows, err := db.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	return sqliteCollect(rows, scan)
}

// sqliteCollect scans every row of rows and closes them.
func sqliteCollect[T any](rows *sql.Rows, scan func(rowScanner) (T, error)) ([]T, error) {
	defer rows.Close()
	var out []T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// sqliteWrite runs fn in one IMMEDIATE transaction of the writer, errors
// said as op's.
func (s *sqliteStore) sqliteWrite(ctx context.Context, op string, fn func(tx *sql.Tx) error) error {
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("store: sqlite: %s: begin: %w", op, err)
	}
	defer tx.Rollback()
	if err := fn(tx); err != nil {
		return fmt.Errorf("store: sqlite: %s: %w", op, err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("store: sqlite: %s: commit: %w", op, err)
	}
	return nil
}

// sqliteNotFound maps sql.ErrNoRows to ErrNotFound.
func sqliteNotFound(err error) error {
	if errors.Is(err, sql.ErrNoRows) {
		return ErrNotFound
	}
	return err
}

// --- Tenants

// CreateTenant implements Admin.
func (s *sqliteStore) CreateTenant(ctx context.Context, t Tenant) error {
	res, err := s.w.ExecContext(ctx, `INSERT INTO tenants (id, name, created_at) VALUES (?, ?, ?) ON CONFLICT (id) DO NOTHING`,
		t.ID, t.Name, micro(t.CreatedAt).UnixMicro())
	if err == nil {
		err = sqliteOneRow(res, ErrExists)
	}
	if err != nil {
		return fmt.Errorf("store: sqlite: create tenant: %w", err)
	}
	return nil
}

// sqliteOneRow returns none when the statement of res changed no row.
func sqliteOneRow(res sql.Result, none error) error {
	n, err := res.RowsAffected()
	if err == nil && n == 0 {
		return none
	}
	return err
}

func scanSQLiteTenant(row rowScanner) (Tenant, error) {
	var t Tenant
	var at int64
	err := row.Scan(&t.ID, &t.Name, &at)
	t.CreatedAt = fromMicro(at)
	return t, err
}

// GetTenant implements Admin.
func (s *sqliteStore) GetTenant(ctx context.Context, id string) (Tenant, error) {
	t, err := scanSQLiteTenant(s.r.QueryRowContext(ctx, `SELECT id, name, created_at FROM tenants WHERE id = ?`, id))
	if err != nil {
		return Tenant{}, fmt.Errorf("store: sqlite: get tenant: %w", sqliteNotFound(err))
	}
	return t, nil
}

// ListTenants implements Admin.
func (s *sqliteStore) ListTenants(ctx context.Context, after string, limit int) ([]Tenant, error) {
	out, err := sqliteList(ctx, s.r, scanSQLiteTenant,
		`SELECT id, name, created_at FROM tenants WHERE id > ? ORDER BY id LIMIT ?`, after, clampLimit(limit))
	if err != nil {
		return nil, fmt.Errorf("store: sqlite: list tenants: %w", err)
	}
	return out, nil
}

// DeleteTenant implements Admin.
func (s *sqliteStore) DeleteTenant(ctx context.Context, id string) error {
	return s.sqliteWrite(ctx, "delete tenant", func(tx *sql.Tx) error {
		var active bool
		err := tx.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM integration_heads
			WHERE tenant = ?1 AND (live <> 0 OR draft <> 0)) FROM tenants WHERE id = ?1`, id).Scan(&active)
		switch {
		case err != nil:
			return sqliteNotFound(err)
		case active:
			return ErrConflict
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM tenants WHERE id = ?`, id); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `UPDATE credentials SET revoked = 1 WHERE tenant = ?`, id)
		return err
	})
}

// --- Integrations and revisions

const sqliteRevisionColumns = `tenant, name, number, kind, doc, public, author, note, created_at`

// sqliteRevisionLight is sqliteRevisionColumns without the Doc.
const sqliteRevisionLight = `tenant, name, number, kind, NULL, public, author, note, created_at`

func scanSQLiteRevision(row rowScanner) (Revision, error) {
	var r Revision
	var at int64
	err := row.Scan(&r.Tenant, &r.Name, &r.Number, &r.Kind, &r.Doc, &r.Public, &r.Author, &r.Note, &at)
	r.CreatedAt = fromMicro(at)
	return r, err
}

// sqliteRevisionTx is a revisionTx. The transaction is IMMEDIATE: it
// holds the database's write lock, and so every row.
type sqliteRevisionTx struct{ tx *sql.Tx }

func (t sqliteRevisionTx) tenantExists(ctx context.Context, tenant string) (bool, error) {
	var ok bool
	err := t.tx.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM tenants WHERE id = ?)`, tenant).Scan(&ok)
	return ok, err
}

func (t sqliteRevisionTx) lockHead(ctx context.Context, tenant, name string, create bool) (integrationHead, bool, error) {
	if create {
		if _, err := t.tx.ExecContext(ctx, `INSERT INTO integration_heads (tenant, name) VALUES (?, ?)
			ON CONFLICT (tenant, name) DO NOTHING`, tenant, name); err != nil {
			return integrationHead{}, false, err
		}
	}
	var h integrationHead
	var at int64
	err := t.tx.QueryRowContext(ctx, `SELECT live, draft, last, updated_at, updated_by FROM integration_heads
		WHERE tenant = ? AND name = ?`, tenant, name).Scan(&h.live, &h.draft, &h.last, &at, &h.updatedBy)
	if errors.Is(err, sql.ErrNoRows) {
		return integrationHead{}, false, nil
	}
	h.updatedAt = fromMicro(at)
	return h, err == nil, err
}

func (t sqliteRevisionTx) revision(ctx context.Context, tenant, name string, number int64) (Revision, error) {
	r, err := scanSQLiteRevision(t.tx.QueryRowContext(ctx, `SELECT `+sqliteRevisionColumns+` FROM revisions
		WHERE tenant = ? AND name = ? AND number = ?`, tenant, name, number))
	return r, sqliteNotFound(err)
}

func (t sqliteRevisionTx) insertRevision(ctx context.Context, r Revision) error {
	_, err := t.tx.ExecContext(ctx, `INSERT INTO revisions (`+sqliteRevisionColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		r.Tenant, r.Name, r.Number, r.Kind, r.Doc, r.Public, r.Author, r.Note, micro(r.CreatedAt).UnixMicro())
	return err
}

func (t sqliteRevisionTx) writeHead(ctx context.Context, tenant, name string, h integrationHead) error {
	_, err := t.tx.ExecContext(ctx, `UPDATE integration_heads SET live = ?, draft = ?, last = ?, updated_at = ?, updated_by = ?
		WHERE tenant = ? AND name = ?`, h.live, h.draft, h.last, micro(h.updatedAt).UnixMicro(), h.updatedBy, tenant, name)
	return err
}

func (t sqliteRevisionTx) bumpVersion(ctx context.Context) error {
	_, err := t.tx.ExecContext(ctx, `UPDATE change_version SET version = version + 1`)
	return err
}

// sqliteRevise runs a revision write in one IMMEDIATE transaction.
func sqliteRevise[T any](s *sqliteStore, ctx context.Context, op string, fn func(tx revisionTx) (T, error)) (T, error) {
	var out T
	err := s.sqliteWrite(ctx, op, func(tx *sql.Tx) error {
		var err error
		out, err = fn(sqliteRevisionTx{tx})
		return err
	})
	return out, err
}

// PutRevision implements Admin.
func (s *sqliteStore) PutRevision(ctx context.Context, rev Revision, expect int64, draft bool) (Revision, error) {
	return sqliteRevise(s, ctx, "put revision", func(tx revisionTx) (Revision, error) {
		return putRevision(ctx, tx, rev, expect, draft)
	})
}

// DeleteIntegration implements Admin.
func (s *sqliteStore) DeleteIntegration(ctx context.Context, tenant, name string, expect int64, author string, at time.Time) (Revision, error) {
	return sqliteRevise(s, ctx, "delete integration", func(tx revisionTx) (Revision, error) {
		return deleteIntegration(ctx, tx, tenant, name, expect, author, at)
	})
}

// PromoteDraft implements Admin.
func (s *sqliteStore) PromoteDraft(ctx context.Context, tenant, name string, expectDraft int64, author string, at time.Time) (Revision, error) {
	return sqliteRevise(s, ctx, "promote draft", func(tx revisionTx) (Revision, error) {
		return promoteDraft(ctx, tx, tenant, name, expectDraft, author, at)
	})
}

// DiscardDraft implements Admin.
func (s *sqliteStore) DiscardDraft(ctx context.Context, tenant, name string, expectDraft int64, author string, at time.Time) error {
	_, err := sqliteRevise(s, ctx, "discard draft", func(tx revisionTx) (struct{}, error) {
		return struct{}{}, discardDraft(ctx, tx, tenant, name, expectDraft, author, at)
	})
	return err
}

const sqliteHeadColumns = `tenant, name, live, draft, updated_at, updated_by`

func scanSQLiteHead(row rowScanner) (IntegrationRecord, error) {
	var r IntegrationRecord
	var at int64
	err := row.Scan(&r.Tenant, &r.Name, &r.Live, &r.Draft, &at, &r.UpdatedBy)
	r.UpdatedAt = fromMicro(at)
	return r, err
}

// GetIntegration implements Admin.
func (s *sqliteStore) GetIntegration(ctx context.Context, tenant, name string) (IntegrationRecord, error) {
	r, err := scanSQLiteHead(s.r.QueryRowContext(ctx, `SELECT `+sqliteHeadColumns+` FROM integration_heads
		WHERE tenant = ? AND name = ?`, tenant, name))
	if err != nil {
		return IntegrationRecord{}, fmt.Errorf("store: sqlite: get integration: %w", sqliteNotFound(err))
	}
	return r, nil
}

// ListIntegrations implements Admin.
func (s *sqliteStore) ListIntegrations(ctx context.Context, tenant string) ([]IntegrationRecord, error) {
	out, err := sqliteList(ctx, s.r, scanSQLiteHead, `SELECT `+sqliteHeadColumns+` FROM integration_heads
		WHERE (?1 = '' OR tenant = ?1) AND (live <> 0 OR draft <> 0) ORDER BY tenant, name`, tenant)
	if err != nil {
		return nil, fmt.Errorf("store: sqlite: list integrations: %w", err)
	}
	return out, nil
}

// GetRevision implements Admin.
func (s *sqliteStore) GetRevision(ctx context.Context, tenant, name string, number int64) (Revision, error) {
	r, err := scanSQLiteRevision(s.r.QueryRowContext(ctx, `SELECT `+sqliteRevisionColumns+` FROM revisions
		WHERE tenant = ? AND name = ? AND number = ?`, tenant, name, number))
	if err != nil {
		return Revision{}, fmt.Errorf("store: sqlite: get revision: %w", sqliteNotFound(err))
	}
	return r, nil
}

// ListRevisions implements Admin.
func (s *sqliteStore) ListRevisions(ctx context.Context, tenant, name string, before int64, limit int) ([]Revision, error) {
	out, err := sqliteList(ctx, s.r, scanSQLiteRevision, `SELECT `+sqliteRevisionLight+` FROM revisions
		WHERE tenant = ?1 AND name = ?2 AND (?3 = 0 OR number < ?3) ORDER BY number DESC LIMIT ?4`,
		tenant, name, before, clampLimit(limit))
	if err != nil {
		return nil, fmt.Errorf("store: sqlite: list revisions: %w", err)
	}
	return out, nil
}

// sqliteHeadRevisions selects the revision each head's column names
// (live or draft), ordered by (tenant, name).
func sqliteHeadRevisions(column string) string {
	return `SELECT r.tenant, r.name, r.number, r.kind, r.doc, r.public, r.author, r.note, r.created_at
		FROM integration_heads h JOIN revisions r ON r.tenant = h.tenant AND r.name = h.name AND r.number = h.` + column + `
		WHERE h.` + column + ` <> 0 ORDER BY h.tenant, h.name`
}

// LoadIntegrations implements Admin, in one read transaction: WAL gives
// it one snapshot from its first read to its end.
func (s *sqliteStore) LoadIntegrations(ctx context.Context) (int64, []Revision, []Revision, error) {
	tx, err := s.r.BeginTx(ctx, nil)
	if err != nil {
		return 0, nil, nil, fmt.Errorf("store: sqlite: load integrations: begin: %w", err)
	}
	defer tx.Rollback()
	var version int64
	if err := tx.QueryRowContext(ctx, `SELECT version FROM change_version`).Scan(&version); err != nil {
		return 0, nil, nil, fmt.Errorf("store: sqlite: load integrations: %w", err)
	}
	var lists [2][]Revision
	for i, column := range []string{"live", "draft"} {
		rows, err := tx.QueryContext(ctx, sqliteHeadRevisions(column))
		if err == nil {
			lists[i], err = sqliteCollect(rows, scanSQLiteRevision)
		}
		if err != nil {
			return 0, nil, nil, fmt.Errorf("store: sqlite: load integrations: %s: %w", column, err)
		}
	}
	return version, lists[0], lists[1], nil
}

// ChangeVersion implements Admin.
func (s *sqliteStore) ChangeVersion(ctx context.Context) (int64, error) {
	var v int64
	if err := s.r.QueryRowContext(ctx, `SELECT version FROM change_version`).Scan(&v); err != nil {
		return 0, fmt.Errorf("store: sqlite: change version: %w", err)
	}
	return v, nil
}

// WatchChanges implements Admin: a SQLite store serves one instance,
// which polls ChangeVersion.
func (s *sqliteStore) WatchChanges(ctx context.Context, notify func()) error { return nil }

// --- Credentials

const sqliteCredentialColumns = `id, tenant, hash, label, created_at, expires_at, one_time`

func scanSQLiteCredential(row rowScanner) (Credential, error) {
	var c Credential
	var created int64
	var expires sql.NullInt64
	err := row.Scan(&c.ID, &c.Tenant, &c.Hash, &c.Label, &created, &expires, &c.OneTime)
	c.CreatedAt = fromMicro(created)
	if expires.Valid {
		c.ExpiresAt = fromMicro(expires.Int64)
	}
	return c, err
}

// sqliteExpiry is the stored form of an expiry: NULL for never.
func sqliteExpiry(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return micro(t).UnixMicro()
}

// CreateCredential implements Admin.
func (s *sqliteStore) CreateCredential(ctx context.Context, c Credential) error {
	return s.sqliteWrite(ctx, "create credential", func(tx *sql.Tx) error {
		if c.Tenant != "" {
			var ok bool
			if err := tx.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM tenants WHERE id = ?)`, c.Tenant).Scan(&ok); err != nil {
				return err
			}
			if !ok {
				return fmt.Errorf("tenant %q: %w", c.Tenant, ErrNotFound)
			}
		}
		res, err := tx.ExecContext(ctx, `INSERT INTO credentials (`+sqliteCredentialColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT DO NOTHING`, c.ID, c.Tenant, c.Hash, c.Label, micro(c.CreatedAt).UnixMicro(), sqliteExpiry(c.ExpiresAt), c.OneTime)
		if err != nil {
			return err
		}
		return sqliteOneRow(res, ErrExists)
	})
}

// LookupCredential implements Admin.
func (s *sqliteStore) LookupCredential(ctx context.Context, hash []byte, now time.Time) (Credential, error) {
	c, err := scanSQLiteCredential(s.r.QueryRowContext(ctx, `SELECT `+sqliteCredentialColumns+` FROM credentials
		WHERE hash = ? AND NOT one_time AND NOT revoked AND (expires_at IS NULL OR expires_at > ?)`,
		hash, micro(now).UnixMicro()))
	if err != nil {
		return Credential{}, fmt.Errorf("store: sqlite: lookup credential: %w", sqliteNotFound(err))
	}
	return c, nil
}

// ConsumeCredential implements Admin: one statement, which uses the code
// up as it reads it.
func (s *sqliteStore) ConsumeCredential(ctx context.Context, hash []byte, now time.Time) (Credential, error) {
	c, err := scanSQLiteCredential(s.w.QueryRowContext(ctx, `UPDATE credentials SET used = 1
		WHERE hash = ? AND one_time AND NOT used AND NOT revoked AND (expires_at IS NULL OR expires_at > ?)
		RETURNING `+sqliteCredentialColumns, hash, micro(now).UnixMicro()))
	if err != nil {
		return Credential{}, fmt.Errorf("store: sqlite: consume credential: %w", sqliteNotFound(err))
	}
	return c, nil
}

// ListCredentials implements Admin.
func (s *sqliteStore) ListCredentials(ctx context.Context, tenant string) ([]Credential, error) {
	out, err := sqliteList(ctx, s.r, scanSQLiteCredential, `SELECT id, tenant, NULL, label, created_at, expires_at, one_time
		FROM credentials WHERE tenant = ? AND NOT revoked AND NOT used ORDER BY id LIMIT ?`, tenant, maxListLimit)
	if err != nil {
		return nil, fmt.Errorf("store: sqlite: list credentials: %w", err)
	}
	return out, nil
}

// RevokeCredential implements Admin.
func (s *sqliteStore) RevokeCredential(ctx context.Context, tenant, id string) error {
	res, err := s.w.ExecContext(ctx, `UPDATE credentials SET revoked = 1 WHERE id = ?1 AND (?2 = '' OR tenant = ?2)`, id, tenant)
	if err == nil {
		err = sqliteOneRow(res, ErrNotFound)
	}
	if err != nil {
		return fmt.Errorf("store: sqlite: revoke credential: %w", err)
	}
	return nil
}

// --- Audit

const sqliteAuditColumns = `id, at, actor, tenant, action, target, detail`

func scanSQLiteAudit(row rowScanner) (AuditEntry, error) {
	var e AuditEntry
	var at int64
	var detail *string
	err := row.Scan(&e.ID, &at, &e.Actor, &e.Tenant, &e.Action, &e.Target, &detail)
	e.At, e.Detail = fromMicro(at), detailBytes(detail)
	return e, err
}

// AppendAudit implements Admin.
func (s *sqliteStore) AppendAudit(ctx context.Context, e AuditEntry) (int64, error) {
	detail, err := auditDetail(e.Detail)
	if err != nil {
		return 0, err
	}
	var id int64
	if err := s.w.QueryRowContext(ctx, `INSERT INTO audit (at, actor, tenant, action, target, detail)
		VALUES (?, ?, ?, ?, ?, ?) RETURNING id`,
		micro(e.At).UnixMicro(), e.Actor, e.Tenant, e.Action, e.Target, detail).Scan(&id); err != nil {
		return 0, fmt.Errorf("store: sqlite: append audit: %w", err)
	}
	return id, nil
}

// ListAudit implements Admin.
func (s *sqliteStore) ListAudit(ctx context.Context, tenant string, before int64, limit int) ([]AuditEntry, error) {
	out, err := sqliteList(ctx, s.r, scanSQLiteAudit, `SELECT `+sqliteAuditColumns+` FROM audit
		WHERE (?1 = '' OR tenant = ?1) AND (?2 = 0 OR id < ?2) ORDER BY id DESC LIMIT ?3`,
		tenant, before, clampLimit(limit))
	if err != nil {
		return nil, fmt.Errorf("store: sqlite: list audit: %w", err)
	}
	return out, nil
}

// --- Shadow tallies

// RecordShadow implements Admin: the tally counts every sample ever
// recorded, which numbers them; those beyond the newest maxShadowSamples
// are deleted.
func (s *sqliteStore) RecordShadow(ctx context.Context, tenant, name string, revision, compared, differed int64, samples []ShadowSample) error {
	kept, err := checkShadow(compared, differed, samples)
	if err != nil {
		return err
	}
	return s.sqliteWrite(ctx, "record shadow", func(tx *sql.Tx) error {
		var total int64
		if err := tx.QueryRowContext(ctx, `INSERT INTO shadow_tallies (tenant, name, revision, compared, differed, samples)
			VALUES (?, ?, ?, ?, ?, ?)
			ON CONFLICT (tenant, name, revision) DO UPDATE SET
				compared = compared + excluded.compared,
				differed = differed + excluded.differed,
				samples  = samples + excluded.samples
			RETURNING samples`, tenant, name, revision, compared, differed, len(kept)).Scan(&total); err != nil {
			return err
		}
		first := total - int64(len(kept)) + 1
		for i, sm := range kept {
			if _, err := tx.ExecContext(ctx, `INSERT INTO shadow_samples
				(tenant, name, revision, seq, at, live_code, live_reason, draft_code, draft_reason)
				VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`, tenant, name, revision, first+int64(i), micro(sm.At).UnixMicro(),
				sm.LiveCode, sm.LiveReason, sm.DraftCode, sm.DraftReason); err != nil {
				return err
			}
		}
		_, err := tx.ExecContext(ctx, `DELETE FROM shadow_samples WHERE tenant = ? AND name = ? AND revision = ? AND seq <= ?`,
			tenant, name, revision, total-maxShadowSamples)
		return err
	})
}

// GetShadow implements Admin.
func (s *sqliteStore) GetShadow(ctx context.Context, tenant, name string, revision int64) (ShadowTally, error) {
	out := ShadowTally{Revision: revision}
	err := s.r.QueryRowContext(ctx, `SELECT compared, differed FROM shadow_tallies WHERE tenant = ? AND name = ? AND revision = ?`,
		tenant, name, revision).Scan(&out.Compared, &out.Differed)
	if errors.Is(err, sql.ErrNoRows) {
		return out, nil
	}
	if err == nil {
		out.Samples, err = sqliteList(ctx, s.r, scanSQLiteSample, `SELECT at, live_code, live_reason, draft_code, draft_reason
			FROM shadow_samples WHERE tenant = ? AND name = ? AND revision = ? ORDER BY seq DESC`, tenant, name, revision)
	}
	if err != nil {
		return ShadowTally{}, fmt.Errorf("store: sqlite: get shadow: %w", err)
	}
	return out, nil
}

func scanSQLiteSample(row rowScanner) (ShadowSample, error) {
	var sm ShadowSample
	var at int64
	err := row.Scan(&at, &sm.LiveCode, &sm.LiveReason, &sm.DraftCode, &sm.DraftReason)
	sm.At = fromMicro(at)
	return sm, err
}

// --- A tenant's subjects and sessions

// ListSubjects implements Admin.
func (s *sqliteStore) ListSubjects(ctx context.Context, tenant, after string, limit int) ([]Subject, error) {
	integration, id := splitSubjectCursor(after)
	out, err := sqliteList(ctx, s.r, func(row rowScanner) (Subject, error) { return scanSQLiteSubject(row) },
		`SELECT `+sqliteSubjectColumns+` FROM subjects WHERE tenant = ? AND (integration, id) > (?, ?)
		ORDER BY integration, id LIMIT ?`, tenant, integration, id, clampLimit(limit))
	if err != nil {
		return nil, fmt.Errorf("store: sqlite: list subjects: %w", err)
	}
	return out, nil
}

// ListSessions implements Admin: the sessions neither revoked, expired,
// nor of a gone integration (see Session.IntegrationGone).
func (s *sqliteStore) ListSessions(ctx context.Context, tenant, subject string, now time.Time, limit int) ([]Session, error) {
	out, err := sqliteList(ctx, s.r, func(row rowScanner) (Session, error) {
		var sess Session
		var created, expires int64
		err := row.Scan(&sess.ID, &sess.Tenant, &sess.Subject, &sess.Integration, &created, &expires)
		sess.CreatedAt, sess.ExpiresAt = fromMicro(created), fromMicro(expires)
		return sess, err
	}, `SELECT s.id, s.tenant, s.subject, s.integration, s.created_at, s.expires_at
		FROM sessions s JOIN integrations i ON i.name = s.integration AND NOT i.retired AND i.generation = s.generation
		WHERE s.tenant = ?1 AND (?2 = '' OR s.subject = ?2) AND s.revoked_at IS NULL AND s.expires_at > ?3
		ORDER BY s.created_at DESC, s.id DESC LIMIT ?4`, tenant, subject, micro(now).UnixMicro(), clampLimit(limit))
	if err != nil {
		return nil, fmt.Errorf("store: sqlite: list sessions: %w", err)
	}
	return out, nil
}

// RevokeTenantSession implements Admin.
func (s *sqliteStore) RevokeTenantSession(ctx context.Context, tenant, id string, at time.Time) error {
	res, err := s.w.ExecContext(ctx, `UPDATE sessions SET revoked_at = COALESCE(revoked_at, ?) WHERE id = ? AND tenant = ?`,
		revokedMicro(at).UnixMicro(), id, tenant)
	if err == nil {
		err = sqliteOneRow(res, ErrNotFound)
	}
	if err != nil {
		return fmt.Errorf("store: sqlite: revoke tenant session: %w", err)
	}
	return nil
}

// RevokeSubjectSessions implements Admin.
func (s *sqliteStore) RevokeSubjectSessions(ctx context.Context, tenant, subject string, at time.Time) (int64, error) {
	res, err := s.w.ExecContext(ctx, `UPDATE sessions SET revoked_at = ? WHERE tenant = ? AND subject = ? AND revoked_at IS NULL`,
		revokedMicro(at).UnixMicro(), tenant, subject)
	var n int64
	if err == nil {
		n, err = res.RowsAffected()
	}
	if err != nil {
		return 0, fmt.Errorf("store: sqlite: revoke subject sessions: %w", err)
	}
	return n, nil
}

// docsAfter implements resealer.
func (s *sqliteStore) docsAfter(ctx context.Context, after Revision, n int) ([]Revision, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT tenant, name, number, doc FROM revisions
		WHERE doc IS NOT NULL AND (tenant, name, number) > (?, ?, ?) ORDER BY tenant, name, number LIMIT ?`,
		after.Tenant, after.Name, after.Number, n)
	if err != nil {
		return nil, fmt.Errorf("store: sqlite: reseal: %w", err)
	}
	defer rows.Close()
	var out []Revision
	for rows.Next() {
		var r Revision
		if err := rows.Scan(&r.Tenant, &r.Name, &r.Number, &r.Doc); err != nil {
			return nil, fmt.Errorf("store: sqlite: reseal: %w", err)
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// replaceDoc implements resealer.
func (s *sqliteStore) replaceDoc(ctx context.Context, r Revision, old []byte) (bool, error) {
	res, err := s.w.ExecContext(ctx, `UPDATE revisions SET doc = ? WHERE tenant = ? AND name = ? AND number = ? AND doc = ?`,
		r.Doc, r.Tenant, r.Name, r.Number, old)
	if err != nil {
		return false, fmt.Errorf("store: sqlite: reseal: %w", err)
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

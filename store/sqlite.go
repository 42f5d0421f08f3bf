package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	_ "modernc.org/sqlite" // registers the "sqlite" database/sql driver (pure Go, no cgo)
)

// sqliteBusyTimeout is how long a SQLite statement waits for a lock another
// connection or process holds before it fails with SQLITE_BUSY.
const sqliteBusyTimeout = 5 * time.Second

// sqliteReaders is the most connections a SQLite store reads with. In WAL
// mode readers do not block the writer nor each other.
const sqliteReaders = 4

// sqliteMigrations is the SQLite schema. Times are INTEGER microseconds
// since the Unix epoch, UTC; JSON columns are TEXT. "groups" is quoted
// because GROUPS is a keyword.
var sqliteMigrations = []migration{{
	version: 1,
	stmts: []string{
		`CREATE TABLE IF NOT EXISTS replay (
			id     TEXT PRIMARY KEY,
			expiry INTEGER NOT NULL
		)`,
		`CREATE INDEX IF NOT EXISTS replay_expiry ON replay (expiry)`,
		`CREATE TABLE IF NOT EXISTS subjects (
			tenant      TEXT NOT NULL,
			id          TEXT NOT NULL,
			integration TEXT NOT NULL DEFAULT '',
			email       TEXT NOT NULL DEFAULT '',
			name        TEXT NOT NULL DEFAULT '',
			"groups"    TEXT,
			roles       TEXT,
			metadata    TEXT,
			first_seen  INTEGER NOT NULL,
			last_seen   INTEGER NOT NULL,
			PRIMARY KEY (tenant, id)
		)`,
		`CREATE TABLE IF NOT EXISTS sessions (
			id          TEXT PRIMARY KEY,
			tenant      TEXT NOT NULL,
			subject     TEXT NOT NULL,
			integration TEXT NOT NULL DEFAULT '',
			created_at  INTEGER NOT NULL,
			expires_at  INTEGER NOT NULL,
			revoked_at  INTEGER
		)`,
	},
}, {
	// Subjects are keyed by integration too, so that one integration's
	// token cannot overwrite what another vouched for; a row keeps the
	// integration that last wrote it as its key. SQLite cannot change a
	// primary key in place: the table is rebuilt.
	version: 2,
	stmts: []string{
		`CREATE TABLE subjects_v2 (
			tenant      TEXT NOT NULL,
			integration TEXT NOT NULL DEFAULT '',
			id          TEXT NOT NULL,
			email       TEXT NOT NULL DEFAULT '',
			name        TEXT NOT NULL DEFAULT '',
			"groups"    TEXT,
			roles       TEXT,
			metadata    TEXT,
			first_seen  INTEGER NOT NULL,
			last_seen   INTEGER NOT NULL,
			PRIMARY KEY (tenant, integration, id)
		)`,
		`INSERT INTO subjects_v2 (` + sqliteSubjectColumns + `)
			SELECT ` + sqliteSubjectColumns + ` FROM subjects`,
		`DROP TABLE subjects`,
		`ALTER TABLE subjects_v2 RENAME TO subjects`,
	},
}, {
	// A session dies with its integration: each integration has a
	// generation, bumped when it is configured again after being retired,
	// and a session records the one it began in. Sessions from before
	// are of generation 1, that of an integration's first sync.
	version: 3,
	stmts: []string{
		`CREATE TABLE integrations (
			name       TEXT PRIMARY KEY,
			generation INTEGER NOT NULL,
			retired    INTEGER NOT NULL DEFAULT 0
		)`,
		`ALTER TABLE sessions ADD COLUMN generation INTEGER NOT NULL DEFAULT 1`,
	},
}, {
	// Synced claims (an integration's synced_claims, Acadio's credits):
	// a row a claim, so that a token naming one claim replaces that one
	// alone, and each value is kept as the token gave it.
	version: 4,
	stmts: []string{
		`CREATE TABLE subject_claims (
			tenant      TEXT NOT NULL,
			integration TEXT NOT NULL,
			id          TEXT NOT NULL,
			claim       TEXT NOT NULL,
			value       TEXT NOT NULL,
			PRIMARY KEY (tenant, integration, id, claim)
		)`,
	},
}, {
	// The admin API: tenants, integrations kept as data (a head a name,
	// pointing at its live and draft revisions), admin credentials, the
	// audit log and the shadow tallies of drafts. change_version is one
	// row, bumped by every integration write, for instances to poll.
	version: 5,
	stmts: []string{
		`CREATE TABLE tenants (
			id         TEXT PRIMARY KEY,
			name       TEXT NOT NULL,
			created_at INTEGER NOT NULL
		)`,
		`CREATE TABLE integration_heads (
			tenant     TEXT NOT NULL,
			name       TEXT NOT NULL,
			live       INTEGER NOT NULL DEFAULT 0,
			draft      INTEGER NOT NULL DEFAULT 0,
			last       INTEGER NOT NULL DEFAULT 0,
			updated_at INTEGER NOT NULL DEFAULT 0,
			updated_by TEXT NOT NULL DEFAULT '',
			PRIMARY KEY (tenant, name)
		)`,
		`CREATE TABLE revisions (
			tenant     TEXT NOT NULL,
			name       TEXT NOT NULL,
			number     INTEGER NOT NULL,
			kind       TEXT NOT NULL,
			doc        BLOB,
			public     BLOB,
			author     TEXT NOT NULL,
			note       TEXT NOT NULL,
			created_at INTEGER NOT NULL,
			PRIMARY KEY (tenant, name, number)
		)`,
		`CREATE TABLE change_version (
			id      INTEGER PRIMARY KEY CHECK (id = 1),
			version INTEGER NOT NULL
		)`,
		`INSERT INTO change_version (id, version) VALUES (1, 0)`,
		`CREATE TABLE credentials (
			id         TEXT PRIMARY KEY,
			tenant     TEXT NOT NULL,
			hash       BLOB NOT NULL UNIQUE,
			label      TEXT NOT NULL,
			created_at INTEGER NOT NULL,
			expires_at INTEGER,
			one_time   INTEGER NOT NULL,
			used       INTEGER NOT NULL DEFAULT 0,
			revoked    INTEGER NOT NULL DEFAULT 0
		)`,
		`CREATE INDEX credentials_tenant ON credentials (tenant, id)`,
		`CREATE TABLE audit (
			id     INTEGER PRIMARY KEY AUTOINCREMENT,
			at     INTEGER NOT NULL,
			actor  TEXT NOT NULL,
			tenant TEXT NOT NULL,
			action TEXT NOT NULL,
			target TEXT NOT NULL,
			detail TEXT
		)`,
		`CREATE INDEX audit_tenant ON audit (tenant, id)`,
		`CREATE TABLE shadow_tallies (
			tenant   TEXT NOT NULL,
			name     TEXT NOT NULL,
			revision INTEGER NOT NULL,
			compared INTEGER NOT NULL,
			differed INTEGER NOT NULL,
			samples  INTEGER NOT NULL,
			PRIMARY KEY (tenant, name, revision)
		)`,
		`CREATE TABLE shadow_samples (
			tenant       TEXT NOT NULL,
			name         TEXT NOT NULL,
			revision     INTEGER NOT NULL,
			seq          INTEGER NOT NULL,
			at           INTEGER NOT NULL,
			live_code    TEXT NOT NULL,
			live_reason  TEXT NOT NULL,
			draft_code   TEXT NOT NULL,
			draft_reason TEXT NOT NULL,
			PRIMARY KEY (tenant, name, revision, seq)
		)`,
		`CREATE INDEX sessions_tenant_subject ON sessions (tenant, subject)`,
	},
}, {
	// A session's last use, for an integration's idle timeout; NULL
	// (sessions of before) reads as its start.
	version: 6,
	stmts:   []string{`ALTER TABLE sessions ADD COLUMN last_used INTEGER`},
}}

// sqliteStore is the SQLite Store. Writes go through one connection (w):
// SQLite has a single writer per database anyway, and queueing in Go's
// pool rather than in SQLite's busy handler keeps the goroutines of one
// process from polling for the lock. Other processes are kept out by
// SQLite's file locks, waited for up to sqliteBusyTimeout. Reads use a
// small pool of read-only connections (r), which WAL lets run alongside the
// writer. Transactions begin IMMEDIATE, taking the write lock up front, so
// that one never fails halfway for want of it.
type sqliteStore struct {
	w, r *sql.DB
	jan  janitor
	// path and file are the database file and its identity at open, for
	// Ping to tell whether it is still the file at path: SQLite serves on
	// from a deleted file, and a restart would begin on an empty one.
	path string
	file os.FileInfo
}

// openSQLite opens (creating if need be) the database file at path and
// brings its schema up to date.
func openSQLite(ctx context.Context, path string) (Store, error) {
	if err := checkSQLitePath(path); err != nil {
		return nil, err
	}
	busy := fmt.Sprint(sqliteBusyTimeout.Milliseconds())
	// The driver cuts a plain file name at '?' and applies the underscore
	// parameters to each connection it opens; busy_timeout comes first.
	w, err := sql.Open("sqlite", path+"?_busy_timeout="+busy+
		"&_journal_mode=WAL&_foreign_keys=on&_txlock=immediate")
	if err != nil {
		return nil, fmt.Errorf("store: sqlite: open %s: %w", path, err)
	}
	w.SetMaxOpenConns(1)
	w.SetMaxIdleConns(1)
	w.SetConnMaxLifetime(0)
	w.SetConnMaxIdleTime(0)
	s := &sqliteStore{w: w, jan: janitor{every: defaultPurgeEvery}}
	if err := migrateSQLite(ctx, w, sqliteMigrations); err != nil {
		w.Close()
		return nil, fmt.Errorf("store: sqlite: open %s: %w", path, err)
	}
	// The writer holds the file open from here on (one connection, kept).
	if s.path, err = filepath.Abs(path); err == nil {
		s.file, err = os.Stat(s.path)
	}
	if err != nil {
		w.Close()
		return nil, fmt.Errorf("store: sqlite: open %s: %w", path, err)
	}
	// Opened after the writer has made the file and put it in WAL mode.
	r, err := sql.Open("sqlite", path+"?_busy_timeout="+busy+"&_foreign_keys=on&_query_only=on")
	if err != nil {
		w.Close()
		return nil, fmt.Errorf("store: sqlite: open %s: %w", path, err)
	}
	r.SetMaxOpenConns(sqliteReaders)
	r.SetMaxIdleConns(sqliteReaders)
	r.SetConnMaxIdleTime(5 * time.Minute)
	if err := r.PingContext(ctx); err != nil {
		r.Close()
		w.Close()
		return nil, fmt.Errorf("store: sqlite: open %s: %w", path, err)
	}
	s.r = r
	return s, nil
}

// migrateSQLite creates the schema of migrations ms or brings it up to
// date, in one IMMEDIATE transaction (db's _txlock), so that processes
// opening a new file at once take turns.
func migrateSQLite(ctx context.Context, db *sql.DB, ms []migration) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin schema transaction: %w", err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY KEY)`); err != nil {
		return fmt.Errorf("create schema_version: %w", err)
	}
	var have int
	if err := tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_version`).Scan(&have); err != nil {
		return fmt.Errorf("read schema version: %w", err)
	}
	if want := latestVersion(ms); have > want {
		return errNewerSchema("sqlite", have, want)
	}
	for _, m := range ms {
		if m.version <= have {
			continue
		}
		for _, stmt := range m.stmts {
			if _, err := tx.ExecContext(ctx, stmt); err != nil {
				return fmt.Errorf("schema version %d: %w", m.version, err)
			}
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO schema_version (version) VALUES (?)`, m.version); err != nil {
			return fmt.Errorf("schema version %d: %w", m.version, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit schema: %w", err)
	}
	return nil
}

// Claim implements Store. One statement: a new id is inserted; the row of
// an expired one (expiry <= now) is taken over; a live one is left alone,
// and then RETURNING yields no row.
func (s *sqliteStore) Claim(ctx context.Context, id string, expiry, now time.Time) (bool, error) {
	if id == "" {
		return false, errors.New("store: sqlite: claim: empty id")
	}
	var one int
	err := s.w.QueryRowContext(ctx, `
		INSERT INTO replay (id, expiry) VALUES (?1, ?2)
		ON CONFLICT (id) DO UPDATE SET expiry = excluded.expiry
		WHERE replay.expiry <= ?3
		RETURNING 1`,
		replayKey(id), micro(expiry).UnixMicro(), micro(now).UnixMicro()).Scan(&one)
	fresh := err == nil
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return false, fmt.Errorf("store: sqlite: claim: %w", err)
	}
	if s.jan.due() {
		// Best effort: the claim stands whatever happens here, and the next
		// purge deletes what this one missed.
		_, _ = s.purgeReplay(ctx, now)
	}
	return fresh, nil
}

// purgeReplay deletes the replay rows expired at now and returns how many.
func (s *sqliteStore) purgeReplay(ctx context.Context, now time.Time) (int64, error) {
	res, err := s.w.ExecContext(ctx, `DELETE FROM replay WHERE expiry <= ?`, micro(now).UnixMicro())
	if err != nil {
		return 0, fmt.Errorf("store: sqlite: purge replay: %w", err)
	}
	return res.RowsAffected()
}

// janitor returns the store's purge schedule.
func (s *sqliteStore) janitor() *janitor { return &s.jan }

const sqliteSubjectColumns = `tenant, id, integration, email, name, "groups", roles, metadata, first_seen, last_seen`

// sqliteSyncedObject aggregates a subject's synced claims into one JSON
// object, each value pasted as stored (SQLite's json functions would
// minify it), NULL when it has none. ?1, ?2 and ?3 are the subject's key.
const sqliteSyncedObject = `SELECT '{' || group_concat(json_quote(c.claim) || ':' || c.value, ',') || '}'
	FROM subject_claims c WHERE c.tenant = ?1 AND c.integration = ?2 AND c.id = ?3`

// UpsertSubject implements Store, in one IMMEDIATE transaction: insert the
// subject if new, else update it by Acadio's rule.
func (s *sqliteStore) UpsertSubject(ctx context.Context, sub Subject, now time.Time) (Subject, bool, error) {
	if err := validateSubject(sub); err != nil {
		return Subject{}, false, err
	}
	groups, err := encodeList(sub.Groups)
	if err != nil {
		return Subject{}, false, fmt.Errorf("store: sqlite: upsert subject: groups: %w", err)
	}
	roles, err := encodeList(sub.Roles)
	if err != nil {
		return Subject{}, false, fmt.Errorf("store: sqlite: upsert subject: roles: %w", err)
	}
	metadata, err := encodeMetadata(sub.Metadata)
	if err != nil {
		return Subject{}, false, err
	}
	names, err := syncedClaims(sub.Synced)
	if err != nil {
		return Subject{}, false, err
	}
	at := micro(now).UnixMicro()
	args := []any{sub.Tenant, sub.ID, sub.Integration, sub.Email, sub.Name, groups, roles, metadata, at}

	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return Subject{}, false, fmt.Errorf("store: sqlite: upsert subject: begin: %w", err)
	}
	defer tx.Rollback()
	created := true
	out, err := scanSQLiteSubject(tx.QueryRowContext(ctx, `
		INSERT INTO subjects (`+sqliteSubjectColumns+`)
		VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?9)
		ON CONFLICT (tenant, integration, id) DO NOTHING
		RETURNING `+sqliteSubjectColumns, args...))
	if errors.Is(err, sql.ErrNoRows) {
		created = false
		out, err = scanSQLiteSubject(tx.QueryRowContext(ctx, `
			UPDATE subjects SET
				email       = COALESCE(NULLIF(?4, ''), email),
				name        = COALESCE(NULLIF(?5, ''), name),
				"groups"    = COALESCE(?6, "groups"),
				roles       = COALESCE(?7, roles),
				metadata    = COALESCE(?8, metadata),
				last_seen   = ?9
			WHERE tenant = ?1 AND id = ?2 AND integration = ?3
			RETURNING `+sqliteSubjectColumns, args...))
	}
	if err != nil {
		return Subject{}, false, fmt.Errorf("store: sqlite: upsert subject: %w", err)
	}
	if out.Synced, err = syncSQLiteClaims(ctx, tx, sub, names); err != nil {
		return Subject{}, false, fmt.Errorf("store: sqlite: upsert subject: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return Subject{}, false, fmt.Errorf("store: sqlite: upsert subject: commit: %w", err)
	}
	return out, created, nil
}

// syncSQLiteClaims stores the synced claims names of sub in tx, each
// replacing the stored value of its claim, and returns every synced claim
// the subject now has.
func syncSQLiteClaims(ctx context.Context, tx *sql.Tx, sub Subject, names []string) (map[string]json.RawMessage, error) {
	for _, name := range names {
		if _, err := tx.ExecContext(ctx, `
			INSERT INTO subject_claims (tenant, integration, id, claim, value) VALUES (?1, ?2, ?3, ?4, ?5)
			ON CONFLICT (tenant, integration, id, claim) DO UPDATE SET value = excluded.value`,
			sub.Tenant, sub.Integration, sub.ID, name, string(sub.Synced[name])); err != nil {
			return nil, fmt.Errorf("synced claim %q: %w", name, err)
		}
	}
	var synced []byte
	if err := tx.QueryRowContext(ctx, sqliteSyncedObject, sub.Tenant, sub.Integration, sub.ID).Scan(&synced); err != nil {
		return nil, fmt.Errorf("read synced claims: %w", err)
	}
	return decodeSynced(synced)
}

// GetSubject implements Store: the subject and its synced claims, in one
// statement.
func (s *sqliteStore) GetSubject(ctx context.Context, tenant, integration, id string) (Subject, error) {
	var synced []byte
	out, err := scanSQLiteSubject(s.r.QueryRowContext(ctx,
		`SELECT `+sqliteSubjectColumns+`, (`+sqliteSyncedObject+`)
		FROM subjects WHERE tenant = ?1 AND integration = ?2 AND id = ?3`, tenant, integration, id), &synced)
	if err == nil {
		out.Synced, err = decodeSynced(synced)
	}
	if errors.Is(err, sql.ErrNoRows) {
		return Subject{}, ErrNotFound
	}
	if err != nil {
		return Subject{}, fmt.Errorf("store: sqlite: get subject: %w", err)
	}
	return out, nil
}

// scanSQLiteSubject reads a row of sqliteSubjectColumns, and then of the
// extra columns into extra.
func scanSQLiteSubject(row rowScanner, extra ...any) (Subject, error) {
	var (
		s                       Subject
		groups, roles, metadata []byte
		firstSeen, lastSeen     int64
	)
	dest := append([]any{&s.Tenant, &s.ID, &s.Integration, &s.Email, &s.Name,
		&groups, &roles, &metadata, &firstSeen, &lastSeen}, extra...)
	if err := row.Scan(dest...); err != nil {
		return Subject{}, err
	}
	if err := decodeJSONColumns(&s, groups, roles, metadata); err != nil {
		return Subject{}, err
	}
	s.FirstSeen = fromMicro(firstSeen)
	s.LastSeen = fromMicro(lastSeen)
	return s, nil
}

// fromMicro is the inverse of time.Time.UnixMicro, in UTC.
func fromMicro(us int64) time.Time {
	return time.UnixMicro(us).UTC()
}

// SyncIntegrations implements Store, in one IMMEDIATE transaction.
func (s *sqliteStore) SyncIntegrations(ctx context.Context, names []string) error {
	list, err := json.Marshal(integrationNames(names))
	if err != nil {
		return fmt.Errorf("store: sqlite: sync integrations: %w", err)
	}
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("store: sqlite: sync integrations: begin: %w", err)
	}
	defer tx.Rollback()
	// "WHERE true" lets SQLite parse ON CONFLICT after a SELECT. Only new
	// and retired rows are written, so that a configuration of thousands
	// that changed none writes nothing.
	if _, err := tx.ExecContext(ctx, `
		INSERT INTO integrations (name, generation, retired)
		SELECT value, 1, 0 FROM json_each(?1) WHERE true
		ON CONFLICT (name) DO UPDATE SET generation = generation + 1, retired = 0
		WHERE retired`, string(list)); err != nil {
		return fmt.Errorf("store: sqlite: sync integrations: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `
		UPDATE integrations SET retired = 1
		WHERE NOT retired AND name NOT IN (SELECT value FROM json_each(?1))`, string(list)); err != nil {
		return fmt.Errorf("store: sqlite: sync integrations: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("store: sqlite: sync integrations: commit: %w", err)
	}
	return nil
}

// CreateSession implements Store: the session takes its integration's
// generation in the same statement, and is not stored when it has none.
func (s *sqliteStore) CreateSession(ctx context.Context, sess Session) error {
	if sess.ID == "" {
		return errors.New("store: sqlite: create session: empty ID")
	}
	var revoked any
	if !sess.RevokedAt.IsZero() {
		revoked = revokedMicro(sess.RevokedAt).UnixMicro()
	}
	res, err := s.w.ExecContext(ctx, `
		INSERT INTO sessions (id, tenant, subject, integration, created_at, expires_at, revoked_at, generation)
		SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7, generation
		FROM integrations WHERE name = ?4 AND NOT retired`,
		sess.ID, sess.Tenant, sess.Subject, sess.Integration,
		micro(sess.CreatedAt).UnixMicro(), micro(sess.ExpiresAt).UnixMicro(), revoked)
	if err != nil {
		return fmt.Errorf("store: sqlite: create session: %w", err)
	}
	if n, err := res.RowsAffected(); err != nil || n == 0 {
		return fmt.Errorf("store: sqlite: create session: %w", ErrIntegrationRetired)
	}
	return nil
}

// GetSession implements Store.
func (s *sqliteStore) GetSession(ctx context.Context, id string) (Session, error) {
	var (
		sess                   Session
		created, expires, used int64
		revoked                sql.NullInt64
	)
	err := s.r.QueryRowContext(ctx, `
		SELECT s.id, s.tenant, s.subject, s.integration, s.created_at, s.expires_at, s.revoked_at,
			i.name IS NULL OR i.retired OR i.generation <> s.generation, COALESCE(s.last_used, s.created_at)
		FROM sessions s LEFT JOIN integrations i ON i.name = s.integration
		WHERE s.id = ?`, id).
		Scan(&sess.ID, &sess.Tenant, &sess.Subject, &sess.Integration, &created, &expires, &revoked, &sess.IntegrationGone, &used)
	if errors.Is(err, sql.ErrNoRows) {
		return Session{}, ErrNotFound
	}
	if err != nil {
		return Session{}, fmt.Errorf("store: sqlite: get session: %w", err)
	}
	sess.CreatedAt = fromMicro(created)
	sess.ExpiresAt = fromMicro(expires)
	sess.LastUsed = fromMicro(used)
	if revoked.Valid {
		sess.RevokedAt = fromMicro(revoked.Int64)
	}
	return sess, nil
}

// RevokeSession implements Store. The first revocation's time is kept.
func (s *sqliteStore) TouchSession(ctx context.Context, id string, at time.Time) error {
	_, err := s.w.ExecContext(ctx,
		`UPDATE sessions SET last_used = ? WHERE id = ? AND revoked_at IS NULL AND COALESCE(last_used, created_at) < ?`,
		micro(at).UnixMicro(), id, micro(at).UnixMicro())
	if err != nil {
		return fmt.Errorf("store: sqlite: touch session: %w", err)
	}
	return nil
}

func (s *sqliteStore) RevokeSession(ctx context.Context, id string, at time.Time) error {
	_, err := s.w.ExecContext(ctx,
		`UPDATE sessions SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL`,
		revokedMicro(at).UnixMicro(), id)
	if err != nil {
		return fmt.Errorf("store: sqlite: revoke session: %w", err)
	}
	return nil
}

// Ping implements Store: the file at the path is still the one opened,
// and both pools reach it.
func (s *sqliteStore) Ping(ctx context.Context) error {
	now, err := os.Stat(s.path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("store: sqlite: ping: the database file %s no longer exists", s.path)
	case err != nil:
		return fmt.Errorf("store: sqlite: ping: %w", err)
	case !os.SameFile(s.file, now):
		return fmt.Errorf("store: sqlite: ping: the database file %s was replaced since it was opened", s.path)
	}
	if err := s.w.PingContext(ctx); err != nil {
		return fmt.Errorf("store: sqlite: ping: %w", err)
	}
	if err := s.r.PingContext(ctx); err != nil {
		return fmt.Errorf("store: sqlite: ping: %w", err)
	}
	return nil
}

// Close implements Store.
func (s *sqliteStore) Close() error {
	return errors.Join(s.r.Close(), s.w.Close())
}

package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// pgSchemaLockKey is the key of the transaction-scoped advisory lock under
// which an instance creates or migrates the schema, so that instances
// starting at once take turns ("jwtgate" in ASCII).
const pgSchemaLockKey int64 = 0x6a77746761746500

// pgMigrations is the PostgreSQL schema, created in the first schema of
// the search_path. "groups" is quoted because GROUPS is a keyword. The JSON
// columns are json, not jsonb, so that metadata is returned byte for byte
// as it was given, as SQLite does.
var pgMigrations = []migration{{
	version: 1,
	stmts: []string{
		`CREATE TABLE IF NOT EXISTS replay (
			id     text PRIMARY KEY,
			expiry timestamptz NOT NULL
		)`,
		`CREATE INDEX IF NOT EXISTS replay_expiry ON replay (expiry)`,
		`CREATE TABLE IF NOT EXISTS subjects (
			tenant      text NOT NULL,
			id          text NOT NULL,
			integration text NOT NULL DEFAULT '',
			email       text NOT NULL DEFAULT '',
			name        text NOT NULL DEFAULT '',
			"groups"    json,
			roles       json,
			metadata    json,
			first_seen  timestamptz NOT NULL,
			last_seen   timestamptz NOT NULL,
			PRIMARY KEY (tenant, id)
		)`,
		`CREATE TABLE IF NOT EXISTS sessions (
			id          text PRIMARY KEY,
			tenant      text NOT NULL,
			subject     text NOT NULL,
			integration text NOT NULL DEFAULT '',
			created_at  timestamptz NOT NULL,
			expires_at  timestamptz NOT NULL,
			revoked_at  timestamptz
		)`,
	},
}, {
	// Subjects are keyed by integration too, so that one integration's
	// token cannot overwrite what another vouched for; a row keeps the
	// integration that last wrote it as its key.
	version: 2,
	stmts: []string{
		`ALTER TABLE subjects DROP CONSTRAINT subjects_pkey`,
		`ALTER TABLE subjects ADD PRIMARY KEY (tenant, integration, id)`,
	},
}, {
	// A session dies with its integration: each integration has a
	// generation, bumped when it is configured again after being retired,
	// and a session records the one it began in. Sessions from before
	// are of generation 1, that of an integration's first sync.
	version: 3,
	stmts: []string{
		`CREATE TABLE integrations (
			name       text PRIMARY KEY,
			generation bigint NOT NULL,
			retired    boolean NOT NULL DEFAULT false
		)`,
		`ALTER TABLE sessions ADD COLUMN generation bigint NOT NULL DEFAULT 1`,
	},
}, {
	// Synced claims (an integration's synced_claims, Acadio's credits):
	// a row a claim, so that a token naming one claim replaces that one
	// alone, and each value is kept as the token gave it (json, not jsonb).
	version: 4,
	stmts: []string{
		`CREATE TABLE subject_claims (
			tenant      text NOT NULL,
			integration text NOT NULL,
			id          text NOT NULL,
			claim       text NOT NULL,
			value       json NOT NULL,
			PRIMARY KEY (tenant, integration, id, claim)
		)`,
	},
}, {
	// The admin API: tenants, integrations kept as data (a head a name,
	// pointing at its live and draft revisions), admin credentials, the
	// audit log and the shadow tallies of drafts. change_version is one
	// row, bumped by every integration write, for instances to poll; the
	// writes also notify pgNotifyChannel.
	version: 5,
	stmts: []string{
		`CREATE TABLE tenants (
			id         text PRIMARY KEY,
			name       text NOT NULL,
			created_at timestamptz NOT NULL
		)`,
		`CREATE TABLE integration_heads (
			tenant     text NOT NULL,
			name       text NOT NULL,
			live       bigint NOT NULL DEFAULT 0,
			draft      bigint NOT NULL DEFAULT 0,
			last       bigint NOT NULL DEFAULT 0,
			updated_at timestamptz NOT NULL DEFAULT '0001-01-01 00:00:00+00',
			updated_by text NOT NULL DEFAULT '',
			PRIMARY KEY (tenant, name)
		)`,
		`CREATE TABLE revisions (
			tenant     text NOT NULL,
			name       text NOT NULL,
			number     bigint NOT NULL,
			kind       text NOT NULL,
			doc        bytea,
			public     bytea,
			author     text NOT NULL,
			note       text NOT NULL,
			created_at timestamptz NOT NULL,
			PRIMARY KEY (tenant, name, number)
		)`,
		`CREATE TABLE change_version (
			id      integer PRIMARY KEY CHECK (id = 1),
			version bigint NOT NULL
		)`,
		`INSERT INTO change_version (id, version) VALUES (1, 0)`,
		`CREATE TABLE credentials (
			id         text PRIMARY KEY,
			tenant     text NOT NULL,
			hash       bytea NOT NULL UNIQUE,
			label      text NOT NULL,
			created_at timestamptz NOT NULL,
			expires_at timestamptz,
			one_time   boolean NOT NULL,
			used       boolean NOT NULL DEFAULT false,
			revoked    boolean NOT NULL DEFAULT false
		)`,
		`CREATE INDEX credentials_tenant ON credentials (tenant, id)`,
		`CREATE TABLE audit (
			id     bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
			at     timestamptz NOT NULL,
			actor  text NOT NULL,
			tenant text NOT NULL,
			action text NOT NULL,
			target text NOT NULL,
			detail json
		)`,
		`CREATE INDEX audit_tenant ON audit (tenant, id)`,
		`CREATE TABLE shadow_tallies (
			tenant   text NOT NULL,
			name     text NOT NULL,
			revision bigint NOT NULL,
			compared bigint NOT NULL,
			differed bigint NOT NULL,
			samples  bigint NOT NULL,
			PRIMARY KEY (tenant, name, revision)
		)`,
		`CREATE TABLE shadow_samples (
			tenant       text NOT NULL,
			name         text NOT NULL,
			revision     bigint NOT NULL,
			seq          bigint NOT NULL,
			at           timestamptz NOT NULL,
			live_code    text NOT NULL,
			live_reason  text NOT NULL,
			draft_code   text NOT NULL,
			draft_reason text NOT NULL,
			PRIMARY KEY (tenant, name, revision, seq)
		)`,
		`CREATE INDEX sessions_tenant_subject ON sessions (tenant, subject)`,
	},
}, {
	// A session's last use, for an integration's idle timeout; NULL
	// (sessions of before) reads as its start.
	version: 6,
	stmts:   []string{`ALTER TABLE sessions ADD COLUMN last_used timestamptz`},
}}

// pgStore is the PostgreSQL Store, over a pgx connection pool.
type pgStore struct {
	pool *pgxpool.Pool
	jan  janitor
	// watchPID is the server process of WatchChanges's connection (0:
	// none), for the tests to end it.
	watchPID atomic.Uint32
}

// openPostgres connects to the database named by dsn and brings its schema
// up to date.
func openPostgres(ctx context.Context, dsn string) (Store, error) {
	cfg, err := parsePostgresDSN(dsn)
	if err != nil {
		return nil, err
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("store: postgres: %w", err)
	}
	s := &pgStore{pool: pool, jan: janitor{every: defaultPurgeEvery}}
	if err := migratePG(ctx, pool, pgMigrations); err != nil {
		pool.Close()
		if ce := connectError(err); ce != err {
			return nil, ce
		}
		return nil, fmt.Errorf("store: postgres: %w", err)
	}
	return s, nil
}

// migratePG creates the schema of migrations ms or brings it up to date,
// in one transaction holding pgSchemaLockKey.
func migratePG(ctx context.Context, pool *pgxpool.Pool, ms []migration) error {
	tx, err := pool.Begin(ctx)
	if err != nil {
		return fmt.Errorf("begin schema transaction: %w", err)
	}
	defer tx.Rollback(ctx)
	if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, pgSchemaLockKey); err != nil {
		return fmt.Errorf("lock schema: %w", err)
	}
	if _, err := tx.Exec(ctx, `CREATE TABLE IF NOT EXISTS schema_version (version integer PRIMARY KEY)`); err != nil {
		return fmt.Errorf("create schema_version: %w", err)
	}
	var have int
	if err := tx.QueryRow(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_version`).Scan(&have); err != nil {
		return fmt.Errorf("read schema version: %w", err)
	}
	if want := latestVersion(ms); have > want {
		return errNewerSchema("postgres", have, want)
	}
	for _, m := range ms {
		if m.version <= have {
			continue
		}
		for _, stmt := range m.stmts {
			if _, err := tx.Exec(ctx, stmt); err != nil {
				return fmt.Errorf("schema version %d: %w", m.version, err)
			}
		}
		if _, err := tx.Exec(ctx, `INSERT INTO schema_version (version) VALUES ($1)`, m.version); err != nil {
			return fmt.Errorf("schema version %d: %w", m.version, err)
		}
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("commit schema: %w", err)
	}
	return nil
}

// Claim implements Store. One statement: a new id is inserted; the row of
// an expired one (expiry <= now) is taken over; a live one is left alone,
// and then RETURNING yields no row. Concurrent inserts of one id wait on
// the primary key, so exactly one of them inserts or takes over the row.
func (s *pgStore) Claim(ctx context.Context, id string, expiry, now time.Time) (bool, error) {
	if id == "" {
		return false, errors.New("store: postgres: claim: empty id")
	}
	var one int
	err := s.pool.QueryRow(ctx, `
		INSERT INTO replay (id, expiry) VALUES ($1, $2)
		ON CONFLICT (id) DO UPDATE SET expiry = EXCLUDED.expiry
		WHERE replay.expiry <= $3
		RETURNING 1`,
		replayKey(id), micro(expiry), micro(now)).Scan(&one)
	fresh := err == nil
	if err != nil && !errors.Is(err, pgx.ErrNoRows) {
		return false, fmt.Errorf("store: postgres: claim: %w", err)
	}
	if s.jan.due() {
		// Best effort: the claim stands whatever happens here, and the next
		// purge deletes what this one missed.
		_, _ = s.purgeReplay(ctx, now)
	}
	return fresh, nil
}

// purgeReplay deletes the replay rows expired at now and returns how many.
func (s *pgStore) purgeReplay(ctx context.Context, now time.Time) (int64, error) {
	tag, err := s.pool.Exec(ctx, `DELETE FROM replay WHERE expiry <= $1`, micro(now))
	if err != nil {
		return 0, fmt.Errorf("store: postgres: purge replay: %w", err)
	}
	return tag.RowsAffected(), nil
}

// janitor returns the store's purge schedule.
func (s *pgStore) janitor() *janitor { return &s.jan }

const pgSubjectColumns = `tenant, id, integration, email, name, "groups", roles, metadata, first_seen, last_seen`

// pgSyncedObject aggregates a subject's synced claims into one JSON
// object, each value pasted as stored (json_object_agg would add spaces
// around it), NULL when it has none. $1, $2 and $3 are the subject's key.
const pgSyncedObject = `SELECT '{' || string_agg(to_json(c.claim)::text || ':' || c.value::text, ',') || '}'
	FROM subject_claims c WHERE c.tenant = $1 AND c.integration = $2 AND c.id = $3`

// UpsertSubject implements Store, in one transaction: insert the subject
// if new (ON CONFLICT DO NOTHING waits for a concurrent insert of the same
// key), else update it by Acadio's rule.
func (s *pgStore) UpsertSubject(ctx context.Context, sub Subject, now time.Time) (Subject, bool, error) {
	if err := validateSubject(sub); err != nil {
		return Subject{}, false, err
	}
	groups, err := encodeList(sub.Groups)
	if err != nil {
		return Subject{}, false, fmt.Errorf("store: postgres: upsert subject: groups: %w", err)
	}
	roles, err := encodeList(sub.Roles)
	if err != nil {
		return Subject{}, false, fmt.Errorf("store: postgres: upsert subject: roles: %w", err)
	}
	metadata, err := encodeMetadata(sub.Metadata)
	if err != nil {
		return Subject{}, false, err
	}
	names, err := syncedClaims(sub.Synced)
	if err != nil {
		return Subject{}, false, err
	}
	args := []any{sub.Tenant, sub.ID, sub.Integration, sub.Email, sub.Name, groups, roles, metadata, micro(now)}

	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return Subject{}, false, fmt.Errorf("store: postgres: upsert subject: begin: %w", err)
	}
	defer tx.Rollback(ctx)
	created := true
	out, err := scanPGSubject(tx.QueryRow(ctx, `
		INSERT INTO subjects (`+pgSubjectColumns+`)
		VALUES ($1, $2, $3, $4, $5, $6::json, $7::json, $8::json, $9, $9)
		ON CONFLICT (tenant, integration, id) DO NOTHING
		RETURNING `+pgSubjectColumns, args...))
	if errors.Is(err, pgx.ErrNoRows) {
		created = false
		out, err = scanPGSubject(tx.QueryRow(ctx, `
			UPDATE subjects SET
				email       = COALESCE(NULLIF($4::text, ''), email),
				name        = COALESCE(NULLIF($5::text, ''), name),
				"groups"    = COALESCE($6::json, "groups"),
				roles       = COALESCE($7::json, roles),
				metadata    = COALESCE($8::json, metadata),
				last_seen   = $9
			WHERE tenant = $1 AND id = $2 AND integration = $3
			RETURNING `+pgSubjectColumns, args...))
	}
	if err != nil {
		return Subject{}, false, fmt.Errorf("store: postgres: upsert subject: %w", err)
	}
	if out.Synced, err = syncPGClaims(ctx, tx, sub, names); err != nil {
		return Subject{}, false, fmt.Errorf("store: postgres: upsert subject: %w", err)
	}
	if err := tx.Commit(ctx); err != nil {
		return Subject{}, false, fmt.Errorf("store: postgres: upsert subject: commit: %w", err)
	}
	return out, created, nil
}

// syncPGClaims stores the synced claims names of sub in tx, each
// replacing the stored value of its claim, and returns every synced claim
// the subject now has.
func syncPGClaims(ctx context.Context, tx pgx.Tx, sub Subject, names []string) (map[string]json.RawMessage, error) {
	for _, name := range names {
		if _, err := tx.Exec(ctx, `
			INSERT INTO subject_claims (tenant, integration, id, claim, value) VALUES ($1, $2, $3, $4, $5::json)
			ON CONFLICT (tenant, integration, id, claim) DO UPDATE SET value = EXCLUDED.value`,
			sub.Tenant, sub.Integration, sub.ID, name, string(sub.Synced[name])); err != nil {
			return nil, fmt.Errorf("synced claim %q: %w", name, err)
		}
	}
	var synced []byte
	if err := tx.QueryRow(ctx, pgSyncedObject, sub.Tenant, sub.Integration, sub.ID).Scan(&synced); err != nil {
		return nil, fmt.Errorf("read synced claims: %w", err)
	}
	return decodeSynced(synced)
}

// GetSubject implements Store: the subject and its synced claims, in one
// statement.
func (s *pgStore) GetSubject(ctx context.Context, tenant, integration, id string) (Subject, error) {
	var synced []byte
	out, err := scanPGSubject(s.pool.QueryRow(ctx,
		`SELECT `+pgSubjectColumns+`, (`+pgSyncedObject+`)
		FROM subjects WHERE tenant = $1 AND integration = $2 AND id = $3`, tenant, integration, id), &synced)
	if err == nil {
		out.Synced, err = decodeSynced(synced)
	}
	if errors.Is(err, pgx.ErrNoRows) {
		return Subject{}, ErrNotFound
	}
	if err != nil {
		return Subject{}, fmt.Errorf("store: postgres: get subject: %w", err)
	}
	return out, nil
}

// scanPGSubject reads a row of pgSubjectColumns, and then of the extra
// columns into extra.
func scanPGSubject(row pgx.Row, extra ...any) (Subject, error) {
	var (
		s                       Subject
		groups, roles, metadata []byte
	)
	dest := append([]any{&s.Tenant, &s.ID, &s.Integration, &s.Email, &s.Name,
		&groups, &roles, &metadata, &s.FirstSeen, &s.LastSeen}, extra...)
	if err := row.Scan(dest...); err != nil {
		return Subject{}, err
	}
	if err := decodeJSONColumns(&s, groups, roles, metadata); err != nil {
		return Subject{}, err
	}
	s.FirstSeen = s.FirstSeen.UTC()
	s.LastSeen = s.LastSeen.UTC()
	return s, nil
}

// SyncIntegrations implements Store, in one transaction. Names are
// upserted in sorted order, so that concurrent syncs lock rows in one
// order; a sync waiting on another's row sees its outcome (a retired
// integration comes back once, not twice).
func (s *pgStore) SyncIntegrations(ctx context.Context, names []string) error {
	list := integrationNames(names)
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return fmt.Errorf("store: postgres: sync integrations: begin: %w", err)
	}
	defer tx.Rollback(ctx)
	// Only new and retired rows are written, so that a configuration of
	// thousands that changed none writes nothing; the NOT IN is hashed.
	if _, err := tx.Exec(ctx, `
		INSERT INTO integrations (name, generation, retired)
		SELECT n, 1, false FROM unnest($1::text[]) AS n ORDER BY n
		ON CONFLICT (name) DO UPDATE SET generation = integrations.generation + 1, retired = false
		WHERE integrations.retired`, list); err != nil {
		return fmt.Errorf("store: postgres: sync integrations: %w", err)
	}
	if _, err := tx.Exec(ctx, `
		UPDATE integrations SET retired = true
		WHERE NOT retired AND name NOT IN (SELECT unnest($1::text[]))`, list); err != nil {
		return fmt.Errorf("store: postgres: sync integrations: %w", err)
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("store: postgres: sync integrations: commit: %w", err)
	}
	return nil
}

// CreateSession implements Store: the session takes its integration's
// generation in the same statement, and is not stored when it has none.
func (s *pgStore) CreateSession(ctx context.Context, sess Session) error {
	if sess.ID == "" {
		return errors.New("store: postgres: create session: empty ID")
	}
	var revoked *time.Time
	if !sess.RevokedAt.IsZero() {
		t := revokedMicro(sess.RevokedAt)
		revoked = &t
	}
	tag, err := s.pool.Exec(ctx, `
		INSERT INTO sessions (id, tenant, subject, integration, created_at, expires_at, revoked_at, generation)
		SELECT $1::text, $2::text, $3::text, $4::text, $5::timestamptz, $6::timestamptz, $7::timestamptz, generation
		FROM integrations WHERE name = $4::text AND NOT retired`,
		sess.ID, sess.Tenant, sess.Subject, sess.Integration,
		micro(sess.CreatedAt), micro(sess.ExpiresAt), revoked)
	if err != nil {
		return fmt.Errorf("store: postgres: create session: %w", err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("store: postgres: create session: %w", ErrIntegrationRetired)
	}
	return nil
}

// GetSession implements Store.
func (s *pgStore) GetSession(ctx context.Context, id string) (Session, error) {
	var (
		sess    Session
		revoked *time.Time
	)
	err := s.pool.QueryRow(ctx, `
		SELECT s.id, s.tenant, s.subject, s.integration, s.created_at, s.expires_at, s.revoked_at,
			i.name IS NULL OR i.retired OR i.generation <> s.generation, COALESCE(s.last_used, s.created_at)
		FROM sessions s LEFT JOIN integrations i ON i.name = s.integration
		WHERE s.id = $1`, id).
		Scan(&sess.ID, &sess.Tenant, &sess.Subject, &sess.Integration, &sess.CreatedAt, &sess.ExpiresAt, &revoked, &sess.IntegrationGone, &sess.LastUsed)
	if errors.Is(err, pgx.ErrNoRows) {
		return Session{}, ErrNotFound
	}
	if err != nil {
		return Session{}, fmt.Errorf("store: postgres: get session: %w", err)
	}
	sess.CreatedAt = sess.CreatedAt.UTC()
	sess.ExpiresAt = sess.ExpiresAt.UTC()
	sess.LastUsed = sess.LastUsed.UTC()
	if revoked != nil {
		sess.RevokedAt = revoked.UTC()
	}
	return sess, nil
}

// RevokeSession implements Store. The first revocation's time is kept.
func (s *pgStore) TouchSession(ctx context.Context, id string, at time.Time) error {
	_, err := s.pool.Exec(ctx,
		`UPDATE sessions SET last_used = $1 WHERE id = $2 AND revoked_at IS NULL AND COALESCE(last_used, created_at) < $1`, micro(at), id)
	if err != nil {
		return fmt.Errorf("store: postgres: touch session: %w", err)
	}
	return nil
}

func (s *pgStore) RevokeSession(ctx context.Context, id string, at time.Time) error {
	_, err := s.pool.Exec(ctx,
		`UPDATE sessions SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL`, revokedMicro(at), id)
	if err != nil {
		return fmt.Errorf("store: postgres: revoke session: %w", err)
	}
	return nil
}

// Ping implements Store.
func (s *pgStore) Ping(ctx context.Context) error {
	if err := s.pool.Ping(ctx); err != nil {
		return fmt.Errorf("store: postgres: ping: %w", err)
	}
	return nil
}

// Close implements Store. It waits for the connections in use to be
// returned to the pool.
func (s *pgStore) Close() error {
	s.pool.Close()
	return nil
}

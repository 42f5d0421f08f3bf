// Package store keeps the state jwtgate serve shares between requests and
// between instances: used one-time token IDs, subjects (accounts created
// just in time from tokens), and sessions. Two implementations stand behind
// one interface: SQLite, the embedded default (a file in the data
// directory, no cgo), and PostgreSQL, for several instances sharing state.
//
// A Store is also the core's replay store, so that a one-time token is
// accepted once across every instance sharing it:
//
//	st, err := store.Open(ctx, "sqlite:/var/lib/jwtgate/jwtgate.db") // or "postgres://…"
//	defer st.Close()
//	v, err := core.NewVerifier(policy, core.Config{Replay: st})
package store

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"time"
)

// ErrNotFound is returned when a subject or session does not exist.
var ErrNotFound = errors.New("store: not found")

// ErrIntegrationRetired is returned by CreateSession when the session's
// integration is not live in the store: never synced, or retired.
var ErrIntegrationRetired = errors.New("store: the integration is not configured")

// Subject is an account created or updated from a verified token. It is
// keyed by (Tenant, Integration, ID): what one integration vouched for is
// never overwritten by another's token for the same ID, even within one
// tenant.
type Subject struct {
	// Tenant is the tenant of the integration.
	Tenant string
	// Integration is the integration whose tokens vouch for the subject.
	Integration string
	// ID is the subject as the integration names it (its subject claim).
	ID string
	// Email and Name are the token's, kept when an update has none.
	Email string
	Name  string
	// Groups, Roles and Metadata follow Acadio's rule on update: nil leaves
	// the stored value alone, a non-nil value (even empty) replaces it.
	// Metadata is a JSON value, stored byte for byte.
	Groups   []string
	Roles    []string
	Metadata json.RawMessage
	// Synced are the subject's synced claims (an integration's
	// synced_claims), by claim name, each a JSON value stored byte for
	// byte. On update a name present replaces that claim's stored value
	// and a name absent leaves it alone, so that a token which omits a
	// claim cannot clear it; the stored subject carries every synced claim
	// it has, nil when none.
	Synced map[string]json.RawMessage
	// FirstSeen is when the subject was created, LastSeen its latest
	// update; both set by the store from the now it is given.
	FirstSeen time.Time
	LastSeen  time.Time
}

// Session is a signed-in browser session. The session cookie holds a token
// jwtgate signs, naming the session ID; the store says whether it is still
// live, so that a logout on one instance is honoured by all.
type Session struct {
	// ID names the session in its cookie's token; the caller makes it
	// random, so that it cannot be guessed.
	ID string
	// Tenant, Subject and Integration are whom the session signed in, and
	// through which integration.
	Tenant      string
	Subject     string
	Integration string
	// CreatedAt is when the session began; it is dead from ExpiresAt.
	CreatedAt time.Time
	ExpiresAt time.Time
	// RevokedAt is zero while the session is live.
	RevokedAt time.Time
	// LastUsed (GetSession only) is its latest TouchSession, else
	// CreatedAt: for an idle timeout.
	LastUsed time.Time
	// IntegrationGone reports (GetSession only) that the session's
	// integration has been retired since the session began, whether or
	// not it has been configured again: the session is dead.
	IntegrationGone bool
}

// Store is the state of jwtgate serve. Implementations are safe for
// concurrent use by many goroutines and many processes.
type Store interface {
	// Claim records a one-time token ID until expiry and reports whether it
	// was unused (it implements core.ReplayStore). Atomic across processes.
	// The ID may hold any bytes; stores keep its SHA-256.
	Claim(ctx context.Context, id string, expiry, now time.Time) (fresh bool, err error)
	// UpsertSubject creates the subject of (Tenant, Integration, ID) or
	// updates it (Email and Name when non-empty, Groups/Roles/Metadata when
	// non-nil, each claim of Synced, LastSeen = now), in one transaction,
	// and returns the stored subject and whether it was created.
	UpsertSubject(ctx context.Context, s Subject, now time.Time) (Subject, bool, error)
	// GetSubject returns the subject an integration vouched for, or
	// ErrNotFound.
	GetSubject(ctx context.Context, tenant, integration, id string) (Subject, error)
	// SyncIntegrations records the integrations a configuration names, in
	// one transaction: a new name starts at generation 1; a configured name
	// that was retired comes back at the next generation; a name absent
	// from names is retired. Instances sharing a store must configure the
	// same integrations: one that syncs without an integration retires it
	// for all.
	SyncIntegrations(ctx context.Context, names []string) error
	// CreateSession stores a new session, bound to the current generation
	// of its integration; ErrIntegrationRetired when that is not live.
	CreateSession(ctx context.Context, s Session) error
	// GetSession returns a session (live, expired, revoked or of a gone
	// integration: see IntegrationGone), or ErrNotFound. One query, so
	// that a retirement is seen at once by every instance.
	GetSession(ctx context.Context, id string) (Session, error)
	// TouchSession records a use of a live session at the given time (a
	// later one than recorded; an earlier one changes nothing).
	TouchSession(ctx context.Context, id string, at time.Time) error
	// RevokeSession marks a session revoked at the given time. Revoking an
	// unknown or already revoked session is not an error.
	RevokeSession(ctx context.Context, id string, at time.Time) error
	// Ping reports whether the store is reachable.
	Ping(ctx context.Context) error
	// Close releases the store's resources.
	Close() error
}

// Open opens the store named by dsn: "sqlite:PATH" (a file, created with
// its schema if missing) or "postgres://…" / "postgresql://…" (the schema
// is created if missing).
//
// A SQLite PATH is a file name: it may not contain '?', start with "//" (a
// URL spelling; write sqlite:/abs/path or sqlite:rel/path) or be ":memory:".
// A PostgreSQL DSN takes pgx's parameters (pool_max_conns, sslmode, …) and
// passes the others to the server as run-time parameters, such as
// search_path to keep the tables in a schema of one's own.
//
// Errors never quote a PostgreSQL DSN, which may hold a password. A DSN
// of the wrong form is ErrInvalidDSN (see CheckDSN).
func Open(ctx context.Context, dsn string) (Store, error) {
	if err := CheckDSN(dsn); err != nil {
		return nil, err
	}
	if strings.HasPrefix(dsn, "sqlite:") {
		return openSQLite(ctx, strings.TrimPrefix(dsn, "sqlite:"))
	}
	return openPostgres(ctx, dsn)
}

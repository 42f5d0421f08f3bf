package store

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"time"
)

// ErrConflict is returned when a write's precondition failed: the
// resource changed since the caller read it (an integration's live or
// draft revision is not the one expected), or a tenant still has
// integrations.
var ErrConflict = errors.New("store: the resource changed since it was read")

// ErrExists is returned when a tenant or credential to create exists.
var ErrExists = errors.New("store: already exists")

// ErrInvalidArgument is matched (errors.Is) by the errors of a write whose
// argument no store could keep: a negative count, audit detail that is
// not JSON.
var ErrInvalidArgument = errors.New("store: invalid argument")

// Tenant is a tenant of the admin API.
type Tenant struct {
	ID, Name  string
	CreatedAt time.Time
}

// IntegrationRecord is one stored integration's head: which revision is
// live, which is a draft.
type IntegrationRecord struct {
	Tenant, Name string
	// Live is the live revision number; 0: none (never created, or deleted).
	Live int64
	// Draft is the draft revision number; 0: none.
	Draft     int64
	UpdatedAt time.Time
	UpdatedBy string
}

// Revision is one stored version of an integration.
type Revision struct {
	Tenant, Name string
	// Number is 1, 2, 3… per (tenant, name), assigned by the store, never
	// reused (also after a delete).
	Number int64
	// Kind is "update", "draft", "rollback", "delete", "promote", set by the
	// caller (PromoteDraft and DeleteIntegration set their own).
	Kind string
	// Doc is the opaque (sealed) document; nil for a delete.
	Doc []byte
	// Public is opaque redacted JSON, shown to admins; nil for a delete.
	Public []byte
	Author string
	// Note says more, e.g. "rollback to 3".
	Note      string
	CreatedAt time.Time
}

// Credential is a tenant admin's (or the operator's) credential. The
// store keeps the secret's SHA-256, never the secret.
type Credential struct {
	ID string
	// Tenant is "" for an operator-level credential.
	Tenant string
	// Hash is the SHA-256 of the secret.
	Hash      []byte
	Label     string
	CreatedAt time.Time
	// ExpiresAt zero: never.
	ExpiresAt time.Time
	// OneTime marks a one-time login code, which ConsumeCredential uses up
	// and LookupCredential never returns.
	OneTime bool
}

// AuditEntry is one line of the audit log.
type AuditEntry struct {
	// ID is assigned by the store, increasing.
	ID                            int64
	At                            time.Time
	Actor, Tenant, Action, Target string
	// Detail is JSON, stored byte for byte; nil for none.
	Detail []byte
}

// ShadowSample is one request on which a draft's decision differed from
// the live one's, or was sampled for comparison.
type ShadowSample struct {
	At                     time.Time
	LiveCode, LiveReason   string
	DraftCode, DraftReason string
}

// ShadowTally is how a draft revision fared when run in the shadow of the
// live one: how many requests were compared, how many differed, and the
// newest samples (at most maxShadowSamples, newest first).
type ShadowTally struct {
	Revision           int64
	Compared, Differed int64
	Samples            []ShadowSample
}

// Admin is the state of the admin API: tenants, integrations stored as
// revisions, admin credentials, the audit log, shadow tallies, and a
// tenant's view of its subjects and sessions. Implementations are safe for
// concurrent use by many goroutines and many processes; every write is
// one transaction. Lists take a limit, clamped to 1..maxListLimit (0:
// defaultListLimit).
type Admin interface {
	// CreateTenant stores a new tenant, or fails with ErrExists.
	CreateTenant(ctx context.Context, t Tenant) error
	// GetTenant returns a tenant, or ErrNotFound.
	GetTenant(ctx context.Context, id string) (Tenant, error)
	// ListTenants returns the tenants after the ID after, ordered by ID.
	ListTenants(ctx context.Context, after string, limit int) ([]Tenant, error)
	// DeleteTenant deletes a tenant and revokes its credentials;
	// ErrConflict while it has integrations with a live or draft revision,
	// ErrNotFound when there is no such tenant. The history of its deleted
	// integrations is kept.
	DeleteTenant(ctx context.Context, id string) error

	// PutRevision stores rev as the next revision of its integration, live
	// (clearing any draft) or, when draft, as its draft (the live one
	// unchanged), if the integration's live revision number is expect (0:
	// not live; -1: no check), else ErrConflict. ErrNotFound when the
	// tenant does not exist. It returns the stored revision, numbered.
	PutRevision(ctx context.Context, rev Revision, expect int64, draft bool) (Revision, error)
	// DeleteIntegration records a "delete" revision and leaves the
	// integration neither live nor drafted; ErrNotFound when it is not
	// live, ErrConflict when its live revision is not expect (-1: no check).
	DeleteIntegration(ctx context.Context, tenant, name string, expect int64, author string, at time.Time) (Revision, error)
	// PromoteDraft makes the draft live as a new revision of Kind
	// "promote"; ErrNotFound when there is no draft, ErrConflict when the
	// draft is not expectDraft (-1: no check).
	PromoteDraft(ctx context.Context, tenant, name string, expectDraft int64, author string, at time.Time) (Revision, error)
	// DiscardDraft drops the draft (its revision stays in the history);
	// errors as PromoteDraft's.
	DiscardDraft(ctx context.Context, tenant, name string, expectDraft int64, author string, at time.Time) error
	// GetIntegration returns an integration's head, or ErrNotFound when it
	// was never stored.
	GetIntegration(ctx context.Context, tenant, name string) (IntegrationRecord, error)
	// ListIntegrations returns a tenant's integrations ("": every
	// tenant's) that have a live or draft revision, ordered by (tenant,
	// name).
	ListIntegrations(ctx context.Context, tenant string) ([]IntegrationRecord, error)
	// GetRevision returns one revision, with its Doc, or ErrNotFound.
	GetRevision(ctx context.Context, tenant, name string, number int64) (Revision, error)
	// ListRevisions returns an integration's revisions numbered below
	// before (0: from the newest), newest first, without their Doc.
	ListRevisions(ctx context.Context, tenant, name string, before int64, limit int) ([]Revision, error)
	// LoadIntegrations returns, from one consistent snapshot, the change
	// version and the live and draft revisions (with Doc) of every
	// integration, ordered by (tenant, name).
	LoadIntegrations(ctx context.Context) (version int64, live, drafts []Revision, err error)
	// ChangeVersion returns a counter every integration write bumps.
	ChangeVersion(ctx context.Context) (int64, error)
	// WatchChanges calls notify when another instance may have written an
	// integration, until ctx ends; it then returns nil. A store that has
	// no such notice (SQLite: one instance) returns nil at once, and the
	// caller polls ChangeVersion.
	WatchChanges(ctx context.Context, notify func()) error

	// CreateCredential stores a credential; ErrExists when its ID or hash
	// is taken, ErrNotFound when its tenant (non-empty) does not exist.
	CreateCredential(ctx context.Context, c Credential) error
	// LookupCredential returns the credential of hash, or ErrNotFound when
	// there is none, or it is expired at now, revoked, or one-time.
	LookupCredential(ctx context.Context, hash []byte, now time.Time) (Credential, error)
	// ConsumeCredential uses up the one-time credential of hash and
	// returns it; ErrNotFound when there is none, or it is used, expired
	// at now, revoked, or not one-time.
	ConsumeCredential(ctx context.Context, hash []byte, now time.Time) (Credential, error)
	// ListCredentials returns a tenant's ("": the operator's) credentials
	// that are neither revoked nor used, without Hash, ordered by ID.
	ListCredentials(ctx context.Context, tenant string) ([]Credential, error)
	// RevokeCredential revokes a tenant's credential; ErrNotFound when it
	// is not that tenant's. Tenant "" revokes any.
	RevokeCredential(ctx context.Context, tenant, id string) error

	// AppendAudit stores an entry and returns its ID.
	AppendAudit(ctx context.Context, e AuditEntry) (int64, error)
	// ListAudit returns a tenant's ("": every) entries with an ID below
	// before (0: from the newest), newest first.
	ListAudit(ctx context.Context, tenant string, before int64, limit int) ([]AuditEntry, error)

	// RecordShadow adds to the shadow tally of a draft revision, keeping
	// its newest maxShadowSamples samples (samples are oldest first).
	RecordShadow(ctx context.Context, tenant, name string, revision, compared, differed int64, samples []ShadowSample) error
	// GetShadow returns a revision's shadow tally, zero when there is none.
	GetShadow(ctx context.Context, tenant, name string, revision int64) (ShadowTally, error)

	// ListSubjects returns a tenant's subjects after the cursor after (see
	// SubjectCursor; "": from the start), ordered by integration then ID,
	// without Synced.
	ListSubjects(ctx context.Context, tenant, after string, limit int) ([]Subject, error)
	// ListSessions returns a tenant's sessions live at now (of a subject;
	// "": of all), newest first.
	ListSessions(ctx context.Context, tenant, subject string, now time.Time, limit int) ([]Session, error)
	// RevokeTenantSession revokes a session of the tenant; ErrNotFound when
	// it is not that tenant's. The first revocation's time is kept.
	RevokeTenantSession(ctx context.Context, tenant, id string, at time.Time) error
	// RevokeSubjectSessions revokes a subject's unrevoked sessions and
	// returns how many.
	RevokeSubjectSessions(ctx context.Context, tenant, subject string, at time.Time) (int64, error)

	// ResealDocs passes every revision that has a document to reseal, a
	// page at a time, and stores the document it returns when changed:
	// after the secrets key is rotated, every revision, old ones included,
	// is sealed with the new key. The revision's other columns and the
	// change version are left alone (the document means the same), and a
	// document changed meanwhile is not overwritten. It returns how many
	// it stored.
	ResealDocs(ctx context.Context, reseal func(Revision) (doc []byte, changed bool, err error)) (int64, error)
}

var (
	_ Admin = (*sqliteStore)(nil)
	_ Admin = (*pgStore)(nil)
)

// The bounds of a list: a caller cannot ask the store for more rows than
// maxListLimit at once.
const (
	defaultListLimit = 100
	maxListLimit     = 1000
)

// maxShadowSamples is how many samples a shadow tally keeps.
const maxShadowSamples = 50

// clampLimit returns a list's limit within 1..maxListLimit, 0 being
// defaultListLimit.
func clampLimit(n int) int {
	switch {
	case n == 0:
		return defaultListLimit
	case n < 1:
		return 1
	case n > maxListLimit:
		return maxListLimit
	}
	return n
}

// SubjectCursor returns the cursor of ListSubjects that lists the
// subjects after s.
func SubjectCursor(s Subject) string {
	return s.Integration + "\x00" + s.ID
}

// splitSubjectCursor is the inverse of SubjectCursor. A cursor without a
// NUL is an integration: the list starts at its first subject.
func splitSubjectCursor(after string) (integration, id string) {
	integration, id, _ = strings.Cut(after, "\x00")
	return integration, id
}

// argError is an ErrInvalidArgument saying what is wrong.
type argError struct{ reason string }

func (e *argError) Error() string        { return "store: " + e.reason }
func (e *argError) Is(target error) bool { return target == ErrInvalidArgument }

// checkShadow checks what RecordShadow needs of its arguments and returns
// the samples it keeps: the newest maxShadowSamples.
func checkShadow(compared, differed int64, samples []ShadowSample) ([]ShadowSample, error) {
	if compared < 0 || differed < 0 {
		return nil, &argError{"record shadow: negative count"}
	}
	return samples[max(0, len(samples)-maxShadowSamples):], nil
}

// auditDetail returns the stored form of an entry's detail: nil (SQL NULL)
// for none, else the JSON text as given.
func auditDetail(d []byte) (any, error) {
	if d == nil {
		return nil, nil
	}
	if !json.Valid(d) {
		return nil, &argError{"append audit: detail is not valid JSON"}
	}
	return string(d), nil
}

// detailBytes is the inverse of auditDetail.
func detailBytes(s *string) []byte {
	if s == nil {
		return nil
	}
	return []byte(*s)
}

package store

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sync/atomic"
	"time"

	"github.com/jwtgate/jwtgate/core"
)

// isScheme reports whether s is spelled like a URL scheme (RFC 3986), so
// that quoting it in an error cannot echo part of a password.
func isScheme(s string) bool {
	if len(s) > 32 {
		return false
	}
	for i, c := range s {
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z':
		case i > 0 && ('0' <= c && c <= '9' || c == '+' || c == '-' || c == '.'):
		default:
			return false
		}
	}
	return true
}

// migration is one step of a schema: the statements that take it from
// version-1 to version, run in one transaction.
type migration struct {
	version int
	stmts   []string
}

// latestVersion returns the version the migrations lead to.
func latestVersion(ms []migration) int {
	return ms[len(ms)-1].version
}

// errNewerSchema is the error for a database whose schema a newer jwtgate
// wrote.
func errNewerSchema(backend string, have, want int) error {
	return fmt.Errorf("store: %s: the database has schema version %d, newer than this jwtgate knows (%d); upgrade jwtgate", backend, have, want)
}

// micro returns t as every store keeps it: moved into the range both
// stores hold (core.ClampTime: the years 0001-9999, so that a token's
// "never" cannot overflow SQLite's microseconds into the past nor be
// refused by PostgreSQL), in UTC, at the stores' precision (microseconds,
// that of PostgreSQL's timestamptz), without a monotonic clock reading.
// Every time a store writes or compares goes through it.
func micro(t time.Time) time.Time {
	return core.ClampTime(t).UTC().Truncate(time.Microsecond)
}

// revokedMicro is micro for a revocation time, which must stay non-zero
// (zero means live): a revocation clamped onto the start of the range is
// kept a microsecond after it, still revoked.
func revokedMicro(t time.Time) time.Time {
	m := micro(t)
	if m.IsZero() {
		m = m.Add(time.Microsecond)
	}
	return m
}

// encodeList returns the JSON stored for Groups or Roles: nil (SQL NULL,
// which UpsertSubject reads as "leave alone") for a nil list, else the JSON
// array.
func encodeList(l []string) (any, error) {
	if l == nil {
		return nil, nil
	}
	b, err := json.Marshal(l)
	if err != nil {
		return nil, err
	}
	return string(b), nil
}

// decodeList is the inverse of encodeList: SQL NULL is a nil list, "[]" an
// empty, non-nil one.
func decodeList(b []byte) ([]string, error) {
	if b == nil {
		return nil, nil
	}
	l := []string{}
	if err := json.Unmarshal(b, &l); err != nil {
		return nil, err
	}
	return l, nil
}

// encodeMetadata returns the JSON stored for Metadata: nil (SQL NULL) for
// nil, the JSON text null for an empty non-nil value, else the value, which
// must be valid JSON. The text is stored as given, byte for byte.
func encodeMetadata(m json.RawMessage) (any, error) {
	switch {
	case m == nil:
		return nil, nil
	case len(m) == 0:
		return "null", nil
	case !json.Valid(m):
		return nil, errors.New("store: subject metadata is not valid JSON")
	}
	return string(m), nil
}

// decodeMetadata is the inverse of encodeMetadata.
func decodeMetadata(b []byte) json.RawMessage {
	if b == nil {
		return nil
	}
	return json.RawMessage(b)
}

// decodeJSONColumns fills s's Groups, Roles and Metadata from their stored
// JSON.
func decodeJSONColumns(s *Subject, groups, roles, metadata []byte) error {
	var err error
	if s.Groups, err = decodeList(groups); err != nil {
		return fmt.Errorf("stored groups: %w", err)
	}
	if s.Roles, err = decodeList(roles); err != nil {
		return fmt.Errorf("stored roles: %w", err)
	}
	s.Metadata = decodeMetadata(metadata)
	return nil
}

// integrationNames returns names sorted (so that concurrent syncs lock
// rows in one order), without duplicates, and never nil (nil would be SQL
// NULL, which matches nothing and would retire nothing).
func integrationNames(names []string) []string {
	out := slices.Compact(slices.Sorted(slices.Values(names)))
	if out == nil {
		out = []string{}
	}
	return out
}

// validateSubject checks what UpsertSubject needs of its argument.
func validateSubject(s Subject) error {
	if s.ID == "" {
		return errors.New("store: subject ID is empty")
	}
	return nil
}

// janitor decides when a Claim also purges the expired replay rows, so that
// the table stays bounded: every `every` claims of one Store.
type janitor struct {
	every uint64
	n     atomic.Uint64
}

// defaultPurgeEvery is how many claims of one Store pass between purges of
// expired replay rows.
const defaultPurgeEvery = 1000

// due counts a claim and reports whether it is time to purge.
func (j *janitor) due() bool {
	return j.every > 0 && j.n.Add(1)%j.every == 0
}

// replayKey is the stored form of a one-time token ID: its SHA-256, in hex.
// IDs may hold any bytes (the core's hold a NUL, which PostgreSQL text
// cannot), and a digest bounds their length.
func replayKey(id string) string {
	sum := sha256.Sum256([]byte(id))
	return hex.EncodeToString(sum[:])
}

package store

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/jwtgate/jwtgate/core"
)

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

// syncedClaims returns the names of a subject's synced claims, sorted (so
// that concurrent upserts lock rows in one order), each checked: a
// non-empty name and a value that is valid JSON, stored as given.
func syncedClaims(synced map[string]json.RawMessage) ([]string, error) {
	names := slices.Sorted(maps.Keys(synced))
	for _, name := range names {
		switch v := synced[name]; {
		case name == "":
			return nil, errors.New("store: a synced claim has an empty name")
		case !json.Valid(v):
			return nil, fmt.Errorf("store: synced claim %q is not valid JSON", name)
		}
	}
	return names, nil
}

// decodeSynced reads the synced claims a store aggregated into one JSON
// object (SQL NULL: none). Each value is the stored text, byte for byte.
func decodeSynced(b []byte) (map[string]json.RawMessage, error) {
	if b == nil {
		return nil, nil
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("stored synced claims: %w", err)
	}
	return m, nil
}

package store

import (
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5/pgxpool"
)

// ErrInvalidDSN is matched (errors.Is) by the errors of Open and CheckDSN
// for a DSN that names no store jwtgate can open: no scheme or another
// one, a SQLite PATH that is not a file name, a PostgreSQL DSN that does
// not parse. Such a DSN is the configuration's fault; a store that cannot
// be reached or opened is not.
var ErrInvalidDSN = errors.New("store: invalid DSN")

// dsnError is an ErrInvalidDSN. Its reason never quotes a PostgreSQL DSN.
type dsnError struct{ reason string }

func (e *dsnError) Error() string        { return "store: " + e.reason }
func (e *dsnError) Is(target error) bool { return target == ErrInvalidDSN }

func invalidDSN(format string, args ...any) error {
	return &dsnError{reason: fmt.Sprintf(format, args...)}
}

const wantDSN = `want "sqlite:PATH", "postgres://…" or "postgresql://…"`

// CheckDSN reports whether Open would accept dsn's form, without opening
// anything: nil, or an ErrInvalidDSN saying what is wrong.
func CheckDSN(dsn string) error {
	switch {
	case strings.HasPrefix(dsn, "sqlite:"):
		return checkSQLitePath(strings.TrimPrefix(dsn, "sqlite:"))
	case strings.HasPrefix(dsn, "postgres://"), strings.HasPrefix(dsn, "postgresql://"):
		_, err := parsePostgresDSN(dsn)
		return err
	}
	scheme, _, ok := strings.Cut(dsn, ":")
	if !ok || scheme == "" || !isScheme(scheme) {
		return invalidDSN("DSN has no scheme (%s)", wantDSN)
	}
	return invalidDSN("unsupported DSN scheme %q (%s)", scheme, wantDSN)
}

// checkSQLitePath refuses what the driver would read as something other
// than a file name.
func checkSQLitePath(path string) error {
	switch {
	case path == "":
		return invalidDSN("sqlite: empty path (want sqlite:PATH)")
	case path == ":memory:" || strings.HasPrefix(path, "file:"):
		return invalidDSN("sqlite: PATH must name a file (not :memory: or a file: URI)")
	case strings.HasPrefix(path, "//"):
		return invalidDSN("sqlite: PATH starts with \"//\"; write sqlite:/absolute/path or sqlite:relative/path")
	case strings.ContainsRune(path, '?'):
		return invalidDSN("sqlite: PATH may not contain '?' (no options are taken)")
	}
	return nil
}

// parsePostgresDSN parses a PostgreSQL DSN into pgx's pool configuration.
// url.Parse's and pgx's parse errors may quote the DSN, password included;
// url.Error's inner error does not, and the port is checked here so that
// the commonest mistake is named rather than withheld.
func parsePostgresDSN(dsn string) (*pgxpool.Config, error) {
	u, err := url.Parse(dsn)
	if err != nil {
		var uerr *url.Error
		if errors.As(err, &uerr) {
			err = uerr.Err
		}
		return nil, invalidDSN("postgres: invalid DSN: %v", err)
	}
	if p := u.Port(); p != "" {
		if n, err := strconv.Atoi(p); err != nil || n < 1 || n > 65535 {
			return nil, invalidDSN("postgres: invalid DSN: port %s is not in 1-65535", p)
		}
	}
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		return nil, invalidDSN("postgres: invalid DSN (pgx cannot parse it; the details are withheld as they may quote a password)")
	}
	return cfg, nil
}

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

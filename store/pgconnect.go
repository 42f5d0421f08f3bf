package store

import (
	"errors"
	"fmt"
	"net"
	"strings"
	"syscall"

	"github.com/jackc/pgx/v5/pgconn"
)

// pgConnectError is a failed connection to PostgreSQL, said once: where
// (host, port, user, database, never the password), what failed (the
// server's message, or the network's), and what to do about it. pgx's own
// error repeats itself, one line per attempt (sslmode=prefer tries TLS,
// then plain text), and wraps the operation that happened to connect.
type pgConnectError struct {
	host, user, database string
	port                 uint16
	reason, hint         string
	err                  error
}

func (e *pgConnectError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "store: postgres: cannot connect to PostgreSQL at %s as user %q, database %q: %s",
		e.where(), e.user, e.database, e.reason)
	if e.hint != "" {
		b.WriteString("; ")
		b.WriteString(e.hint)
	}
	return b.String()
}

func (e *pgConnectError) Unwrap() error { return e.err }

func (e *pgConnectError) where() string {
	if strings.HasPrefix(e.host, "/") {
		return fmt.Sprintf("the socket in %s (port %d)", e.host, e.port)
	}
	return net.JoinHostPort(e.host, fmt.Sprint(e.port))
}

// connectError returns err as a *pgConnectError when it is a failure to
// connect, else err unchanged.
func connectError(err error) error {
	var ce *pgconn.ConnectError
	if !errors.As(err, &ce) || ce.Config == nil {
		return err
	}
	e := &pgConnectError{host: ce.Config.Host, port: ce.Config.Port, user: ce.Config.User, database: ce.Config.Database, err: err}
	e.reason, e.hint = explainConnect(lastAttempt(ce.Unwrap()), e)
	return e
}

// lastAttempt is the failure of the last connection attempt: the one that
// decided (after a TLS attempt, the plain one), with the others dropped.
func lastAttempt(err error) error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		if errs := j.Unwrap(); len(errs) > 0 {
			return errs[len(errs)-1]
		}
	}
	return err
}

// explainConnect words one attempt's failure and its remedy.
func explainConnect(err error, e *pgConnectError) (reason, hint string) {
	var pg *pgconn.PgError
	if errors.As(err, &pg) {
		reason = fmt.Sprintf("the server says: %s (SQLSTATE %s)", pg.Message, pg.Code)
		switch pg.Code {
		case "28P01": // invalid_password
			hint = "check the password (in the DSN, PGPASSWORD or ~/.pgpass; it is not shown here)"
		case "28000": // invalid_authorization_specification
			hint = fmt.Sprintf("check the user name, and that pg_hba.conf admits user %q to database %q from this host", e.user, e.database)
		case "3D000": // invalid_catalog_name
			hint = fmt.Sprintf("create it (createdb -h %s -p %d -U %s %s) or name an existing database in the DSN", e.host, e.port, e.user, e.database)
		case "53300": // too_many_connections
			hint = "the server has no free connection slot: lower pool_max_conns in the DSN or raise max_connections"
		case "57P03": // cannot_connect_now
			hint = "the server is starting or shutting down; try again"
		}
		return reason, hint
	}
	var dns *net.DNSError
	var netErr net.Error
	switch {
	case errors.As(err, &dns) && dns.IsNotFound:
		return fmt.Sprintf("host name %q not found", dns.Name), "check the host in the DSN"
	case errors.As(err, &dns):
		return fmt.Sprintf("cannot resolve host name %q: %s", dns.Name, dns.Err), "check the host in the DSN and the resolver"
	case errors.Is(err, syscall.ECONNREFUSED):
		return "connection refused", "check that PostgreSQL runs on that host and listens on that port (listen_addresses and port in postgresql.conf)"
	case errors.As(err, &netErr) && netErr.Timeout():
		return "no answer in time", "check the host, the port and any firewall between; connect_timeout in the DSN sets the wait"
	case strings.Contains(err.Error(), "server refused TLS"):
		return "the server does not offer TLS", "add sslmode=disable to the DSN for a server on a trusted network, or turn on ssl in the server"
	}
	return innermost(err), ""
}

// innermost is the text of the deepest error err wraps: the cause without
// the layers that repeat the address.
func innermost(err error) string {
	for {
		next := errors.Unwrap(err)
		if next == nil {
			return err.Error()
		}
		err = next
	}
}

package ldapgroups

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/url"
	"sync"
	"time"

	"github.com/go-ldap/ldap/v3"
)

// conns keeps one bound connection, shared by concurrent lookups (LDAP
// multiplexes requests by message ID), dialled when first needed and again
// after it failed. Once closed, each lookup dials a connection of its own
// and closes it after: a lookup still running on a replaced resolver works.
type conns struct {
	cfg    Config
	mu     sync.Mutex // held while dialling: one dial at a time, the others wait for it
	conn   *ldap.Conn
	closed bool
}

// get returns the shared connection, reused says it was dialled before
// this lookup; release gives it back.
func (p *conns) get(ctx context.Context) (c *ldap.Conn, reused bool, err error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.conn != nil && !p.conn.IsClosing() {
		return p.conn, true, nil
	}
	p.conn = nil
	c, err = dial(ctx, p.cfg)
	if err != nil {
		return nil, false, err
	}
	if !p.closed {
		p.conn = c
	}
	return c, false, nil
}

// release ends a lookup on c: a connection that failed (broken) is
// closed, so that the next lookup dials anew; so is one of a closed pool.
func (p *conns) release(c *ldap.Conn, broken bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if broken && p.conn == c {
		p.conn = nil
	}
	if p.conn != c {
		c.Close()
	}
}

func (p *conns) close() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.closed = true
	if p.conn != nil {
		p.conn.Close()
		p.conn = nil
	}
}

// dial connects (TLS for ldaps://), upgrades with StartTLS when asked and
// binds, all within the lookup's deadline.
func dial(ctx context.Context, cfg Config) (*ldap.Conn, error) {
	u, _ := url.Parse(cfg.URL) // checked by New
	secure := u.Scheme == "ldaps"
	port := u.Port()
	if port == "" {
		port = map[bool]string{false: ldap.DefaultLdapPort, true: ldap.DefaultLdapsPort}[secure]
	}
	addr := net.JoinHostPort(u.Hostname(), port)
	raw, err := (&net.Dialer{}).DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("ldap: connecting to %s: %w", addr, err)
	}
	// The deadline bounds the setup, handshakes and the bind included; the
	// searches are bounded by their context.
	deadline, _ := ctx.Deadline()
	raw.SetDeadline(deadline)
	netConn := raw
	if secure {
		tc := tlsConfig(cfg.TLS, u.Hostname())
		t := tls.Client(raw, tc)
		if err := t.HandshakeContext(ctx); err != nil {
			raw.Close()
			return nil, fmt.Errorf("ldap: TLS with %s: %w", addr, err)
		}
		netConn = t
	}
	c := ldap.NewConn(netConn, secure)
	c.Start()
	c.SetTimeout(time.Until(deadline))
	if err := setup(c, cfg, u.Hostname()); err != nil {
		c.Close()
		return nil, fmt.Errorf("ldap: %s: %w", addr, err)
	}
	raw.SetDeadline(time.Time{})
	c.SetTimeout(cfg.Timeout)
	return c, nil
}

// setup is StartTLS, when configured, then the bind.
func setup(c *ldap.Conn, cfg Config, host string) error {
	if cfg.StartTLS {
		if err := c.StartTLS(tlsConfig(cfg.TLS, host)); err != nil {
			return fmt.Errorf("StartTLS: %w", err)
		}
	}
	if cfg.BindDN == "" {
		return nil
	}
	if err := c.Bind(cfg.BindDN, cfg.BindPassword); err != nil {
		// The bind's error never holds the password, only the server's result.
		return fmt.Errorf("bind as %s: %w", cfg.BindDN, err)
	}
	return nil
}

// tlsConfig is the configured one (a copy), naming host when it names no
// server.
func tlsConfig(tc *tls.Config, host string) *tls.Config {
	if tc == nil {
		tc = &tls.Config{}
	}
	tc = tc.Clone()
	if tc.ServerName == "" {
		tc.ServerName = host
	}
	if tc.MinVersion == 0 {
		tc.MinVersion = tls.VersionTLS12
	}
	return tc
}

// networkFailure: the error is the connection's (a reused connection the
// server closed), not the server's answer to a request.
func networkFailure(err error) bool {
	var le *ldap.Error
	return !errors.As(err, &le) || le.ResultCode == ldap.ErrorNetwork
}

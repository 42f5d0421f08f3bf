package ldapgroups_test

import (
	"context"
	"crypto/tls"
	"io"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/jwtgate/jwtgate/internal/slapdtest"
	"github.com/jwtgate/jwtgate/ldapgroups"
)

// config is a resolver of the seeded directory, bound as the service
// account, reading memberOf, without a cache.
func config(s *slapdtest.Server) ldapgroups.Config {
	return ldapgroups.Config{
		URL: s.URL, BindDN: slapdtest.BindDN, BindPassword: slapdtest.BindPassword,
		BaseDN: slapdtest.PeopleDN, Timeout: 5 * time.Second, CacheTTL: -1,
	}
}

func resolver(t *testing.T, cfg ldapgroups.Config) *ldapgroups.Resolver {
	t.Helper()
	r, err := ldapgroups.New(cfg)
	require.NoError(t, err)
	t.Cleanup(func() { r.Close() })
	return r
}

func TestGroupsFound(t *testing.T) {
	s := slapdtest.Start(t)
	search := config(s)
	search.GroupBaseDN = slapdtest.GroupsDN
	full := config(s)
	full.FullDN = true
	for name, tc := range map[string]struct {
		cfg  ldapgroups.Config
		want map[string][]string
	}{
		"memberOf": {config(s), map[string][]string{"ada": {"analysts"}, "bob": {"admins"}, "carol": {}}},
		"search":   {search, map[string][]string{"ada": {"analysts"}, "bob": {"admins"}, "carol": {}}},
		"full DN":  {full, map[string][]string{"ada": {slapdtest.GroupDN("analysts")}}},
	} {
		t.Run(name, func(t *testing.T) {
			r := resolver(t, tc.cfg)
			for sub, want := range tc.want {
				got, err := r.Groups(context.Background(), sub)
				require.NoError(t, err, sub)
				assert.Equal(t, want, got, sub)
				assert.NotNil(t, got, "%s: known, even when empty", sub)
			}
		})
	}
}

func TestGroupsNested(t *testing.T) {
	s := slapdtest.Start(t)
	memberOf := config(s)
	memberOf.Nested = true
	search := memberOf
	search.GroupBaseDN = slapdtest.GroupsDN
	for name, cfg := range map[string]ldapgroups.Config{"memberOf": memberOf, "search": search} {
		t.Run(name, func(t *testing.T) {
			got, err := resolver(t, cfg).Groups(context.Background(), "ada")
			require.NoError(t, err)
			assert.Equal(t, []string{"analysts", "staff"}, got)
		})
	}
	// Without nesting, staff (which holds analysts, not ada) is not ada's.
	got, err := resolver(t, config(s)).Groups(context.Background(), "ada")
	require.NoError(t, err)
	assert.Equal(t, []string{"analysts"}, got)
}

// TestGroupsUserAbsent: a subject the directory does not know has no
// groups (a known answer), not an error.
func TestGroupsUserAbsent(t *testing.T) {
	s := slapdtest.Start(t)
	got, err := resolver(t, config(s)).Groups(context.Background(), "nobody")
	require.NoError(t, err)
	assert.Equal(t, []string{}, got)
}

// TestGroupsFilterInjection: the subject is escaped into the filter, so
// wildcards and parentheses in it match themselves only. Unescaped, "ada*"
// would be ada and "*" every user.
func TestGroupsFilterInjection(t *testing.T) {
	s := slapdtest.Start(t)
	r := resolver(t, config(s))
	for _, sub := range []string{"ada*", "*", "*)(uid=*", "ada)(|(uid=*", `\2a`, "ada\x00"} {
		got, err := r.Groups(context.Background(), sub)
		require.NoError(t, err, "%q", sub)
		assert.Equal(t, []string{}, got, "%q must match no user", sub)
	}
}

// TestGroupsAmbiguous: a filter matching several users is an error, not
// the first user's groups.
func TestGroupsAmbiguous(t *testing.T) {
	s := slapdtest.Start(t)
	cfg := config(s)
	cfg.UserFilter = "(|(uid={subject})(objectClass=inetOrgPerson))"
	got, err := resolver(t, cfg).Groups(context.Background(), "ada")
	assert.ErrorIs(t, err, ldapgroups.ErrAmbiguous)
	assert.Nil(t, got)
}

// TestGroupsServerDown: no server, no groups: an error and nil (unknown).
func TestGroupsServerDown(t *testing.T) {
	s := slapdtest.Start(t)
	s.Stop()
	got, err := resolver(t, config(s)).Groups(context.Background(), "ada")
	require.Error(t, err)
	assert.Nil(t, got)
}

// TestGroupsWrongPassword: a refused bind is an error that does not carry
// the password.
func TestGroupsWrongPassword(t *testing.T) {
	s := slapdtest.Start(t)
	cfg := config(s)
	cfg.BindPassword = "not-the-Password-123"
	got, err := resolver(t, cfg).Groups(context.Background(), "ada")
	require.Error(t, err)
	assert.Nil(t, got)
	assert.NotContains(t, err.Error(), cfg.BindPassword)
	assert.Contains(t, err.Error(), "Invalid Credentials")
}

// TestGroupsTimeout: a server that accepts and never answers costs one
// timeout, while binding and while searching (anonymous).
func TestGroupsTimeout(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	var held sync.WaitGroup
	t.Cleanup(func() { ln.Close(); held.Wait() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			held.Go(func() { io.Copy(io.Discard, c); c.Close() }) // reads, never answers
		}
	}()
	for name, cfg := range map[string]ldapgroups.Config{
		"bind":   {URL: "ldap://" + ln.Addr().String(), BindDN: "cn=x", BindPassword: "p", BaseDN: "dc=x", Timeout: 300 * time.Millisecond, CacheTTL: -1},
		"search": {URL: "ldap://" + ln.Addr().String(), BaseDN: "dc=x", Timeout: 300 * time.Millisecond, CacheTTL: -1},
	} {
		t.Run(name, func(t *testing.T) {
			start := time.Now()
			got, err := resolver(t, cfg).Groups(context.Background(), "ada")
			elapsed := time.Since(start)
			require.Error(t, err)
			assert.Nil(t, got)
			assert.ErrorIs(t, err, ldapgroups.ErrTimeout)
			assert.Less(t, elapsed, 3*time.Second, "the timeout bounds the lookup")
			assert.GreaterOrEqual(t, elapsed, 250*time.Millisecond)
		})
	}
}

// TestGroupsCache: within the TTL an answer (groups, or none) is reused
// with the server gone; after it, the server is asked again. Failures are
// not cached.
func TestGroupsCache(t *testing.T) {
	s := slapdtest.Start(t)
	var now atomic.Pointer[time.Time]
	t0 := time.Now()
	now.Store(&t0)
	cfg := config(s)
	cfg.CacheTTL = time.Minute
	cfg.Now = func() time.Time { return *now.Load() }
	r := resolver(t, cfg)
	ctx := context.Background()
	for sub, want := range map[string][]string{"ada": {"analysts"}, "nobody": {}} {
		got, err := r.Groups(ctx, sub)
		require.NoError(t, err)
		require.Equal(t, want, got)
	}
	s.Stop()
	later := t0.Add(59 * time.Second)
	now.Store(&later)
	for sub, want := range map[string][]string{"ada": {"analysts"}, "nobody": {}} {
		got, err := r.Groups(ctx, sub)
		require.NoError(t, err, "%s: cached", sub)
		assert.Equal(t, want, got)
	}
	_, err := r.Groups(ctx, "bob")
	require.Error(t, err, "bob was never looked up")
	_, err = r.Groups(ctx, "bob")
	require.Error(t, err, "a failure is not cached as no groups")
	expired := t0.Add(time.Minute)
	now.Store(&expired)
	got, err := r.Groups(ctx, "ada")
	require.Error(t, err, "expired: the server is asked")
	assert.Nil(t, got)
}

// TestGroupsCacheBounded: the cache holds at most CacheEntries subjects.
func TestGroupsCacheBounded(t *testing.T) {
	s := slapdtest.Start(t)
	cfg := config(s)
	cfg.CacheTTL, cfg.CacheEntries = time.Hour, 2
	r := resolver(t, cfg)
	for _, sub := range []string{"ada", "bob", "carol"} {
		_, err := r.Groups(context.Background(), sub)
		require.NoError(t, err)
	}
	s.Stop()
	answered := 0
	for _, sub := range []string{"ada", "bob", "carol"} {
		if _, err := r.Groups(context.Background(), sub); err == nil {
			answered++
		}
	}
	assert.Equal(t, 2, answered, "two subjects cached, one evicted")
}

// TestGroupsRedial: one connection serves lookups after another; when it
// breaks (the server or a middlebox closed it), the next lookup dials anew.
func TestGroupsRedial(t *testing.T) {
	s := slapdtest.Start(t)
	p := newProxy(t, strings.TrimPrefix(s.URL, "ldap://"))
	cfg := config(s)
	cfg.URL = "ldap://" + p.addr
	r := resolver(t, cfg)
	for range 3 {
		got, err := r.Groups(context.Background(), "ada")
		require.NoError(t, err)
		assert.Equal(t, []string{"analysts"}, got)
	}
	assert.Equal(t, int32(1), p.accepted.Load(), "the bound connection is reused")
	p.cut()
	got, err := r.Groups(context.Background(), "ada")
	require.NoError(t, err, "a broken idle connection is redialled")
	assert.Equal(t, []string{"analysts"}, got)
	assert.Equal(t, int32(2), p.accepted.Load())
}

func TestGroupsTLS(t *testing.T) {
	s := slapdtest.Start(t)
	trusted := &tls.Config{RootCAs: s.TLS.Pool}
	ldaps := config(s)
	ldaps.URL, ldaps.TLS = s.LDAPSURL, trusted
	startTLS := config(s)
	startTLS.StartTLS, startTLS.TLS = true, trusted
	for name, cfg := range map[string]ldapgroups.Config{"ldaps": ldaps, "StartTLS": startTLS} {
		t.Run(name, func(t *testing.T) {
			got, err := resolver(t, cfg).Groups(context.Background(), "ada")
			require.NoError(t, err)
			assert.Equal(t, []string{"analysts"}, got)
			cfg.TLS = nil // the system's roots do not know the test CA
			got, err = resolver(t, cfg).Groups(context.Background(), "ada")
			require.Error(t, err)
			assert.Nil(t, got)
			assert.Contains(t, err.Error(), "certificate")
		})
	}
}

func TestNewRefuses(t *testing.T) {
	ok := ldapgroups.Config{URL: "ldaps://ldap.example.com", BindDN: "cn=svc,dc=example,dc=com", BindPassword: "pw", BaseDN: "dc=example,dc=com"}
	for field, mutate := range map[string]func(*ldapgroups.Config){
		"url":                  func(c *ldapgroups.Config) { c.URL = "http://ldap.example.com" },
		"start_tls":            func(c *ldapgroups.Config) { c.URL = "ldap://ldap.example.com" }, // a password in clear
		"bind_dn":              func(c *ldapgroups.Config) { c.BindPassword = "" },
		"base_dn":              func(c *ldapgroups.Config) { c.BaseDN = "" },
		"user_filter":          func(c *ldapgroups.Config) { c.UserFilter = "(uid=ada)" },
		"group_search.filter":  func(c *ldapgroups.Config) { c.GroupBaseDN, c.GroupFilter = "ou=g", "(member={dn}" },
		"group_search.base_dn": func(c *ldapgroups.Config) { c.GroupFilter = "(member={dn})" },
		"group_attribute":      func(c *ldapgroups.Config) { c.GroupAttribute = "member Of" },
		"cache.max_entries":    func(c *ldapgroups.Config) { c.CacheEntries = ldapgroups.MaxCacheEntries + 1 },
		"cache.ttl":            func(c *ldapgroups.Config) { c.CacheTTL = 48 * time.Hour },
	} {
		cfg := ok
		mutate(&cfg)
		_, err := ldapgroups.New(cfg)
		var ce *ldapgroups.ConfigError
		require.ErrorAs(t, err, &ce, field)
		assert.Equal(t, field, ce.Field)
		assert.NotContains(t, err.Error(), "pw")
	}
	_, err := ldapgroups.New(ok)
	require.NoError(t, err)
	loopback := ok
	loopback.URL = "ldap://127.0.0.1:389" // a clear-text bind that crosses no network
	_, err = ldapgroups.New(loopback)
	require.NoError(t, err)
}

func TestGroupsSubjectBounded(t *testing.T) {
	r, err := ldapgroups.New(ldapgroups.Config{URL: "ldap://127.0.0.1:1", BaseDN: "dc=x"})
	require.NoError(t, err)
	for _, sub := range []string{"", strings.Repeat("a", ldapgroups.MaxSubjectBytes+1)} {
		got, err := r.Groups(context.Background(), sub)
		require.Error(t, err)
		assert.Nil(t, got)
	}
}

// TestGroupsAfterClose: a resolver closed by a reload still answers the
// lookups in flight, each on a connection of its own.
func TestGroupsAfterClose(t *testing.T) {
	s := slapdtest.Start(t)
	r := resolver(t, config(s))
	_, err := r.Groups(context.Background(), "ada")
	require.NoError(t, err)
	require.NoError(t, r.Close())
	for range 2 {
		got, err := r.Groups(context.Background(), "ada")
		require.NoError(t, err)
		assert.Equal(t, []string{"analysts"}, got)
	}
}

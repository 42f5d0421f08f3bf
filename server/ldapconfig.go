package server

import (
	"cmp"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"strings"

	"github.com/jwtgate/jwtgate/ldapgroups"
)

// ldap checks an integration's ldap settings into its resolver; nil (a
// problem recorded) when they are refused. Building the resolver does not
// connect: `jwtgate check` and a refused reload never reach the directory.
func (p *serviceParser) ldap(field string, lc *ldapConfig) *ldapgroups.Resolver {
	field += ".ldap"
	cfg := ldapgroups.Config{
		URL: lc.URL, StartTLS: lc.StartTLS, BindDN: lc.BindDN, BaseDN: lc.BaseDN,
		UserFilter: lc.UserFilter, GroupAttribute: lc.GroupAttribute, Nested: lc.Nested,
		Timeout:      p.timeout(field+".timeout", lc.Timeout),
		CacheTTL:     lc.Cache.TTL.Or(ldapgroups.DefaultCacheTTL),
		CacheEntries: lc.Cache.MaxEntries,
	}
	if cfg.CacheTTL == 0 {
		cfg.CacheTTL = -1 // ttl: 0s turns the cache off
	}
	if cfg.CacheTTL < 0 {
		p.fail(field+".cache.ttl", "want 0s (no cache) or a positive duration, found %v", cfg.CacheTTL)
		return nil
	}
	if gs := lc.GroupSearch; gs != nil {
		if gs.BaseDN == "" {
			p.fail(field+".group_search.base_dn", "required: where the groups are searched")
			return nil
		}
		cfg.GroupBaseDN, cfg.GroupFilter = gs.BaseDN, gs.Filter
	}
	switch lc.GroupNames {
	case "", "name":
	case "dn":
		cfg.FullDN = true
	default:
		p.fail(field+".group_names", "want name or dn, found %q", lc.GroupNames)
		return nil
	}
	pw, ok := p.bindPassword(field, lc)
	if !ok {
		return nil
	}
	cfg.BindPassword = pw
	if lc.CAFile != "" {
		pem, err := p.readFile(lc.CAFile)
		roots := x509.NewCertPool()
		if err != nil || !roots.AppendCertsFromPEM(pem) {
			p.fail(field+".ca_file", "want PEM CA certificates: %v", cmp.Or[error](err, errors.New("none found")))
			return nil
		}
		cfg.TLS = &tls.Config{RootCAs: roots, MinVersion: tls.VersionTLS12}
	}
	r, err := ldapgroups.New(cfg)
	var ce *ldapgroups.ConfigError
	if errors.As(err, &ce) {
		p.fail(field+"."+ce.Field, "%s", ce.Reason)
		return nil
	}
	if err != nil {
		p.fail(field, "%v", err)
		return nil
	}
	return r
}

// bindPassword reads the bind password from bind_password_file or
// bind_password_env; there is no inline password, so that the file can be
// shared and committed. None: an anonymous bind, unless a bind DN is given.
func (p *serviceParser) bindPassword(field string, lc *ldapConfig) (string, bool) {
	switch {
	case lc.BindPasswordFile != "" && lc.BindPasswordEnv != "":
		p.fail(field+".bind_password_env", "give bind_password_file or bind_password_env, not both")
	case lc.BindPasswordFile != "":
		return p.secretFile(field+".bind_password_file", lc.BindPasswordFile)
	case lc.BindPasswordEnv != "":
		v, ok := p.lookupEnv(lc.BindPasswordEnv)
		if v = strings.TrimSpace(v); !ok || v == "" {
			p.fail(field+".bind_password_env", "environment variable %s is not set", lc.BindPasswordEnv)
			return "", false
		}
		return v, true
	case lc.BindDN != "":
		p.fail(field+".bind_dn", "a bind DN needs bind_password_file or bind_password_env")
	default:
		return "", true
	}
	return "", false
}

// closeResolvers closes the LDAP connections of a configuration that no
// longer serves. A lookup still running on it goes on, on a connection of
// its own.
func (c *config) closeResolvers() {
	for _, r := range c.resolvers() {
		r.Close()
	}
}

// resolvers are the configuration's LDAP resolvers.
func (c *config) resolvers() []io.Closer {
	var out []io.Closer
	for _, in := range c.integrations {
		if in.ldap != nil {
			out = append(out, in.ldap)
		}
	}
	return out
}

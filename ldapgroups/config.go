package ldapgroups

import (
	"crypto/tls"
	"fmt"
	"net"
	"net/url"
	"strings"
	"time"

	"github.com/go-ldap/ldap/v3"
	"go.opentelemetry.io/otel/trace"
)

// Placeholders of the filters: the subject in UserFilter, the user's DN in
// GroupFilter. Both are replaced escaped (RFC 4515).
const (
	SubjectPlaceholder = "{subject}"
	DNPlaceholder      = "{dn}"
)

// Defaults and bounds.
const (
	DefaultUserFilter     = "(uid=" + SubjectPlaceholder + ")"
	DefaultGroupAttribute = "memberOf"
	DefaultGroupFilter    = "(member=" + DNPlaceholder + ")"
	DefaultTimeout        = 5 * time.Second
	DefaultCacheTTL       = time.Minute
	DefaultCacheEntries   = 10000
	MaxCacheEntries       = 1000000
	MaxCacheTTL           = 24 * time.Hour
	// MaxGroups bounds the groups of one user, nested ones included: more
	// is an error, not a truncated list.
	MaxGroups = 1000
	// MaxNesting bounds how many levels of groups in groups are followed.
	MaxNesting = 8
	// MaxSubjectBytes bounds the subject put into the user filter.
	MaxSubjectBytes = 1024
)

// Config is a Resolver's directory and how to find a user's groups in it.
type Config struct {
	// URL is ldap://host[:port] or ldaps://host[:port]; required.
	URL string
	// StartTLS upgrades an ldap:// connection before binding.
	StartTLS bool
	// TLS configures ldaps:// and StartTLS (default: the system's roots,
	// the URL's host as the server name).
	TLS *tls.Config
	// BindDN and BindPassword are the service account; both empty: an
	// anonymous search. The password is never logged nor put in an error.
	BindDN, BindPassword string
	// BaseDN is where users are searched (subtree); required.
	BaseDN string
	// UserFilter finds the subject's entry; SubjectPlaceholder stands for
	// the escaped subject. Default DefaultUserFilter.
	UserFilter string
	// GroupAttribute is the user entry's attribute listing its groups' DNs
	// (default memberOf); used when GroupBaseDN is empty.
	GroupAttribute string
	// GroupBaseDN, when set, searches the groups instead: those under it
	// matching GroupFilter, in which DNPlaceholder stands for the escaped
	// DN of the user (default DefaultGroupFilter).
	GroupBaseDN, GroupFilter string
	// FullDN names groups by their DN; default: the value of the DN's
	// first component (cn=admins,ou=groups,… is "admins").
	FullDN bool
	// Nested follows groups in groups, up to MaxNesting levels.
	Nested bool
	// Timeout bounds one lookup: connecting, binding and every search
	// (default DefaultTimeout).
	Timeout time.Duration
	// CacheTTL is how long an answer is reused (default DefaultCacheTTL;
	// negative: no cache). CacheEntries bounds the cached subjects (default
	// DefaultCacheEntries, at most MaxCacheEntries).
	CacheTTL     time.Duration
	CacheEntries int
	// Now is the clock of the cache (default time.Now).
	Now func() time.Time
	// TracerProvider, when set, records each lookup as an ldap.groups span
	// and each search in it as an ldap.search span: the directory's host,
	// whether the cache answered, counts; never the subject, a DN or a
	// filter. Default: none (never otel's global provider).
	TracerProvider trace.TracerProvider
}

// ConfigError is a Config refused by New; Field is the configuration key
// at fault as jwtgate's files spell it (url, user_filter, …).
type ConfigError struct {
	Field, Reason string
}

func (e *ConfigError) Error() string { return "ldap " + e.Field + ": " + e.Reason }

// withDefaults checks c and fills in its defaults.
func (c Config) withDefaults() (Config, error) {
	for _, step := range []func(*Config) error{(*Config).checkConnection, (*Config).searchDefaults, (*Config).limitDefaults} {
		if err := step(&c); err != nil {
			return Config{}, err
		}
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	return c, nil
}

func configErr(field, format string, args ...any) error {
	return &ConfigError{Field: field, Reason: fmt.Sprintf(format, args...)}
}

// checkConnection checks the server's URL, its TLS and the bind.
func (c *Config) checkConnection() error {
	u, err := url.Parse(c.URL)
	switch {
	case c.URL == "":
		return configErr("url", "required, such as ldaps://ldap.example.com")
	case err != nil || (u.Scheme != "ldap" && u.Scheme != "ldaps") || u.Host == "" || u.User != nil ||
		(u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "":
		return configErr("url", "want ldap://host[:port] or ldaps://host[:port], found %q", c.URL)
	case c.StartTLS && u.Scheme == "ldaps":
		return configErr("start_tls", "an ldaps:// URL is already TLS; remove start_tls")
	case (c.BindDN == "") != (c.BindPassword == ""):
		return configErr("bind_dn", "give both a bind DN and its password, or neither (an anonymous search)")
	case c.BindPassword != "" && u.Scheme == "ldap" && !c.StartTLS && !loopback(u.Hostname()):
		return configErr("start_tls", "the bind password would cross the network in clear: use ldaps:// or start_tls")
	}
	if _, err := ldap.ParseDN(c.BindDN); err != nil {
		return configErr("bind_dn", "%v", err)
	}
	return nil
}

// searchDefaults checks the base DNs, the filters and the group
// attribute, filling in their defaults.
func (c *Config) searchDefaults() error {
	if c.BaseDN == "" {
		return configErr("base_dn", "required, such as ou=people,dc=example,dc=com")
	}
	for _, dn := range []struct{ field, v string }{{"base_dn", c.BaseDN}, {"group_search.base_dn", c.GroupBaseDN}} {
		if _, err := ldap.ParseDN(dn.v); err != nil {
			return configErr(dn.field, "%v", err)
		}
	}
	if c.UserFilter == "" {
		c.UserFilter = DefaultUserFilter
	}
	if err := checkFilter(c.UserFilter, SubjectPlaceholder); err != nil {
		return configErr("user_filter", "%v", err)
	}
	switch {
	case c.GroupBaseDN != "" && c.GroupAttribute != "":
		return configErr("group_attribute", "give group_attribute or group_search, not both")
	case c.GroupBaseDN != "":
		if c.GroupFilter == "" {
			c.GroupFilter = DefaultGroupFilter
		}
		if err := checkFilter(c.GroupFilter, DNPlaceholder); err != nil {
			return configErr("group_search.filter", "%v", err)
		}
	case c.GroupFilter != "":
		return configErr("group_search.base_dn", "a group filter needs the base DN of the groups")
	}
	if c.GroupAttribute == "" {
		c.GroupAttribute = DefaultGroupAttribute
	}
	if !attributeName(c.GroupAttribute) {
		return configErr("group_attribute", "want an attribute name such as memberOf, found %q", c.GroupAttribute)
	}
	return nil
}

// limitDefaults checks the timeout and the cache's bounds, filling in
// their defaults.
func (c *Config) limitDefaults() error {
	if c.Timeout == 0 {
		c.Timeout = DefaultTimeout
	}
	if c.Timeout < 0 {
		return configErr("timeout", "want a positive duration, found %v", c.Timeout)
	}
	if c.CacheTTL == 0 {
		c.CacheTTL = DefaultCacheTTL
	}
	if c.CacheTTL > MaxCacheTTL {
		return configErr("cache.ttl", "want at most %v, found %v", MaxCacheTTL, c.CacheTTL)
	}
	if c.CacheEntries == 0 {
		c.CacheEntries = DefaultCacheEntries
	}
	if c.CacheEntries < 0 || c.CacheEntries > MaxCacheEntries {
		return configErr("cache.max_entries", "want between 1 and %d, found %d", MaxCacheEntries, c.CacheEntries)
	}
	return nil
}

// checkFilter: the template holds the placeholder and, filled in, is a
// valid filter.
func checkFilter(template, placeholder string) error {
	if !strings.Contains(template, placeholder) {
		return fmt.Errorf("%q does not contain %s", template, placeholder)
	}
	if _, err := ldap.CompileFilter(strings.ReplaceAll(template, placeholder, "x")); err != nil {
		return fmt.Errorf("%q is not an LDAP filter: %v", template, err)
	}
	return nil
}

// attributeName: an RFC 4512 descriptor (letters, digits, hyphens).
func attributeName(s string) bool {
	if s == "" || !isLetter(s[0]) {
		return false
	}
	for i := range len(s) {
		if !isLetter(s[i]) && (s[i] < '0' || s[i] > '9') && s[i] != '-' {
			return false
		}
	}
	return true
}

func isLetter(b byte) bool { return (b|0x20) >= 'a' && (b|0x20) <= 'z' }

// loopback: the host is this machine, where a clear-text bind crosses no
// network.
func loopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

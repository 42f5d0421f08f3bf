// Package ldapgroups resolves a subject's groups in an LDAP directory or
// Active Directory: the entry whose UserFilter matches the subject (escaped,
// RFC 4515, so a subject such as "*)(uid=*" matches only itself), then its
// groups, from an attribute of the entry (memberOf) or from a search of the
// groups whose member is the entry's DN, nested groups optionally followed.
//
// jwtgate serve uses it for the tokens that carry no groups claim (Okera's
// "AD/LDAP group resolver"), before an integration's group resolver
// endpoint:
//
//	r, err := ldapgroups.New(ldapgroups.Config{URL: "ldaps://ldap.example.com",
//		BindDN: dn, BindPassword: pw, BaseDN: "ou=people,dc=example,dc=com"})
//	groups, err := r.Groups(ctx, subject)
//	// err != nil: the groups are unknown; an empty list: the user has none
//	// (or is not in the directory)
//
// A Resolver keeps one bound connection, redialled after a failure, and a
// cache of answers bounded in time and entries.
package ldapgroups

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/go-ldap/ldap/v3"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"

	"github.com/jwtgate/jwtgate/internal/otelspan"
)

// ErrAmbiguous means the user filter matched several entries: which one is
// the subject cannot be told, so its groups are unknown.
var ErrAmbiguous = errors.New("ldap: the user filter matches several entries")

// errTooMany: a search matched more entries than its limit.
var errTooMany = errors.New("ldap: too many entries match")

// errClosed: the connection closed under a search, which go-ldap reports
// as a search that found nothing.
var errClosed = ldap.NewError(ldap.ErrorNetwork, errors.New("ldap: the connection closed"))

// Resolver finds subjects' groups in a directory. It is safe for
// concurrent use.
type Resolver struct {
	cfg    Config
	conns  *conns
	cache  *cache
	tracer trace.Tracer // nil: no spans
	host   string       // the directory's host[:port], for spans
}

// New checks cfg (a *ConfigError says what is wrong) and returns its
// resolver. It does not connect: the first lookup does.
func New(cfg Config) (*Resolver, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	r := &Resolver{cfg: cfg, conns: &conns{cfg: cfg}, cache: newCache(cfg.CacheTTL, cfg.CacheEntries, cfg.Now)}
	return r.WithTracerProvider(cfg.TracerProvider), nil
}

// WithTracerProvider returns a resolver that shares r's connection and
// cache (closing either closes both) and records its spans with tp (nil:
// none). A host that checks a configuration before it knows whether
// tracing is on (jwtgate serve) builds the resolver once and picks its
// spans later.
func (r *Resolver) WithTracerProvider(tp trace.TracerProvider) *Resolver {
	c := *r
	c.cfg.TracerProvider = tp
	c.tracer = otelspan.Tracer(tp, "github.com/jwtgate/jwtgate/ldapgroups")
	if u, err := url.Parse(c.cfg.URL); err == nil {
		c.host = u.Host
	}
	return &c
}

// Close closes the resolver's connection. A lookup after Close still
// works, on a connection of its own.
func (r *Resolver) Close() error {
	r.conns.close()
	return nil
}

// Groups returns subject's groups, in the directory's order: an
// empty, non-nil list for a user in no group or not in the directory, an
// error when the directory could not say (unreachable, too slow, refused
// the bind, several users matched, too many groups).
func (r *Resolver) Groups(ctx context.Context, subject string) ([]string, error) {
	ctx, span := otelspan.Start(ctx, r.tracer, "ldap.groups", trace.SpanKindClient, attribute.String("server.address", r.host))
	defer span.End()
	groups, err := r.groups(ctx, span, subject)
	if err != nil {
		kind := "unavailable"
		if errors.Is(err, ErrAmbiguous) {
			kind = "ambiguous"
		}
		otelspan.Fail(span, err, kind)
		return nil, err
	}
	span.SetAttributes(attribute.Int("jwtgate.groups.count", len(groups)))
	return groups, nil
}

func (r *Resolver) groups(ctx context.Context, span trace.Span, subject string) ([]string, error) {
	switch {
	case subject == "":
		return nil, errors.New("ldap: empty subject")
	case len(subject) > MaxSubjectBytes:
		return nil, fmt.Errorf("ldap: subject of %d bytes, more than %d", len(subject), MaxSubjectBytes)
	}
	groups, ok := r.cache.get(subject)
	span.SetAttributes(attribute.Bool("jwtgate.ldap.cache_hit", ok))
	if ok {
		return groups, nil
	}
	ctx, cancel := context.WithTimeout(ctx, r.cfg.Timeout)
	defer cancel()
	groups, err := r.lookupOnce(ctx, subject, true)
	if err != nil {
		return nil, err
	}
	r.cache.put(subject, groups)
	return groups, nil
}

// lookupOnce looks subject up; a reused connection that turns out broken
// (the server closed it while idle) is dropped and the lookup tried once
// more on a fresh one.
func (r *Resolver) lookupOnce(ctx context.Context, subject string, retry bool) ([]string, error) {
	c, reused, err := r.conns.get(ctx)
	if err != nil {
		return nil, r.timeoutOr(ctx, err)
	}
	groups, err := (&lookup{cfg: r.cfg, conn: c, tracer: r.tracer}).groups(ctx, subject)
	broken := err != nil && (networkFailure(err) || ctx.Err() != nil)
	r.conns.release(c, broken)
	if broken && reused && retry && ctx.Err() == nil {
		return r.lookupOnce(ctx, subject, false)
	}
	if err != nil {
		return nil, r.timeoutOr(ctx, err)
	}
	return groups, nil
}

// ErrTimeout is the error of a lookup that ran out of time (Config.Timeout).
var ErrTimeout = errors.New("ldap: no answer in time")

// timeoutOr says the lookup ran out of time when it did, whatever the
// connection reported then: the connection's deadline is the lookup's, so
// its read may fail ("i/o timeout", in go-ldap's words, not as an error
// to test) an instant before ctx says so.
func (r *Resolver) timeoutOr(ctx context.Context, err error) error {
	deadline, ok := ctx.Deadline()
	if ctx.Err() != nil || ok && !time.Now().Before(deadline) {
		return fmt.Errorf("%w (%v)", ErrTimeout, r.cfg.Timeout)
	}
	return err
}

// lookup is one subject's lookup on one connection.
type lookup struct {
	cfg    Config
	conn   *ldap.Conn
	tracer trace.Tracer
}

func (l *lookup) groups(ctx context.Context, subject string) ([]string, error) {
	filter := strings.ReplaceAll(l.cfg.UserFilter, SubjectPlaceholder, ldap.EscapeFilter(subject))
	attrs := []string{"1.1"} // no attributes: the DN is enough to search the groups
	if l.cfg.GroupBaseDN == "" {
		attrs = []string{l.cfg.GroupAttribute}
	}
	users, err := l.search(ctx, l.cfg.BaseDN, ldap.ScopeWholeSubtree, filter, attrs, 2)
	if errors.Is(err, errTooMany) {
		return nil, ErrAmbiguous
	}
	if err != nil {
		return nil, fmt.Errorf("ldap: searching the user: %w", err)
	}
	switch len(users) {
	case 0:
		return []string{}, nil // not in the directory: known to have no groups
	case 1:
	default:
		return nil, ErrAmbiguous
	}
	var dns []string
	if l.cfg.GroupBaseDN == "" {
		dns = users[0].GetEqualFoldAttributeValues(l.cfg.GroupAttribute)
	} else if dns, err = l.searchGroups(ctx, []string{users[0].DN}); err != nil {
		return nil, err
	}
	if l.cfg.Nested {
		if dns, err = l.nested(ctx, dns); err != nil {
			return nil, err
		}
	}
	if len(dns) > MaxGroups {
		return nil, fmt.Errorf("ldap: the user is in more than %d groups", MaxGroups)
	}
	return l.names(dns), nil
}

// search runs one search within ctx; more than limit entries is an error.
// Its span records the scope and the number of entries: the base, a user's
// DN or a group's, and the filter, holding the subject, are not recorded.
func (l *lookup) search(ctx context.Context, base string, scope int, filter string, attrs []string, limit int) ([]*ldap.Entry, error) {
	ctx, span := otelspan.Start(ctx, l.tracer, "ldap.search", trace.SpanKindClient, attribute.String("jwtgate.ldap.scope", scopeName(scope)))
	defer span.End()
	entries, err := l.searchOnce(ctx, base, scope, filter, attrs, limit)
	if err != nil {
		otelspan.Fail(span, err, "search_failed")
		return nil, err
	}
	span.SetAttributes(attribute.Int("jwtgate.ldap.entries", len(entries)))
	return entries, nil
}

// scopeName names the two scopes lookups search with.
func scopeName(scope int) string {
	if scope == ldap.ScopeBaseObject {
		return "base"
	}
	return "subtree"
}

func (l *lookup) searchOnce(ctx context.Context, base string, scope int, filter string, attrs []string, limit int) ([]*ldap.Entry, error) {
	req := ldap.NewSearchRequest(base, scope, ldap.NeverDerefAliases, limit, int(l.cfg.Timeout.Seconds()+1), false, filter, attrs, nil)
	res := l.conn.SearchAsync(ctx, req, 16)
	var entries []*ldap.Entry
	for res.Next() {
		entries = append(entries, res.Entry())
	}
	if err := res.Err(); err != nil {
		if ldap.IsErrorWithCode(err, ldap.LDAPResultSizeLimitExceeded) {
			return nil, errTooMany
		}
		return nil, err
	}
	// SearchAsync reports a cancelled search, and one on a connection that
	// closed, as a finished one: never take either for "nothing found".
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if l.conn.IsClosing() {
		return nil, errClosed
	}
	if len(entries) > limit {
		return nil, errTooMany // a server that ignores the size limit
	}
	return entries, nil
}

// searchGroups returns the DNs of the groups under GroupBaseDN that have
// one of members as member.
func (l *lookup) searchGroups(ctx context.Context, members []string) ([]string, error) {
	var or strings.Builder
	for _, m := range members {
		or.WriteString(strings.ReplaceAll(l.cfg.GroupFilter, DNPlaceholder, ldap.EscapeFilter(m)))
	}
	filter := or.String()
	if len(members) > 1 {
		filter = "(|" + filter + ")"
	}
	entries, err := l.search(ctx, l.cfg.GroupBaseDN, ldap.ScopeWholeSubtree, filter, []string{"1.1"}, MaxGroups)
	if errors.Is(err, errTooMany) {
		return nil, fmt.Errorf("ldap: the user is in more than %d groups", MaxGroups)
	}
	if err != nil {
		return nil, fmt.Errorf("ldap: searching the groups: %w", err)
	}
	dns := make([]string, len(entries))
	for i, e := range entries {
		dns[i] = e.DN
	}
	return dns, nil
}

// nested adds the groups that contain the groups in dns, level by level,
// each group once (a cycle ends), at most MaxNesting levels and MaxGroups
// groups.
func (l *lookup) nested(ctx context.Context, dns []string) ([]string, error) {
	seen := map[string]bool{}
	for _, dn := range dns {
		seen[strings.ToLower(dn)] = true
	}
	frontier := dns
	for level := 0; level < MaxNesting && len(frontier) > 0; level++ {
		parents, err := l.parents(ctx, frontier)
		if err != nil {
			return nil, err
		}
		frontier = nil
		for _, p := range parents {
			if k := strings.ToLower(p); !seen[k] {
				seen[k] = true
				frontier = append(frontier, p)
				dns = append(dns, p)
			}
		}
		if len(dns) > MaxGroups {
			return nil, fmt.Errorf("ldap: the user is in more than %d groups", MaxGroups)
		}
	}
	return dns, nil
}

// parents returns the DNs of the groups the groups in dns are members of.
func (l *lookup) parents(ctx context.Context, dns []string) ([]string, error) {
	if l.cfg.GroupBaseDN != "" {
		return l.searchGroups(ctx, dns)
	}
	var parents []string
	for _, dn := range dns {
		entries, err := l.search(ctx, dn, ldap.ScopeBaseObject, "(objectClass=*)", []string{l.cfg.GroupAttribute}, 1)
		if ldap.IsErrorWithCode(err, ldap.LDAPResultNoSuchObject) {
			continue // a group since deleted: in nothing
		}
		if err != nil {
			return nil, fmt.Errorf("ldap: reading group %s: %w", dn, err)
		}
		for _, e := range entries {
			parents = append(parents, e.GetEqualFoldAttributeValues(l.cfg.GroupAttribute)...)
		}
	}
	return parents, nil
}

// names turns group DNs into the names policies require: the DN itself,
// or its first component's value (a DN that does not parse is kept whole),
// each name once.
func (l *lookup) names(dns []string) []string {
	names := make([]string, 0, len(dns))
	seen := map[string]bool{}
	for _, dn := range dns {
		name := dn
		if !l.cfg.FullDN {
			if d, err := ldap.ParseDN(dn); err == nil && len(d.RDNs) > 0 && len(d.RDNs[0].Attributes) > 0 {
				name = d.RDNs[0].Attributes[0].Value
			}
		}
		if !seen[name] {
			seen[name] = true
			names = append(names, name)
		}
	}
	return names
}

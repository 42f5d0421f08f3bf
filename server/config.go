package server

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"path"
	"regexp"
	"sort"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/jwtgate/jwtgate/core"
	"github.com/jwtgate/jwtgate/internal/yamlconfig"
	"github.com/jwtgate/jwtgate/jwks"
	"github.com/jwtgate/jwtgate/policyfile"
	"github.com/jwtgate/jwtgate/remote"
	"github.com/jwtgate/jwtgate/store"
)

// Defaults of the service section.
const (
	defaultCookieName     = "jwtgate_session"
	defaultSessionTTL     = 8 * time.Hour
	defaultAccessTokenTTL = 15 * time.Minute
	defaultSigningAlg     = "ES256"
	defaultRotateEvery    = 30 * 24 * time.Hour
	defaultRemoteTimeout  = 5 * time.Second
	maxRemoteTimeout      = time.Minute
	maxTokenTTL           = 30 * 24 * time.Hour
)

// serviceFile is the part of the configuration file the server reads
// itself: the service section, and the few integration fields it needs to
// route a token before the core has verified it. The core validates the
// integrations; only the service section is decoded strictly here.
type serviceFile struct {
	Integrations []peekIntegration `yaml:"integrations"`
	Service      yaml.Node         `yaml:"service"`
}

type peekIntegration struct {
	Name             string            `yaml:"name"`
	Tenant           string            `yaml:"tenant"`
	Issuer           string            `yaml:"issuer"`
	OneTimeUse       bool              `yaml:"one_time_use"`
	SubjectClaim     string            `yaml:"subject_claim"`
	GroupsClaim      string            `yaml:"groups_claim"`
	RolesClaim       string            `yaml:"roles_claim"`
	PermissionsClaim string            `yaml:"permissions_claim"`
	Headers          map[string]string `yaml:"headers"`
	Redirect         yaml.Node         `yaml:"redirect"`
}

// serviceConfig is the service section. Field names are part of jwtgate's
// stable interface (see the README's configuration reference).
type serviceConfig struct {
	Store          string                         `yaml:"store"`
	PublicURL      string                         `yaml:"public_url"`
	AdminTokenEnv  string                         `yaml:"admin_token_env"`
	AdminTokenFile string                         `yaml:"admin_token_file"`
	Session        sessionConfig                  `yaml:"session"`
	AccessTokenTTL *yamlconfig.Duration           `yaml:"access_token_ttl"`
	Signing        signingConfig                  `yaml:"signing"`
	Integrations   map[string]integrationSettings `yaml:"integrations"`
	Routes         []routeConfig                  `yaml:"routes"`
	ForwardAuth    forwardAuthConfig              `yaml:"forward_auth"`
}

// forwardAuthConfig is how /v1/authz reads the request it is asked about.
type forwardAuthConfig struct {
	// Source is the proxy in front: nginx, traefik or envoy; or else
	// MethodHeader and URIHeader name the headers. Neither: any source,
	// every copy present agreeing.
	Source       string `yaml:"source"`
	MethodHeader string `yaml:"method_header"`
	URIHeader    string `yaml:"uri_header"`
	// UnicodePaths admits non-ASCII paths (see core.PathOptions).
	UnicodePaths bool `yaml:"unicode_paths"`
}

type sessionConfig struct {
	Cookie   string               `yaml:"cookie"`
	TTL      *yamlconfig.Duration `yaml:"ttl"`
	Secure   string               `yaml:"secure"`
	SameSite string               `yaml:"same_site"`
	Domain   string               `yaml:"domain"`
}

type signingConfig struct {
	Algorithm   string               `yaml:"algorithm"`
	RotateEvery *yamlconfig.Duration `yaml:"rotate_every"`
}

type integrationSettings struct {
	RemoteValidation *remoteValidationConfig `yaml:"remote_validation"`
	GroupResolver    *groupResolverConfig    `yaml:"group_resolver"`
	SystemTokenFile  string                  `yaml:"system_token_file"`
	DefaultRedirect  string                  `yaml:"default_redirect"`
	ErrorRedirect    string                  `yaml:"error_redirect"`
	AllowedOrigins   []string                `yaml:"allowed_origins"`
}

type remoteValidationConfig struct {
	URL          string               `yaml:"url"`
	SubjectField string               `yaml:"subject_field"`
	Timeout      *yamlconfig.Duration `yaml:"timeout"`
}

type groupResolverConfig struct {
	URL     string               `yaml:"url"`
	Timeout *yamlconfig.Duration `yaml:"timeout"`
}

type routeConfig struct {
	Prefix             string           `yaml:"prefix"`
	Methods            []string         `yaml:"methods"`
	RequirePermissions []string         `yaml:"require_permissions"`
	RequireRoles       *core.Membership `yaml:"require_roles"`
	RequireGroups      *core.Membership `yaml:"require_groups"`
	CaseSensitive      bool             `yaml:"case_sensitive"`
}

// integ is one integration as the server sees it: what the core does not
// expose (issuer, claim names) and the service settings.
type integ struct {
	name, tenant, issuer string
	oneTime              bool
	subjectClaim         string
	groupsClaim          string
	rolesClaim           string
	permissionsClaim     string
	headers              map[string]string // header → claim
	hasRedirect          bool              // the core has a redirect section for it
	validator            *remote.Validator
	resolver             *remote.GroupResolver
	defaultRedirect      string
	errorRedirect        string
	allowedOrigins       map[string]bool // normalised origins of the vendor's pages
}

// config is one loaded configuration file: the policy, its engine and the
// service settings. It is immutable once built; a reload builds another.
type config struct {
	file   string
	hash   [32]byte
	policy *core.Policy
	engine Engine // verifies with the shared store as replay store
	tester Engine // verifies without consuming one-time jtis
	// vouched judges the claims of tokens a remote validation endpoint
	// accepted. It is the native core under every engine: the plugin ABI
	// has no call for vouched claims yet.
	vouched *core.Verifier
	// maxBody bounds a request body carrying a token (bodyLimit).
	maxBody int64
	// fetcher fetches the jwks_url key sets; nil when there are none.
	fetcher *jwks.Fetcher

	store          string
	publicURL      string
	cookieBase     string // session.cookie
	cookieName     string // the name in use: cookieBase with its prefix (settleCookie)
	sessionTTL     time.Duration
	secure         string // auto, always, never
	sameSite       http.SameSite
	cookieDomain   string // "": a host-only cookie
	accessTokenTTL time.Duration
	signingAlg     string
	rotateEvery    time.Duration
	adminDigest    []byte // SHA-256 of the admin token; nil: the tester is off
	integrations   map[string]*integ
	byIssuer       map[string]*integ
	origins        map[string]bool // every integration's allowed_origins
	routes         []*core.Route   // longest prefix first
	paths          core.PathOptions
	forward        forwardSource
	jwksURLs       []string // sorted
}

// ErrConfig is matched (errors.Is) by the errors of New and Reload that
// come from the configuration file itself: a file that cannot be read, or
// a service section that is refused. Policy errors are *core.PolicyError.
var ErrConfig = errors.New("configuration error")

// configError names the file and the field at fault in the service section.
type configError struct {
	file, field string
	line        int
	reason      string
}

func (e *configError) Is(target error) bool { return target == ErrConfig }

func (e *configError) Error() string {
	var b strings.Builder
	b.WriteString(e.file)
	if e.line > 0 {
		fmt.Fprintf(&b, ":%d", e.line)
	}
	if e.field != "" {
		fmt.Fprintf(&b, ": field %s", e.field)
	}
	b.WriteString(": ")
	b.WriteString(e.reason)
	return b.String()
}

// decodeErrors is every problem of a service section that does not
// decode, each a *configError at its field's line.
func decodeErrors(file string, err error) error {
	var list yamlconfig.Problems
	if !errors.As(err, &list) {
		return &configError{file: file, field: "service", reason: err.Error()}
	}
	errs := make([]error, len(list))
	for i, p := range list {
		errs[i] = &configError{file: file, field: p.Field, line: p.Line, reason: p.Reason}
	}
	return errors.Join(errs...)
}

var (
	cookieNamePattern = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)
)

// parseService reads the service section and the integration fields the
// server needs from the configuration bytes. The policy has been parsed by
// the core already, so the integrations are known to be valid.
func parseService(file string, data []byte, policy *core.Policy, readFile func(string) ([]byte, error), lookupEnv func(string) (string, bool)) (*config, error) {
	var lines yamlconfig.Lines
	fail := func(field string, line int, format string, args ...any) error {
		// The line of the field itself when it is written; else line.
		if l := lines.Line(field); l > 0 {
			line = l
		}
		return &configError{file: file, field: field, line: line, reason: fmt.Sprintf(format, args...)}
	}
	var sf serviceFile
	if err := yaml.Unmarshal(data, &sf); err != nil {
		return nil, fail("", 0, "%s", strings.TrimPrefix(err.Error(), "yaml: "))
	}
	// Every problem is reported, not only the first: the values that did
	// decode are checked after those that did not, and a check goes on
	// after a refused value where the later ones do not depend on it.
	var problems []error
	add := func(err error) { problems = append(problems, err) }
	var sc serviceConfig
	if !sf.Service.IsZero() {
		var err error
		lines, err = yamlconfig.Decoder{Path: "service", Where: "in service"}.Decode(&sf.Service, &sc)
		if err != nil {
			problems = append(problems, unjoin(decodeErrors(file, err))...)
		}
	}
	c := &config{
		file: file, hash: sha256.Sum256(data), policy: policy, maxBody: bodyLimit(policy),
		store:          sc.Store,
		publicURL:      strings.TrimRight(sc.PublicURL, "/"),
		cookieBase:     sc.Session.Cookie,
		sessionTTL:     sc.Session.TTL.Or(defaultSessionTTL),
		secure:         sc.Session.Secure,
		accessTokenTTL: sc.AccessTokenTTL.Or(defaultAccessTokenTTL),
		signingAlg:     sc.Signing.Algorithm,
		rotateEvery:    sc.Signing.RotateEvery.Or(defaultRotateEvery),
		integrations:   map[string]*integ{},
		byIssuer:       map[string]*integ{},
		origins:        map[string]bool{},
		jwksURLs:       policy.JWKSURLs(),
	}
	sort.Strings(c.jwksURLs)
	c.jwksURLs = compactStrings(c.jwksURLs)
	line := sf.Service.Line
	publicRefused := false
	if c.publicURL != "" {
		u, err := url.Parse(c.publicURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
			add(fail("service.public_url", line, "want an http(s) URL such as https://auth.example.com, found %q", sc.PublicURL))
			publicRefused = true
		}
	}
	if c.store != "" {
		if err := store.CheckDSN(c.store); err != nil {
			add(fail("service.store", line, "%v", err))
		}
	}
	switch lower := strings.ToLower(c.cookieBase); {
	case c.cookieBase == "":
		c.cookieBase = defaultCookieName
	case !cookieNamePattern.MatchString(c.cookieBase):
		add(fail("service.session.cookie", line, "want 1-64 characters of A-Z, a-z, 0-9, '_' and '-', found %q", c.cookieBase))
	case strings.HasPrefix(lower, "__host-") || strings.HasPrefix(lower, "__secure-"):
		add(fail("service.session.cookie", line, "jwtgate adds the __Host- or __Secure- prefix itself; give the name without it, found %q", c.cookieBase))
	}
	c.cookieName = c.cookieBase
	switch strings.ToLower(c.secure) {
	case "", "auto":
		c.secure = "auto"
	case "true", "always":
		c.secure = "always"
	case "false", "never":
		c.secure = "never"
	default:
		add(fail("service.session.secure", line, "want auto, true or false, found %q", c.secure))
	}
	if err := c.parseCookieScope(sc.Session, publicRefused); err != nil {
		add(fail(err.field, line, "%s", err.reason))
	}
	for _, d := range []struct {
		field string
		v     time.Duration
	}{{"service.session.ttl", c.sessionTTL}, {"service.access_token_ttl", c.accessTokenTTL}} {
		if d.v < time.Minute || d.v > maxTokenTTL {
			add(fail(d.field, line, "want between 1m and %v, found %v", maxTokenTTL, d.v))
		}
	}
	if c.signingAlg == "" {
		c.signingAlg = defaultSigningAlg
	}
	if !signingAlgorithms[c.signingAlg] {
		add(fail("service.signing.algorithm", line, "want one of ES256, ES384, RS256, EdDSA, found %q", c.signingAlg))
	}
	if c.rotateEvery < time.Hour {
		add(fail("service.signing.rotate_every", line, "want at least 1h, found %v", c.rotateEvery))
	}

	// The admin token of the token tester.
	switch {
	case sc.AdminTokenEnv != "" && sc.AdminTokenFile != "":
		add(fail("service.admin_token_env", line, "give admin_token_env or admin_token_file, not both"))
	case sc.AdminTokenEnv != "":
		v, ok := lookupEnv(sc.AdminTokenEnv)
		if !ok || strings.TrimSpace(v) == "" {
			add(fail("service.admin_token_env", line, "environment variable %s is not set", sc.AdminTokenEnv))
		}
		c.adminDigest = digest(strings.TrimSpace(v))
	case sc.AdminTokenFile != "":
		b, err := readFile(sc.AdminTokenFile)
		switch v := strings.TrimSpace(string(b)); {
		case err != nil:
			add(fail("service.admin_token_file", line, "%v", err))
		case v == "":
			add(fail("service.admin_token_file", line, "%s is empty", sc.AdminTokenFile))
		default:
			c.adminDigest = digest(v)
		}
	}

	// Integrations: the core's, with their service settings.
	for _, p := range sf.Integrations {
		in := &integ{
			name: p.Name, tenant: p.Tenant, issuer: p.Issuer, oneTime: p.OneTimeUse,
			subjectClaim: or(p.SubjectClaim, "sub"), groupsClaim: or(p.GroupsClaim, "groups"),
			rolesClaim: or(p.RolesClaim, "roles"), permissionsClaim: or(p.PermissionsClaim, "permissions"),
			headers: p.Headers, hasRedirect: !p.Redirect.IsZero(),
		}
		c.integrations[in.name] = in
		c.byIssuer[in.issuer] = in
	}
	if c.publicURL != "" && !publicRefused {
		if err := issuerClash(file, c.publicURL, c); err != nil {
			add(fail(err.field, line, "%s", err.reason))
		}
	}
	names := make([]string, 0, len(sc.Integrations))
	for name := range sc.Integrations {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		set := sc.Integrations[name]
		field := "service.integrations." + name
		in := c.integrations[name]
		if in == nil {
			add(fail(field, line, "no integration named %q in integrations", name))
			in = &integ{name: name} // its settings are still checked
		}
		var systemToken string
		if set.SystemTokenFile != "" {
			b, err := readFile(set.SystemTokenFile)
			systemToken = strings.TrimSpace(string(b))
			switch {
			case err != nil:
				add(fail(field+".system_token_file", line, "%v", err))
			case systemToken == "":
				add(fail(field+".system_token_file", line, "%s is empty", set.SystemTokenFile))
			}
		}
		if rv := set.RemoteValidation; rv != nil {
			if err := checkURL(rv.URL); err != nil {
				add(fail(field+".remote_validation.url", line, "%v", err))
			}
			sub := or(rv.SubjectField, "sub")
			if strings.TrimSpace(sub) != sub {
				add(fail(field+".remote_validation.subject_field", line, "field name %q has surrounding spaces", sub))
			}
			timeout := rv.Timeout.Or(defaultRemoteTimeout)
			if timeout <= 0 || timeout > maxRemoteTimeout {
				add(fail(field+".remote_validation.timeout", line, "want between 1ms and %v, found %v", maxRemoteTimeout, timeout))
			}
			in.validator = &remote.Validator{URL: rv.URL, SubjectField: sub, Timeout: timeout}
		}
		if gr := set.GroupResolver; gr != nil {
			if err := checkURL(gr.URL); err != nil {
				add(fail(field+".group_resolver.url", line, "%v", err))
			}
			timeout := gr.Timeout.Or(defaultRemoteTimeout)
			if timeout <= 0 || timeout > maxRemoteTimeout {
				add(fail(field+".group_resolver.timeout", line, "want between 1ms and %v, found %v", maxRemoteTimeout, timeout))
			}
			in.resolver = &remote.GroupResolver{URL: gr.URL, SystemToken: systemToken, Timeout: timeout}
		}
		if set.DefaultRedirect != "" && !safeRelative(set.DefaultRedirect) && checkURL(set.DefaultRedirect) != nil {
			add(fail(field+".default_redirect", line, "want a path such as /home or an http(s) URL, found %q", set.DefaultRedirect))
		}
		if set.ErrorRedirect != "" && !safeRelative(set.ErrorRedirect) && checkURL(set.ErrorRedirect) != nil {
			add(fail(field+".error_redirect", line, "want a path such as /login or an http(s) URL, found %q", set.ErrorRedirect))
		}
		in.defaultRedirect, in.errorRedirect = set.DefaultRedirect, set.ErrorRedirect
		if len(set.AllowedOrigins) > 0 {
			in.allowedOrigins = map[string]bool{}
		}
		for i, o := range set.AllowedOrigins {
			norm, err := parseOrigin(o)
			if err != nil {
				add(fail(fmt.Sprintf("%s.allowed_origins[%d]", field, i), line, "%v, found %q", err, o))
				continue
			}
			in.allowedOrigins[norm], c.origins[norm] = true, true
		}
	}

	// Routes of /v1/authz.
	for i, rc := range sc.Routes {
		field := fmt.Sprintf("service.routes[%d]", i)
		req, err := core.NewRequirements(rc.RequirePermissions, rc.RequireRoles, rc.RequireGroups)
		if err != nil {
			var re *core.RequirementsError
			errors.As(err, &re)
			add(fail(field+"."+re.Field, line, "%s", re.Reason))
			continue
		}
		rt, err := core.NewRoute(core.RouteSpec{Prefix: rc.Prefix, Methods: rc.Methods, CaseSensitive: rc.CaseSensitive, Requirements: req})
		if err != nil {
			var re *core.RouteError
			errors.As(err, &re)
			add(fail(field+"."+re.Field, line, "%s", re.Reason))
			continue
		}
		c.routes = append(c.routes, rt)
	}
	core.SortRoutes(c.routes)
	c.paths = core.PathOptions{Unicode: sc.ForwardAuth.UnicodePaths}
	fa := sc.ForwardAuth
	src, field, err := newForwardSource(fa.Source, fa.MethodHeader, fa.URIHeader)
	if err != nil {
		add(fail("service.forward_auth."+field, line, "%v", err))
	}
	c.forward = src
	if len(problems) > 0 {
		return nil, errors.Join(problems...)
	}
	return c, nil
}

// parseCookieScope reads session.same_site and session.domain. After a
// refused public URL, the domain is not matched against it.
func (c *config) parseCookieScope(sc sessionConfig, publicURLRefused bool) *configError {
	switch strings.ToLower(sc.SameSite) {
	case "", "lax":
		c.sameSite = http.SameSiteLaxMode
	case "strict":
		c.sameSite = http.SameSiteStrictMode
	case "none":
		// Browsers drop a SameSite=None cookie that is not Secure.
		if c.secure == "never" {
			return &configError{field: "service.session.same_site", reason: "same_site: none needs a Secure cookie; remove secure: false"}
		}
		c.sameSite = http.SameSiteNoneMode
	default:
		return &configError{field: "service.session.same_site", reason: fmt.Sprintf("want lax, strict or none, found %q", sc.SameSite)}
	}
	if sc.Domain == "" {
		return nil
	}
	d := strings.ToLower(strings.TrimPrefix(sc.Domain, "."))
	u, _ := url.Parse(c.publicURL)
	switch {
	case !validHostname(d) || net.ParseIP(d) != nil:
		return &configError{field: "service.session.domain", reason: fmt.Sprintf("want a domain name such as example.com, found %q", sc.Domain)}
	case publicURLRefused:
	case c.publicURL == "":
		return &configError{field: "service.session.domain", reason: "needs service.public_url, whose host must be in the domain"}
	case !domainMatch(strings.ToLower(u.Hostname()), d):
		return &configError{field: "service.session.domain", reason: fmt.Sprintf("the public URL's host %s is not in %s: browsers would refuse the cookie", u.Hostname(), d)}
	}
	c.cookieDomain = d
	return nil
}

// domainMatch: host is domain or below it (RFC 6265 section 5.1.3).
func domainMatch(host, domain string) bool {
	return host == domain || strings.HasSuffix(host, "."+domain)
}

func checkURL(s string) error {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("want an http(s) URL, found %q", s)
	}
	return nil
}

func or(v, def string) string {
	if v == "" {
		return def
	}
	return v
}

func compactStrings(s []string) []string {
	out := s[:0]
	for i, v := range s {
		if i == 0 || v != s[i-1] {
			out = append(out, v)
		}
	}
	return out
}

func digest(s string) []byte {
	sum := sha256.Sum256([]byte(s))
	return sum[:]
}

// fileReader reads the files a configuration file names as its policy's
// are read: relative paths against the file's folder, bounded.
func fileReader(path string) func(string) ([]byte, error) {
	return policyfile.Reader(path)
}

// safeRelative reports whether target is a same-site path: one "/" followed
// by something other than "/" or "\", also after percent-decoding, with no
// control characters, spaces, backslashes or non-ASCII, at most 2048 bytes,
// and no dot segments or repeated slashes, spelled plainly or encoded. The
// last rule also means net/http's Redirect, which cleans such paths, sends
// the target unchanged: a JSON answer naming the target and the Location
// header agree.
func safeRelative(target string) bool {
	if len(target) == 0 || len(target) > 2048 || target[0] != '/' {
		return false
	}
	for i := 0; i < len(target); i++ {
		c := target[i]
		if c <= 0x20 || c >= 0x7f || c == '\\' {
			return false
		}
	}
	dec, err := url.PathUnescape(target)
	if err != nil {
		return false
	}
	for _, s := range []string{target, dec} {
		if len(s) > 1 && (s[1] == '/' || s[1] == '\\') {
			return false
		}
		if strings.ContainsAny(s, "\\\x00") {
			return false
		}
		if p, _, _ := strings.Cut(s, "?"); p != path.Clean(p) && p != path.Clean(p)+"/" {
			return false
		}
	}
	u, err := url.Parse(target)
	return err == nil && u.Scheme == "" && u.Host == "" && u.User == nil
}

package server

import (
	"cmp"
	"crypto/sha256"
	"errors"
	"fmt"
	"maps"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/jwtgate/jwtgate/core"
	"github.com/jwtgate/jwtgate/edge"
	"github.com/jwtgate/jwtgate/internal/yamlconfig"
	"github.com/jwtgate/jwtgate/jwks"
	"github.com/jwtgate/jwtgate/ldapgroups"
	"github.com/jwtgate/jwtgate/policyfile"
	"github.com/jwtgate/jwtgate/remote"
	"github.com/jwtgate/jwtgate/store"
)

// integ is one integration as the server sees it: the core's metadata of
// it and its service settings.
type integ struct {
	core.IntegrationInfo
	validator       *remote.Validator
	resolver        *remote.GroupResolver
	ldap            *ldapgroups.Resolver // asked before resolver
	defaultRedirect string
	errorRedirect   string
	allowedOrigins  map[string]bool // normalised origins of the vendor's pages

	// synced are the claims kept as the subject's synced claims (without
	// groups and roles, which have fields of their own);
	// onboardingRedirect the target of onboard: true on creation.
	synced             []string
	onboardingRedirect string

	// Session settings of its own (service.integrations.NAME.session):
	// zero values take the service's.
	sessionTTL  time.Duration
	idleTimeout time.Duration
	sameSite    http.SameSite
}

// config is one loaded configuration file: the policy, its engine and the
// service settings. It is immutable once built; a reload builds another.
type config struct {
	file   string
	hash   [32]byte
	policy *core.Policy
	engine core.Engine // verifies with the shared store as replay store
	tester core.Engine // verifies without consuming one-time jtis
	// vouched judges the claims of tokens a remote validation endpoint
	// accepted. It is the native core under every engine: the plugin ABI
	// has no call for vouched claims yet.
	vouched *core.Verifier
	// remoteValidation says some integration has a remote validation
	// endpoint; without one no request routes its token for it.
	remoteValidation bool
	// maxBody bounds a request body carrying a token (bodyLimit).
	maxBody int64
	// fetcher fetches the jwks_url and discovery key sets; nil when there
	// are none.
	fetcher *jwks.Fetcher

	store          string
	publicURL      string
	tls            *certSource // service.tls; nil: plain HTTP
	cookieBase     string      // session.cookie
	cookieName     string      // the name in use: cookieBase with its prefix (settleCookie)
	sessionTTL     time.Duration
	secure         string // auto, always, never
	sameSite       http.SameSite
	cookieDomain   string // "": a host-only cookie
	accessTokenTTL time.Duration
	signingAlg     string
	rotateEvery    time.Duration
	adminDigest    []byte // SHA-256 of the admin token; nil: the tester is off
	integrations   map[string]*integ
	origins        map[string]bool // every integration's allowed_origins
	routes         edge.Routes     // longest prefix first
	paths          edge.PathOptions
	forward        forwardSource
	jwksURLs       []string // sorted
	cache          cacheSettings
	tracing        bool // service.tracing.enabled: read at start only

	// fileData is the configuration file's bytes (hash is theirs): a
	// change in the store is built on them.
	fileData []byte
	// stored are the store's integrations this configuration was built
	// with; quarantined those of them the loader refused, by policy name.
	stored      storedSet
	quarantined map[string]string
	// filePolicy is the file's own policy, and storedParts the policy of
	// each stored integration served, by name: a write checks its
	// document beside them (JoinPolicies).
	filePolicy  *core.Policy
	storedParts map[string]*core.Policy
	// fileTenants are the file's integrations by tenant (fileTenantsOf).
	fileTenants map[string][]string
	// secrets seals stored integrations' documents; nil: none may hold a
	// secret (service.secrets_key_file).
	secrets *secretsKey
	// shadow judges again, with the drafts, the tokens of integrations
	// that have one; nil without drafts.
	shadow *shadow
	// allowPrivate lets stored integrations reach private addresses
	// (service.egress.allow_private; egress.go).
	allowPrivate bool
}

var cookieNamePattern = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)

// serviceParser checks one service section, collecting every problem:
// the values that did decode are checked after those that did not, and a
// check goes on after a refused value where the later ones do not depend
// on it.
type serviceParser struct {
	file      string
	lines     yamlconfig.Lines
	line      int // the service section's, for fields not written
	problems  []error
	readFile  func(string) ([]byte, error)
	lookupEnv func(string) (string, bool)
}

// fail records a problem at the line of the field itself when it is
// written, else the section's.
func (p *serviceParser) fail(field, format string, args ...any) {
	line := p.line
	if l := p.lines.Line(field); l > 0 {
		line = l
	}
	p.problems = append(p.problems, &configError{file: p.file, field: field, line: line, reason: fmt.Sprintf(format, args...)})
}

// parseService reads the service section of the configuration bytes. The
// integrations are the core's (policy), whose metadata the server uses as
// it is; a nil policy (Check, after the policy was refused) leaves the
// service section's references to integrations unchecked.
func parseService(file string, data []byte, policy *core.Policy, readFile func(string) ([]byte, error), lookupEnv func(string) (string, bool)) (*config, error) {
	p := &serviceParser{file: file, readFile: readFile, lookupEnv: lookupEnv}
	var doc struct {
		Service yaml.Node `yaml:"service"`
	}
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, &configError{file: file, reason: strings.TrimPrefix(err.Error(), "yaml: ")}
	}
	var sc serviceConfig
	if !doc.Service.IsZero() {
		var err error
		p.line = doc.Service.Line
		if p.lines, err = (yamlconfig.Decoder{Path: "service", Where: "in service"}).Decode(&doc.Service, &sc); err != nil {
			p.problems = append(p.problems, unjoin(decodeErrors(file, err))...)
		}
	}
	known := policy != nil
	if !known {
		policy = &core.Policy{}
	}
	c := newConfig(file, data, policy, &sc)
	publicOK := p.publicURL(c, sc.PublicURL)
	p.store(c)
	p.session(c, sc.Session, publicOK)
	p.signing(c)
	p.adminToken(c, sc)
	p.secretsKey(c, sc.SecretsKeyFile, sc.PreviousSecretsKeyFiles)
	c.allowPrivate = sc.Egress.AllowPrivate
	if publicOK && c.publicURL != "" {
		if err := issuerClash(file, c.publicURL, c); err != nil {
			p.fail(err.field, "%s", err.reason)
		}
	}
	p.integrations(c, sc.Integrations, known)
	p.routes(c, sc.Routes, policy)
	c.paths = edge.PathOptions{Unicode: sc.ForwardAuth.UnicodePaths}
	fa := sc.ForwardAuth
	src, field, err := newForwardSource(fa.Source, fa.MethodHeader, fa.URIHeader)
	if err != nil {
		p.fail("service.forward_auth."+field, "%v", err)
	}
	c.forward = src
	p.decisionCache(c, sc.DecisionCache)
	p.tls(c, sc.TLS)
	if len(p.problems) > 0 {
		return nil, errors.Join(p.problems...)
	}
	return c, nil
}

// newConfig is a configuration with the section's values and defaults,
// and the core's integrations.
func newConfig(file string, data []byte, policy *core.Policy, sc *serviceConfig) *config {
	c := &config{
		file: file, hash: sha256.Sum256(data), policy: policy, maxBody: bodyLimit(policy),
		store:          sc.Store,
		publicURL:      strings.TrimRight(sc.PublicURL, "/"),
		cookieBase:     sc.Session.Cookie,
		sessionTTL:     sc.Session.TTL.Or(defaultSessionTTL),
		secure:         sc.Session.Secure,
		accessTokenTTL: sc.AccessTokenTTL.Or(defaultAccessTokenTTL),
		signingAlg:     cmp.Or(sc.Signing.Algorithm, defaultSigningAlg),
		rotateEvery:    sc.Signing.RotateEvery.Or(defaultRotateEvery),
		integrations:   map[string]*integ{},
		origins:        map[string]bool{},
		tracing:        sc.Tracing.Enabled,
	}
	c.jwksURLs = slices.Compact(slices.Sorted(slices.Values(policy.JWKSURLs())))
	for _, name := range policy.Integrations() {
		info, _ := policy.Integration(name)
		c.integrations[name] = &integ{IntegrationInfo: info}
	}
	return c
}

// publicURL checks service.public_url and reports whether it may be used
// (it is empty or valid).
func (p *serviceParser) publicURL(c *config, raw string) bool {
	if c.publicURL == "" {
		return true
	}
	if checkPublicURL(c.publicURL) != nil {
		p.fail("service.public_url", "want an http(s) URL such as https://auth.example.com, found %q", raw)
		return false
	}
	return true
}

// checkPublicURL accepts the issuer of jwtgate's own tokens: an http(s)
// URL with a host and no query or fragment.
func checkPublicURL(s string) error {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
		return fmt.Errorf("want an http(s) URL such as https://auth.example.com, found %q", s)
	}
	return nil
}

func (p *serviceParser) store(c *config) {
	if c.store == "" {
		return
	}
	if err := store.CheckDSN(c.store); err != nil {
		p.fail("service.store", "%v", err)
	}
}

// session checks the session cookie and the lifetimes of jwtgate's tokens.
func (p *serviceParser) session(c *config, sc sessionConfig, publicOK bool) {
	switch lower := strings.ToLower(c.cookieBase); {
	case c.cookieBase == "":
		c.cookieBase = defaultCookieName
	case !cookieNamePattern.MatchString(c.cookieBase):
		p.fail("service.session.cookie", "want 1-64 characters of A-Z, a-z, 0-9, '_' and '-', found %q", c.cookieBase)
	case strings.HasPrefix(lower, "__host-") || strings.HasPrefix(lower, "__secure-"):
		p.fail("service.session.cookie", "jwtgate adds the __Host- or __Secure- prefix itself; give the name without it, found %q", c.cookieBase)
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
		p.fail("service.session.secure", "want auto, true or false, found %q", c.secure)
	}
	if err := c.parseCookieScope(sc, !publicOK); err != nil {
		p.fail(err.field, "%s", err.reason)
	}
	for _, d := range []struct {
		field string
		v     time.Duration
	}{{"service.session.ttl", c.sessionTTL}, {"service.access_token_ttl", c.accessTokenTTL}} {
		if d.v < time.Minute || d.v > maxTokenTTL {
			p.fail(d.field, "want between 1m and %v, found %v", maxTokenTTL, d.v)
		}
	}
}

func (p *serviceParser) signing(c *config) {
	if !signingAlgorithms[c.signingAlg] {
		p.fail("service.signing.algorithm", "want one of ES256, ES384, RS256, EdDSA, found %q", c.signingAlg)
	}
	if c.rotateEvery < time.Hour {
		p.fail("service.signing.rotate_every", "want at least 1h, found %v", c.rotateEvery)
	}
}

// adminToken reads the token tester's admin token.
func (p *serviceParser) adminToken(c *config, sc serviceConfig) {
	switch {
	case sc.AdminTokenEnv != "" && sc.AdminTokenFile != "":
		p.fail("service.admin_token_env", "give admin_token_env or admin_token_file, not both")
	case sc.AdminTokenEnv != "":
		v, ok := p.lookupEnv(sc.AdminTokenEnv)
		if !ok || strings.TrimSpace(v) == "" {
			p.fail("service.admin_token_env", "environment variable %s is not set", sc.AdminTokenEnv)
		}
		c.adminDigest = digest(strings.TrimSpace(v))
	case sc.AdminTokenFile != "":
		if v, ok := p.secretFile("service.admin_token_file", sc.AdminTokenFile); ok {
			c.adminDigest = digest(v)
		}
	}
}

// secretFile reads a token from a file, trimmed; false (a problem
// recorded) when it cannot be read or is empty.
func (p *serviceParser) secretFile(field, name string) (string, bool) {
	b, err := p.readFile(name)
	switch v := strings.TrimSpace(string(b)); {
	case err != nil:
		p.fail(field, "%v", err)
	case v == "":
		p.fail(field, "%s is empty", name)
	default:
		return v, true
	}
	return "", false
}

// integrations checks service.integrations: each names one of the core's
// (when known), and its settings are checked whether or not it does.
func (p *serviceParser) integrations(c *config, settings map[string]integrationSettings, known bool) {
	for _, name := range slices.Sorted(maps.Keys(settings)) {
		field := "service.integrations." + name
		in := c.integrations[name]
		if in == nil {
			if known {
				p.fail(field, "no integration named %q in integrations", name)
			}
			in = &integ{IntegrationInfo: core.IntegrationInfo{Name: name}} // its settings are still checked
		}
		p.integration(c, in, field, settings[name])
	}
}

// integration checks one integration's service settings into in.
func (p *serviceParser) integration(c *config, in *integ, field string, set integrationSettings) {
	var systemToken string
	if set.SystemTokenFile != "" {
		systemToken, _ = p.secretFile(field+".system_token_file", set.SystemTokenFile)
	}
	if rv := set.RemoteValidation; rv != nil {
		p.checkURL(field+".remote_validation.url", rv.URL)
		sub := cmp.Or(rv.SubjectField, "sub")
		if strings.TrimSpace(sub) != sub {
			p.fail(field+".remote_validation.subject_field", "field name %q has surrounding spaces", sub)
		}
		timeout := p.timeout(field+".remote_validation.timeout", rv.Timeout)
		in.validator = &remote.Validator{URL: rv.URL, SubjectField: sub, Timeout: timeout}
	}
	if gr := set.GroupResolver; gr != nil {
		p.checkURL(field+".group_resolver.url", gr.URL)
		timeout := p.timeout(field+".group_resolver.timeout", gr.Timeout)
		in.resolver = &remote.GroupResolver{URL: gr.URL, SystemToken: systemToken, Timeout: timeout}
	}
	if set.LDAP != nil {
		in.ldap = p.ldap(field, set.LDAP)
	}
	for _, r := range []struct{ field, value, example string }{
		{".default_redirect", set.DefaultRedirect, "/home"}, {".error_redirect", set.ErrorRedirect, "/login"},
		{".onboarding_redirect", set.OnboardingRedirect, "/welcome"},
	} {
		switch {
		case r.value == "" || safeRelative(r.value):
		case checkURL(r.value) != nil:
			p.fail(field+r.field, "want a path such as %s or an http(s) URL, found %q", r.example, r.value)
		case in.HasRedirect && c.policy != nil:
			// A URL elsewhere must be one the policy's redirect section
			// allows, as a redirect claim must.
			if err := c.policy.CheckRedirect(in.Name, r.value); err != nil {
				p.fail(field+r.field, "%q is not an allowed redirect target of the integration: %v", r.value, err)
			}
		}
	}
	in.defaultRedirect, in.errorRedirect = set.DefaultRedirect, set.ErrorRedirect
	in.onboardingRedirect = set.OnboardingRedirect
	in.synced = p.syncedClaims(field+".synced_claims", set.SyncedClaims)
	p.sessionSettings(c, in, field, set.Session)
	if len(set.AllowedOrigins) > 0 {
		in.allowedOrigins = map[string]bool{}
	}
	for i, o := range set.AllowedOrigins {
		norm, err := parseOrigin(o)
		if err != nil {
			p.fail(fmt.Sprintf("%s.allowed_origins[%d]", field, i), "%v, found %q", err, o)
			continue
		}
		in.allowedOrigins[norm], c.origins[norm] = true, true
	}
}

func (p *serviceParser) checkURL(field, s string) {
	if err := checkURL(s); err != nil {
		p.fail(field, "%v", err)
	}
}

// timeout reads a remote call's timeout, by default defaultRemoteTimeout.
func (p *serviceParser) timeout(field string, d *yamlconfig.Duration) time.Duration {
	timeout := d.Or(defaultRemoteTimeout)
	if timeout <= 0 || timeout > maxRemoteTimeout {
		p.fail(field, "want between 1ms and %v, found %v", maxRemoteTimeout, timeout)
	}
	return timeout
}

// routes compiles the routes of /v1/authz, longest prefix first.
func (p *serviceParser) routes(c *config, routes []edge.RouteConfig, policy *core.Policy) {
	compiled, err := edge.NewRoutes(routes, policy)
	var bad edge.RouteErrors
	errors.As(err, &bad)
	for _, re := range bad {
		p.fail(fmt.Sprintf("service.routes[%d].%s", re.Index, re.Field), "%s", re.Reason)
	}
	c.routes = compiled
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

// issuerClash refuses a public URL that is also an integration's issuer:
// jwtgate's own tokens would be taken for that integration's.
func issuerClash(file, publicURL string, c *config) *configError {
	for _, in := range c.integrations {
		if in.Issuer == publicURL {
			return &configError{file: file, field: "service.public_url", reason: fmt.Sprintf(
				"%s is the issuer of jwtgate's own tokens and cannot also be integration %q's issuer", publicURL, in.Name)}
		}
	}
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

func digest(s string) []byte {
	sum := sha256.Sum256([]byte(s))
	return sum[:]
}

// fileReader reads the files a configuration file names as its policy's
// are read: relative paths against the file's folder, bounded.
func fileReader(path string) func(string) ([]byte, error) {
	return policyfile.Reader(path)
}

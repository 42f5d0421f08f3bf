package main

import (
	"cmp"
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/jwtgate/jwtgate/core"
	"github.com/jwtgate/jwtgate/edge"
	"github.com/jwtgate/jwtgate/internal/yamlconfig"
)

// pluginConfig is the plugin configuration: the policy (the same document
// as natively) and the filter's own settings around it, spelt as Envoy's
// jwt_authn spells the same concepts. It is JSON or YAML.
type pluginConfig struct {
	// Policy is the jwtgate policy: a string holding the YAML or JSON
	// document, or the document itself as an object.
	Policy yaml.Node `yaml:"policy"`
	// Where the token is read (edge.Sources): headers with an optional
	// value prefix, then query parameters, then cookies. None: the
	// Authorization header, "Bearer TOKEN".
	FromHeaders []edge.HeaderSource `yaml:"from_headers" want:"a list of headers such as {name: authorization, value_prefix: \"Bearer \"}"`
	FromParams  []string            `yaml:"from_params" want:"a list of query parameter names" item:"a parameter name"`
	FromCookies []string            `yaml:"from_cookies" want:"a list of cookie names" item:"a cookie name"`
	// Forward keeps the token headers on a verified request, as Envoy's
	// forward; by default they are removed before it goes upstream.
	Forward bool `yaml:"forward"`
	// IdentityHeaders adds X-Jwtgate-Subject, -Tenant and -Integration
	// besides the policy's claim headers. Default true.
	IdentityHeaders *bool `yaml:"identity_headers"`
	// Routes are per-route requirements, as jwtgate serve's service.routes.
	Routes []edge.RouteConfig `yaml:"routes" want:"a list of routes such as {prefix: /admin, require_roles: {any: [admin]}}"`
	// Skip lists path prefixes that are not verified at all (health checks).
	Skip []string `yaml:"skip" want:"a list of path prefixes" item:"a path prefix"`
	// UnicodePaths admits non-ASCII request paths (see edge.PathOptions).
	UnicodePaths bool `yaml:"unicode_paths"`
	// RemoteJWKS says how the policy's jwks_url key sets are fetched.
	RemoteJWKS remoteJWKSConfig `yaml:"remote_jwks"`
	// TickPeriod is the tick period (key refresh, resuming held requests).
	TickPeriod *yamlconfig.Duration `yaml:"tick_period"`
	// SharedDataPrefix prefixes the filter's shared-data keys (default
	// "jwtgate"): give plugins with different policies in one vm_id
	// different prefixes.
	SharedDataPrefix string `yaml:"shared_data_prefix"`
	// ReplayBuckets is the number of shared-data keys the one-time jti
	// store is spread over (default 64); ReplayMaxPerBucket bounds each.
	ReplayBuckets      int `yaml:"replay_buckets"`
	ReplayMaxPerBucket int `yaml:"replay_max_per_bucket"`
	// DecisionCache bounds the VM's cache of valid decisions.
	DecisionCache decisionCacheConfig `yaml:"decision_cache"`
	// Debug logs every decision as its JSON at debug level; Explain adds
	// the explain trace to it. Both are for troubleshooting: the claims
	// and reasons they log are not for a production log.
	Debug   bool `yaml:"debug"`
	Explain bool `yaml:"explain"`
}

// remoteJWKSConfig is Envoy's remote_jwks for every jwks_url of the
// policy (the policy says where each key set is; this, how to fetch it),
// with jwtgate's own additions.
type remoteJWKSConfig struct {
	HTTPURI httpURIConfig `yaml:"http_uri"`
	// Clusters overrides http_uri.cluster per jwks_url.
	Clusters map[string]string `yaml:"clusters" want:"a mapping of jwks_url to cluster name" item:"a cluster name"`
	// CacheDuration is the age at which a key set is fetched again.
	CacheDuration *yamlconfig.Duration `yaml:"cache_duration"`
	AsyncFetch    struct {
		// FailedRefetchDuration is the pause after a failed fetch.
		FailedRefetchDuration *yamlconfig.Duration `yaml:"failed_refetch_duration"`
	} `yaml:"async_fetch"`
	// UnknownKidRefetchDuration is the least time between two fetches of
	// one URL caused by a kid the set lacks (jwtgate's own).
	UnknownKidRefetchDuration *yamlconfig.Duration `yaml:"unknown_kid_refetch_duration"`
	// WaitForKeys holds a request whose keys are not fetched yet for up to
	// this long; 0 answers keys_unavailable at once (jwtgate's own).
	WaitForKeys *yamlconfig.Duration `yaml:"wait_for_keys"`
}

// decisionCacheConfig is decision_cache: the core.Cache in front of the
// verifier, one per VM (each of Envoy's worker threads runs a VM of its
// own, hence a default smaller than jwtgate serve's).
type decisionCacheConfig struct {
	Enabled    *bool                `yaml:"enabled"`
	MaxEntries int                  `yaml:"max_entries"`
	MaxBytes   int64                `yaml:"max_bytes"`
	TTL        *yamlconfig.Duration `yaml:"ttl"`
}

// Bounds and defaults of decision_cache, per VM.
const (
	defaultCacheBytes = 4 << 20
	maxCacheEntries   = 1_000_000
	minCacheBytes     = 64 << 10
	maxCacheBytes     = 1 << 30 // a VM's memory is 32-bit
)

// httpURIConfig is Envoy's HttpUri without its uri, which the policy's
// jwks_url gives.
type httpURIConfig struct {
	Cluster string               `yaml:"cluster"`
	Timeout *yamlconfig.Duration `yaml:"timeout"`
}

// retired maps the filter's former spellings to their successors: they
// are refused with a message naming the new one, never ignored. The
// Envoy spellings jwtgate does not take say where their concept lives.
var retired = map[string]string{
	"token":                    "token is now from_headers: [{name, value_prefix}], from_params: [names] and from_cookies: [names], as in Envoy's jwt_authn (token.header with token.prefix is a from_headers entry)",
	"remove_authorization":     "remove_authorization is now forward, as in Envoy's jwt_authn: the token headers are removed unless forward: true",
	"jwks_cluster":             "jwks_cluster is now remote_jwks.http_uri.cluster",
	"jwks_clusters":            "jwks_clusters is now remote_jwks.clusters",
	"jwks_timeout_ms":          "jwks_timeout_ms is now remote_jwks.http_uri.timeout, a duration such as 5s",
	"jwks_refresh_seconds":     "jwks_refresh_seconds is now remote_jwks.cache_duration, a duration such as 5m",
	"jwks_retry_seconds":       "jwks_retry_seconds is now remote_jwks.async_fetch.failed_refetch_duration, a duration such as 5s",
	"jwks_unknown_kid_seconds": "jwks_unknown_kid_seconds is now remote_jwks.unknown_kid_refetch_duration, a duration such as 30s",
	"wait_for_keys_ms":         "wait_for_keys_ms is now remote_jwks.wait_for_keys, a duration such as 5s",
	"tick_ms":                  "tick_ms is now tick_period, a duration such as 1s",
	"claim_to_headers":         "jwtgate maps claims to headers in the policy, per integration (headers: {X-User: sub}), so that every host sets the same headers",
	"rules":                    "jwtgate's routes are routes: [{prefix, methods, require_roles, integration, …}], the longest prefix deciding; prefixes not verified at all are skip: [prefix]",
	"providers":                "jwtgate's providers are the policy's integrations",
	"remote_jwks.http_uri.uri": "the policy's jwks_url says where the keys are; http_uri names the cluster that serves them",
}

// settings is a checked plugin configuration.
type settings struct {
	policy       *core.Policy
	reserved     edge.Reserved // the headers a client may not send
	sources      edge.Sources
	forward      bool
	identity     bool
	routes       edge.Routes
	skip         []*edge.SkipPrefix
	paths        edge.PathOptions
	jwksClusters map[string]string // url → cluster
	refresh      time.Duration
	retry        time.Duration
	unknownKid   time.Duration
	fetchTimeout time.Duration
	waitForKeys  time.Duration
	tick         time.Duration
	prefix       string
	buckets      int
	bucketMax    int
	cache        *core.CacheOptions // nil: decision_cache.enabled false
	debug        bool
	explain      bool
}

// maxConfigBytes bounds the plugin configuration: a policy and a little.
const maxConfigBytes = core.MaxPolicyBytes + 1<<20

var sharedPrefix = regexp.MustCompile(`^[A-Za-z0-9_.-]{1,64}$`)

// parseConfig reads and checks the plugin configuration. Every problem is
// reported, each at its line: yamlconfig.Problems (and the policy's
// core.PolicyErrors).
func parseConfig(data []byte) (*settings, error) {
	if len(data) > maxConfigBytes {
		return nil, fmt.Errorf("plugin configuration: %d bytes, the limit is %d", len(data), maxConfigBytes)
	}
	root, err := yamlconfig.ParseDocument(data)
	if err != nil {
		return nil, fmt.Errorf("plugin configuration: %w", err)
	}
	if root == nil {
		return nil, errors.New("plugin configuration: empty")
	}
	var pc pluginConfig
	lines, err := yamlconfig.Decoder{Want: "a mapping with the policy and the filter's settings", Renamed: retired}.Decode(root, &pc)
	c := &checker{lines: lines}
	var decoded yamlconfig.Problems
	if errors.As(err, &decoded) {
		c.problems = decoded
	} else if err != nil {
		return nil, fmt.Errorf("plugin configuration: %w", err)
	}
	s := c.settings(&pc)
	var perr error
	if s.policy, perr = policyOf(&pc.Policy); perr != nil && len(c.problems) == 0 {
		return nil, perr
	}
	if s.policy != nil {
		c.policyParts(s, &pc)
	}
	if len(c.problems) > 0 {
		return nil, fmt.Errorf("plugin configuration: %w", errors.Join(c.problems, perr))
	}
	return s, nil
}

// policyOf parses the policy, given as a string or as the document.
func policyOf(n *yaml.Node) (*core.Policy, error) {
	var doc []byte
	switch n.Kind {
	case 0:
		return nil, errors.New("plugin configuration: no policy")
	case yaml.ScalarNode:
		doc = []byte(n.Value)
	default:
		b, err := yaml.Marshal(n)
		if err != nil {
			return nil, fmt.Errorf("plugin configuration: policy: %v", err)
		}
		doc = b
	}
	// The module has no files and no environment: keys are inline, or
	// fetched from jwks_url through the proxy.
	return core.ParsePolicy("policy", doc, core.LoadOptions{})
}

// checker collects the problems of a decoded configuration.
type checker struct {
	lines    yamlconfig.Lines
	problems yamlconfig.Problems
}

func (c *checker) add(field, format string, args ...any) {
	c.problems = append(c.problems, &yamlconfig.Problem{Field: field, Line: c.lines.Line(field), Reason: fmt.Sprintf(format, args...)})
}

// refused reports whether the field did not even decode.
func (c *checker) refused(field string) bool {
	return slices.ContainsFunc(c.problems, func(p *yamlconfig.Problem) bool { return p.Field == field })
}

// settings checks what does not depend on the policy.
func (c *checker) settings(pc *pluginConfig) *settings {
	rj := pc.RemoteJWKS
	s := &settings{
		sources:  edge.Sources{Headers: pc.FromHeaders, Params: pc.FromParams, Cookies: pc.FromCookies},
		forward:  pc.Forward,
		identity: pc.IdentityHeaders == nil || *pc.IdentityHeaders,
		paths:    edge.PathOptions{Unicode: pc.UnicodePaths},
		prefix:   pc.SharedDataPrefix,
		debug:    pc.Debug, explain: pc.Explain,
		fetchTimeout: c.duration("remote_jwks.http_uri.timeout", rj.HTTPURI.Timeout, 5*time.Second, time.Millisecond, time.Minute),
		refresh:      c.duration("remote_jwks.cache_duration", rj.CacheDuration, 5*time.Minute, time.Second, 24*time.Hour),
		retry:        c.duration("remote_jwks.async_fetch.failed_refetch_duration", rj.AsyncFetch.FailedRefetchDuration, 5*time.Second, 100*time.Millisecond, time.Hour),
		unknownKid:   c.duration("remote_jwks.unknown_kid_refetch_duration", rj.UnknownKidRefetchDuration, 30*time.Second, time.Second, time.Hour),
		waitForKeys:  c.duration("remote_jwks.wait_for_keys", rj.WaitForKeys, 5*time.Second, 0, time.Minute),
		tick:         c.duration("tick_period", pc.TickPeriod, time.Second, 100*time.Millisecond, time.Minute),
		buckets:      c.count("replay_buckets", pc.ReplayBuckets, 64, 4096),
		bucketMax:    c.count("replay_max_per_bucket", pc.ReplayMaxPerBucket, 20_000, 1_000_000),
	}
	s.cache = c.decisionCache(pc.DecisionCache)
	var se *edge.SourceError
	if errors.As(s.sources.Check(), &se) {
		c.add(se.Field, "%s", se.Reason)
	}
	if s.prefix == "" {
		s.prefix = "jwtgate"
	}
	if !sharedPrefix.MatchString(s.prefix) {
		c.add("shared_data_prefix", "want 1-64 letters, digits, '_', '.' or '-', found %q", s.prefix)
	}
	for i, sk := range pc.Skip {
		p, err := edge.NewSkipPrefix(sk)
		if err != nil {
			c.add(fmt.Sprintf("skip[%d]", i), "%v", err)
			continue
		}
		s.skip = append(s.skip, p)
	}
	return s
}

// policyParts checks what refers to the policy: routes' pins, and a
// cluster for each jwks_url.
func (c *checker) policyParts(s *settings, pc *pluginConfig) {
	s.reserved = edge.ReservedHeaders(s.policy)
	routes, err := edge.NewRoutes(pc.Routes, s.policy)
	var bad edge.RouteErrors
	errors.As(err, &bad)
	for _, re := range bad {
		c.add(fmt.Sprintf("routes[%d].%s", re.Index, re.Field), "%s", re.Reason)
	}
	s.routes = routes
	rj := pc.RemoteJWKS
	s.jwksClusters = map[string]string{}
	for _, u := range s.policy.JWKSURLs() {
		cluster := cmp.Or(rj.Clusters[u], rj.HTTPURI.Cluster)
		if cluster == "" {
			c.add("remote_jwks.http_uri.cluster", "the policy fetches keys from %s: name the Envoy cluster that serves it in remote_jwks.http_uri.cluster (or remote_jwks.clusters)", u)
			continue
		}
		if _, err := url.Parse(u); err != nil {
			c.add("remote_jwks", "jwks_url %q: %v", u, err)
		}
		s.jwksClusters[u] = cluster
	}
	for u := range rj.Clusters {
		if _, used := s.jwksClusters[u]; !used {
			c.add("remote_jwks.clusters."+u, "the policy has no jwks_url %s", u)
		}
	}
}

// decisionCache checks decision_cache; on by default, as in jwtgate serve:
// a proxy sees the same tokens again and again, and a hit saves the whole
// verification (0.3-0.6 ms of wasm a request).
func (c *checker) decisionCache(dc decisionCacheConfig) *core.CacheOptions {
	o := &core.CacheOptions{
		MaxEntries: c.count("decision_cache.max_entries", dc.MaxEntries, core.DefaultCacheEntries, maxCacheEntries),
		MaxBytes:   defaultCacheBytes,
		TTL:        c.duration("decision_cache.ttl", dc.TTL, core.DefaultCacheTTL, time.Second, time.Hour),
	}
	if dc.MaxBytes != 0 {
		if dc.MaxBytes < minCacheBytes || dc.MaxBytes > maxCacheBytes {
			c.add("decision_cache.max_bytes", "want between %d and %d, found %d", minCacheBytes, maxCacheBytes, dc.MaxBytes)
		}
		o.MaxBytes = dc.MaxBytes
	}
	if dc.Enabled != nil && !*dc.Enabled {
		return nil
	}
	return o
}

// duration is a configured duration, def when not given, refused outside
// [lo, hi].
func (c *checker) duration(field string, d *yamlconfig.Duration, def, lo, hi time.Duration) time.Duration {
	v := d.Or(def)
	if c.refused(field) {
		return def
	}
	if v < lo || v > hi {
		c.add(field, "want between %v and %v, found %v", lo, hi, v)
		return def
	}
	return v
}

// count is a configured count, def when 0, refused outside [1, hi].
func (c *checker) count(field string, v, def, hi int) int {
	switch {
	case v == 0:
		return def
	case v < 1 || v > hi:
		c.add(field, "want between 1 and %d, found %d", hi, v)
		return def
	}
	return v
}

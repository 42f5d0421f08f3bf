package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/url"
	"regexp"
	"sort"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/jwtgate/jwtgate/core"
)

// pluginConfig is the plugin configuration: the policy (the same document
// as natively) and the filter's own settings around it. It is JSON or YAML.
type pluginConfig struct {
	// Policy is the jwtgate policy: a string holding the YAML or JSON
	// document, or the document itself as an object.
	Policy yaml.Node `yaml:"policy"`
	// Token says where the token is read from.
	Token tokenConfig `yaml:"token"`
	// RemoveAuthorization removes the Authorization header (and the
	// configured token header) before the request goes upstream.
	RemoveAuthorization bool `yaml:"remove_authorization"`
	// IdentityHeaders adds X-Jwtgate-Subject, -Tenant and -Integration
	// besides the policy's claim headers. Default true.
	IdentityHeaders *bool `yaml:"identity_headers"`
	// Routes are per-route requirements, as jwtgate serve's service.routes.
	Routes []routeConfig `yaml:"routes"`
	// Skip lists path prefixes that are not verified at all (health checks).
	Skip []string `yaml:"skip"`
	// UnicodePaths admits non-ASCII request paths (see core.PathOptions).
	UnicodePaths bool `yaml:"unicode_paths"`
	// JWKSCluster is the Envoy cluster that serves every jwks_url;
	// JWKSClusters overrides it per URL.
	JWKSCluster  string            `yaml:"jwks_cluster"`
	JWKSClusters map[string]string `yaml:"jwks_clusters"`
	// JWKSRefreshSeconds is the age at which a key set is refetched
	// (default 300); JWKSRetrySeconds the pause after a failed fetch
	// (default 5); JWKSTimeoutMs the timeout of one fetch (default 5000).
	JWKSRefreshSeconds int `yaml:"jwks_refresh_seconds"`
	JWKSRetrySeconds   int `yaml:"jwks_retry_seconds"`
	JWKSTimeoutMs      int `yaml:"jwks_timeout_ms"`
	// JWKSUnknownKidSeconds is the least time between two fetches of one
	// URL caused by a kid the set lacks (default 30).
	JWKSUnknownKidSeconds int `yaml:"jwks_unknown_kid_seconds"`
	// WaitForKeysMs holds a request whose keys are not fetched yet for up
	// to this long (default 5000); 0 answers keys_unavailable at once.
	WaitForKeysMs *int `yaml:"wait_for_keys_ms"`
	// TickMs is the tick period (default 1000).
	TickMs int `yaml:"tick_ms"`
	// SharedDataPrefix prefixes the filter's shared-data keys (default
	// "jwtgate"): give plugins with different policies in one vm_id
	// different prefixes.
	SharedDataPrefix string `yaml:"shared_data_prefix"`
	// ReplayBuckets is the number of shared-data keys the one-time jti
	// store is spread over (default 64); ReplayMaxPerBucket bounds each.
	ReplayBuckets      int `yaml:"replay_buckets"`
	ReplayMaxPerBucket int `yaml:"replay_max_per_bucket"`
	// Debug logs every decision as its JSON at debug level; Explain adds
	// the explain trace to it. Both are for troubleshooting: the claims
	// and reasons they log are not for a production log.
	Debug   bool `yaml:"debug"`
	Explain bool `yaml:"explain"`
}

type tokenConfig struct {
	// Header is the header that carries the token (default
	// "authorization", read as "Bearer TOKEN"). Another header is read
	// as the bare token, or after Prefix when one is set.
	Header string `yaml:"header"`
	Prefix string `yaml:"prefix"`
	// Query and Cookie name a query parameter and a cookie tried, in that
	// order, when the header is absent.
	Query  string `yaml:"query"`
	Cookie string `yaml:"cookie"`
}

type routeConfig struct {
	Prefix             string           `yaml:"prefix"`
	Methods            []string         `yaml:"methods"`
	RequirePermissions []string         `yaml:"require_permissions"`
	RequireRoles       *core.Membership `yaml:"require_roles"`
	RequireGroups      *core.Membership `yaml:"require_groups"`
	CaseSensitive      bool             `yaml:"case_sensitive"`
	// Integration pins the route to one integration of the policy: a
	// token of another issuer is configuration_not_found.
	Integration string `yaml:"integration"`
}

// settings is a checked plugin configuration.
type settings struct {
	policy        *core.Policy
	policyHeaders []string // lower-case names of every claim header of the policy
	tokenHeader   string
	tokenPrefix   string
	bearer        bool
	query, cookie string
	removeAuth    bool
	identity      bool
	routes        []*route // longest prefix first
	skip          []*core.SkipPrefix
	paths         core.PathOptions
	jwksClusters  map[string]string // url → cluster
	refresh       time.Duration
	retry         time.Duration
	unknownKid    time.Duration
	fetchTimeout  time.Duration
	waitForKeys   time.Duration
	tickMs        uint32
	prefix        string
	buckets       int
	bucketMax     int
	debug         bool
	explain       bool
}

type route struct {
	*core.Route
	integration string // "": any integration
}

var (
	headerPattern = regexp.MustCompile(`^[a-z0-9-]{1,64}$`)
)

// parseConfig reads and checks the plugin configuration.
func parseConfig(data []byte) (*settings, error) {
	var pc pluginConfig
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&pc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, errors.New("the plugin configuration is empty")
		}
		return nil, fmt.Errorf("plugin configuration: %v", strings.TrimPrefix(err.Error(), "yaml: "))
	}
	var doc []byte
	switch pc.Policy.Kind {
	case 0:
		return nil, errors.New("plugin configuration: no policy")
	case yaml.ScalarNode:
		doc = []byte(pc.Policy.Value)
	default:
		b, err := yaml.Marshal(&pc.Policy)
		if err != nil {
			return nil, fmt.Errorf("plugin configuration: policy: %v", err)
		}
		doc = b
	}
	// The module has no files and no environment: keys are inline, or
	// fetched from jwks_url through the proxy.
	p, err := core.ParsePolicy("policy", doc, core.LoadOptions{})
	if err != nil {
		return nil, err
	}
	s := &settings{
		policy: p, removeAuth: pc.RemoveAuthorization, identity: pc.IdentityHeaders == nil || *pc.IdentityHeaders,
		query: pc.Token.Query, cookie: pc.Token.Cookie, tokenPrefix: pc.Token.Prefix,
		refresh: seconds(pc.JWKSRefreshSeconds, 300), retry: seconds(pc.JWKSRetrySeconds, 5),
		unknownKid:   seconds(pc.JWKSUnknownKidSeconds, 30),
		fetchTimeout: time.Duration(orInt(pc.JWKSTimeoutMs, 5000)) * time.Millisecond,
		waitForKeys:  5 * time.Second,
		tickMs:       uint32(orInt(pc.TickMs, 1000)),
		prefix:       pc.SharedDataPrefix, buckets: orInt(pc.ReplayBuckets, 64), bucketMax: orInt(pc.ReplayMaxPerBucket, 20_000),
		debug: pc.Debug, explain: pc.Explain, paths: core.PathOptions{Unicode: pc.UnicodePaths},
	}
	if pc.WaitForKeysMs != nil {
		s.waitForKeys = time.Duration(*pc.WaitForKeysMs) * time.Millisecond
	}
	if s.prefix == "" {
		s.prefix = "jwtgate"
	}
	s.tokenHeader = strings.ToLower(pc.Token.Header)
	if s.tokenHeader == "" {
		s.tokenHeader = "authorization"
	}
	if !headerPattern.MatchString(s.tokenHeader) {
		return nil, fmt.Errorf("plugin configuration: token.header %q is not a header name", pc.Token.Header)
	}
	s.bearer = s.tokenHeader == "authorization" && s.tokenPrefix == ""
	if s.policyHeaders, err = claimHeaders(doc); err != nil {
		return nil, err
	}
	var crs []*core.Route
	pins := map[*core.Route]string{} // the routes' integrations
	for i, rc := range pc.Routes {
		field := fmt.Sprintf("routes[%d]", i)
		if rc.Integration != "" && !contains(p.Integrations(), rc.Integration) {
			return nil, fmt.Errorf("plugin configuration: %s.integration: the policy has no integration %q", field, rc.Integration)
		}
		req, err := core.NewRequirements(rc.RequirePermissions, rc.RequireRoles, rc.RequireGroups)
		if err != nil {
			return nil, fmt.Errorf("plugin configuration: %s.%v", field, err)
		}
		cr, err := core.NewRoute(core.RouteSpec{Prefix: rc.Prefix, Methods: rc.Methods, CaseSensitive: rc.CaseSensitive, Requirements: req})
		if err != nil {
			return nil, fmt.Errorf("plugin configuration: %s.%v", field, err)
		}
		crs = append(crs, cr)
		pins[cr] = rc.Integration
	}
	core.SortRoutes(crs)
	for _, cr := range crs {
		s.routes = append(s.routes, &route{Route: cr, integration: pins[cr]})
	}
	for i, sk := range pc.Skip {
		p, err := core.NewSkipPrefix(sk)
		if err != nil {
			return nil, fmt.Errorf("plugin configuration: skip[%d]: %v", i, err)
		}
		s.skip = append(s.skip, p)
	}
	s.jwksClusters = map[string]string{}
	for _, u := range p.JWKSURLs() {
		c := pc.JWKSClusters[u]
		if c == "" {
			c = pc.JWKSCluster
		}
		if c == "" {
			return nil, fmt.Errorf("plugin configuration: the policy fetches keys from %s: name the Envoy cluster that serves it in jwks_cluster (or jwks_clusters)", u)
		}
		if _, err := url.Parse(u); err != nil {
			return nil, fmt.Errorf("plugin configuration: jwks_url %q: %v", u, err)
		}
		s.jwksClusters[u] = c
	}
	return s, nil
}

// claimHeaders returns the header names of the policy's claim-to-header
// mappings, which the filter removes from every request so that a client
// cannot send them itself.
func claimHeaders(doc []byte) ([]string, error) {
	var pf struct {
		Integrations []struct {
			Headers map[string]string `yaml:"headers"`
		} `yaml:"integrations"`
	}
	if err := yaml.Unmarshal(doc, &pf); err != nil {
		return nil, fmt.Errorf("policy: %v", err)
	}
	seen := map[string]bool{}
	var out []string
	for _, in := range pf.Integrations {
		for h := range in.Headers {
			h = strings.ToLower(h)
			if !seen[h] {
				seen[h] = true
				out = append(out, h)
			}
		}
	}
	sort.Strings(out)
	return out, nil
}

func seconds(v, def int) time.Duration { return time.Duration(orInt(v, def)) * time.Second }

func orInt(v, def int) int {
	if v <= 0 {
		return def
	}
	return v
}

func contains(list []string, v string) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

// routeFor returns the routes entry of a request: the longest prefix
// whose methods include the method (see core.SelectRoute).
func (s *settings) routeFor(method string, p core.Path) *route {
	for _, rt := range s.routes {
		if rt.Matches(method, p) {
			return rt
		}
	}
	return nil
}

package main

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/jwtgate/jwtgate/core"
	"github.com/jwtgate/jwtgate/edge"
	"github.com/jwtgate/jwtgate/internal/yamlconfig"
)

const policy = `integrations: [{name: a, issuer: "https://a.example", algorithms: [HS256], keys: [{secret: "0123456789abcdef0123456789abcdef"}], headers: {X-User: sub}}]`

const jwksPolicy = `integrations: [{name: a, issuer: "https://a.example", algorithms: [RS256], keys: [{jwks_url: "https://a.example/jwks"}, {jwks_url: "https://b.example/jwks"}]}]`

// Envoy's spellings: from_headers, from_params, from_cookies, forward,
// remote_jwks, duration strings; the defaults when none is given.
func TestConfigSpellings(t *testing.T) {
	s, err := parseConfig([]byte(`{"policy": ` + quote(policy) + `, "from_headers": [{"name": "X-Auth", "value_prefix": "JWT "}], "from_params": ["t"], "from_cookies": ["c"], "forward": true}`))
	require.NoError(t, err)
	assert.Equal(t, edge.Sources{Headers: []edge.HeaderSource{{Name: "X-Auth", ValuePrefix: "JWT "}}, Params: []string{"t"}, Cookies: []string{"c"}}, s.sources)
	assert.True(t, s.forward)
	assert.True(t, s.reserved.Has("x-user"), "the policy's claim headers are the client's to lose")
	assert.Equal(t, "abc", s.sources.Extract(edge.HeaderList{{"x-auth", "JWT abc"}}, "/").Token)

	s, err = parseConfig([]byte("policy: " + quote(jwksPolicy) + `
remote_jwks:
  http_uri: {cluster: idp, timeout: 2s}
  clusters: {"https://b.example/jwks": other}
  cache_duration: 10m
  async_fetch: {failed_refetch_duration: 3s}
  unknown_kid_refetch_duration: 1m
  wait_for_keys: 0s
tick_period: 500ms
`))
	require.NoError(t, err)
	assert.Equal(t, map[string]string{"https://a.example/jwks": "idp", "https://b.example/jwks": "other"}, s.jwksClusters)
	assert.Equal(t, []time.Duration{2 * time.Second, 10 * time.Minute, 3 * time.Second, time.Minute, 0, 500 * time.Millisecond},
		[]time.Duration{s.fetchTimeout, s.refresh, s.retry, s.unknownKid, s.waitForKeys, s.tick})

	s, err = parseConfig([]byte("policy: " + quote(policy)))
	require.NoError(t, err)
	assert.Equal(t, edge.Sources{}, s.sources, "Authorization: Bearer")
	assert.False(t, s.forward, "Envoy's default: the token header does not go upstream")
	assert.True(t, s.identity)
	assert.Equal(t, []time.Duration{5 * time.Second, 5 * time.Minute, 5 * time.Second, 30 * time.Second, 5 * time.Second, time.Second},
		[]time.Duration{s.fetchTimeout, s.refresh, s.retry, s.unknownKid, s.waitForKeys, s.tick})
	assert.Equal(t, []any{"jwtgate", 64, 20_000}, []any{s.prefix, s.buckets, s.bucketMax})
}

// Each former spelling is refused with the one that replaces it, at its
// line; so are Envoy spellings whose concept lives elsewhere in jwtgate.
func TestConfigRetiredSpellings(t *testing.T) {
	for old, want := range map[string]string{
		`token: {header: authorization, query: t}`:                       "token is now from_headers",
		`remove_authorization: true`:                                     "remove_authorization is now forward",
		`jwks_cluster: idp`:                                              "jwks_cluster is now remote_jwks.http_uri.cluster",
		`jwks_clusters: {"https://a/jwks": idp}`:                         "jwks_clusters is now remote_jwks.clusters",
		`jwks_timeout_ms: 5000`:                                          "jwks_timeout_ms is now remote_jwks.http_uri.timeout, a duration such as 5s",
		`jwks_refresh_seconds: 300`:                                      "jwks_refresh_seconds is now remote_jwks.cache_duration",
		`jwks_retry_seconds: 5`:                                          "jwks_retry_seconds is now remote_jwks.async_fetch.failed_refetch_duration",
		`jwks_unknown_kid_seconds: 30`:                                   "jwks_unknown_kid_seconds is now remote_jwks.unknown_kid_refetch_duration",
		`wait_for_keys_ms: 0`:                                            "wait_for_keys_ms is now remote_jwks.wait_for_keys",
		`tick_ms: 1000`:                                                  "tick_ms is now tick_period",
		`claim_to_headers: [{header_name: x-user, claim_name: sub}]`:     "jwtgate maps claims to headers in the policy",
		`rules: [{match: {prefix: /}}]`:                                  "routes: [{prefix",
		`remote_jwks: {http_uri: {uri: "https://a/jwks", cluster: idp}}`: "the policy's jwks_url says where the keys are",
	} {
		_, err := parseConfig([]byte("policy: " + quote(policy) + "\n" + old + "\n"))
		var p *yamlconfig.Problem
		require.ErrorAs(t, err, &p, old)
		assert.Contains(t, p.Reason, want, old)
		assert.Equal(t, 2, p.Line, old)
	}
}

// Bad values are refused, every one, each at its line.
func TestConfigErrors(t *testing.T) {
	_, err := parseConfig([]byte("policy: " + quote(policy) + `
from_headers: [{name: "x token"}]
from_params: ["a&b"]
remote_jwks: {cache_duration: 300, http_uri: {timeout: 2m}}
tick_period: 1ms
replay_buckets: -1
shared_data_prefix: "a:b"
skip: [healthz]
routes: [{prefix: /a, require_role: {any: [x]}}, {prefix: /b, integration: nope}]
forwrd: true
`))
	require.Error(t, err)
	var ps yamlconfig.Problems
	require.True(t, errors.As(err, &ps))
	var got []string
	for _, p := range ps {
		got = append(got, p.Field)
	}
	assert.ElementsMatch(t, []string{"from_headers[0].name", "remote_jwks.cache_duration", "remote_jwks.http_uri.timeout", "tick_period",
		"replay_buckets", "shared_data_prefix", "skip[0]", "routes[0].require_role", "forwrd", "routes[1].integration"}, got, err.Error())
	assert.Contains(t, err.Error(), "did you mean forward?")
	assert.Contains(t, err.Error(), `line 4:`, "at the fields' lines")

	for name, cfg := range map[string]string{
		"empty":           ``,
		"no policy":       `{"forward": true}`,
		"bad policy":      `policy: "integrations: []"`,
		"jwks no cluster": "policy: " + quote(jwksPolicy),
		"unused cluster":  "policy: " + quote(policy) + "\nremote_jwks: {clusters: {\"https://x/jwks\": x}}",
		"not a mapping":   `[1, 2]`,
		"two documents":   "policy: x\n---\npolicy: y\n",
	} {
		_, err := parseConfig([]byte(cfg))
		assert.Error(t, err, name)
	}
	_, err = parseConfig([]byte("policy: " + quote(policy) + "\nfrom_params: [t]\n" + strings.Repeat("#", maxConfigBytes)))
	assert.ErrorContains(t, err, "the limit is")
}

func TestCleanPathAndRoutes(t *testing.T) {
	s, err := parseConfig([]byte("policy: " + quote(policy) + "\nroutes: [{prefix: /r}, {prefix: /r/deep, methods: [post]}, {prefix: /C, case_sensitive: true}]\nskip: [/healthz]\n"))
	require.NoError(t, err)
	path := func(uri string) edge.Path {
		p, err := edge.CleanPath(uri, s.paths)
		require.NoError(t, err, uri)
		return p
	}
	rt := s.routes.Select("POST", path("/r/deep/x"))
	require.NotNil(t, rt)
	assert.Equal(t, "/r/deep", rt.Prefix)
	rt = s.routes.Select("GET", path("/R/Deep/x"))
	require.NotNil(t, rt)
	assert.Equal(t, "/r", rt.Prefix)
	assert.Nil(t, s.routes.Select("GET", path("/rx")))
	assert.Nil(t, s.routes.Select("GET", path("/c")), "the case-sensitive /C")
	assert.True(t, s.skip[0].Covers(path("/healthz")))
	assert.False(t, s.skip[0].Covers(path("/healthz;x")))
	for _, bad := range []string{"skip: [healthz]", "skip: [/a/../b]", "skip: ['/a;b']", "routes: [{prefix: '/a%2f'}]", "routes: [{prefix: /a., case_sensitive: true}]"} {
		_, err := parseConfig([]byte("policy: " + quote(policy) + "\n" + bad + "\n"))
		assert.Error(t, err, bad)
	}
	s, err = parseConfig([]byte("policy: " + quote(policy) + "\nunicode_paths: true\n"))
	require.NoError(t, err)
	assert.True(t, s.paths.Unicode)
}

func quote(s string) string {
	b := []byte{'"'}
	for _, c := range []byte(s) {
		if c == '"' || c == '\\' {
			b = append(b, '\\')
		}
		b = append(b, c)
	}
	return string(append(b, '"'))
}

// decision_cache: on with the per-VM defaults, set field by field, off
// with enabled: false; bad values refused, each naming its field.
func TestConfigDecisionCache(t *testing.T) {
	s, err := parseConfig([]byte("policy: " + quote(policy)))
	require.NoError(t, err)
	assert.Equal(t, &core.CacheOptions{MaxEntries: core.DefaultCacheEntries, MaxBytes: 4 << 20, TTL: core.DefaultCacheTTL}, s.cache)
	s, err = parseConfig([]byte("policy: " + quote(policy) + "\ndecision_cache: {max_entries: 500, max_bytes: 1048576, ttl: 90s}\n"))
	require.NoError(t, err)
	assert.Equal(t, &core.CacheOptions{MaxEntries: 500, MaxBytes: 1 << 20, TTL: 90 * time.Second}, s.cache)
	s, err = parseConfig([]byte("policy: " + quote(policy) + "\ndecision_cache: {enabled: false}\n"))
	require.NoError(t, err)
	assert.Nil(t, s.cache)

	_, err = parseConfig([]byte("policy: " + quote(policy) + "\ndecision_cache: {max_entries: -1, max_bytes: 100, ttl: 2h}\n"))
	var ps yamlconfig.Problems
	require.ErrorAs(t, err, &ps)
	var got []string
	for _, p := range ps {
		got = append(got, p.Field)
		assert.Equal(t, 2, p.Line, p.Field)
	}
	assert.ElementsMatch(t, []string{"decision_cache.max_entries", "decision_cache.max_bytes", "decision_cache.ttl"}, got, err.Error())
	for _, bad := range []string{"{ttl: 300}", "{max_size: 10}", "{enabled: maybe}", "[]"} {
		_, err := parseConfig([]byte("policy: " + quote(policy) + "\ndecision_cache: " + bad + "\n"))
		assert.ErrorContains(t, err, "decision_cache", bad)
	}
}

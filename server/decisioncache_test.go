package server

import (
	"crypto/rsa"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/jwtgate/jwtgate/core"
)

// metric reads one unlabelled series of /metrics.
func (e *env) metric(name string) float64 {
	e.t.Helper()
	r := e.get("/metrics")
	require.Equal(e.t, http.StatusOK, r.status)
	m := regexp.MustCompile(`(?m)^` + name + ` (\S+)$`).FindStringSubmatch(r.body)
	require.NotNil(e.t, m, "no series %s", name)
	v, err := strconv.ParseFloat(m[1], 64)
	require.NoError(e.t, err)
	return v
}

// serve answers a repeated token from its cache, follows the issuer's key
// rotation (the old key's token refused as soon as the new set is
// fetched), and a reload starts with an empty cache.
func TestServeDecisionCache(t *testing.T) {
	e := newEnv(t, envOptions{})
	_, ok := e.srv.cur.Load().engine.(*core.Cache)
	require.True(t, ok, "the cache is on by default")
	old := e.okeraToken(0, "okera-1", nil)
	for range 3 {
		r := e.verify(old)
		require.Equal(t, http.StatusOK, r.status, r.body)
	}
	assert.GreaterOrEqual(t, e.metric("jwtgate_decision_cache_hits_total"), 1.0)
	assert.GreaterOrEqual(t, e.metric("jwtgate_decision_cache_misses_total"), 1.0)
	assert.Equal(t, 1.0, e.metric("jwtgate_decision_cache_entries"))

	// The issuer rotates okera-1 out; a token of okera-2 brings the new set.
	e.jwks.set(answer(http.StatusOK, jwksBody(t, map[string]*rsa.PrivateKey{"okera-2": rsaKey(t, 1)})))
	r := e.verify(e.okeraToken(1, "okera-2", nil))
	require.Equal(t, http.StatusOK, r.status, r.body)
	r = e.verify(old)
	assert.Equal(t, http.StatusUnauthorized, r.status, "the rotated-away key's token is refused: %s", r.body)

	hits := e.metric("jwtgate_decision_cache_hits_total")
	require.NoError(t, e.srv.Reload())
	assert.Equal(t, 0.0, e.metric("jwtgate_decision_cache_entries"), "a reload drops the cache")
	assert.Equal(t, hits, e.metric("jwtgate_decision_cache_hits_total"), "the totals survive a reload")
}

func TestServeDecisionCacheOff(t *testing.T) {
	e := newEnv(t, envOptions{extra: "  decision_cache: {enabled: false}\n"})
	_, ok := e.srv.cur.Load().engine.(*core.Cache)
	assert.False(t, ok)
	tok := e.okeraToken(0, "okera-1", nil)
	for range 2 {
		require.Equal(t, http.StatusOK, e.verify(tok).status)
	}
	assert.Equal(t, 0.0, e.metric("jwtgate_decision_cache_hits_total"))
	assert.Equal(t, 0.0, e.metric("jwtgate_decision_cache_entries"))
}

func TestDecisionCacheSettings(t *testing.T) {
	policy := "integrations:\n  - name: okto\n    issuer: " + oktoIssuer + "\n    algorithms: [HS256]\n    keys: [{secret: " + oktoSecret + "}]\n"
	p, err := core.ParsePolicy("jwtgate.yaml", []byte(policy), core.LoadOptions{})
	require.NoError(t, err)
	parse := func(service string) (*config, error) {
		return parseService("jwtgate.yaml", []byte(policy+service), p, fileReader("jwtgate.yaml"), lookupEnv)
	}
	c, err := parse("")
	require.NoError(t, err)
	assert.Equal(t, cacheSettings{enabled: true, opts: core.CacheOptions{MaxEntries: 10_000, MaxBytes: 16 << 20, TTL: 5 * time.Minute}}, c.cache)
	c, err = parse("service:\n  decision_cache: {max_entries: 500, max_bytes: 1048576, ttl: 30s}\n")
	require.NoError(t, err)
	assert.Equal(t, cacheSettings{enabled: true, opts: core.CacheOptions{MaxEntries: 500, MaxBytes: 1 << 20, TTL: 30 * time.Second}}, c.cache)
	c, err = parse("service:\n  decision_cache: {enabled: false}\n")
	require.NoError(t, err)
	assert.False(t, c.cache.enabled)

	_, err = parse("service:\n  decision_cache:\n    max_entries: 0\n    max_bytes: 1000\n    ttl: 2h\n    size: 3\n")
	require.Error(t, err)
	assert.Equal(t, []string{
		"jwtgate.yaml:11: field service.decision_cache.size: unknown field in service.decision_cache; the fields are enabled, max_entries, max_bytes and ttl",
		"jwtgate.yaml:8: field service.decision_cache.max_entries: want 1 to 10000000, found 0",
		"jwtgate.yaml:9: field service.decision_cache.max_bytes: want 65536 to 68719476736, found 1000",
		"jwtgate.yaml:10: field service.decision_cache.ttl: want 1s to 1h0m0s, found 2h0m0s",
	}, strings.Split(err.Error(), "\n"))
}

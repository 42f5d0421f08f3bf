package server

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/jwtgate/jwtgate/core"
	"github.com/jwtgate/jwtgate/internal/yamlconfig"
	"github.com/jwtgate/jwtgate/jwks"
)

// The decision cache's settings live in the service section, not in the
// policy: the policy says which tokens are accepted, the same on every
// target, and a cache changes no decision; its size is this process's
// memory, which a browser page, a proxy filter and a server each choose
// for themselves (each host will get a knob of its own).

// Bounds of service.decision_cache.
const (
	maxCacheEntries = 10_000_000
	minCacheBytes   = 64 << 10
	maxCacheBytes   = 64 << 30
	maxCacheTTL     = time.Hour
)

// decisionCacheConfig is service.decision_cache.
type decisionCacheConfig struct {
	Enabled    *bool                `yaml:"enabled"`
	MaxEntries *int                 `yaml:"max_entries"`
	MaxBytes   *int64               `yaml:"max_bytes"`
	TTL        *yamlconfig.Duration `yaml:"ttl"`
}

// cacheSettings are the checked settings: off, or the cache's options.
type cacheSettings struct {
	enabled bool
	opts    core.CacheOptions
}

// decisionCache checks service.decision_cache; on by default.
func (p *serviceParser) decisionCache(c *config, dc decisionCacheConfig) {
	const f = "service.decision_cache."
	c.cache = cacheSettings{enabled: dc.Enabled == nil || *dc.Enabled, opts: core.CacheOptions{
		MaxEntries: core.DefaultCacheEntries, MaxBytes: core.DefaultCacheBytes, TTL: dc.TTL.Or(core.DefaultCacheTTL),
	}}
	if dc.MaxEntries != nil {
		if *dc.MaxEntries < 1 || *dc.MaxEntries > maxCacheEntries {
			p.fail(f+"max_entries", "want 1 to %d, found %d", maxCacheEntries, *dc.MaxEntries)
		}
		c.cache.opts.MaxEntries = *dc.MaxEntries
	}
	if dc.MaxBytes != nil {
		if *dc.MaxBytes < minCacheBytes || *dc.MaxBytes > maxCacheBytes {
			p.fail(f+"max_bytes", "want %d to %d, found %d", minCacheBytes, int64(maxCacheBytes), *dc.MaxBytes)
		}
		c.cache.opts.MaxBytes = *dc.MaxBytes
	}
	if ttl := c.cache.opts.TTL; ttl < time.Second || ttl > maxCacheTTL {
		p.fail(f+"ttl", "want 1s to %v, found %v", maxCacheTTL, ttl)
	}
}

// withCache puts the configuration's decision cache in front of engine,
// dropped with its key set's changes; a cache per configuration, so that
// a reload starts empty. The counters are the server's, so that the
// exported totals survive reloads.
func (s *Server) withCache(engine core.Engine, policy *core.Policy, c *config, fetcher *jwks.Fetcher) (core.Engine, error) {
	if !c.cache.enabled {
		return engine, nil
	}
	o := c.cache.opts
	o.Counters = s.metrics.cacheCounts
	if fetcher != nil {
		o.KeyGeneration = fetcher.Generation
	}
	return core.NewCache(engine, policy, o)
}

// registerCacheMetrics exports the decision cache's counts; entries reads
// the serving configuration's cache (0 when it is off).
func (m *metrics) registerCacheMetrics(current func() core.Engine) {
	counts := m.cacheCounts
	m.reg.MustRegister(
		prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name: "jwtgate_decision_cache_hits_total",
			Help: "Token decisions answered from the decision cache.",
		}, func() float64 { return float64(counts.Hits()) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name: "jwtgate_decision_cache_misses_total",
			Help: "Token decisions the decision cache passed to the engine (not cached, cacheable or not).",
		}, func() float64 { return float64(counts.Misses()) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "jwtgate_decision_cache_entries",
			Help: "Decisions held by the decision cache.",
		}, func() float64 {
			if c, ok := current().(*core.Cache); ok {
				return float64(c.Stats().Entries)
			}
			return 0
		}),
	)
}

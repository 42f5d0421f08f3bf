package server

import (
	"net/http"
	"sync"
	"sync/atomic"

	"github.com/jwtgate/jwtgate/core"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// metrics are the server's Prometheus metrics, in a registry of its own
// (so that two servers in one process, as in tests, do not collide). Label
// values come from the configuration and the code taxonomy only, never
// from a token, so their number is bounded.
type metrics struct {
	reg           *prometheus.Registry
	decisions     *prometheus.CounterVec
	latency       *prometheus.HistogramVec
	keyFetches    *prometheus.CounterVec
	storeErrors   *prometheus.CounterVec
	storeTimeouts *prometheus.CounterVec
	remoteCalls   *prometheus.CounterVec
	reloads       *prometheus.CounterVec
	inflight      prometheus.Gauge
	cacheCounts   *core.CacheCounters // the decision caches', one per configuration
	handler       http.Handler
	// integrations are the configured integration names, the only ones a
	// label may carry: a request names any integration it likes (the
	// callback's path), and each new label value would be a series kept
	// for the life of the process.
	integrations atomic.Pointer[map[string]bool]
	// counters holds the decision counter of each label triple met, so
	// that counting a decision is one map read, not the CounterVec's
	// hashing and locking of its labels on every request. It is bounded
	// as the series are: decision's labels are.
	counters sync.Map // decisionLabels → prometheus.Counter
}

// decisionLabels are the labels of one series of jwtgate_decisions_total.
type decisionLabels struct{ endpoint, integration, code string }

func newMetrics() *metrics {
	m := &metrics{reg: prometheus.NewRegistry(), cacheCounts: &core.CacheCounters{}}
	m.decisions = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "jwtgate_decisions_total",
		Help: "Token decisions, by endpoint, integration (\"none\" when no integration matched, \"unknown\" for a name not configured) and code (\"ok\" when valid).",
	}, []string{"endpoint", "integration", "code"})
	m.latency = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "jwtgate_http_request_duration_seconds",
		Help:    "Latency of HTTP requests, by endpoint.",
		Buckets: []float64{.0001, .00025, .0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
	}, []string{"endpoint"})
	m.keyFetches = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "jwtgate_key_fetches_total",
		Help: "Fetches of jwks_url key sets, by result (ok or error).",
	}, []string{"result"})
	m.storeErrors = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "jwtgate_store_errors_total",
		Help: "Failed store operations, by operation.",
	}, []string{"op"})
	m.storeTimeouts = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "jwtgate_store_timeouts_total",
		Help: "Store operations stopped at the store deadline, by operation (each also a failure).",
	}, []string{"op"})
	m.remoteCalls = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "jwtgate_remote_calls_total",
		Help: "Calls to remote validation endpoints and group resolvers, by kind and result (ok, rejected, error).",
	}, []string{"kind", "result"})
	m.reloads = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "jwtgate_config_reloads_total",
		Help: "Configuration reloads, by result (ok or error).",
	}, []string{"result"})
	m.inflight = prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "jwtgate_http_requests_in_flight",
		Help: "HTTP requests being served.",
	})
	m.reg.MustRegister(m.decisions, m.latency, m.keyFetches, m.storeErrors, m.storeTimeouts, m.remoteCalls, m.reloads, m.inflight,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	// Series that exist from the start, at zero.
	for _, op := range storeOps {
		m.storeErrors.WithLabelValues(op)
		m.storeTimeouts.WithLabelValues(op)
	}
	for _, r := range []string{"ok", "error"} {
		m.keyFetches.WithLabelValues(r)
		m.reloads.WithLabelValues(r)
	}
	m.handler = promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{})
	return m
}

// setIntegrations sets the integration names labels may carry.
func (m *metrics) setIntegrations(names []string) {
	known := make(map[string]bool, len(names))
	for _, n := range names {
		known[n] = true
	}
	m.integrations.Store(&known)
}

// decision counts a decision and returns the labels it was counted under.
// An integration that is not configured is "unknown", a code outside the
// taxonomy (a custom plugin's) "other", so that the number of series stays
// bounded whatever clients send.
func (m *metrics) decision(endpoint, integration, code string) (integrationLabel, codeLabel string) {
	switch known := m.integrations.Load(); {
	case integration == "":
		integration = "none"
	case known == nil || !(*known)[integration]:
		integration = "unknown"
	}
	switch {
	case code == "":
		code = "ok"
	case core.Code(code).Message() == "":
		code = "other"
	}
	k := decisionLabels{endpoint, integration, code}
	c, ok := m.counters.Load(k)
	if !ok {
		c, _ = m.counters.LoadOrStore(k, m.decisions.WithLabelValues(endpoint, integration, code))
	}
	c.(prometheus.Counter).Inc()
	return integration, code
}

// storeOps are the op labels of the store metrics: the store's methods.
var storeOps = []string{"claim", "upsert_subject", "get_subject", "sync_integrations", "create_session", "get_session", "revoke_session", "ping"}

func (m *metrics) storeError(op string) { m.storeErrors.WithLabelValues(op).Inc() }

func (m *metrics) storeTimeout(op string) { m.storeTimeouts.WithLabelValues(op).Inc() }

func (m *metrics) keyFetch(_ string, err error) {
	if err != nil {
		m.keyFetches.WithLabelValues("error").Inc()
		return
	}
	m.keyFetches.WithLabelValues("ok").Inc()
}

// latencyOf is the latency histogram of an endpoint, looked up once, when
// the endpoint's handler is built, not on each of its requests.
func (m *metrics) latencyOf(endpoint string) prometheus.Observer {
	return m.latency.WithLabelValues(endpoint)
}

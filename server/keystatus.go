package server

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/jwtgate/jwtgate/jwks"
)

// keyStatus returns the state of each integration's jwks_url and discovery
// key sets:
// the worst of its URLs' (see jwks.Status), "ok" without any.
func (s *Server) keyStatus() map[string]jwks.Status {
	c := s.cur.Load()
	f := c.fetcher
	out := make(map[string]jwks.Status, len(c.integrations))
	for _, name := range c.policy.Integrations() {
		info, _ := c.policy.Integration(name)
		st := jwks.StatusOK
		urls := info.JWKSURLs
		if info.DiscoveryURL != "" {
			urls = append(urls, info.DiscoveryURL)
		}
		for _, url := range urls {
			got := jwks.StatusUnknown
			if f != nil {
				got = f.Status(url)
			}
			if severity[got] > severity[st] {
				st = got
			}
		}
		out[name] = st
	}
	return out
}

// severity orders key set states from good to bad.
var severity = map[jwks.Status]int{
	jwks.StatusOK: 0, jwks.StatusStale: 1, jwks.StatusLoading: 2, jwks.StatusFailing: 3, jwks.StatusUnknown: 4,
}

// keyStatusCollector exports keyStatus as jwtgate_integration_keys{integration,
// status} = 1 for each configured integration's current state: labels
// come from the configuration and a fixed list, so they stay bounded.
type keyStatusCollector struct{ s *Server }

var keyStatusDesc = prometheus.NewDesc("jwtgate_integration_keys",
	"The state of each integration's jwks_url key sets (ok, stale, loading, failing): 1 for the current state.",
	[]string{"integration", "status"}, nil)

func (k keyStatusCollector) Describe(ch chan<- *prometheus.Desc) { ch <- keyStatusDesc }

func (k keyStatusCollector) Collect(ch chan<- prometheus.Metric) {
	for name, st := range k.s.keyStatus() {
		ch <- prometheus.MustNewConstMetric(keyStatusDesc, prometheus.GaugeValue, 1, name, string(st))
	}
}

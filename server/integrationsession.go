package server

import (
	"net/http"
	"strings"
	"time"

	"github.com/jwtgate/jwtgate/internal/yamlconfig"
)

// integrationSessionConfig is an integration's own session settings
// (service.integrations.NAME.session), within what service.session
// allows: a lifetime no longer than the service's, an idle timeout, and a
// SameSite no laxer than the service's.
type integrationSessionConfig struct {
	TTL         *yamlconfig.Duration `yaml:"ttl"`
	IdleTimeout *yamlconfig.Duration `yaml:"idle_timeout"`
	SameSite    string               `yaml:"same_site"`
}

// minIdleTimeout bounds idle_timeout from below; a session's use is
// recorded at most every idleTouchFraction of it, so that a busy session
// does not write to the store on every request.
const (
	minIdleTimeout    = time.Minute
	idleTouchFraction = 20
)

// sessionSettings reads an integration's session settings into in.
func (p *serviceParser) sessionSettings(c *config, in *integ, field string, sc *integrationSessionConfig) {
	if sc == nil {
		return
	}
	field += ".session"
	if ttl := sc.TTL.Or(0); sc.TTL != nil {
		if ttl < time.Minute || ttl > c.sessionTTL {
			p.fail(field+".ttl", "want 1m to service.session.ttl (%s), found %s", c.sessionTTL, ttl)
		} else {
			in.sessionTTL = ttl
		}
	}
	if idle := sc.IdleTimeout.Or(0); sc.IdleTimeout != nil {
		if limit := in.ttlOr(c.sessionTTL); idle < minIdleTimeout || idle > limit {
			p.fail(field+".idle_timeout", "want 1m to the session's lifetime (%s), found %s", limit, idle)
		} else {
			in.idleTimeout = idle
		}
	}
	if sc.SameSite == "" {
		return
	}
	ss, ok := map[string]http.SameSite{"lax": http.SameSiteLaxMode, "strict": http.SameSiteStrictMode, "none": http.SameSiteNoneMode}[strings.ToLower(sc.SameSite)]
	switch {
	case !ok:
		p.fail(field+".same_site", "want lax, strict or none, found %q", sc.SameSite)
	case strictness(ss) < strictness(c.sameSite):
		p.fail(field+".same_site", "%s is laxer than service.session.same_site; an integration may only tighten it", strings.ToLower(sc.SameSite))
	default:
		in.sameSite = ss
	}
}

// strictness orders SameSite from none (sent everywhere) to strict.
func strictness(s http.SameSite) int {
	switch s {
	case http.SameSiteStrictMode:
		return 2
	case http.SameSiteNoneMode:
		return 0
	}
	return 1
}

// ttlOr is the integration's session lifetime, or the service's.
func (in *integ) ttlOr(service time.Duration) time.Duration {
	if in != nil && in.sessionTTL > 0 {
		return in.sessionTTL
	}
	return service
}

// idleExpired reports whether a session of the integration, last used at
// used, has been idle too long at now; touch, whether its use is worth
// recording.
func (in *integ) idleExpired(used, now time.Time) (expired, touch bool) {
	if in == nil || in.idleTimeout == 0 {
		return false, false
	}
	idle := now.Sub(used)
	return idle >= in.idleTimeout, idle >= in.idleTimeout/idleTouchFraction
}

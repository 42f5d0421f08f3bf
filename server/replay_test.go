package server

import (
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A one-time token that never expires (exp 9999999999999, a common
// "never", and beyond), or lives as long as max_age allows, is accepted
// once and then refused as replayed, on either store, through the real
// endpoints, for as long as it lives.
func TestOneTimeTokenFarFutureIsUsedOnce(t *testing.T) {
	eachStore(t, func(t *testing.T, dsn string) {
		for _, c := range []struct {
			name   string
			policy string // added to the Authonomy integration
			claims func(now time.Time) map[string]any
		}{
			{"exp 9999999999999", "", func(time.Time) map[string]any {
				return map[string]any{"exp": int64(9999999999999)}
			}},
			{"exp 1e300", "", func(time.Time) map[string]any {
				return map[string]any{"exp": 1e300}
			}},
			{"exp 9999999999999, the largest clock_skew", "    clock_skew: 10m\n", func(time.Time) map[string]any {
				return map[string]any{"exp": int64(9999999999999)}
			}},
			{"no exp, the largest max_age, iat at the skew's edge", "    clock_skew: 10m\n    max_age: 2562047h\n", func(now time.Time) map[string]any {
				return map[string]any{"exp": nil, "iat": now.Add(10 * time.Minute).Unix()}
			}},
		} {
			t.Run(c.name, func(t *testing.T) {
				e := newEnv(t, envOptions{dsn: dsn, noStart: true})
				e.write(strings.Replace(e.testConfig(""), "    one_time_use: true\n", "    one_time_use: true\n"+c.policy, 1))
				e.srv = e.start(filepath.Join(e.dir, "data"))
				e.url = httptestServer(t, e.srv)

				tok := e.authonomyToken(c.claims(e.clock.Now()))
				r := e.verify(tok)
				require.Equal(t, http.StatusOK, r.status, r.body)
				r = e.verify(tok)
				assert.Equal(t, http.StatusUnauthorized, r.status)
				assert.Equal(t, "token_replayed", r.json["error"])
				r = e.get("/auth/jwt?token="+url.QueryEscape(tok), "Accept", "application/json")
				assert.Equal(t, "token_replayed", r.json["error"], "sign-in")

				// A century later the token is still valid, and still used.
				e.clock.Advance(100 * 365 * 24 * time.Hour)
				r = e.verify(tok)
				assert.Equal(t, "token_replayed", r.json["error"], "a century later")

				// A fresh token of the same kind is accepted: the store works.
				tok = e.authonomyToken(c.claims(e.clock.Now()))
				r = e.get("/auth/jwt?token="+url.QueryEscape(tok), "Accept", "application/json")
				require.Equal(t, http.StatusOK, r.status, r.body)
				r = e.verify(tok)
				assert.Equal(t, "token_replayed", r.json["error"], "after sign-in")
			})
		}
	})
}

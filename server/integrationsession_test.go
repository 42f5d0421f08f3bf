package server

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// An integration's own session settings: a shorter lifetime, an idle
// timeout that a use pushes back, and a stricter SameSite.
func TestIntegrationSessionSettings(t *testing.T) {
	e := newAdminEnv(t, envOptions{})
	doc := `{"policy":{"issuer":"` + acmeIssuer + `","algorithms":["HS256"],"keys":[{"secret":"` + acmeSecret + `"}],"max_age":"10m"},
		"service":{"session":{"ttl":"2h","idle_timeout":"10m","same_site":"strict"}}}`
	e.admin(http.MethodPut, "/v1/admin/tenants/acme/integrations/sso", doc).expect(t, http.StatusCreated)
	signIn := func() *http.Client {
		c := withJar(t)
		tok := mint(t, []byte(acmeSecret), "", claims(e.clock.Now(), acmeIssuer, map[string]any{"sub": "ada"}))
		r := send(t, c, http.MethodPost, e.url+"/auth/jwt", strings.NewReader(form("token", tok)), "Content-Type", "application/x-www-form-urlencoded")
		require.Equal(t, http.StatusSeeOther, r.status, r.body)
		ck := r.resp.Cookies()[0]
		assert.Equal(t, 7200, ck.MaxAge)
		assert.Equal(t, http.SameSiteStrictMode, ck.SameSite)
		return c
	}
	session := func(c *http.Client) int { return send(t, c, http.MethodGet, e.url+"/v1/session", nil).status }

	c := signIn()
	e.clock.Advance(11 * time.Minute)
	assert.Equal(t, http.StatusUnauthorized, session(c), "idle for 11m")

	c = signIn()
	for range 4 { // used every 6m: never idle for 10m, alive at 24m
		e.clock.Advance(6 * time.Minute)
		require.Equal(t, http.StatusOK, session(c))
	}
	e.clock.Advance(10 * time.Minute)
	assert.Equal(t, http.StatusUnauthorized, session(c))
}

// The settings stay within the service's: no longer lifetime, no laxer
// SameSite, an idle timeout within the lifetime.
func TestIntegrationSessionSettingsRefused(t *testing.T) {
	e := newAdminEnv(t, envOptions{})
	for field, svc := range map[string]string{
		"service.session.ttl":          `{"session":{"ttl":"9h"}}`,
		"service.session.same_site":    `{"session":{"same_site":"none"}}`,
		"service.session.idle_timeout": `{"session":{"ttl":"1h","idle_timeout":"2h"}}`,
	} {
		doc := `{"policy":{"issuer":"` + acmeIssuer + `","algorithms":["HS256"],"keys":[{"secret":"` + acmeSecret + `"}],"max_age":"10m"},"service":` + svc + `}`
		r := e.admin(http.MethodPut, "/v1/admin/tenants/acme/integrations/sso", doc).expect(t, http.StatusUnprocessableEntity)
		assert.Contains(t, r.body, `"field":"`+field+`"`, r.body)
	}
}

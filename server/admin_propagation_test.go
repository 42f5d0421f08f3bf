package server

import (
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Two instances share PostgreSQL: a change made through one is in force
// on the other by its notification, well before the reconcile would find
// it, and a disconnect refuses the integration's tokens there too.
func TestAdminChangeReachesOtherInstance(t *testing.T) {
	e := newAdminEnv(t, envOptions{dsn: testPostgres(t)})
	other := e.start(filepath.Join(e.dir, "data-b"))
	b := httptest.NewServer(other.Handler())
	t.Cleanup(b.Close)
	verifyOn := func(url, tok string) int {
		return send(t, nil, http.MethodPost, url+"/v1/verify", nil, "Authorization", "Bearer "+tok).status
	}
	tok := mint(t, []byte(acmeSecret), "", claims(e.clock.Now(), acmeIssuer, map[string]any{"sub": "ada"}))
	require.Equal(t, http.StatusUnauthorized, verifyOn(b.URL, tok))

	// Within less than the reconcile interval: the notification did it.
	within := reconcileEvery - 500*time.Millisecond
	e.admin(http.MethodPut, "/v1/admin/tenants/acme/integrations/sso", secretDoc(acmeIssuer, acmeSecret)).expect(t, http.StatusCreated)
	assert.Eventually(t, func() bool { return verifyOn(b.URL, tok) == http.StatusOK }, within, 10*time.Millisecond)

	// Changed through the second instance: the first follows.
	g := send(t, nil, http.MethodGet, b.URL+"/v1/admin/tenants/acme/integrations/sso", nil, "Authorization", "Bearer "+adminToken)
	require.Equal(t, `"1"`, g.header.Get("ETag"))
	u := send(t, nil, http.MethodPut, b.URL+"/v1/admin/tenants/acme/integrations/sso",
		strings.NewReader(`{"policy":{"issuer":"`+acmeIssuer+`","algorithms":["HS256"],"keys":[{"secret":"`+acmeSecret+`"}],"max_age":"10m","audiences":["app"]}}`),
		"Authorization", "Bearer "+adminToken, "If-Match", `"1"`)
	require.Equal(t, http.StatusOK, u.status, u.body)
	assert.Eventually(t, func() bool { return verifyOn(e.url, tok) == http.StatusUnauthorized }, within, 10*time.Millisecond, "no aud: refused by the new revision")

	withAud := mint(t, []byte(acmeSecret), "", claims(e.clock.Now(), acmeIssuer, map[string]any{"sub": "ada", "aud": "app"}))
	require.Equal(t, http.StatusOK, verifyOn(e.url, withAud))
	e.admin(http.MethodDelete, "/v1/admin/tenants/acme/integrations/sso", "").expect(t, http.StatusNoContent)
	assert.Equal(t, http.StatusUnauthorized, verifyOn(e.url, withAud), "refused at once where it was disconnected")
	assert.Eventually(t, func() bool { return verifyOn(b.URL, withAud) == http.StatusUnauthorized }, within, 10*time.Millisecond)
}

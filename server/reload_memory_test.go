package server

import (
	"context"
	"net/http"
	"runtime"
	"strings"
	"testing"
	"time"
	"weak"

	"github.com/stretchr/testify/require"
)

// A configuration replaced by a change is freed once no request uses it,
// not held for the minute after which its engines are closed: with
// thousands of stored integrations each is megabytes (and its decision
// cache up to its max_bytes), and admins may make many changes a minute.
func TestReplacedConfigurationIsFreed(t *testing.T) {
	e := newAdminEnv(t, envOptions{})
	const path = "/v1/admin/tenants/acme/integrations/sso"
	e.admin(http.MethodPut, path, secretDoc(acmeIssuer, acmeSecret)).expect(t, http.StatusCreated)
	tok := mint(t, []byte(acmeSecret), "", claims(e.clock.Now(), acmeIssuer, map[string]any{"sub": "ada"}))
	e.verify(tok).expect(t, http.StatusOK) // its cache holds a decision
	old := weak.Make(e.srv.cur.Load())
	e.admin(http.MethodPut, path, strings.Replace(secretDoc(acmeIssuer, acmeSecret), "10m", "5m", 1), "If-Match", `"1"`).expect(t, http.StatusOK)
	require.NoError(t, e.srv.refreshStored(context.Background()))
	require.Eventually(t, func() bool {
		runtime.GC()
		return old.Value() == nil
	}, 5*time.Second, 50*time.Millisecond, "the replaced configuration is still reachable")
}

package server

import (
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/jwtgate/jwtgate/internal/secretdoc"
)

// The secrets key rotates: with the new key current and the old one
// previous, stored integrations keep serving; POST /v1/admin/reseal seals
// every revision with the new key; then the old key can go. Without the
// reseal, dropping it leaves the integration out (refused), never served
// on a document nobody can open.
func TestSecretsKeyRotation(t *testing.T) {
	e := newAdminEnv(t, envOptions{})
	const path = "/v1/admin/tenants/acme/integrations/sso"
	e.admin(http.MethodPut, path, secretDoc(acmeIssuer, acmeSecret)).expect(t, http.StatusCreated)
	e.admin(http.MethodPut, path, strings.Replace(secretDoc(acmeIssuer, acmeSecret), "10m", "5m", 1), "If-Match", `"1"`).expect(t, http.StatusOK)
	tok := mint(t, []byte(acmeSecret), "", claims(e.clock.Now(), acmeIssuer, map[string]any{"sub": "ada"}))
	_, err := secretdoc.GenerateKeyFile(filepath.Join(e.dir, "new.key"))
	require.NoError(t, err)
	base, err := os.ReadFile(e.config)
	require.NoError(t, err)
	withKeys := func(keys string) {
		e.write(strings.Replace(string(base), "  secrets_key_file: secrets.key\n", keys, 1))
		require.NoError(t, e.srv.Reload())
	}

	withKeys("  secrets_key_file: new.key\n  previous_secrets_key_files: [secrets.key]\n")
	e.verify(tok).expect(t, http.StatusOK)
	assert.Contains(t, e.logs.String(), "not sealed with the current secrets key")

	withKeys("  secrets_key_file: new.key\n") // the old key dropped too soon
	assert.Equal(t, http.StatusUnauthorized, e.verify(tok).status)

	withKeys("  secrets_key_file: new.key\n  previous_secrets_key_files: [secrets.key]\n")
	acme := e.tenantCredential("acme")
	e.adminAs(acme, http.MethodPost, "/v1/admin/reseal", "").expect(t, http.StatusForbidden)
	r := e.admin(http.MethodPost, "/v1/admin/reseal", "").expect(t, http.StatusOK)
	assert.Equal(t, float64(2), r.json["resealed"], "both revisions, the old one too")
	assert.Equal(t, float64(0), r.json["unreadable"])
	again := e.admin(http.MethodPost, "/v1/admin/reseal", "").expect(t, http.StatusOK)
	assert.Equal(t, float64(0), again.json["resealed"], "nothing left to reseal")

	withKeys("  secrets_key_file: new.key\n")
	e.verify(tok).expect(t, http.StatusOK)
	e.admin(http.MethodPost, path+"/rollback", `{"revision":1}`, "If-Match", `"2"`).expect(t, http.StatusOK) // the old revision opens too
}

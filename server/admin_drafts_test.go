package server

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A draft runs in shadow: the requests where it would decide otherwise
// are counted and sampled (codes and failed checks, never a token or a
// claim), promoting it is one call, and a rollback restores the earlier
// revision.
func TestAdminDraftShadowPromoteRollback(t *testing.T) {
	e := newAdminEnv(t, envOptions{})
	const path = "/v1/admin/tenants/acme/integrations/sso"
	e.admin(http.MethodPut, path, secretDoc(acmeIssuer, acmeSecret)).expect(t, http.StatusCreated)
	// The draft requires an email claim the tokens do not carry.
	draft := strings.Replace(secretDoc(acmeIssuer, acmeSecret), `"max_age"`, `"required_claims":["email"],"max_age"`, 1)
	d := e.admin(http.MethodPut, path+"/draft", draft).expect(t, http.StatusOK)
	assert.Equal(t, float64(2), d.json["draft_revision"])

	withEmail := mint(t, []byte(acmeSecret), "", claims(e.clock.Now(), acmeIssuer, map[string]any{"sub": "bea", "email": "bea@acme.example"}))
	for i := range 3 {
		tok := mint(t, []byte(acmeSecret), "", claims(e.clock.Now(), acmeIssuer, map[string]any{"sub": "ada", "n": i}))
		e.verify(tok).expect(t, http.StatusOK) // the live revision decides
	}
	e.verify(withEmail).expect(t, http.StatusOK)

	var shadow map[string]any
	require.Eventually(t, func() bool {
		g := e.admin(http.MethodGet, path+"/draft", "").expect(t, http.StatusOK)
		shadow = g.json["shadow"].(map[string]any)
		return shadow["compared"] == float64(4)
	}, 5*time.Second, 20*time.Millisecond)
	assert.Equal(t, float64(3), shadow["differed"])
	samples := shadow["samples"].([]any)
	require.Len(t, samples, 3)
	s0 := samples[0].(map[string]any)
	assert.Equal(t, "valid", s0["live_code"])
	assert.Equal(t, "required_claims_failed", s0["draft_code"])
	assert.NotEmpty(t, s0["draft_failed_check"])
	body := jsonOf(t, shadow)
	assert.NotContains(t, body, "ada", "no claim value in a sample")
	assert.NotContains(t, body, "eyJ", "no token in a sample")

	// Promote: the draft's ETag is required; then it decides.
	e.admin(http.MethodPost, path+"/draft/promote", "").expect(t, http.StatusPreconditionRequired)
	p := e.admin(http.MethodPost, path+"/draft/promote", "", "If-Match", `"2"`).expect(t, http.StatusOK)
	assert.Equal(t, `"3"`, p.header.Get("ETag"))
	tok := mint(t, []byte(acmeSecret), "", claims(e.clock.Now(), acmeIssuer, map[string]any{"sub": "ada"}))
	assert.Equal(t, http.StatusUnauthorized, e.verify(tok).status, "the promoted revision requires email")
	e.admin(http.MethodGet, path+"/draft", "").expect(t, http.StatusNotFound)

	// Roll back to revision 1: a new revision, and tokens without email pass again.
	e.admin(http.MethodPost, path+"/rollback", `{"revision":1}`, "If-Match", `"1"`).expect(t, http.StatusPreconditionFailed)
	rb := e.admin(http.MethodPost, path+"/rollback", `{"revision":1}`, "If-Match", `"3"`).expect(t, http.StatusOK)
	assert.Equal(t, `"4"`, rb.header.Get("ETag"))
	assert.Contains(t, rb.body, `"path":"policy.required_claims"`)
	e.verify(tok).expect(t, http.StatusOK)
	rev := e.admin(http.MethodGet, path+"/revisions/4", "").expect(t, http.StatusOK)
	assert.Equal(t, "rollback to 1", rev.json["note"])
	assert.NotContains(t, rev.body, acmeSecret)

	// The token tester: the live revision, and an unsaved document whose
	// secret is kept by its fingerprint.
	tr := e.admin(http.MethodPost, path+"/test", `{"token":"`+tok+`"}`).expect(t, http.StatusOK)
	assert.Equal(t, true, tr.json["valid"])
	assert.NotEmpty(t, tr.json["trace"])
	live := e.admin(http.MethodGet, path, "").expect(t, http.StatusOK)
	unsaved := `{"policy":` + strings.Replace(jsonOf(t, live.json["policy"]), `"max_age"`, `"required_claims":["email"],"max_age"`, 1) + `}`
	tu := e.admin(http.MethodPost, path+"/test", `{"token":"`+tok+`","integration":`+unsaved+`}`).expect(t, http.StatusOK)
	assert.Equal(t, "required_claims_failed", tu.json["code"])
	e.verify(tok).expect(t, http.StatusOK) // testing saved nothing
}

// Without a secrets key a shared secret is refused; public keys are
// stored. A sealed document holds no secret in the store.
func TestAdminSecretsKeyRequired(t *testing.T) {
	e := newEnv(t, envOptions{})
	e.admin(http.MethodPost, "/v1/admin/tenants", `{"id":"acme"}`).expect(t, http.StatusCreated)
	r := e.admin(http.MethodPut, "/v1/admin/tenants/acme/integrations/sso", secretDoc(acmeIssuer, acmeSecret)).expect(t, http.StatusUnprocessableEntity)
	assert.Equal(t, "secrets_key_required", r.json["code"])
	pub := `{"policy":{"issuer":"` + acmeIssuer + `","algorithms":["RS256"],"keys":[{"jwks_url":"` + e.jwks.URL + `/okera.json"}]}}`
	e.admin(http.MethodPut, "/v1/admin/tenants/acme/integrations/sso", pub).expect(t, http.StatusCreated)
}

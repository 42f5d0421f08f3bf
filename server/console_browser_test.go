package server

import (
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/jwtgate/jwtgate/internal/browsertest"
)

// consoleRun is what testdata/console.mjs reports: one entry per step, and
// what the browser said about the page.
type consoleRun struct {
	Steps         map[string]consoleStep `json:"steps"`
	Fresh         []string               `json:"fresh"`
	ConsoleErrors []string               `json:"consoleErrors"`
	PageErrors    []string               `json:"pageErrors"`
	Violations    []string               `json:"violations"`
	Unlabelled    []string               `json:"unlabelled"`
}

type consoleStep struct {
	Hash       string            `json:"hash"`
	Stored     bool              `json:"stored"`
	Cookie     string            `json:"cookie"`
	Who        string            `json:"who"`
	Focus      string            `json:"focus"`
	Live       string            `json:"live"`
	Tenants    []string          `json:"tenants"`
	Rows       map[string]string `json:"rows"`
	Valid      bool              `json:"valid"`
	Checks     []string          `json:"checks"`
	FieldError string            `json:"fieldError"`
	Invalid    bool              `json:"invalid"`
	Summary    []string          `json:"summary"`
	Shift      float64           `json:"shift"`
	Diff       []string          `json:"diff"`
	Revisions  []string          `json:"revisions"`
	DialogOpen bool              `json:"dialogOpen"`
	NavTenants bool              `json:"navTenants"`
	Other      int               `json:"other"`
}

// TestBrowserConsole drives the admin console at /admin/ in headless
// Chromium against a real server: a login link, integrations of the three
// kinds added by their forms, the token tester's checklist, a field error
// at its field, a rollback, a disconnect behind its dialog, and a tenant
// admin who sees its tenant only. Each step leaves a screenshot in
// build/artifacts/console-NN-step.png.
func TestBrowserConsole(t *testing.T) {
	tools := browsertest.Find(t)
	ctx, cancel := browsertest.Context(t)
	defer cancel()
	e := newAdminEnv(t, envOptions{})

	// Another tenant, with an integration acme's admin must not see.
	const globexIssuer = "https://idp.globex.example"
	e.admin(http.MethodPost, "/v1/admin/tenants", `{"id":"globex","name":"Globex"}`).expect(t, http.StatusCreated)
	e.admin(http.MethodPut, "/v1/admin/tenants/globex/integrations/globex-app", secretDoc(globexIssuer, acmeSecret)).expect(t, http.StatusCreated)

	link := e.admin(http.MethodPost, "/v1/admin/login-links", `{}`).expect(t, http.StatusCreated)
	_, fragment, ok := strings.Cut(link.json["url"].(string), "#")
	require.True(t, ok, "a login link carries its code in the fragment: %s", link.body)

	pub, err := x509.MarshalPKIXPublicKey(&rsaKey(t, 1).PublicKey)
	require.NoError(t, err)
	artifacts, err := filepath.Abs(filepath.Join("..", "build", "artifacts"))
	require.NoError(t, err)
	require.NoError(t, os.MkdirAll(artifacts, 0o755))

	in := map[string]any{
		"chromium": tools.Chromium, "chromiumArgs": browsertest.ChromiumArgs, "nodeModules": tools.Modules,
		"base": e.url, "loginURL": e.url + "/admin/#" + fragment, "artifacts": artifacts,
		"shared":      map[string]string{"name": "jwt-auth", "issuer": acmeIssuer, "secret": acmeSecret, "maxAge": "10m"},
		"validToken":  mint(t, []byte(acmeSecret), "", claims(e.clock.Now(), acmeIssuer, map[string]any{"sub": "ada"})),
		"public":      map[string]string{"name": "authonomy-pk", "issuer": "https://login.acme.example", "pem": string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pub})), "audiences": "acme-app", "claims": "email", "domains": "app.acme.example"},
		"remote":      map[string]string{"name": "okto-rv", "issuer": "https://wallet.acme.example", "secret": "okto-like-shared-secret-0123456789-abcdef", "url": e.okto.URL + "/verify", "subject": "user_id"},
		"short":       map[string]string{"name": "too-short", "issuer": "https://short.acme.example", "secret": "short"},
		"tenantAdmin": e.tenantCredential("acme"),
	}
	var out consoleRun
	require.NoError(t, tools.Run(ctx, t, t.TempDir(), filepath.Join("testdata", "console.mjs"), in, &out))

	assert.Empty(t, out.Violations, "securitypolicyviolation events")
	assert.Empty(t, out.PageErrors)
	assert.Empty(t, out.Fresh, "a fresh load of /admin/ logs nothing")
	for _, m := range out.ConsoleErrors {
		// A refused request (the 422 of the short secret) is logged by
		// the browser itself; nothing else may be.
		assert.Contains(t, m, "Failed to load resource", "console error")
	}
	assert.Empty(t, out.Unlabelled, "every input has a label")

	step := func(name string) consoleStep {
		s, ok := out.Steps[name]
		require.True(t, ok, "no step %s", name)
		return s
	}
	s := step("signed-in")
	assert.Empty(t, s.Hash, "the login code is taken off the address")
	assert.True(t, s.Stored, "the credential is in sessionStorage")
	assert.Empty(t, s.Cookie, "and never in a cookie")
	assert.Contains(t, s.Who, "operator")
	assert.Equal(t, "view-tenants", s.Focus, "the focus is on the new view's heading")
	assert.Contains(t, s.Tenants, "acme")
	assert.Contains(t, s.Tenants, "globex")

	s = step("tenant")
	assert.Equal(t, "view-integrations", s.Focus)
	assert.Empty(t, s.Rows, "acme has no integration yet")

	s = step("shared-added")
	require.Contains(t, s.Rows, "jwt-auth")
	assert.Contains(t, s.Rows["jwt-auth"], "active")
	assert.Contains(t, s.Rows["jwt-auth"], acmeIssuer)
	assert.Contains(t, s.Live, "jwt-auth saved")
	g := e.admin(http.MethodGet, "/v1/admin/tenants/acme/integrations/jwt-auth", "").expect(t, http.StatusOK)
	assert.Equal(t, "10m", g.json["policy"].(map[string]any)["max_age"], "the form's max age is stored")

	s = step("tested")
	assert.True(t, s.Valid, "%+v", s)
	assert.Contains(t, s.Checks, "pass Signature")
	assert.Contains(t, s.Checks, "pass Issuer")
	assert.Contains(t, s.Checks, "info One-time use", "the tester's own note")

	s = step("public-added")
	require.Contains(t, s.Rows, "authonomy-pk")
	assert.Contains(t, s.Rows["authonomy-pk"], "active")
	g = e.admin(http.MethodGet, "/v1/admin/tenants/acme/integrations/authonomy-pk", "").expect(t, http.StatusOK)
	policy := g.json["policy"].(map[string]any)
	assert.Equal(t, []any{"RS256"}, policy["algorithms"])
	assert.Equal(t, []any{"acme-app"}, policy["audiences"])
	assert.Equal(t, []any{"email"}, policy["required_claims"])
	assert.Equal(t, map[string]any{"allowed_domains": []any{"app.acme.example"}}, policy["redirect"])
	assert.Contains(t, policy["keys"].([]any)[0].(map[string]any)["pem"], "BEGIN PUBLIC KEY")

	s = step("remote-added")
	require.Contains(t, s.Rows, "okto-rv")
	// Disconnected later on: its first revision has the document.
	g = e.admin(http.MethodGet, "/v1/admin/tenants/acme/integrations/okto-rv/revisions/1", "").expect(t, http.StatusOK)
	assert.Equal(t, map[string]any{"remote_validation": map[string]any{"url": e.okto.URL + "/verify", "subject_field": "user_id"}},
		g.json["document"].(map[string]any)["service"])

	s = step("field-error")
	assert.Contains(t, s.FieldError, "32", "the reason is shown beside the secret: %+v", s)
	assert.True(t, s.Invalid, "the secret is marked aria-invalid")
	assert.Empty(t, s.Summary, "a mapped problem is not repeated in the summary")
	assert.Equal(t, "f-secret", s.Focus, "the focus goes to the field at fault")
	assert.InDelta(t, 0, s.Shift, 0.5, "showing the error moves nothing (its room is reserved)")
	e.admin(http.MethodGet, "/v1/admin/tenants/acme/integrations/too-short", "").expect(t, http.StatusNotFound)

	s = step("rolled-back")
	assert.Contains(t, strings.Join(s.Diff, "\n"), "policy.max_age", "the diff of revision 2")
	assert.Contains(t, s.Live, "Rolled back to revision 1: now revision 3")
	g = e.admin(http.MethodGet, "/v1/admin/tenants/acme/integrations/jwt-auth", "").expect(t, http.StatusOK)
	assert.Equal(t, "10m", g.json["policy"].(map[string]any)["max_age"], "revision 1's document is live again")
	assert.Equal(t, `"3"`, g.header.Get("ETag"))
	require.NotEmpty(t, s.Revisions)
	assert.Contains(t, s.Revisions[0], "rollback")

	s = step("dialog")
	assert.True(t, s.DialogOpen)
	s = step("kept")
	assert.Contains(t, s.Rows, "okto-rv", "Escape keeps it")
	s = step("disconnected")
	assert.NotContains(t, s.Rows, "okto-rv")
	assert.Contains(t, s.Live, "okto-rv disconnected")
	e.admin(http.MethodGet, "/v1/admin/tenants/acme/integrations/okto-rv", "").expect(t, http.StatusNotFound)

	s = step("signed-out")
	assert.False(t, s.Stored, "signing out forgets the credential")
	assert.Equal(t, "view-signin", s.Focus)

	s = step("refused")
	assert.Contains(t, s.FieldError, "refused", "a wrong credential is refused at its field")
	assert.False(t, s.Stored, "and not kept")

	s = step("tenant-admin")
	assert.Contains(t, s.Who, "admin of acme")
	assert.Equal(t, "view-integrations", s.Focus, "a tenant admin lands on its integrations")
	assert.False(t, s.NavTenants, "no tenant list for a tenant admin")
	assert.Contains(t, s.Rows, "jwt-auth")
	assert.NotContains(t, s.Rows, "globex-app")
	assert.Equal(t, http.StatusNotFound, s.Other, "another tenant's integrations are not found")
	for i, name := range []string{"signed-in", "tenant", "shared-added", "tested", "public-added", "remote-added",
		"field-error", "rolled-back", "dialog", "kept", "disconnected", "signed-out", "refused", "tenant-admin"} {
		_, err := os.Stat(filepath.Join(artifacts, consoleShot(i+1, name)))
		assert.NoError(t, err, "the screenshot of %s", name)
	}
}

// consoleShot is the file name of step n's screenshot.
func consoleShot(n int, name string) string {
	return fmt.Sprintf("console-%02d-%s.png", n, name)
}

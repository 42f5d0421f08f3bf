package server

import (
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

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
	// The edit form, the draft panel and the hooks' answers.
	Kept         string   `json:"kept"`
	Secret       string   `json:"secret"`
	MaxAge       string   `json:"maxAge"`
	ReadOnly     bool     `json:"readOnly"`
	Compared     int      `json:"compared"`
	Differed     int      `json:"differed"`
	Samples      []string `json:"samples"`
	SamplesShown bool     `json:"samplesShown"`
	DialogTitle  string   `json:"dialogTitle"`
	DraftButton  bool     `json:"draftButton"`
	Status       int      `json:"status"`
	Millis       int64    `json:"ms"`
}

// consoleHook serves the script's calls to the Go test (POST /path), so
// that Go acts between two browser steps; each answers JSON.
func consoleHook(t *testing.T, routes map[string]func(r *http.Request) any) string {
	t.Helper()
	mux := http.NewServeMux()
	for path, f := range routes {
		mux.HandleFunc("POST "+path, func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			json.NewEncoder(w).Encode(f(r))
		})
	}
	h := httptest.NewServer(mux)
	t.Cleanup(h.Close)
	return h.URL
}

// consoleArtifacts is the folder of the screenshots, build/artifacts.
func consoleArtifacts(t *testing.T) string {
	t.Helper()
	artifacts, err := filepath.Abs(filepath.Join("..", "build", "artifacts"))
	require.NoError(t, err)
	require.NoError(t, os.MkdirAll(artifacts, 0o755))
	return artifacts
}

// runConsole runs testdata/console.mjs with in, and checks what the
// browser said about the page: no CSP violation, no script error, nothing
// logged but refused requests.
func runConsole(t *testing.T, tools browsertest.Tools, in map[string]any) consoleRun {
	t.Helper()
	ctx, cancel := browsertest.Context(t)
	defer cancel()
	var out consoleRun
	require.NoError(t, tools.Run(ctx, t, t.TempDir(), filepath.Join("testdata", "console.mjs"), in, &out))
	assert.Empty(t, out.Violations, "securitypolicyviolation events")
	assert.Empty(t, out.PageErrors)
	assert.Empty(t, out.Fresh, "a fresh load of /admin/ logs nothing")
	for _, m := range out.ConsoleErrors {
		// A refused request (the 422 of the short secret, the 412 of a
		// conflicting edit) is logged by the browser itself; nothing
		// else may be.
		assert.Contains(t, m, "Failed to load resource", "console error")
	}
	return out
}

// step is the named step of a run.
func (out consoleRun) step(t *testing.T, name string) consoleStep {
	t.Helper()
	s, ok := out.Steps[name]
	require.True(t, ok, "no step %s", name)
	return s
}

// TestBrowserConsole drives the admin console at /admin/ in headless
// Chromium against a real server: a login link, integrations of the three
// kinds added by their forms, the token tester's checklist, a field error
// at its field, a rollback, a disconnect behind its dialog, and a tenant
// admin who sees its tenant only; an edit that keeps the secret by its
// fingerprint and reloads on a conflict; a draft whose shadow tally shows
// the tokens it would refuse, promoted; another draft discarded. Each step
// leaves a screenshot in build/artifacts/console-NN-step.png.
func TestBrowserConsole(t *testing.T) {
	tools := browsertest.Find(t)
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
	artifacts := consoleArtifacts(t)

	// Tokens without the email claim that the draft requires: the live
	// revision takes them, the draft would not.
	noEmail := func(i int) string {
		return mint(t, []byte(acmeSecret), "", claims(e.clock.Now(), acmeIssuer, map[string]any{"sub": "ada", "n": i}))
	}
	const shadowed = 3
	var shadowStatuses []int
	hook := consoleHook(t, map[string]func(*http.Request) any{
		"/shadow": func(*http.Request) any {
			for i := range shadowed {
				shadowStatuses = append(shadowStatuses, e.verify(noEmail(i)).status)
			}
			return map[string]any{"differing": shadowed, "statuses": shadowStatuses}
		},
	})

	in := map[string]any{
		"chromium": tools.Chromium, "chromiumArgs": browsertest.ChromiumArgs, "nodeModules": tools.Modules,
		"base": e.url, "loginURL": e.url + "/admin/#" + fragment, "artifacts": artifacts,
		"shared":      map[string]string{"name": "jwt-auth", "issuer": acmeIssuer, "secret": acmeSecret, "maxAge": "10m"},
		"validToken":  mint(t, []byte(acmeSecret), "", claims(e.clock.Now(), acmeIssuer, map[string]any{"sub": "ada"})),
		"public":      map[string]string{"name": "authonomy-pk", "issuer": "https://login.acme.example", "pem": string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pub})), "audiences": "acme-app", "claims": "email", "domains": "app.acme.example"},
		"remote":      map[string]string{"name": "okto-rv", "issuer": "https://wallet.acme.example", "secret": "okto-like-shared-secret-0123456789-abcdef", "url": e.okto.URL + "/verify", "subject": "user_id"},
		"short":       map[string]string{"name": "too-short", "issuer": "https://short.acme.example", "secret": "short"},
		"tenantAdmin": e.tenantCredential("acme"),
		"edit":        map[string]string{"maxAge": "15m", "claim": "email"},
		"hook":        hook,
	}
	out := runConsole(t, tools, in)
	assert.Empty(t, out.Unlabelled, "every input has a label")
	step := func(name string) consoleStep { return out.step(t, name) }
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
	// Edited later on: its first revision has the form's document.
	g := e.admin(http.MethodGet, "/v1/admin/tenants/acme/integrations/jwt-auth/revisions/1", "").expect(t, http.StatusOK)
	assert.Equal(t, "10m", g.json["document"].(map[string]any)["policy"].(map[string]any)["max_age"], "the form's max age is stored")

	s = step("tested")
	assert.True(t, s.Valid, "%+v", s)
	assert.Contains(t, s.Checks, "pass Signature")
	assert.Contains(t, s.Checks, "pass Issuer")
	assert.NotContains(t, s.Checks, "info One-time use", "the tester's jti note is for one-time integrations only")

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
	g = e.admin(http.MethodGet, "/v1/admin/tenants/acme/integrations/jwt-auth/revisions/3", "").expect(t, http.StatusOK)
	assert.Equal(t, "10m", g.json["document"].(map[string]any)["policy"].(map[string]any)["max_age"], "revision 1's document is live again")
	assert.Equal(t, "rollback to 1", g.json["note"])
	require.NotEmpty(t, s.Revisions)
	assert.Contains(t, s.Revisions[0], "rollback")

	consoleEditSteps(t, e, step)
	consoleDraftSteps(t, e, step, shadowStatuses, noEmail)

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
		"field-error", "rolled-back", "edit-open", "edit-conflict", "edited", "draft-saved", "draft-tally",
		"promote-dialog", "promoted", "discarded", "dialog", "kept", "disconnected", "signed-out", "refused", "tenant-admin"} {
		_, err := os.Stat(filepath.Join(artifacts, consoleShot(i+1, name)))
		assert.NoError(t, err, "the screenshot of %s", name)
	}
}

// consoleShot is the file name of step n's screenshot.
func consoleShot(n int, name string) string {
	return fmt.Sprintf("console-%02d-%s.png", n, name)
}

// consoleEditSteps checks the edit of jwt-auth's max age: its form showed
// the secret by its fingerprint, a change made meanwhile reloaded the form
// instead of being overwritten, and the stored document kept the secret.
func consoleEditSteps(t *testing.T, e *env, step func(string) consoleStep) {
	t.Helper()
	const path = "/v1/admin/tenants/acme/integrations/jwt-auth"
	first := e.admin(http.MethodGet, path+"/revisions/1", "").expect(t, http.StatusOK)
	fingerprint := first.json["document"].(map[string]any)["policy"].(map[string]any)["keys"].([]any)[0].(map[string]any)["secret"].(map[string]any)["fingerprint"].(string)
	require.NotEmpty(t, fingerprint)

	s := step("edit-open")
	assert.Contains(t, s.Kept, fingerprint, "the secret is shown by its fingerprint")
	assert.Empty(t, s.Secret, "and never as its value")
	assert.Equal(t, "10m", s.MaxAge, "the document is in the form")
	assert.True(t, s.ReadOnly, "the name of an existing integration is fixed")
	assert.Equal(t, "view-add", s.Focus)

	s = step("edit-conflict")
	assert.Contains(t, strings.Join(s.Summary, " "), "changed by someone else")
	assert.Contains(t, s.Live, "changed by someone else")
	assert.Equal(t, "12m", s.MaxAge, "the form was reloaded with the other admin's change")

	s = step("edited")
	assert.Contains(t, s.Live, "jwt-auth saved (revision 5")
	rev := e.admin(http.MethodGet, path+"/revisions/5", "").expect(t, http.StatusOK)
	policy := rev.json["document"].(map[string]any)["policy"].(map[string]any)
	assert.Equal(t, "15m", policy["max_age"])
	assert.Equal(t, map[string]any{"fingerprint": fingerprint}, policy["keys"].([]any)[0].(map[string]any)["secret"],
		"the secret was kept without being typed again")
	assert.Equal(t, []any{map[string]any{"path": "policy.max_age", "op": "change", "from": "12m", "to": "15m"}}, rev.json["diff"])
}

// consoleDraftSteps checks the draft that requires email: its diff, its
// tally of the tokens Go sent, and that once promoted it decides.
func consoleDraftSteps(t *testing.T, e *env, step func(string) consoleStep, sent []int, noEmail func(int) string) {
	t.Helper()
	assert.Equal(t, []int{http.StatusOK, http.StatusOK, http.StatusOK}, sent, "the live revision took the tokens")

	s := step("draft-saved")
	assert.Equal(t, "view-draft", s.Focus)
	assert.Contains(t, strings.Join(s.Diff, "\n"), "policy.required_claims")

	s = step("draft-tally")
	assert.Equal(t, 3, s.Differed, "every token sent differed")
	assert.GreaterOrEqual(t, s.Compared, 3)
	assert.True(t, s.SamplesShown)
	require.Len(t, s.Samples, 3)
	assert.Contains(t, s.Samples[0], "valid | required_claims_failed")

	s = step("promote-dialog")
	assert.Contains(t, s.DialogTitle, "Promote the draft of jwt-auth")
	s = step("promoted")
	assert.Contains(t, s.Live, "jwt-auth is live: revision 7")
	assert.Equal(t, http.StatusUnauthorized, e.verify(noEmail(9)).status, "the promoted draft requires email")
	withEmail := mint(t, []byte(acmeSecret), "", claims(e.clock.Now(), acmeIssuer, map[string]any{"sub": "bea", "email": "bea@acme.example"}))
	assert.Equal(t, http.StatusOK, e.verify(withEmail).status, "signed with the secret kept through the edits")

	s = step("discarded")
	assert.False(t, s.DraftButton, "no draft left to open")
	e.admin(http.MethodGet, "/v1/admin/tenants/acme/integrations/jwt-auth/draft", "").expect(t, http.StatusNotFound)
	g := e.admin(http.MethodGet, "/v1/admin/tenants/acme/integrations/jwt-auth", "").expect(t, http.StatusOK)
	assert.Equal(t, "15m", g.json["policy"].(map[string]any)["max_age"], "discarding left the live revision")
}

// TestBrowserConsolePropagation: two instances share PostgreSQL. An
// integration added in the console of the first verifies on the second
// within a second, and once disconnected in the console the second refuses
// it within a second. Screenshots: build/artifacts/console-pg-NN-step.png.
func TestBrowserConsolePropagation(t *testing.T) {
	tools := browsertest.Find(t)
	e := newAdminEnv(t, envOptions{dsn: testPostgres(t)})
	other := e.start(filepath.Join(e.dir, "data-b"))
	b := httptest.NewServer(other.Handler())
	t.Cleanup(b.Close)
	tok := mint(t, []byte(acmeSecret), "", claims(e.clock.Now(), acmeIssuer, map[string]any{"sub": "ada"}))
	verifyOnB := func() int {
		return send(t, nil, http.MethodPost, b.URL+"/v1/verify", nil, "Authorization", "Bearer "+tok).status
	}
	require.Equal(t, http.StatusUnauthorized, verifyOnB())

	link := e.admin(http.MethodPost, "/v1/admin/login-links", `{}`).expect(t, http.StatusCreated)
	_, fragment, ok := strings.Cut(link.json["url"].(string), "#")
	require.True(t, ok, "a login link carries its code in the fragment: %s", link.body)
	hook := consoleHook(t, map[string]func(*http.Request) any{
		// /await?want=N polls the second instance for a second, until
		// its /v1/verify answers N.
		"/await": func(r *http.Request) any {
			want, _ := strconv.Atoi(r.URL.Query().Get("want"))
			start := time.Now()
			got := verifyOnB()
			for got != want && time.Since(start) < time.Second {
				time.Sleep(10 * time.Millisecond)
				got = verifyOnB()
			}
			return map[string]any{"status": got, "ms": time.Since(start).Milliseconds()}
		},
	})
	in := map[string]any{
		"chromium": tools.Chromium, "chromiumArgs": browsertest.ChromiumArgs, "nodeModules": tools.Modules,
		"base": e.url, "loginURL": e.url + "/admin/#" + fragment, "artifacts": consoleArtifacts(t),
		"flow": "propagation", "shotPrefix": "console-pg", "hook": hook,
		"shared": map[string]string{"name": "jwt-auth", "issuer": acmeIssuer, "secret": acmeSecret, "maxAge": "10m"},
	}
	out := runConsole(t, tools, in)

	s := out.step(t, "added")
	assert.Contains(t, s.Rows["jwt-auth"], "active")
	s = out.step(t, "verified-elsewhere")
	assert.Equal(t, http.StatusOK, s.Status, "the second instance verifies the token within a second")
	assert.Less(t, s.Millis, int64(1000))
	s = out.step(t, "disconnected")
	assert.NotContains(t, s.Rows, "jwt-auth")
	s = out.step(t, "refused-elsewhere")
	assert.Equal(t, http.StatusUnauthorized, s.Status, "the second instance refuses it within a second")
	assert.Less(t, s.Millis, int64(1000))
	for i, name := range []string{"signed-in", "tenant", "added", "verified-elsewhere", "disconnected", "refused-elsewhere"} {
		_, err := os.Stat(filepath.Join(consoleArtifacts(t), fmt.Sprintf("console-pg-%02d-%s.png", i+1, name)))
		assert.NoError(t, err, "the screenshot of %s", name)
	}
}

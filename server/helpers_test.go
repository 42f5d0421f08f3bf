package server

import (
	"context"
	"crypto/rsa"
	"encoding/json"
	"io"
	"log/slog"
	"maps"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/jwtgate/jwtgate/internal/jwttest"
	"github.com/jwtgate/jwtgate/store"
)

// t0 is the tests' clock at start.
var t0 = time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)

// The shared secrets of the HS256 integrations (Okto, Authonomy, Acadio).
const (
	oktoSecret      = "okto-shared-secret-0123456789abcdef-0123456789"
	authonomySecret = "authonomy-shared-secret-0123456789abcdef-012345"
	acadioSecret    = "acadio-shared-secret-0123456789abcdef-01234567"
	adminToken      = "admin-token-for-the-tester-0123456789"
	systemToken     = "okera-system-token"
)

// Issuers of the test configuration.
const (
	okeraIssuer     = "https://okera.example"
	oktoIssuer      = "https://vendor.okto.example"
	authonomyIssuer = "https://your-app.com"
	acadioIssuer    = "https://school.example"
	authonomyTenant = "550e8400-e29b-41d4-a716-446655440000"
)

// rsaKey returns one of the two fixed RSA test keys.
func rsaKey(_ testing.TB, i int) *rsa.PrivateKey {
	return [...]*rsa.PrivateKey{jwttest.Keys().RSA, jwttest.Keys().RSAOther}[i]
}

// clock is a settable clock.
type clock struct{ ns atomic.Int64 }

func newClock() *clock {
	c := &clock{}
	c.ns.Store(t0.UnixNano())
	return c
}
func (c *clock) Now() time.Time          { return time.Unix(0, c.ns.Load()).UTC() }
func (c *clock) Advance(d time.Duration) { c.ns.Add(int64(d)) }

// mint signs claims with key (a []byte secret for HS256, else an RSA key
// for RS256) and kid.
func mint(t testing.TB, key any, kid string, claims map[string]any) string {
	t.Helper()
	alg := "RS256"
	if _, ok := key.([]byte); ok {
		alg = "HS256"
	}
	hdr := map[string]any{}
	if kid != "" {
		hdr["kid"] = kid
	}
	return jwttest.Sign(alg, key, hdr, claims)
}

// claims returns base claims at now plus extra (a nil value deletes).
func claims(now time.Time, iss string, extra map[string]any) map[string]any {
	return jwttest.Merge(map[string]any{"iss": iss, "iat": now.Unix(), "exp": now.Add(time.Hour).Unix()}, extra)
}

// runOn serves e.srv on a real listener (the header limit is the
// http.Server's) and returns its address.
func runOn(t *testing.T, e *env) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- e.srv.Run(ctx, ln) }()
	t.Cleanup(func() {
		cancel()
		require.NoError(t, <-done)
	})
	return ln.Addr().String()
}

// runWatched serves e with Run on a real listener until the test ends, its
// file watcher driven by check (see driveWatcher); e's requests go there.
func runWatched(t *testing.T, e *env) (check func()) {
	t.Helper()
	check = driveWatcher(t, e.srv)
	e.url = "http://" + runOn(t, e)
	return check
}

// driveWatcher takes srv's file watcher off the clock (call it before
// Run): each call of check runs one check of the file and returns once it
// has finished and the watcher waits again.
func driveWatcher(t testing.TB, srv *Server) (check func()) {
	ready := make(chan chan struct{})
	srv.watchWait = func(ctx context.Context) bool {
		next := make(chan struct{})
		select {
		case ready <- next:
		case <-ctx.Done():
			return false
		}
		select {
		case <-next:
			return true
		case <-ctx.Done():
			return false
		}
	}
	waiting := func() chan struct{} {
		select {
		case next := <-ready:
			return next
		case <-time.After(10 * time.Second):
			require.FailNow(t, "the watcher does not wait")
			return nil
		}
	}
	var pending chan struct{}
	return func() {
		t.Helper()
		if pending == nil {
			pending = waiting()
		}
		close(pending)
		pending = waiting()
	}
}

// fakeEndpoint is an httptest server whose answer tests set, recording
// what it was sent.
type fakeEndpoint struct {
	*httptest.Server
	mu      sync.Mutex
	handler http.HandlerFunc
	hits    atomic.Int32
	last    *http.Request
}

func newFakeEndpoint(t testing.TB, h http.HandlerFunc) *fakeEndpoint {
	f := &fakeEndpoint{handler: h}
	f.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f.hits.Add(1)
		f.mu.Lock()
		f.last = r.Clone(context.Background())
		h := f.handler
		f.mu.Unlock()
		h(w, r)
	}))
	t.Cleanup(f.Close)
	return f
}

func (f *fakeEndpoint) set(h http.HandlerFunc) {
	f.mu.Lock()
	f.handler = h
	f.mu.Unlock()
}

func (f *fakeEndpoint) lastRequest() *http.Request {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.last
}

func answer(status int, body string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		io.WriteString(w, body)
	}
}

// jwksBody is the public JWKS of the given RSA keys with kids.
func jwksBody(t testing.TB, keys map[string]*rsa.PrivateKey) string {
	var set []jose.JSONWebKey
	for kid, k := range keys {
		set = append(set, jose.JSONWebKey{Key: &k.PublicKey, KeyID: kid, Algorithm: "RS256", Use: "sig"})
	}
	return jwttest.JWKS(t, set...)
}

// env is one test's world: the key server, the remote endpoints, the
// configuration file and a server over real HTTP on loopback.
type env struct {
	t       testing.TB
	dir     string
	config  string
	clock   *clock
	logs    *jwttest.Buffer
	jwks    *fakeEndpoint // Okera's JWKS at /okera.json
	remote  *fakeEndpoint // Okera's validation endpoint
	okto    *fakeEndpoint // Okto vendor's verify endpoint
	groups  *fakeEndpoint // Okera's group resolver
	srv     *Server
	http    *httptest.Server
	url     string
	storeDS string
	opts    envOptions
}

// envOptions adjust newEnv.
type envOptions struct {
	dsn     string           // the store; default SQLite in the test's folder
	dataDir string           // default in the test's folder
	extra   string           // appended to the service section
	noStart bool             // do not build the server
	jwks    http.HandlerFunc // Okera's JWKS endpoint from the start
	// storeTimeout is Options.StoreTimeout; default the server's.
	storeTimeout time.Duration
	// engine is Options.NewEngine; default the server's.
	engine EngineFactory
}

// testConfig is the configuration of the four seeds.
func (e *env) testConfig(extra string) string {
	return `integrations:
  # Okera: RS256 keys at a JWKS URL, a validation endpoint tried first, groups.
  - name: okera
    tenant: okera-corp
    issuer: ` + okeraIssuer + `
    algorithms: [RS256, RS512]
    keys:
      - jwks_url: ` + e.jwks.URL + `/okera.json
    headers:
      X-User: sub
      X-Groups: groups

  # Okto: the vendor's JWT carries user_id; its verify endpoint says who.
  - name: okto
    tenant: okto-wallets
    issuer: ` + oktoIssuer + `
    algorithms: [HS256]
    keys:
      - secret: ` + oktoSecret + `
    subject_claim: user_id
    headers:
      X-User-Id: user_id

  # Authonomy: per-tenant configuration, one-time tokens, redirects.
  - name: authonomy
    tenant: ` + authonomyTenant + `
    issuer: ` + authonomyIssuer + `
    audiences: [authonomy]
    algorithms: [HS256]
    keys:
      - secret: ` + authonomySecret + `
    required_claims: [email, {name: tenant_id, type: string}]
    one_time_use: true
    redirect:
      allowed_domains: [app.example.com]
      default: https://app.example.com/home
    headers:
      X-User-Email: email

  # Acadio: a shared secret; the callback /auth/callback/jwt-auth.
  - name: jwt-auth
    tenant: acadio-school
    issuer: ` + acadioIssuer + `
    algorithms: [HS256]
    keys:
      - secret: ` + acadioSecret + `
    subject_claim: email
    max_age: 10m

service:
  public_url: http://localhost:8080
  admin_token_file: admin.token
  session: {cookie: jwtgate_session, ttl: 8h}
  access_token_ttl: 15m
  signing: {algorithm: ES256, rotate_every: 720h}
  integrations:
    okera:
      remote_validation: {url: ` + e.remote.URL + `/validate, subject_field: sub, timeout: 2s}
      group_resolver: {url: ` + e.groups.URL + `/groups, timeout: 2s}
      system_token_file: system.token
    okto:
      remote_validation: {url: ` + e.okto.URL + `/verify, subject_field: user_id}
    authonomy:
      error_redirect: https://app.example.com/login
    jwt-auth:
      default_redirect: /dashboard
      error_redirect: /login
  routes:
    - {prefix: /reports, methods: [GET], require_permissions: ["reports:read:team"]}
    - {prefix: /admin, require_roles: {any: [admin]}}
    - {prefix: /analytics, require_groups: {all: [analysts]}}
` + extra
}

func newEnv(t testing.TB, o envOptions) *env {
	t.Helper()
	e := &env{t: t, dir: t.TempDir(), clock: newClock(), logs: &jwttest.Buffer{}, opts: o}
	okeraBody := jwksBody(t, map[string]*rsa.PrivateKey{"okera-1": rsaKey(t, 0)})
	e.jwks = newFakeEndpoint(t, answer(http.StatusOK, okeraBody))
	if o.jwks != nil {
		e.jwks.set(o.jwks)
	}
	e.remote = newFakeEndpoint(t, answer(http.StatusUnauthorized, `{"error":"unknown token"}`))
	e.okto = newFakeEndpoint(t, answer(http.StatusUnauthorized, `{}`))
	e.groups = newFakeEndpoint(t, answer(http.StatusOK, `{"groups":["resolved-a","resolved-b"]}`))
	require.NoError(t, os.WriteFile(filepath.Join(e.dir, "system.token"), []byte(systemToken+"\n"), 0o600))
	require.NoError(t, os.WriteFile(filepath.Join(e.dir, "admin.token"), []byte(adminToken+"\n"), 0o600))
	e.config = filepath.Join(e.dir, "jwtgate.yaml")
	e.write(e.testConfig(o.extra))
	e.storeDS = o.dsn
	if e.storeDS == "" {
		e.storeDS = "sqlite:" + filepath.Join(e.dir, "jwtgate.db")
	}
	if o.dataDir == "" {
		o.dataDir = filepath.Join(e.dir, "data")
	}
	if !o.noStart {
		e.srv = e.start(o.dataDir)
		e.http = httptest.NewServer(e.srv.Handler())
		t.Cleanup(e.http.Close)
		e.url = e.http.URL
	}
	return e
}

// start builds a server on the env's configuration and store.
func (e *env) start(dataDir string) *Server {
	e.t.Helper()
	srv, err := New(context.Background(), Options{
		ConfigFile: e.config, DataDir: dataDir, StoreDSN: e.storeDS,
		Logger:       slog.New(slog.NewJSONHandler(e.logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		Now:          e.clock.Now,
		HTTPClient:   &http.Client{Timeout: time.Second},
		StoreTimeout: e.opts.storeTimeout,
		NewEngine:    e.opts.engine,
	})
	require.NoError(e.t, err)
	e.t.Cleanup(func() { srv.Close() })
	return srv
}

func (e *env) write(config string) {
	e.t.Helper()
	require.NoError(e.t, os.WriteFile(e.config, []byte(config), 0o600))
}

// okeraToken is an RS256 token of Okera's, signed with key i as kid.
func (e *env) okeraToken(i int, kid string, extra map[string]any) string {
	base := map[string]any{"sub": "john.doe", "groups": []string{"analysts"}}
	maps.Copy(base, extra) // a nil value deletes, in claims: the base claims too
	return mint(e.t, rsaKey(e.t, i), kid, claims(e.clock.Now(), okeraIssuer, base))
}

func (e *env) oktoToken(extra map[string]any) string {
	base := map[string]any{"user_id": "wallet-user-7"}
	maps.Copy(base, extra) // a nil value deletes, in claims: the base claims too
	return mint(e.t, []byte(oktoSecret), "", claims(e.clock.Now(), oktoIssuer, base))
}

func (e *env) authonomyToken(extra map[string]any) string {
	base := map[string]any{
		"sub": "user-123", "aud": "authonomy", "email": "john@example.com", "tenant_id": authonomyTenant,
		"jti":  "jti-" + randomID(),
		"name": "John Doe", "roles": []string{"user"}, "permissions": []string{"users:read", "reports:read:own"},
		"metadata": map[string]any{"department": "Engineering", "employee_id": "E-1234"},
	}
	maps.Copy(base, extra) // a nil value deletes, in claims: the base claims too
	return mint(e.t, []byte(authonomySecret), "", claims(e.clock.Now(), authonomyIssuer, base))
}

func (e *env) acadioToken(extra map[string]any) string {
	base := jwttest.Merge(map[string]any{"email": "student@school.example", "meta": map[string]any{"cohort": "2026"}}, extra)
	return mint(e.t, []byte(acadioSecret), "", claims(e.clock.Now(), acadioIssuer, base))
}

// response is one HTTP answer, read.
type response struct {
	status int
	header http.Header
	body   string
	json   map[string]any
	resp   *http.Response
}

// noRedirects is a client that shows redirects instead of following them.
func noRedirects() *http.Client {
	return &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

// withJar is a client keeping cookies, not following redirects.
func withJar(t testing.TB) *http.Client {
	jar, err := cookiejar.New(nil)
	require.NoError(t, err)
	c := noRedirects()
	c.Jar = jar
	return c
}

func send(t testing.TB, c *http.Client, method, url string, body io.Reader, headers ...string) response {
	t.Helper()
	req, err := http.NewRequest(method, url, body)
	require.NoError(t, err)
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Add(headers[i], headers[i+1])
	}
	if c == nil {
		c = noRedirects()
	}
	resp, err := c.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	r := response{status: resp.StatusCode, header: resp.Header, body: string(raw), resp: resp}
	if strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
		require.NoError(t, json.Unmarshal(raw, &r.json), "body %q", raw)
	}
	return r
}

func (e *env) get(path string, headers ...string) response {
	e.t.Helper()
	return send(e.t, nil, http.MethodGet, e.url+path, nil, headers...)
}

func (e *env) post(path, contentType, body string, headers ...string) response {
	e.t.Helper()
	if contentType != "" {
		headers = append(headers, "Content-Type", contentType)
	}
	return send(e.t, nil, http.MethodPost, e.url+path, strings.NewReader(body), headers...)
}

// oktoAccessToken exchanges an Okto token (its vendor endpoint saying
// yes) for one of jwtgate's access tokens.
func (e *env) oktoAccessToken() string {
	e.t.Helper()
	e.okto.set(answer(http.StatusOK, `{"user_id":"wallet-user-7"}`))
	r := e.post("/oauth2/token", "application/x-www-form-urlencoded", form(
		"grant_type", grantTokenExchange, "subject_token", e.oktoToken(nil), "subject_token_type", tokenTypeJWT))
	require.Equal(e.t, http.StatusOK, r.status, r.body)
	return r.json["access_token"].(string)
}

func (e *env) verify(tok string) response {
	e.t.Helper()
	return e.post("/v1/verify", "", "", "Authorization", "Bearer "+tok)
}

// subject reads a subject from the env's store, with a handle of its own.
func (e *env) subject(tenant, integration, id string) (store.Subject, error) {
	e.t.Helper()
	st, err := store.Open(context.Background(), e.storeDS)
	require.NoError(e.t, err)
	defer st.Close()
	return st.GetSubject(context.Background(), tenant, integration, id)
}

// assertNoTokenInLogs checks that no token (nor its signature) was logged.
func assertNoTokenInLogs(t testing.TB, logs string, toks ...string) {
	t.Helper()
	for _, tok := range toks {
		assert.NotContains(t, logs, tok)
		if i := strings.LastIndexByte(tok, '.'); i > 0 && len(tok)-i > 10 {
			assert.NotContains(t, logs, tok[i+1:])
		}
	}
}

func form(kv ...string) string {
	v := url.Values{}
	for i := 0; i+1 < len(kv); i += 2 {
		v.Add(kv[i], kv[i+1])
	}
	return v.Encode()
}

// httptestServer serves srv's handler on loopback and returns its URL.
func httptestServer(t testing.TB, srv *Server) string {
	h := httptest.NewServer(srv.Handler())
	t.Cleanup(h.Close)
	return h.URL
}

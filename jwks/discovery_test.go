package jwks

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/jwtgate/jwtgate/core"
	"github.com/jwtgate/jwtgate/internal/jwttest"
)

// idp is an OpenID Provider on loopback: its discovery document and key
// set, each with its own Cache-Control, and a count of requests per path.
type idp struct {
	*httptest.Server
	mu    sync.Mutex
	doc   map[string]any // the document; issuer and jwks_uri default to the server's
	raw   string         // when set, the document's body as it is
	keys  string
	docCC string
	setCC string
	fail  bool // the document answers 500
	hits  map[string]int
}

const docPath = "/.well-known/openid-configuration"

func newIDP(t *testing.T, keys string) *idp {
	p := &idp{keys: keys, hits: map[string]int{}}
	p.Server = httptest.NewServer(http.HandlerFunc(p.serve))
	t.Cleanup(p.Close)
	p.doc = map[string]any{"issuer": p.URL, "jwks_uri": p.URL + "/jwks.json", "response_types_supported": []string{"code"}}
	return p
}

func (p *idp) serve(w http.ResponseWriter, r *http.Request) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.hits[r.URL.Path]++
	switch r.URL.Path {
	case docPath:
		if p.fail {
			http.Error(w, "down", http.StatusInternalServerError)
			return
		}
		body := p.raw
		if body == "" {
			b, _ := json.Marshal(p.doc)
			body = string(b)
		}
		w.Header().Set("Cache-Control", p.docCC)
		_, _ = w.Write([]byte(body))
	case "/jwks.json":
		w.Header().Set("Cache-Control", p.setCC)
		_, _ = w.Write([]byte(p.keys))
	case "/moved":
		http.Redirect(w, r, "/jwks.json", http.StatusFound)
	default:
		http.NotFound(w, r)
	}
}

func (p *idp) set(f func(p *idp)) {
	p.mu.Lock()
	defer p.mu.Unlock()
	f(p)
}

func (p *idp) count(path string) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.hits[path]
}

// discoveryOf parses a policy of one discovery integration of issuer, as
// the command loads it, and returns it with its one discovery entry.
func discoveryOf(t *testing.T, issuer, entry string) (*core.Policy, core.Discovery) {
	t.Helper()
	doc := "integrations:\n  - name: acme\n    issuer: " + issuer + "\n    algorithms: [ES256, RS256]\n    keys: [" + entry + "]\n"
	p, err := core.ParsePolicy("p.yaml", []byte(doc), core.LoadOptions{Discovery: true})
	require.NoError(t, err)
	require.Len(t, p.Discoveries(), 1)
	return p, p.Discoveries()[0]
}

var (
	ecJWK  = jose.JSONWebKey{Key: jwttest.Keys().EC, KeyID: "k1", Algorithm: "ES256", Use: "sig"}
	rsaJWK = jose.JSONWebKey{Key: jwttest.Keys().RSA, KeyID: "k2", Algorithm: "RS256", Use: "sig"}
)

func publicSet(t *testing.T, jwks ...jose.JSONWebKey) string {
	var pub []jose.JSONWebKey
	for _, k := range jwks {
		pub = append(pub, k.Public())
	}
	return jwttest.JWKS(t, pub...)
}

func tokenOf(jwk jose.JSONWebKey, issuer string, now time.Time) string {
	return jwttest.Sign(jwk.Algorithm, jwk.Key, map[string]any{"kid": jwk.KeyID},
		map[string]any{"iss": issuer, "sub": "alice", "exp": now.Add(time.Hour).Unix()})
}

// The core verifies with the set the document names; the issuer rotates
// to a new key, and a token of the new kid refetches the set, not the
// document, which is still fresh.
func TestDiscoveryVerifiesAndRotates(t *testing.T) {
	p := newIDP(t, publicSet(t, ecJWK))
	policy, d := discoveryOf(t, p.URL, "{discovery: true}")
	require.Equal(t, p.URL+docPath, d.URL)
	clk := newClock()
	keys := New(Options{Discoveries: policy.Discoveries(), Now: clk.Now})
	v, err := core.NewVerifier(policy, core.Config{Keys: keys})
	require.NoError(t, err)

	for range 3 {
		dec := v.Verify(ctx, core.Request{Token: tokenOf(ecJWK, p.URL, clk.Now()), Now: clk.Now()})
		require.True(t, dec.Valid, "%s: %s", dec.Code, dec.Reason)
	}
	assert.Equal(t, 1, p.count(docPath))
	assert.Equal(t, 1, p.count("/jwks.json"))
	assert.Equal(t, StatusOK, keys.Status(d.URL))

	p.set(func(p *idp) { p.keys = publicSet(t, ecJWK, rsaJWK) })
	dec := v.Verify(ctx, core.Request{Token: tokenOf(rsaJWK, p.URL, clk.Now()), Now: clk.Now()})
	require.True(t, dec.Valid, "%s: %s", dec.Code, dec.Reason)
	assert.Equal(t, 1, p.count(docPath), "the document is fresh")
	assert.Equal(t, 2, p.count("/jwks.json"), "the unknown kid refetched the set")
}

// OpenID Connect Discovery §4.3: a document whose issuer is not the
// integration's, even by a trailing "/", is refused, and its jwks_uri is
// never fetched; the reason says what was expected and what was found.
func TestDiscoveryIssuerMismatchRefused(t *testing.T) {
	p := newIDP(t, publicSet(t, ecJWK))
	p.set(func(p *idp) { p.doc["issuer"] = p.URL + "/" })
	policy, d := discoveryOf(t, p.URL, "{discovery: true}")
	keys := New(Options{Discoveries: policy.Discoveries()})
	set, err := keys.KeySet(ctx, d.URL, "")
	assert.Nil(t, set)
	require.ErrorContains(t, err, `issuer mismatch: expected "`+p.URL+`", found "`+p.URL+`/"`)
	assert.Equal(t, StatusFailing, keys.Status(d.URL))

	v, err := core.NewVerifier(policy, core.Config{Keys: keys})
	require.NoError(t, err)
	now := time.Now()
	dec := v.Verify(ctx, core.Request{Token: tokenOf(ecJWK, p.URL, now), Now: now.Add(time.Minute), Explain: true})
	require.False(t, dec.Valid)
	assert.Equal(t, core.CodeKeysUnavailable, dec.Code)
	assert.Contains(t, dec.Reason, "issuer mismatch")
	assert.Zero(t, p.count("/jwks.json"))
}

// A jwks_uri on another host (here another port of loopback) is refused
// unless the entry's jwks_hosts names it.
func TestDiscoveryJWKSURIOnAnotherHost(t *testing.T) {
	p := newIDP(t, "")
	other := newIDP(t, publicSet(t, ecJWK))
	p.set(func(p *idp) { p.doc["jwks_uri"] = other.URL + "/jwks.json" })
	otherHost := strings.TrimPrefix(other.URL, "http://")

	policy, d := discoveryOf(t, p.URL, "{discovery: true}")
	keys := New(Options{Discoveries: policy.Discoveries()})
	_, err := keys.KeySet(ctx, d.URL, "")
	require.ErrorContains(t, err, `jwks_uri "`+other.URL+`/jwks.json" refused: host "`+otherHost+`" is not an allowed domain`)
	assert.Zero(t, other.count("/jwks.json"), "never fetched")

	policy, d = discoveryOf(t, p.URL, "{discovery: true, jwks_hosts: ['"+otherHost+"']}")
	keys = New(Options{Discoveries: policy.Discoveries()})
	set, err := keys.KeySet(ctx, d.URL, "")
	require.NoError(t, err)
	assert.True(t, set.HasKeyID("k1"))
	assert.Equal(t, 1, other.count("/jwks.json"))
}

// The document is cached for its own max-age, the set for its own; a
// refreshed document may move the set; a document that fails to refresh
// keeps the last good one's jwks_uri, as a set keeps its last good keys.
func TestDiscoveryDocumentCachedAndRefreshed(t *testing.T) {
	p := newIDP(t, publicSet(t, ecJWK))
	p.set(func(p *idp) { p.docCC, p.setCC = "max-age=600", "max-age=60" })
	policy, d := discoveryOf(t, p.URL, "{discovery: true}")
	clk := newClock()
	keys := New(Options{Discoveries: policy.Discoveries(), Now: clk.Now})
	get := func() {
		t.Helper()
		set, err := keys.KeySet(ctx, d.URL, "k1")
		require.NoError(t, err)
		require.True(t, set.HasKeyID("k1"))
	}
	get()
	get()
	assert.Equal(t, [2]int{1, 1}, [2]int{p.count(docPath), p.count("/jwks.json")})

	clk.Advance(60 * time.Second)
	get()
	assert.Equal(t, [2]int{1, 2}, [2]int{p.count(docPath), p.count("/jwks.json")}, "the set expired, not the document")

	clk.Advance(540 * time.Second)
	p.set(func(p *idp) { p.doc["jwks_uri"] = p.URL + "/moved" })
	_, err := keys.KeySet(ctx, d.URL, "k1")
	require.NoError(t, err, "the last good set is kept")
	assert.Equal(t, 2, p.count(docPath), "the document expired too")
	assert.Equal(t, 1, p.count("/moved"), "and its new jwks_uri was used")
	assert.Equal(t, StatusStale, keys.Status(d.URL), "a redirect is not followed")

	clk.Advance(time.Hour)
	p.set(func(p *idp) { p.fail, p.doc["jwks_uri"] = true, p.URL+"/jwks.json" })
	_, err = keys.KeySet(ctx, d.URL, "k1")
	require.NoError(t, err)
	assert.Equal(t, 3, p.count(docPath))
	assert.Equal(t, 2, p.count("/moved"), "the failed document kept the last good jwks_uri")
}

// The document is bounded and fetched without redirects, like a set.
func TestDiscoveryDocumentRefused(t *testing.T) {
	p := newIDP(t, publicSet(t, ecJWK))
	policy, d := discoveryOf(t, p.URL, "{discovery: true}")
	p.set(func(p *idp) { p.doc["padding"] = strings.Repeat("x", 2000) })
	_, err := New(Options{Discoveries: policy.Discoveries(), MaxBytes: 1000}).KeySet(ctx, d.URL, "")
	require.ErrorContains(t, err, "jwks: discovery document unreachable: GET "+d.URL+": body")
	assert.ErrorContains(t, err, "over the limit of 1000")

	moved := httptest.NewServer(http.RedirectHandler(p.URL+docPath, http.StatusFound))
	t.Cleanup(moved.Close)
	policy, d = discoveryOf(t, moved.URL, "{discovery: true}")
	_, err = New(Options{Discoveries: policy.Discoveries()}).KeySet(ctx, d.URL, "")
	require.ErrorContains(t, err, "discovery document unreachable")
	assert.ErrorContains(t, err, "not followed")
	assert.Equal(t, 0, p.count("/jwks.json"))
}

// What a document must hold, checked without a server.
func TestReadDiscovery(t *testing.T) {
	d := &core.Discovery{URL: "https://idp.example/.well-known/openid-configuration", Issuer: "https://idp.example", JWKSHosts: []string{"idp.example", "keys.example:8443"}}
	for _, c := range []struct{ doc, want string }{
		{`{"issuer":"https://idp.example","jwks_uri":"https://idp.example/keys"}`, ""},
		{`{"issuer":"https://idp.example","jwks_uri":"https://keys.example:8443/k"}`, ""},
		{`[1]`, "not a JSON object of provider metadata"},
		{`{"jwks_uri":"https://idp.example/keys"}`, "no issuer"},
		{`{"issuer":"https://IDP.example","jwks_uri":"https://idp.example/keys"}`, `issuer mismatch: expected "https://idp.example", found "https://IDP.example"`},
		{`{"issuer":"https://idp.example"}`, "no jwks_uri"},
		{`{"issuer":"https://idp.example","jwks_uri":"/keys"}`, `jwks_uri "/keys" refused: not an absolute URL`},
		{`{"issuer":"https://idp.example","jwks_uri":"http://idp.example/keys"}`, `refused: scheme "http" is not allowed (use https)`},
		{`{"issuer":"https://idp.example","jwks_uri":"https://keys.example/k"}`, `refused: host "keys.example" is not an allowed domain`},
		{`{"issuer":"https://idp.example","jwks_uri":"https://x@idp.example/k"}`, "must not contain userinfo"},
		{`{"issuer":"https://idp.example","jwks_uri":1}`, "cannot unmarshal"},
	} {
		uri, err := readDiscovery([]byte(c.doc), d)
		if c.want == "" {
			assert.NoError(t, err, c.doc)
			assert.NotEmpty(t, uri)
			continue
		}
		assert.ErrorContains(t, err, c.want, c.doc)
	}
}

// Fetch, for diagnostics, resolves the document afresh and caches nothing.
func TestDiscoveryFetchOnce(t *testing.T) {
	p := newIDP(t, publicSet(t, ecJWK))
	policy, d := discoveryOf(t, p.URL, "{discovery: true}")
	keys := New(Options{Discoveries: policy.Discoveries()})
	for range 2 {
		_, set, _, err := keys.Fetch(ctx, d.URL)
		require.NoError(t, err)
		assert.Equal(t, 1, set.Len())
	}
	assert.Equal(t, 2, p.count(docPath))
	assert.Equal(t, StatusLoading, keys.Status(d.URL))
}

// Discover reads the document alone, afresh each time.
func TestDiscover(t *testing.T) {
	p := newIDP(t, publicSet(t, ecJWK))
	p.set(func(p *idp) { p.docCC = "max-age=300" })
	policy, d := discoveryOf(t, p.URL, "{discovery: true}")
	keys := New(Options{Discoveries: policy.Discoveries(), URLs: []string{p.URL + "/jwks.json"}})
	uri, ttl, err := keys.Discover(ctx, d.URL)
	require.NoError(t, err)
	assert.Equal(t, p.URL+"/jwks.json", uri)
	assert.Equal(t, 5*time.Minute, ttl)
	assert.Equal(t, 1, p.count(docPath))
	assert.Zero(t, p.count("/jwks.json"))
	_, _, err = keys.Discover(ctx, p.URL+"/jwks.json")
	assert.ErrorContains(t, err, "not one of the fetcher's discovery documents")
}

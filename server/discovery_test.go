package server

import (
	"crypto/rsa"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// discoveryIDP is an OpenID Provider on loopback: its discovery document
// (issuer and jwks_uri changeable) and its key set, requests counted.
type discoveryIDP struct {
	*httptest.Server
	mu               sync.Mutex
	issuer, jwksPath string
	keys             string
	hits             map[string]int
}

func newDiscoveryIDP(t *testing.T, keys string) *discoveryIDP {
	p := &discoveryIDP{keys: keys, jwksPath: "/keys", hits: map[string]int{}}
	p.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p.mu.Lock()
		defer p.mu.Unlock()
		p.hits[r.URL.Path]++
		switch r.URL.Path {
		case "/.well-known/openid-configuration":
			_ = json.NewEncoder(w).Encode(map[string]string{"issuer": p.issuer, "jwks_uri": p.URL + p.jwksPath})
		case "/keys":
			_, _ = w.Write([]byte(p.keys))
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(p.Close)
	p.issuer = p.URL
	return p
}

func (p *discoveryIDP) count(path string) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.hits[path]
}

// discoveryEnv serves a configuration of one integration whose keys come
// by the discovery of idp's issuer.
func discoveryEnv(t *testing.T, idp *discoveryIDP) *env {
	e := newEnv(t, envOptions{noStart: true})
	e.write("integrations:\n  - name: idp\n    tenant: idp-corp\n    issuer: " + idp.URL +
		"\n    algorithms: [RS256]\n    keys: [{discovery: true}]\n")
	e.srv = e.start(t.TempDir())
	e.url = httptestServer(t, e.srv)
	return e
}

// /v1/verify with keys found by discovery, through a key rotation and a
// reload, which keeps the fetcher and so the cached document.
func TestDiscoveryVerify(t *testing.T) {
	idp := newDiscoveryIDP(t, jwksBody(t, map[string]*rsa.PrivateKey{"d-1": rsaKey(t, 0)}))
	e := discoveryEnv(t, idp)
	tok := mint(t, rsaKey(t, 0), "d-1", claims(e.clock.Now(), idp.URL, map[string]any{"sub": "alice"}))
	r := e.verify(tok)
	require.Equal(t, http.StatusOK, r.status, r.body)
	assert.Equal(t, "alice", r.json["sub"])
	assert.Equal(t, "idp-corp", r.json["tenant"])
	r = e.get("/readyz?verbose")
	assert.Equal(t, "ok", r.json["keys"].(map[string]any)["idp"], r.body)

	idp.mu.Lock()
	idp.keys = jwksBody(t, map[string]*rsa.PrivateKey{"d-1": rsaKey(t, 0), "d-2": rsaKey(t, 1)})
	idp.mu.Unlock()
	r = e.verify(mint(t, rsaKey(t, 1), "d-2", claims(e.clock.Now(), idp.URL, map[string]any{"sub": "bob"})))
	require.Equal(t, http.StatusOK, r.status, r.body)
	assert.Equal(t, 1, idp.count("/.well-known/openid-configuration"))
	assert.Equal(t, 2, idp.count("/keys"))

	require.NoError(t, e.srv.Reload())
	require.Equal(t, http.StatusOK, e.verify(tok).status)
	assert.Equal(t, 1, idp.count("/.well-known/openid-configuration"), "the reload kept the fetcher")
	assert.Equal(t, 2, idp.count("/keys"))
}

// A document naming another issuer is refused: tokens are keys_unavailable,
// readiness says the keys fail, and the log says why.
func TestDiscoveryIssuerMismatch(t *testing.T) {
	idp := newDiscoveryIDP(t, jwksBody(t, map[string]*rsa.PrivateKey{"d-1": rsaKey(t, 0)}))
	idp.mu.Lock()
	idp.issuer = "https://evil.example"
	idp.mu.Unlock()
	e := discoveryEnv(t, idp)
	r := e.verify(mint(t, rsaKey(t, 0), "d-1", claims(e.clock.Now(), idp.URL, map[string]any{"sub": "alice"})))
	assert.Equal(t, http.StatusUnauthorized, r.status)
	assert.Equal(t, map[string]any{"error": "keys_unavailable", "message": "Failed to get JWKS"}, r.json)
	r = e.get("/readyz?verbose")
	assert.Equal(t, "failing", r.json["keys"].(map[string]any)["idp"], r.body)
	assert.Contains(t, e.logs.String(), `issuer mismatch: expected \"`+idp.URL+`\", found \"https://evil.example\"`)
	assert.Zero(t, idp.count("/keys"))
}

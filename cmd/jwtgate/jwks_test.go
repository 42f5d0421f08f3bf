package main

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/jwtgate/jwtgate/core"
)

// jwksServer publishes a fresh ES256 key's JWKS at /jwks.json and counts
// the fetches. status and body, when set, replace the answer.
type jwksServer struct {
	*httptest.Server
	key    jose.JSONWebKey
	hits   atomic.Int32
	status atomic.Int32
	body   atomic.Value // string
}

func newJWKSServer(t *testing.T) *jwksServer {
	t.Helper()
	ec, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	s := &jwksServer{key: jose.JSONWebKey{Key: ec, KeyID: "remote-1", Algorithm: "ES256", Use: "sig"}}
	pub, err := publicJWKS(s.key)
	require.NoError(t, err)
	s.body.Store(string(pub))
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.hits.Add(1)
		switch r.URL.Path {
		case "/jwks.json":
		case "/redirect":
			http.Redirect(w, r, "/jwks.json", http.StatusFound)
			return
		default:
			http.NotFound(w, r)
			return
		}
		if st := s.status.Load(); st != 0 {
			w.WriteHeader(int(st))
		}
		w.Write([]byte(s.body.Load().(string)))
	}))
	t.Cleanup(s.Close)
	return s
}

func jwksPolicy(t *testing.T, url string) string {
	return writeFile(t, t.TempDir(), "policy.yaml", `
integrations:
  - name: remote
    issuer: https://remote.example
    algorithms: [ES256]
    keys:
      - jwks_url: `+url+`
`)
}

func remoteClaims() map[string]any {
	return map[string]any{"iss": "https://remote.example", "sub": "r", "exp": testNow.Add(time.Hour).Unix()}
}

func TestJWKSURLThroughVerify(t *testing.T) {
	s := newJWKSServer(t)
	policy := jwksPolicy(t, s.URL+"/jwks.json")
	tok := token(t, s.key, remoteClaims())

	// Two tokens in one batch share the verifier and so the cached set.
	r := runCmd(t, tok+"\n"+tok+"\n", "verify", "--config", policy, "--now", nowArg, "--batch")
	require.Equal(t, exitOK, r.code, r.stdout+r.stderr)
	assert.Equal(t, 2, strings.Count(r.stdout, `"valid":true`))
	assert.Equal(t, int32(1), s.hits.Load(), "the key set is fetched once and cached")

	// The server failing: keys_unavailable.
	s.status.Store(http.StatusInternalServerError)
	r = runCmd(t, "", "verify", "--config", policy, "--now", nowArg, tok)
	require.Equal(t, exitRejected, r.code)
	d := decision(t, r.stdout)
	assert.Equal(t, core.CodeKeysUnavailable, d.Code)
	assert.Equal(t, "Failed to get JWKS", d.Message)
}

func TestHTTPKeySource(t *testing.T) {
	s := newJWKSServer(t)
	url := s.URL + "/jwks.json"
	ks := newHTTPKeySource([]string{url, s.URL + "/redirect", s.URL + "/missing"})
	clock := time.Now()
	ks.now = func() time.Time { return clock }
	ctx := context.Background()

	set, err := ks.KeySet(ctx, url, "remote-1")
	require.NoError(t, err)
	assert.Equal(t, 1, set.Len())
	_, err = ks.KeySet(ctx, url, "")
	require.NoError(t, err)
	assert.Equal(t, int32(1), s.hits.Load(), "cached")

	clock = clock.Add(jwksCacheTTL + time.Second)
	_, err = ks.KeySet(ctx, url, "")
	require.NoError(t, err)
	assert.Equal(t, int32(2), s.hits.Load(), "refetched after the TTL")

	// Only the policy's URLs are fetched.
	_, err = ks.KeySet(ctx, s.URL+"/other.json", "")
	require.ErrorContains(t, err, "not a jwks_url")
	assert.Equal(t, int32(2), s.hits.Load())

	// Redirects are not followed; errors are not cached.
	_, err = ks.KeySet(ctx, s.URL+"/redirect", "")
	require.ErrorContains(t, err, "302")
	_, err = ks.KeySet(ctx, s.URL+"/missing", "")
	require.ErrorContains(t, err, "404")

	// A body over the limit, or not a key set, is refused.
	clock = clock.Add(jwksCacheTTL + time.Second)
	s.body.Store(`{"keys":[` + strings.Repeat(" ", jwksMaxBytes) + `]}`)
	_, err = ks.KeySet(ctx, url, "")
	require.ErrorContains(t, err, "larger than")
	s.body.Store(`{"keys": 5}`)
	_, err = ks.KeySet(ctx, url, "")
	require.Error(t, err)
}

func TestHTTPKeySourceTimeout(t *testing.T) {
	block := make(chan struct{})
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-block:
		case <-r.Context().Done():
		}
	}))
	defer slow.Close()
	defer close(block)
	ks := newHTTPKeySource([]string{slow.URL})
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := ks.KeySet(ctx, slow.URL, "")
	require.Error(t, err)
	assert.Less(t, time.Since(start), jwksFetchTimeout, "the caller's deadline is honoured")
}

package main

import (
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
	assert.Equal(t, int32(1), s.hits.Load(), "the key set is fetched once and cached (keyfetch)")

	// The server failing: keys_unavailable.
	s.status.Store(http.StatusInternalServerError)
	r = runCmd(t, "", "verify", "--config", policy, "--now", nowArg, tok)
	require.Equal(t, exitRejected, r.code)
	d := decision(t, r.stdout)
	assert.Equal(t, core.CodeKeysUnavailable, d.Code)
	assert.Equal(t, "Failed to get JWKS", d.Message)
}

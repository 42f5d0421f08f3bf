package main

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/jwtgate/jwtgate/core"
	"github.com/jwtgate/jwtgate/internal/wasmtest"
)

// discoveryServer is an issuer on loopback whose discovery document names
// the key set of s (another port: allowed by jwks_hosts only).
func discoveryServer(t *testing.T, s *jwksServer, issuer *string) (*httptest.Server, *atomic.Int32) {
	var docs atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/.well-known/openid-configuration" {
			http.NotFound(w, r)
			return
		}
		docs.Add(1)
		_ = json.NewEncoder(w).Encode(map[string]string{"issuer": *issuer, "jwks_uri": s.URL + "/jwks.json"})
	}))
	t.Cleanup(srv.Close)
	if *issuer == "" {
		*issuer = srv.URL
	}
	return srv, &docs
}

// discoveryPolicy is an issuer on loopback with its discovery document,
// its key set on another port, and a policy file that finds the keys
// through the document (jwks_hosts allowing the set's port).
func discoveryPolicy(t *testing.T) (s *jwksServer, issuer string, docs *atomic.Int32, policy string) {
	s = newJWKSServer(t)
	_, docs = discoveryServer(t, s, &issuer)
	keysHost := strings.TrimPrefix(s.URL, "http://")
	policy = writeFile(t, t.TempDir(), "policy.yaml", "integrations:\n  - name: remote\n    issuer: "+issuer+
		"\n    algorithms: [ES256]\n    keys: [{discovery: true, jwks_hosts: ['"+keysHost+"']}]\n")
	return s, issuer, docs, policy
}

// jwtgate verify finds the keys through the issuer's document; a batch
// fetches the document and the set once.
func TestDiscoveryThroughVerify(t *testing.T) {
	s, issuer, docs, policy := discoveryPolicy(t)
	tok := token(t, s.key, map[string]any{"iss": issuer, "sub": "r", "exp": testNow.Add(time.Hour).Unix()})
	r := runCmd(t, tok+"\n"+tok+"\n", "verify", "--config", policy, "--now", nowArg, "--batch")
	require.Equal(t, exitOK, r.code, r.stdout+r.stderr)
	assert.Equal(t, 2, strings.Count(r.stdout, `"valid":true`))
	assert.Equal(t, int32(1), docs.Load())
	assert.Equal(t, int32(1), s.hits.Load())

	// Without jwks_hosts, the set on another port is refused.
	policy = writeFile(t, t.TempDir(), "policy.yaml", "integrations:\n  - name: remote\n    issuer: "+issuer+
		"\n    algorithms: [ES256]\n    keys: [{discovery: true}]\n")
	r = runCmd(t, "", "verify", "--config", policy, "--now", nowArg, "--explain", tok)
	require.Equal(t, exitRejected, r.code)
	d := decision(t, r.stdout)
	assert.Equal(t, core.CodeKeysUnavailable, d.Code)
	assert.Contains(t, d.Reason, "jwks_uri \""+s.URL+"/jwks.json\" refused")
	assert.Equal(t, int32(1), s.hits.Load())
}

func TestJWKSCheckDiscovery(t *testing.T) {
	s := newJWKSServer(t)
	var issuer string
	srv, _ := discoveryServer(t, s, &issuer)
	keysHost := strings.TrimPrefix(s.URL, "http://")
	r := runCmd(t, "", "jwks", "check", "--discovery", issuer, "--jwks-hosts", keysHost)
	require.Equal(t, exitOK, r.code, r.stderr)
	assert.Contains(t, r.stdout, srv.URL+`/.well-known/openid-configuration: issuer "`+issuer+`", jwks_uri `+s.URL+"/jwks.json; cached for 1h0m0s\n")
	assert.Contains(t, r.stdout, `kid "remote-1": kty EC, alg ES256, use sig, EC P-256 public key: verifies ES256`)
	assert.Contains(t, r.stdout, s.URL+"/jwks.json: 1 keys, 1 usable")

	r = runCmd(t, "", "jwks", "check", "--discovery", issuer)
	require.Equal(t, exitRejected, r.code)
	assert.Contains(t, r.stderr, "jwks_uri \""+s.URL+"/jwks.json\" refused")

	r = runCmd(t, "", "jwks", "check", "--discovery", srv.URL+"/x")
	require.Equal(t, exitRejected, r.code)
	assert.Contains(t, r.stderr, "discovery document unreachable: GET "+srv.URL+"/x/.well-known/openid-configuration: 404")

	other := "https://other.example"
	m, _ := discoveryServer(t, s, &other)
	r = runCmd(t, "", "jwks", "check", "--discovery", m.URL)
	require.Equal(t, exitRejected, r.code)
	assert.Contains(t, r.stderr, `issuer mismatch: expected "`+m.URL+`", found "https://other.example"`)

	assert.Equal(t, exitUsage, runCmd(t, "", "jwks", "check", "--discovery", "idp.example").code)
	assert.Equal(t, exitUsage, runCmd(t, "", "jwks", "check", "--discovery", issuer, s.URL).code)
	assert.Equal(t, exitUsage, runCmd(t, "", "jwks", "check", s.URL, "--jwks-hosts", "a.example").code)
}

// The plugin asks its host for a discovery entry's key set by the
// document's URL, as for a jwks_url (keyset_get): --engine wasm decides as
// the native engine does.
func TestDiscoveryThroughTheWasmEngine(t *testing.T) {
	wasmtest.SkipShort(t)
	s, issuer, docs, policy := discoveryPolicy(t)
	good := token(t, s.key, map[string]any{"iss": issuer, "sub": "r", "exp": testNow.Add(time.Hour).Unix()})
	expired := token(t, s.key, map[string]any{"iss": issuer, "sub": "r", "exp": testNow.Add(-time.Hour).Unix()})
	for _, tok := range []string{good, expired} {
		native := runCmd(t, "", "verify", "--config", policy, "--now", nowArg, "--explain", tok)
		wasm := runCmd(t, "", "verify", "--config", policy, "--now", nowArg, "--explain", "--engine", "wasm", tok)
		assert.Equal(t, native.code, wasm.code, wasm.stderr)
		assert.Equal(t, native.stdout, wasm.stdout)
	}
	assert.Contains(t, runCmd(t, "", "verify", "--config", policy, "--now", nowArg, "--engine", "wasm", good).stdout, `"valid":true`)
	assert.NotZero(t, docs.Load())
}

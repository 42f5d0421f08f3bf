package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/stretchr/testify/require"
)

// jwksDocServer serves doc at /jwks with the given Cache-Control, and a
// redirect at /moved.
func jwksDocServer(t *testing.T, doc, cacheControl string) *httptest.Server {
	mux := http.NewServeMux()
	mux.HandleFunc("/jwks", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", cacheControl)
		fmt.Fprint(w, doc)
	})
	mux.Handle("/moved", http.RedirectHandler("/jwks", http.StatusFound))
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

func TestJWKSCheck(t *testing.T) {
	rs, err := rsa.GenerateKey(rand.Reader, 2048)
	require.NoError(t, err)
	weak, err := rsa.GenerateKey(rand.Reader, 1024)
	require.NoError(t, err)
	ec, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	set := jose.JSONWebKeySet{Keys: []jose.JSONWebKey{
		{Key: rs.Public(), KeyID: "rs", Algorithm: "RS256", Use: "sig"},
		{Key: ec.Public(), KeyID: "enc", Use: "enc"},
		{Key: weak.Public(), KeyID: "weak", Algorithm: "RS256"},
		{Key: []byte(testSecret), KeyID: "leaked", Algorithm: "HS256"},
		{Key: rs.Public(), KeyID: "noalg"},
	}}
	doc, err := json.Marshal(set)
	require.NoError(t, err)
	srv := jwksDocServer(t, string(doc), "max-age=600")
	r := runCmd(t, "", "jwks", "check", srv.URL+"/jwks")
	require.Equal(t, exitOK, r.code, r.stderr)
	require.Contains(t, r.stdout, `kid "rs": kty RSA, alg RS256, use sig, RSA-2048 public key: verifies RS256`)
	require.Contains(t, r.stdout, `kid "enc": kty EC, alg -, use enc, EC P-256 public key: skipped: use is enc`)
	require.Contains(t, r.stdout, `kid "weak": kty RSA, alg RS256, use -, RSA-1024 public key: skipped: RSA key is 1024 bits`)
	require.Contains(t, r.stdout, `kid "leaked": kty oct`)
	require.Contains(t, r.stdout, "WARNING: a shared secret published at a URL: anyone who fetches it can mint tokens; jwtgate never uses it")
	require.Contains(t, r.stdout, `kid "noalg": kty RSA, alg -, use -, RSA-2048 public key: verifies RS256, RS384, RS512, PS256, PS384, PS512`)
	require.Contains(t, r.stdout, "5 keys, 2 usable; cached for 10m0s")

	// Only the algorithms asked about: the RS256 key verifies none of ES256.
	r = runCmd(t, "", "jwks", "check", srv.URL+"/jwks", "--alg", "ES256")
	require.Equal(t, exitRejected, r.code)
	require.Contains(t, r.stderr, "no usable signing key")

	// Fetched as the server fetches: redirects are not followed.
	r = runCmd(t, "", "jwks", "check", srv.URL+"/moved")
	require.Equal(t, exitRejected, r.code)
	require.Contains(t, r.stderr, "not followed")
	r = runCmd(t, "", "jwks", "check", jwksDocServer(t, "not json", "").URL+"/jwks")
	require.Equal(t, exitRejected, r.code)

	require.Equal(t, exitUsage, runCmd(t, "", "jwks", "check", "ftp://x").code)
	require.Equal(t, exitUsage, runCmd(t, "", "jwks", "check", srv.URL, "--alg", "none").code)
	require.Equal(t, exitUsage, runCmd(t, "", "jwks").code)
}

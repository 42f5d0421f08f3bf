package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"os"
	"path/filepath"
	"regexp"
	"testing"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestREADMEExamplePolicyLoads keeps the manual's complete policy example
// (docs/configuration.md) honest: it must load, with the key files it
// names.
func TestREADMEExamplePolicyLoads(t *testing.T) {
	doc, err := os.ReadFile("../../docs/configuration.md")
	require.NoError(t, err)
	m := regexp.MustCompile("(?s)\n#+ A complete policy\n\n```yaml\n(.*?)```").FindSubmatch(doc)
	require.NotNil(t, m, "docs/configuration.md has no complete policy")

	dir := t.TempDir()
	require.NoError(t, os.Mkdir(filepath.Join(dir, "keys"), 0o700))
	ec, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	jwks, err := publicJWKS(jose.JSONWebKey{Key: ec, KeyID: "ec-1", Algorithm: "ES256", Use: "sig"})
	require.NoError(t, err)
	writeFile(t, dir, "keys/acme.jwks.json", string(jwks))
	rsaSig, err := rsa.GenerateKey(rand.Reader, 2048)
	require.NoError(t, err)
	pub, err := x509.MarshalPKIXPublicKey(&rsaSig.PublicKey)
	require.NoError(t, err)
	writeFile(t, dir, "keys/acme-rsa.pub.pem", string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pub})))
	rsaEnc, err := rsa.GenerateKey(rand.Reader, 2048)
	require.NoError(t, err)
	priv, err := x509.MarshalPKCS8PrivateKey(rsaEnc)
	require.NoError(t, err)
	writeFile(t, dir, "keys/jwe-private.pem", string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: priv})))
	writeFile(t, dir, "keys/okto.secret", testSecret+"\n")
	t.Setenv("ACME_HS256_SECRET", testSecret)
	policy := writeFile(t, dir, "policy.yaml", string(m[1]))

	p, err := loadPolicy(policy)
	require.NoError(t, err)
	assert.Equal(t, []string{"acme", "okto"}, p.Integrations())
	assert.True(t, p.OneTimeUse())
	assert.Equal(t, []string{"https://idp.acme.example/.well-known/jwks.json"}, p.JWKSURLs())
}

// TestDemoPolicyLoadsWithoutDemoKeys: the demo policy names its key files
// relative to itself, so without them it is refused, naming the field.
func TestDemoPolicyLoadsWithoutDemoKeys(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, demoPolicy, demoPolicyYAML)
	_, err := loadPolicy(filepath.Join(dir, demoPolicy))
	require.Error(t, err, "the key files are needed")
	assert.Contains(t, err.Error(), "keys[0].jwks_file")
}

package main

import (
	"encoding/base64"
	"encoding/json"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// parts decodes a compact JWS's header and payload.
func parts(t testing.TB, tok string) (header, payload map[string]any) {
	t.Helper()
	seg := strings.Split(strings.TrimSpace(tok), ".")
	require.Len(t, seg, 3)
	for i, dst := range []*map[string]any{&header, &payload} {
		raw, err := base64.RawURLEncoding.DecodeString(seg[i])
		require.NoError(t, err)
		dec := json.NewDecoder(strings.NewReader(string(raw)))
		dec.UseNumber()
		require.NoError(t, dec.Decode(dst))
	}
	return header, payload
}

func genKey(t testing.TB, dir, alg, kid string) string {
	t.Helper()
	out := filepath.Join(dir, kid+".jwk.json")
	r := runCmd(t, "", "keys", "generate", "--alg", alg, "--kid", kid, "--out", out)
	require.Equal(t, exitOK, r.code, r.stderr)
	return out
}

func TestMintTTLAndHeaders(t *testing.T) {
	dir := t.TempDir()
	key := genKey(t, dir, "ES384", "mint-1")
	r := runCmd(t, "", "mint", "--key", key, "--ttl", "90m", "--now", nowArg,
		"--claims", `{"iss":"https://i.example","sub":"s","n":12345678901234567890}`,
		"--header", `{"cty":"JWT","x-extra":true}`)
	require.Equal(t, exitOK, r.code, r.stderr)
	require.True(t, strings.HasSuffix(r.stdout, "\n"))
	h, p := parts(t, r.stdout)
	assert.Equal(t, "ES384", h["alg"])
	assert.Equal(t, "mint-1", h["kid"])
	assert.Equal(t, "JWT", h["typ"])
	assert.Equal(t, "JWT", h["cty"])
	assert.Equal(t, true, h["x-extra"])
	assert.Equal(t, json.Number(nowArg), p["iat"])
	assert.Equal(t, json.Number(toUnix(testNow.Add(90*time.Minute))), p["exp"])
	assert.Equal(t, json.Number("12345678901234567890"), p["n"], "numbers are kept as written")

	// Claims that have iat and exp keep them; --kid overrides the JWK's kid.
	claimsFile := writeFile(t, dir, "claims.json", `{"iss":"https://i.example","sub":"s","iat":100,"exp":200}`)
	r = runCmd(t, "", "mint", "--key", key, "--ttl", "1h", "--kid", "other", "--claims", "@"+claimsFile)
	require.Equal(t, exitOK, r.code, r.stderr)
	h, p = parts(t, r.stdout)
	assert.Equal(t, "other", h["kid"])
	assert.Equal(t, json.Number("100"), p["iat"])
	assert.Equal(t, json.Number("200"), p["exp"])

	// Without --ttl nothing is added.
	r = runCmd(t, "", "mint", "--key", key, "--claims", `{"sub":"s"}`)
	require.Equal(t, exitOK, r.code, r.stderr)
	_, p = parts(t, r.stdout)
	assert.Equal(t, map[string]any{"sub": "s"}, p)
}

func toUnix(t time.Time) string { return strconv.FormatInt(t.Unix(), 10) }

func TestMintAlgorithmOverrideAndDefaults(t *testing.T) {
	dir := t.TempDir()
	// An RSA key minted for RS256 signs PS512 when asked.
	key := genKey(t, dir, "RS256", "rsa-1")
	r := runCmd(t, "", "mint", "--key", key, "--alg", "PS512", "--claims", `{"sub":"s"}`)
	require.Equal(t, exitOK, r.code, r.stderr)
	h, _ := parts(t, r.stdout)
	assert.Equal(t, "PS512", h["alg"])

	// A JWK without alg gets the key type's usual algorithm.
	noAlg := writeFile(t, dir, "noalg.jwk.json", `{"kty":"oct","k":"`+base64.RawURLEncoding.EncodeToString([]byte(testSecret))+`"}`)
	r = runCmd(t, "", "mint", "--key", noAlg, "--claims", `{"sub":"s"}`)
	require.Equal(t, exitOK, r.code, r.stderr)
	h, _ = parts(t, r.stdout)
	assert.Equal(t, "HS256", h["alg"])
	assert.NotContains(t, h, "kid")

	// An algorithm that does not fit the key is an error.
	ec := genKey(t, dir, "ES256", "ec-1")
	r = runCmd(t, "", "mint", "--key", ec, "--alg", "ES512", "--claims", `{"sub":"s"}`)
	assert.Equal(t, exitUsage, r.code)
	assert.Empty(t, r.stdout)
}

func TestMintFromJWKSet(t *testing.T) {
	dir := t.TempDir()
	key := genKey(t, dir, "EdDSA", "ed-1")
	jwk, err := readPrivateJWK(key, "")
	require.NoError(t, err)
	set, err := json.Marshal(map[string]any{"keys": []any{jwk}})
	require.NoError(t, err)
	setFile := writeFile(t, dir, "set.json", string(set))
	r := runCmd(t, "", "mint", "--key", setFile, "--claims", `{"sub":"s"}`)
	require.Equal(t, exitOK, r.code, r.stderr)
	h, _ := parts(t, r.stdout)
	assert.Equal(t, "EdDSA", h["alg"])
	assert.Equal(t, "ed-1", h["kid"])
}

func TestMintErrors(t *testing.T) {
	dir := t.TempDir()
	key := genKey(t, dir, "ES256", "k")
	pubFile := writeFile(t, dir, "pub.json", runCmd(t, "", "keys", "generate", "--alg", "ES256", "--kid", "p", "--out", filepath.Join(dir, "p.jwk.json")).stdout)
	for name, args := range map[string][]string{
		"no key":            {"mint", "--claims", `{}`},
		"no claims":         {"mint", "--key", key},
		"claims not object": {"mint", "--key", key, "--claims", `[1]`},
		"claims null":       {"mint", "--key", key, "--claims", `null`},
		"claims trailing":   {"mint", "--key", key, "--claims", `{} {}`},
		"claims file gone":  {"mint", "--key", key, "--claims", "@" + filepath.Join(dir, "nope.json")},
		"header alg":        {"mint", "--key", key, "--claims", `{}`, "--header", `{"alg":"none"}`},
		"header kid":        {"mint", "--key", key, "--claims", `{}`, "--header", `{"kid":"x"}`},
		"negative ttl":      {"mint", "--key", key, "--claims", `{}`, "--ttl", "-1h"},
		"missing key file":  {"mint", "--key", filepath.Join(dir, "none.json"), "--claims", `{}`},
		"public key":        {"mint", "--key", pubFile, "--claims", `{}`},
		"unknown alg":       {"mint", "--key", key, "--claims", `{}`, "--alg", "none"},
	} {
		r := runCmd(t, "", args...)
		assert.Equal(t, exitUsage, r.code, name)
		assert.Empty(t, r.stdout, name)
		assert.NotEmpty(t, r.stderr, name)
	}
}

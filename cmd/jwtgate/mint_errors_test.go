package main

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

// TestMintErrorsSayWhatIsPossible: a refused mint names what was asked
// for and what the key allows instead, never a library's error.
func TestMintErrorsSayWhatIsPossible(t *testing.T) {
	dir := t.TempDir()
	ec := genKey(t, dir, "ES256", "ec")
	rsa := genKey(t, dir, "RS256", "rsa")
	hs := genKey(t, dir, "HS256", "hs")
	ed := genKey(t, dir, "EdDSA", "ed")
	short := writeFile(t, dir, "short.jwk.json", `{"kty":"oct","k":"c2hvcnQ"}`)
	oddKty := writeFile(t, dir, "kty.jwk.json", `{"kty":"XX"}`)
	badEC := writeFile(t, dir, "badec.jwk.json", `{"kty":"EC","crv":"P-256","x":"AA","y":"AA","d":"AA"}`)
	encAlg := writeFile(t, dir, "enc.jwk.json", `{"kty":"oct","k":"MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY","alg":"A256KW"}`)
	for _, c := range []struct {
		name string
		args []string
		want string
	}{
		{"unknown alg", []string{"--key", ec, "--alg", "XX"}, `--alg "XX" is not a signing algorithm jwtgate mints (HS256, HS384, HS512, RS256, RS384, RS512, PS256, PS384, PS512, ES256, ES384, ES512, EdDSA)`},
		{"none", []string{"--key", ec, "--alg", "none"}, `--alg "none" is not a signing algorithm`},
		{"lower case", []string{"--key", ec, "--alg", "es256"}, `--alg "es256" is not a signing algorithm jwtgate mints; did you mean ES256?`},
		{"RSA alg, EC key", []string{"--key", ec, "--alg", "RS256"}, "--alg RS256 needs an RSA key; " + ec + " holds an EC P-256 key, which signs ES256"},
		{"ES384, P-256 key", []string{"--key", ec, "--alg", "ES384"}, "--alg ES384 needs an EC P-384 key; " + ec + " holds an EC P-256 key, which signs ES256"},
		{"HS alg, EC key", []string{"--key", ec, "--alg", "HS256"}, "--alg HS256 needs a shared secret (an oct JWK); " + ec + " holds an EC P-256 key"},
		{"EC alg, RSA key", []string{"--key", rsa, "--alg", "ES256"}, "holds an RSA key, which signs RS256, RS384, RS512, PS256, PS384 or PS512"},
		{"EdDSA, RSA key", []string{"--key", rsa, "--alg", "EdDSA"}, "--alg EdDSA needs an Ed25519 key (OKP)"},
		{"RSA alg, secret", []string{"--key", hs, "--alg", "RS256"}, "holds a 32-byte shared secret, which signs HS256"},
		{"HS512, 32 bytes", []string{"--key", hs, "--alg", "HS512"}, "--alg HS512 needs a shared secret of at least 64 bytes; " + hs + " holds a 32-byte shared secret, which signs HS256"},
		{"ES256, Ed25519", []string{"--key", ed, "--alg", "ES256"}, "holds an Ed25519 key, which signs EdDSA"},
		{"short secret", []string{"--key", short}, short + " holds a 5-byte shared secret, too short to sign: HS256 needs at least 32 bytes"},
		{"kty", []string{"--key", oddKty}, `--key: ` + oddKty + `: kty "XX" is not a key type jwtgate signs with (EC, RSA, OKP or oct)`},
		{"bad EC", []string{"--key", badEC}, "--key: " + badEC + ": not a valid JWK: invalid EC private key, wrong length for x"},
		{"JWK alg", []string{"--key", encAlg}, `the key's alg "A256KW" (from ` + encAlg + `) is not a signing algorithm jwtgate mints`},
	} {
		r := runCmd(t, "", append([]string{"mint", "--claims", `{}`}, c.args...)...)
		assert.Equal(t, exitUsage, r.code, c.name)
		assert.Empty(t, r.stdout, c.name)
		assert.Contains(t, r.stderr, c.want, c.name)
		assert.NotContains(t, r.stderr, "go-jose", c.name)
	}
}

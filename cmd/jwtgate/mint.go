package main

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"time"

	jose "github.com/go-jose/go-jose/v4"
)

// mintUsage is the -h text of jwtgate mint, before its flags.
const mintUsage = "Usage: jwtgate mint --key FILE --claims JSON|@FILE [flags]\n\nSigns the claims as a compact JWS and prints it.\n\nFlags:\n"

func runMint(_ context.Context, args []string, stdout, stderr io.Writer) int {
	fset := newFlagSet("mint", mintUsage, stderr)
	keyFile := fset.String("key", "", "private JWK file (as written by keys generate); required")
	claimsArg := fset.String("claims", "", "claims as a JSON object, or @FILE; required")
	kid := fset.String("kid", "", "kid header (default: the JWK's kid)")
	alg := fset.String("alg", "", "signature algorithm (default: the JWK's alg, else the key type's usual one)")
	ttl := fset.Duration("ttl", 0, "set iat to now and exp to now+ttl, unless the claims have them")
	headerArg := fset.String("header", "", "extra protected header fields as a JSON object, or @FILE")
	nowFlag := fset.String("now", "", "the time used by --ttl: Unix seconds or RFC 3339, from 1970 to 9999 (default: the current time)")
	if code, ok := parseFlagsOnly(fset, stderr, args); !ok {
		return code
	}
	if *keyFile == "" || *claimsArg == "" {
		return usageError(fset, stderr, "--key and --claims are required")
	}
	if *ttl < 0 {
		return usageError(fset, stderr, "--ttl must not be negative")
	}
	now := time.Now()
	if *nowFlag != "" {
		t, err := parseTime(*nowFlag)
		if err != nil {
			return usageError(fset, stderr, "--now: %v", err)
		}
		now = t
	}
	jwk, err := readPrivateJWK(*keyFile, *kid)
	if err != nil {
		return usageError(fset, stderr, "--key: %v", err)
	}
	claims, err := jsonObjectArg(*claimsArg)
	if err != nil {
		return usageError(fset, stderr, "--claims: %v", err)
	}
	var header map[string]any
	if *headerArg != "" {
		if header, err = jsonObjectArg(*headerArg); err != nil {
			return usageError(fset, stderr, "--header: %v", err)
		}
		for _, name := range []string{"alg", "kid"} {
			if _, ok := header[name]; ok {
				return usageError(fset, stderr, "--header: set %s with --%s", name, name)
			}
		}
	}
	if *ttl > 0 {
		if _, ok := claims["iat"]; !ok {
			claims["iat"] = now.Unix()
		}
		if _, ok := claims["exp"]; !ok {
			claims["exp"] = now.Add(*ttl).Unix()
		}
	}
	if *kid != "" {
		jwk.KeyID = *kid
	}
	if *alg != "" {
		jwk.Algorithm = *alg
	}
	if err := checkSigningKey(*keyFile, signingAlg(jwk), jwk.Key, *alg != ""); err != nil {
		return usageError(fset, stderr, "%v", err)
	}
	tok, err := mintToken(jwk, claims, header)
	if err != nil {
		fmt.Fprintf(stderr, "jwtgate: mint: %v\n", err)
		return exitUsage
	}
	fmt.Fprintln(stdout, tok)
	return exitOK
}

// readPrivateJWK reads a private JWK, or a JWK set holding one key (or the
// key with kid, when given).
func readPrivateJWK(path, kid string) (jose.JSONWebKey, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return jose.JSONWebKey{}, err
	}
	var probe struct {
		Keys json.RawMessage `json:"keys"`
		Kty  string          `json:"kty"`
	}
	if err := json.Unmarshal(data, &probe); err != nil {
		return jose.JSONWebKey{}, fmt.Errorf("%s: not JSON: %v", path, err)
	}
	var jwk jose.JSONWebKey
	if probe.Keys == nil {
		if !slices.Contains([]string{"EC", "RSA", "OKP", "oct"}, probe.Kty) {
			return jose.JSONWebKey{}, fmt.Errorf("%s: kty %q is not a key type jwtgate signs with (EC, RSA, OKP or oct)", path, probe.Kty)
		}
		if err := json.Unmarshal(data, &jwk); err != nil {
			return jose.JSONWebKey{}, fmt.Errorf("%s: not a valid JWK: %s", path, joseReason(err))
		}
	} else {
		var set jose.JSONWebKeySet
		if err := json.Unmarshal(data, &set); err != nil {
			return jose.JSONWebKey{}, fmt.Errorf("%s: not a valid JWK set: %s", path, joseReason(err))
		}
		switch found := set.Key(kid); {
		case kid != "" && len(found) == 1:
			jwk = found[0]
		case kid == "" && len(set.Keys) == 1:
			jwk = set.Keys[0]
		default:
			return jose.JSONWebKey{}, fmt.Errorf("%s: a JWK set; name one of its keys with --kid", path)
		}
	}
	if _, secret := jwk.Key.([]byte); !secret && jwk.IsPublic() {
		return jose.JSONWebKey{}, fmt.Errorf("%s holds a public key; signing needs the private key", path)
	}
	return jwk, nil
}

// mintToken signs claims with jwk (its Algorithm and KeyID give alg and
// kid) and returns the compact JWS.
func mintToken(jwk jose.JSONWebKey, claims, header map[string]any) (string, error) {
	alg := signingAlg(jwk)
	if alg == "" {
		desc, _ := keySigns(jwk.Key)
		return "", fmt.Errorf("cannot sign with %s", desc)
	}
	opts := &jose.SignerOptions{}
	opts.WithType("JWT")
	if jwk.KeyID != "" {
		opts.WithHeader("kid", jwk.KeyID)
	}
	for k, v := range header {
		opts.WithHeader(jose.HeaderKey(k), v)
	}
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.SignatureAlgorithm(alg), Key: jwk.Key}, opts)
	if err != nil {
		return "", fmt.Errorf("%s: %s", alg, joseReason(err))
	}
	payload, err := json.Marshal(claims)
	if err != nil {
		return "", err
	}
	obj, err := signer.Sign(payload)
	if err != nil {
		return "", fmt.Errorf("%s: %s", alg, joseReason(err))
	}
	return obj.CompactSerialize()
}

// signingAlg is the algorithm jwk signs with: its own, else its key
// type's usual one ("" for none).
func signingAlg(jwk jose.JSONWebKey) string {
	if jwk.Algorithm != "" {
		return jwk.Algorithm
	}
	return defaultAlgorithm(jwk.Key)
}

// defaultAlgorithm is the usual algorithm of a key type.
func defaultAlgorithm(key any) string {
	switch k := key.(type) {
	case []byte:
		return "HS256"
	case *rsa.PrivateKey:
		return "RS256"
	case *ecdsa.PrivateKey:
		switch k.Curve.Params().BitSize {
		case 256:
			return "ES256"
		case 384:
			return "ES384"
		case 521:
			return "ES512"
		}
	case ed25519.PrivateKey:
		return "EdDSA"
	}
	return ""
}

// jsonObjectArg parses a JSON object given inline or as @FILE, keeping
// numbers exactly as written.
func jsonObjectArg(s string) (map[string]any, error) {
	data, err := readArg(s)
	if err != nil {
		return nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		return nil, fmt.Errorf("want a JSON object: %v", err)
	}
	if m == nil {
		return nil, errors.New("want a JSON object, found null")
	}
	if dec.More() {
		return nil, errors.New("want one JSON object, found more")
	}
	return m, nil
}

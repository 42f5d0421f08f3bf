//go:build !jwtgate_nojwe

package core

import (
	jose "github.com/go-jose/go-jose/v4"

	"github.com/jwtgate/jwtgate/core/internal/keys"
)

// addDecryptionKeys loads one decryption_keys entry and binds each of its
// keys to the allowed key algorithms it fits, recording them in seen.
func (in *integration) addDecryptionKeys(k *keyConfig, field string, opts LoadOptions, allowedKeyAlgs []jose.KeyAlgorithm, seen map[jose.KeyAlgorithm]bool) error {
	kind, data, err := k.material(field, opts)
	if err != nil {
		return err
	}
	field += "." + k.sources()[0].kind
	// Each key's algorithm: its JWK's own "alg" (RFC 7517 4.4), else
	// the policy's algorithm; both set, they must agree.
	var materials []any
	var kids, declared []string
	switch kind {
	case "secret":
		materials, kids, declared = []any{data}, []string{k.KeyID}, []string{k.Algorithm}
	case "pem":
		list, err := keys.ParsePrivatePEM(data)
		if err != nil {
			return fieldErr(field, "%v", err)
		}
		for _, m := range list {
			materials, kids, declared = append(materials, m), append(kids, k.KeyID), append(declared, k.Algorithm)
		}
	case "jwks":
		set, err := keys.ParseJoseJWKS(data)
		if err != nil {
			return fieldErr(field, "%v", err)
		}
		for _, jwk := range set {
			if jwk.Use == "sig" {
				continue
			}
			alg := jwk.Algorithm
			if _, ok := keys.ParseContentEncryption(alg); ok {
				// A direct key names the content encryption it is for
				// (RFC 7520 5.6): its key management is dir.
				alg = string(jose.DIRECT)
			}
			switch {
			case alg == "":
				alg = k.Algorithm
			case k.Algorithm != "" && alg != k.Algorithm:
				return fieldErr(field, "key %q says alg %q, but the policy sets algorithm %q", jwk.KeyID, alg, k.Algorithm)
			}
			materials, kids, declared = append(materials, jwk.Key), append(kids, jwk.KeyID), append(declared, alg)
		}
		if len(materials) == 0 {
			return fieldErr(field, "no decryption keys in the set (keys with use \"sig\" are skipped)")
		}
	default:
		return fieldErr(field, "decryption keys cannot be fetched from a URL")
	}
	for j, m := range materials {
		algs, err := keys.BindDecryption(m, declared[j], allowedKeyAlgs)
		if err != nil {
			return fieldErr(field, "%v", err)
		}
		for _, a := range algs {
			seen[a] = true
		}
		in.decryption = append(in.decryption, keys.DecryptionKey{ID: kids[j], Material: m, Algorithms: algs, Source: field})
	}
	return nil
}

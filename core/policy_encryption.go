package core

import (
	"fmt"
	"strings"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/jwtgate/jwtgate/core/internal/keys"
)

// compileEncryption checks the JWE settings and binds the decryption keys
// to the key algorithms they allow.
func (in *integration) compileEncryption(c *integrationConfig, opts LoadOptions, p *problems) {
	e := &c.Encryption
	in.compileEncryptionLimits(e, p)
	allowedKeyAlgs := compileKeyAlgorithms(e, p)
	in.contentAlgorithms = compileContentAlgorithms(e, p)
	if opts.PublicKeysOnly && len(c.DecryptionKeys) > 0 {
		p.add("decryption_keys", "a public-key-only policy (one shipped to a browser) cannot keep a decryption key secret; decrypt on a server")
		return
	}
	if len(c.DecryptionKeys) == 0 {
		if e.AllowUnsigned || e.AllowCompression || e.AllowPBES2 || len(e.KeyAlgorithms) > 0 {
			p.add("encryption", "encryption settings without decryption_keys")
		}
		return
	}
	if p.failed("encryption") {
		return // the keys would be bound to the wrong algorithms
	}
	seen := map[jose.KeyAlgorithm]bool{}
	for i := range c.DecryptionKeys {
		field := fmt.Sprintf("decryption_keys[%d]", i)
		if p.decodeFailed(field) {
			continue
		}
		if err := in.addDecryptionKeys(&c.DecryptionKeys[i], field, opts, allowedKeyAlgs, seen); err != nil {
			p.addErr(err)
		}
	}
	if e.AllowUnsigned {
		in.checkUnsignedKeys(p)
	}
	for _, a := range allowedKeyAlgs {
		if seen[a] {
			in.keyAlgorithms = append(in.keyAlgorithms, a)
		}
	}
}

// compileEncryptionLimits checks and sets the bounds a JWE's client
// controls: the plaintext's size and the PBES2 count.
func (in *integration) compileEncryptionLimits(e *encryptionConfig, p *problems) {
	if e.MaxPlaintextBytes != 0 {
		if e.MaxPlaintextBytes < 256 || e.MaxPlaintextBytes > MaxTokenBytesLimit {
			p.add("encryption.max_plaintext_bytes", "want between 256 and %d, found %d", MaxTokenBytesLimit, e.MaxPlaintextBytes)
		}
		in.maxPlaintext = e.MaxPlaintextBytes
	}
	if e.MaxPBES2Count != 0 {
		switch {
		case !e.AllowPBES2:
			p.add("encryption.max_pbes2_count", "set only together with allow_pbes2")
		case e.MaxPBES2Count < 1000 || e.MaxPBES2Count > 1_000_000:
			p.add("encryption.max_pbes2_count", "want between 1000 and 1000000, found %d", e.MaxPBES2Count)
		}
		in.maxPBES2Count = e.MaxPBES2Count
	}
}

// compileKeyAlgorithms returns the key algorithms decryption keys may be
// bound to: the configured list, else every accepted one (PBES2 only with
// allow_pbes2).
func compileKeyAlgorithms(e *encryptionConfig, p *problems) []jose.KeyAlgorithm {
	allowed := keys.KeyAlgorithms
	if e.AllowPBES2 {
		allowed = append(allowed[:len(allowed):len(allowed)], keys.PBES2Algorithms...)
	}
	if len(e.KeyAlgorithms) == 0 {
		return allowed
	}
	var list []jose.KeyAlgorithm
	for i, name := range e.KeyAlgorithms {
		alg, ok := keys.ParseKeyAlgorithm(name)
		if !ok || (!e.AllowPBES2 && strings.HasPrefix(name, "PBES2")) {
			p.add(fmt.Sprintf("encryption.key_algorithms[%d]", i), "%q is not an accepted key algorithm (PBES2 needs allow_pbes2; RSA1_5 is never accepted)", name)
			continue
		}
		list = append(list, alg)
	}
	return list
}

// compileContentAlgorithms returns the accepted content encryptions: the
// configured list, else every supported one.
func compileContentAlgorithms(e *encryptionConfig, p *problems) []jose.ContentEncryption {
	if len(e.ContentAlgorithms) == 0 {
		return keys.ContentEncryptions
	}
	var list []jose.ContentEncryption
	for i, name := range e.ContentAlgorithms {
		enc, ok := keys.ParseContentEncryption(name)
		if !ok {
			p.add(fmt.Sprintf("encryption.content_algorithms[%d]", i), "%q is not a supported content encryption", name)
			continue
		}
		list = append(list, enc)
	}
	return list
}

// checkUnsignedKeys refuses allow_unsigned beside a public-key decryption
// key: only a shared secret makes encryption authenticate the sender, as
// anyone holding a public encryption key could mint encrypted-only claims.
func (in *integration) checkUnsignedKeys(p *problems) {
	for _, k := range in.decryption {
		if _, secret := k.Material.([]byte); !secret {
			p.add("encryption.allow_unsigned", "%s is a public-key decryption key; unsigned claims can be allowed only with shared-secret decryption keys", k.Source)
			return
		}
	}
}

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
		set, err := keys.ParseJWKS(data)
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

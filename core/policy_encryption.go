package core

import (
	"fmt"
	"strings"

	jose "github.com/jwtgate/jwtgate/core/internal/joseid"
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

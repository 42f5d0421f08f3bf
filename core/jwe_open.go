//go:build !jwtgate_nojwe

package core

import (
	"context"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/jwtgate/jwtgate/core/internal/keys"
)

// The JWE decryption, with go-jose. A build with the tag jwtgate_nojwe
// (the browser module, which refuses decryption keys) leaves it out, and
// go-jose's JWE code with it: see jwe_off.go.

// open decrypts t with in's keys and verifies what it holds. done reports
// whether the answer is final: a malformed JWE, or one that decrypted
// (whatever the token inside it says); else verr, when not nil, is why
// in's keys failed, and the next integration may try.
func (v *Verifier) open(ctx context.Context, r *run, req *Request, t *jwe, in *integration, tries *int) (c claimsInput, verr *verdict, done bool) {
	obj, err := jose.ParseEncryptedCompact(t.tok, []jose.KeyAlgorithm{t.alg}, []jose.ContentEncryption{t.enc})
	if err != nil {
		return claimsInput{}, fail(CodeInvalidToken, "decryption", "malformed JWE: %v", err), true
	}
	plaintext, ok, verr := t.decrypt(r, obj, in, tries)
	if !ok {
		return claimsInput{}, verr, false
	}
	c, verr = v.decrypted(ctx, r, req, in, t.h, plaintext)
	return c, verr, true
}

// decrypt tries in's decryption keys that fit the JWE, counting each try
// in tries (at most maxKeyTries). It returns the plaintext of the first
// that decrypts and true; else false, and a verdict when a key was tried
// and failed.
func (t *jwe) decrypt(r *run, obj *jose.JSONWebEncryption, in *integration, tries *int) ([]byte, bool, *verdict) {
	var last *verdict
	for i := range in.decryption {
		k := &in.decryption[i]
		if !k.Allows(t.alg) || (t.h.kid != "" && k.ID != "" && k.ID != t.h.kid) {
			continue
		}
		if *tries == maxKeyTries {
			break
		}
		*tries++
		plaintext, err := obj.Decrypt(k.Material)
		if err != nil {
			last = fail(CodeInvalidToken, "decryption", "JWE does not decrypt with the keys of integration %q", in.name)
			continue
		}
		if r.explain {
			r.step("decryption", OutcomePass, "decrypted %s/%s with %s of integration %q", t.alg, t.enc, keys.Describe(k.Material), in.name)
		}
		return plaintext, true, nil
	}
	return nil, false, last
}

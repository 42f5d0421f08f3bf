package core

import (
	"bytes"
	"context"
	"slices"
	"strings"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/jwtgate/jwtgate/core/internal/jsonscan"
	"github.com/jwtgate/jwtgate/core/internal/keys"
)

// encrypted decrypts a compact JWE and verifies the signed token inside it.
func (v *Verifier) encrypted(ctx context.Context, r *run, req *Request, tok string) (*claimsInput, *verdict) {
	if verr := compactChars(tok); verr != nil {
		return nil, verr
	}
	h, verr := parseHeader(r, tok[:strings.IndexByte(tok, '.')])
	if verr != nil {
		return nil, verr
	}
	for i, part := range strings.Split(tok, ".")[1:] {
		if _, err := b64.DecodeString(part); err != nil {
			return nil, fail(CodeInvalidToken, "format", "JWE part %d is not base64url: %v", i+2, err)
		}
	}
	if h.enc == "" {
		return nil, fail(CodeInvalidToken, "header", "JWE header has no enc")
	}
	alg, ok := keys.ParseKeyAlgorithm(h.alg)
	if !ok {
		return nil, fail(CodeInvalidToken, "algorithm", "JWE key algorithm %q is not accepted", h.alg)
	}
	enc, ok := keys.ParseContentEncryption(h.enc)
	if !ok {
		return nil, fail(CodeInvalidToken, "algorithm", "JWE content encryption %q is not accepted", h.enc)
	}
	// Route by a replicated "iss" header (RFC 7519 section 5.3) when there
	// is one; otherwise every integration with decryption keys is a candidate.
	var candidates []*integration
	if raw, ok := h.obj.Get("iss"); ok {
		iss, err := jsonscan.String(raw)
		if err != nil {
			return nil, fail(CodeInvalidToken, "issuer", "header iss must be a string")
		}
		in := v.policy.byIssuer[iss]
		if in == nil {
			return nil, fail(CodeConfigurationNotFound, "issuer", "no integration has issuer %q", iss)
		}
		candidates = []*integration{in}
	} else {
		for _, in := range v.policy.integrations {
			if len(in.decryption) > 0 {
				candidates = append(candidates, in)
			}
		}
	}
	if req.Integration != "" {
		var only []*integration
		for _, in := range candidates {
			if in.name == req.Integration {
				only = append(only, in)
			}
		}
		candidates = only
	}
	if len(candidates) == 0 {
		return nil, fail(CodeConfigurationNotFound, "decryption", "no integration accepts encrypted tokens")
	}
	var p2c float64
	if raw, ok := h.obj.Get("p2c"); ok {
		n, err := jsonscan.Number(raw)
		if err != nil {
			return nil, fail(CodeInvalidToken, "header", "p2c must be a number")
		}
		p2c = n
	}
	tries := 0
	var last *verdict
	for _, in := range candidates {
		if !slices.Contains(in.keyAlgorithms, alg) || !slices.Contains(in.contentAlgorithms, enc) {
			last = fail(CodeInvalidToken, "algorithm", "integration %q does not accept JWE %s with %s", in.name, alg, enc)
			continue
		}
		if len(tok) > in.maxTokenBytes {
			last = fail(CodeInvalidToken, "size", "token is %d bytes, integration %q allows %d", len(tok), in.name, in.maxTokenBytes)
			continue
		}
		if h.zip != "" && !in.allowCompression {
			last = fail(CodeInvalidToken, "decryption", "compressed JWE (zip %q) refused; integration %q does not allow compression", h.zip, in.name)
			continue
		}
		if strings.HasPrefix(string(alg), "PBES2") && (p2c < 1 || p2c > float64(in.maxPBES2Count)) {
			last = fail(CodeInvalidToken, "decryption", "PBES2 count %v is outside 1..%d", p2c, in.maxPBES2Count)
			continue
		}
		jwe, err := jose.ParseEncryptedCompact(tok, []jose.KeyAlgorithm{alg}, []jose.ContentEncryption{enc})
		if err != nil {
			return nil, fail(CodeInvalidToken, "decryption", "malformed JWE: %v", err)
		}
		for i := range in.decryption {
			k := &in.decryption[i]
			if !k.Allows(alg) || (h.kid != "" && k.ID != "" && k.ID != h.kid) {
				continue
			}
			if tries == maxKeyTries {
				break
			}
			tries++
			plaintext, err := jwe.Decrypt(k.Material)
			if err != nil {
				last = fail(CodeInvalidToken, "decryption", "JWE does not decrypt with the keys of integration %q", in.name)
				continue
			}
			if r.explain {
				r.step("decryption", OutcomePass, "decrypted %s/%s with %s of integration %q", alg, enc, keys.Describe(k.Material), in.name)
			}
			return v.decrypted(ctx, r, req, in, h, plaintext)
		}
	}
	if last == nil {
		last = fail(CodeInvalidToken, "decryption", "no decryption key matches alg %s and kid %q", alg, h.kid)
	}
	return nil, last
}

func (v *Verifier) decrypted(ctx context.Context, r *run, req *Request, in *integration, h *header, plaintext []byte) (*claimsInput, *verdict) {
	if len(plaintext) > in.maxPlaintext {
		return nil, fail(CodeInvalidToken, "decryption", "decrypted payload is %d bytes, the limit is %d", len(plaintext), in.maxPlaintext)
	}
	trimmed := bytes.TrimSpace(plaintext)
	if len(trimmed) > 0 && trimmed[0] == '{' {
		if !in.allowUnsigned {
			return nil, fail(CodeInvalidToken, "signature", "the JWE holds claims that are encrypted but not signed, so not authenticated; integration %q does not allow that (encryption.allow_unsigned)", in.name)
		}
		got, obj, verr := v.routeClaims(r, req, plaintext)
		if verr != nil {
			return nil, verr
		}
		if got != in {
			return nil, fail(CodeInvalidToken, "issuer", "the claims' issuer belongs to integration %q, but integration %q decrypted them", got.name, in.name)
		}
		r.d.Integration, r.d.Tenant, r.d.Issuer = in.name, in.tenant, in.issuer
		if r.explain {
			r.step("signature", OutcomeSkip, "encrypted-only claims accepted by encryption.allow_unsigned")
		}
		return &claimsInput{in: in, payload: plaintext, obj: obj}, nil
	}
	inner := string(trimmed)
	if strings.Count(inner, ".") != 2 {
		return nil, fail(CodeInvalidToken, "decryption", "the JWE holds neither claims nor a compact signed JWT")
	}
	if h.cty != "" && !strings.EqualFold(h.cty, "JWT") {
		if r.explain {
			r.step("decryption", OutcomeInfo, "cty %q, expected JWT for a nested token", h.cty)
		}
	}
	return v.signed(ctx, r, req, inner, in)
}

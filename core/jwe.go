package core

import (
	"bytes"
	"context"
	"slices"
	"strings"

	jose "github.com/jwtgate/jwtgate/core/internal/joseid"
	"github.com/jwtgate/jwtgate/core/internal/jsonscan"
	"github.com/jwtgate/jwtgate/core/internal/keys"
)

// jwe is a compact JWE whose header has been read: what it asks for.
type jwe struct {
	tok string
	h   *header
	alg jose.KeyAlgorithm
	enc jose.ContentEncryption
	p2c float64 // the PBES2 count, 0 when the header has none
}

// encrypted decrypts a compact JWE and verifies the signed token inside it:
// its header read, the integrations it may be for found, then each of
// those that admits it tried with its decryption keys.
func (v *Verifier) encrypted(ctx context.Context, r *run, req *Request, tok string) (claimsInput, *verdict) {
	t, verr := parseJWE(r, tok)
	if verr != nil {
		return claimsInput{}, verr
	}
	candidates, verr := v.jweCandidates(t.h, req.Integration)
	if verr != nil {
		return claimsInput{}, verr
	}
	if t.p2c, verr = jweP2C(t.h); verr != nil {
		return claimsInput{}, verr
	}
	tries := 0 // across integrations: maxKeyTries bounds the work of one token
	var last *verdict
	for _, in := range candidates {
		if verr := t.admittedBy(in); verr != nil {
			last = verr
			continue
		}
		c, verr, done := v.open(ctx, r, req, t, in, &tries)
		if done {
			return c, verr
		}
		if verr != nil {
			last = verr
		}
	}
	if last == nil {
		last = fail(CodeInvalidToken, "decryption", "no decryption key matches alg %s and kid %q", t.alg, t.h.kid)
	}
	return claimsInput{}, last
}

// parseJWE reads a compact JWE's header and checks its form: five base64url
// parts, an enc, and algorithms the core knows.
func parseJWE(r *run, tok string) (*jwe, *verdict) {
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
	return &jwe{tok: tok, h: h, alg: alg, enc: enc}, nil
}

// jweCandidates returns the integrations a JWE may be for: the one of a
// replicated "iss" header (RFC 7519 section 5.3) when there is one, else
// every integration with decryption keys; only the named one when the
// request names one.
func (v *Verifier) jweCandidates(h *header, only string) ([]*integration, *verdict) {
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
	if only != "" {
		candidates = slices.DeleteFunc(candidates, func(in *integration) bool { return in.name != only })
	}
	if len(candidates) == 0 {
		return nil, fail(CodeConfigurationNotFound, "decryption", "no integration accepts encrypted tokens")
	}
	return candidates, nil
}

// jweP2C returns the header's PBES2 count, 0 when it has none.
func jweP2C(h *header) (float64, *verdict) {
	raw, ok := h.obj.Get("p2c")
	if !ok {
		return 0, nil
	}
	n, err := jsonscan.Number(raw)
	if err != nil {
		return 0, fail(CodeInvalidToken, "header", "p2c must be a number")
	}
	return n, nil
}

// admittedBy checks what integration in allows of a JWE before any key is
// tried: its algorithms, its size, compression and the PBES2 count.
func (t *jwe) admittedBy(in *integration) *verdict {
	switch {
	case !slices.Contains(in.keyAlgorithms, t.alg) || !slices.Contains(in.contentAlgorithms, t.enc):
		return fail(CodeInvalidToken, "algorithm", "integration %q does not accept JWE %s with %s", in.name, t.alg, t.enc)
	case len(t.tok) > in.maxTokenBytes:
		return fail(CodeInvalidToken, "size", "token is %d bytes, integration %q allows %d", len(t.tok), in.name, in.maxTokenBytes)
	case t.h.zip != "" && !in.allowCompression:
		return fail(CodeInvalidToken, "decryption", "compressed JWE (zip %q) refused; integration %q does not allow compression", t.h.zip, in.name)
	case strings.HasPrefix(string(t.alg), "PBES2") && (t.p2c < 1 || t.p2c > float64(in.maxPBES2Count)):
		return fail(CodeInvalidToken, "decryption", "PBES2 count %v is outside 1..%d", t.p2c, in.maxPBES2Count)
	}
	return nil
}

// decrypted verifies a JWE's plaintext: encrypted-only claims where the
// integration allows them, else the signed token nested inside.
func (v *Verifier) decrypted(ctx context.Context, r *run, req *Request, in *integration, h *header, plaintext []byte) (claimsInput, *verdict) {
	if len(plaintext) > in.maxPlaintext {
		return claimsInput{}, fail(CodeInvalidToken, "decryption", "decrypted payload is %d bytes, the limit is %d", len(plaintext), in.maxPlaintext)
	}
	trimmed := bytes.TrimSpace(plaintext)
	if len(trimmed) > 0 && trimmed[0] == '{' {
		if !in.allowUnsigned {
			return claimsInput{}, fail(CodeInvalidToken, "signature", "the JWE holds claims that are encrypted but not signed, so not authenticated; integration %q does not allow that (encryption.allow_unsigned)", in.name)
		}
		got, obj, verr := v.routeClaims(r, req, plaintext)
		if verr != nil {
			return claimsInput{}, verr
		}
		if got != in {
			return claimsInput{}, fail(CodeInvalidToken, "issuer", "the claims' issuer belongs to integration %q, but integration %q decrypted them", got.name, in.name)
		}
		r.d.Integration, r.d.Tenant, r.d.Issuer = in.name, in.tenant, in.issuer
		if r.explain {
			r.step("signature", OutcomeSkip, "encrypted-only claims accepted by encryption.allow_unsigned")
		}
		return claimsInput{in: in, payload: plaintext, obj: obj}, nil
	}
	inner := string(trimmed)
	if strings.Count(inner, ".") != 2 {
		return claimsInput{}, fail(CodeInvalidToken, "decryption", "the JWE holds neither claims nor a compact signed JWT")
	}
	if h.cty != "" && !strings.EqualFold(h.cty, "JWT") {
		if r.explain {
			r.step("decryption", OutcomeInfo, "cty %q, expected JWT for a nested token", h.cty)
		}
	}
	return v.signed(ctx, r, req, inner, in)
}

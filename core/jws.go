package core

import (
	"context"
	"fmt"
	"slices"
	"strings"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/jwtgate/jwtgate/core/internal/keys"
)

// signed verifies a compact JWS. within is the integration that decrypted
// it when it was nested in a JWE, else nil.
func (v *Verifier) signed(ctx context.Context, r *run, req *Request, tok string, within *integration) (*claimsInput, *verdict) {
	h, payload, verr := readJWS(r, tok)
	if verr != nil {
		return nil, verr
	}
	in, obj, verr := v.routeClaims(r, req, payload)
	if verr != nil {
		return nil, verr
	}
	if within != nil && in != within {
		return nil, fail(CodeInvalidToken, "issuer", "the signed token's issuer belongs to integration %q, but integration %q decrypted it", in.name, within.name)
	}
	r.d.Integration, r.d.Tenant, r.d.Issuer = in.name, in.tenant, in.issuer
	if len(tok) > in.maxTokenBytes {
		return nil, fail(CodeInvalidToken, "size", "token is %d bytes, integration %q allows %d", len(tok), in.name, in.maxTokenBytes)
	}
	alg, verr := allowedAlg(h, in.algorithms)
	if verr != nil {
		return nil, fail(verr.code, verr.step, "%s; integration %q accepts %v", verr.reason, in.name, in.algorithms)
	}
	if r.explain {
		r.step("algorithm", OutcomePass, "alg %s is allowed", alg)
	}
	candidates, verr := v.signingKeys(ctx, r, in, alg, h.kid)
	if verr != nil {
		return nil, verr
	}
	k, verr := checkJWS(tok, alg, payload, candidates)
	if verr != nil {
		return nil, verr
	}
	if r.explain {
		r.step("signature", OutcomePass, "signed with %s by %s", alg, k.Describe())
	}
	return &claimsInput{in: in, payload: payload, obj: obj}, nil
}

// readJWS reads a compact JWS (two dots) strictly: only base64url
// characters, a strict header, a strictly decoded payload and the one
// canonical spelling of the signature. The public test vectors, whose
// payloads are not JWT claims, go through readJWS, allowedAlg,
// pickSigningKeys and checkJWS as every token does.
func readJWS(r *run, tok string) (*header, []byte, *verdict) {
	if verr := compactChars(tok); verr != nil {
		return nil, nil, verr
	}
	i1 := strings.IndexByte(tok, '.')
	i2 := i1 + 1 + strings.IndexByte(tok[i1+1:], '.')
	h, verr := parseHeader(r, tok[:i1])
	if verr != nil {
		return nil, nil, verr
	}
	payload, err := b64.DecodeString(tok[i1+1 : i2])
	if err != nil {
		return nil, nil, fail(CodeInvalidToken, "payload", "payload is not base64url: %v", err)
	}
	// go-jose decodes the signature leniently (non-zero trailing bits):
	// refuse other spellings of the same signature here.
	if !canonicalB64(tok[i2+1:]) {
		return nil, nil, fail(CodeInvalidToken, "signature", "signature is not canonical base64url")
	}
	return h, payload, nil
}

// allowedAlg returns the header's signature algorithm when allowed lists it.
func allowedAlg(h *header, allowed []jose.SignatureAlgorithm) (jose.SignatureAlgorithm, *verdict) {
	alg, ok := keys.ParseSignatureAlgorithm(h.alg)
	if !ok || !slices.Contains(allowed, alg) {
		return "", fail(CodeInvalidToken, "algorithm", "alg %q is not allowed", h.alg)
	}
	return alg, nil
}

// checkJWS checks the signature of a token read by readJWS against the
// candidate keys, with go-jose parsing that accepts only alg.
func checkJWS(tok string, alg jose.SignatureAlgorithm, payload []byte, candidates []keys.VerificationKey) (*keys.VerificationKey, *verdict) {
	jws, err := jose.ParseSignedCompact(tok, []jose.SignatureAlgorithm{alg})
	if err != nil {
		return nil, fail(CodeInvalidToken, "signature", "malformed JWS: %v", err)
	}
	k, tries := verifyWithKeys(jws, alg, payload, candidates)
	if k == nil {
		return nil, fail(CodeInvalidToken, "signature", "%s signature does not verify with any of %d candidate keys", alg, tries)
	}
	return k, nil
}

// signingKeys returns the keys that may verify a token with this alg and
// kid. With a kid, keys carrying that kid are used, else keys without any
// kid; without a kid, every key of the algorithm is tried.
func (v *Verifier) signingKeys(ctx context.Context, r *run, in *integration, alg jose.SignatureAlgorithm, kid string) ([]keys.VerificationKey, *verdict) {
	all := in.keys
	var fetchErrs []string
	if len(in.jwksURLs) > 0 {
		all = append([]keys.VerificationKey(nil), in.keys...)
		for _, url := range in.jwksURLs {
			if v.cfg.Keys == nil {
				fetchErrs = append(fetchErrs, url+": no key source configured")
				continue
			}
			set, err := v.cfg.Keys.KeySet(ctx, url, kid)
			if err != nil || set == nil {
				fetchErrs = append(fetchErrs, fmt.Sprintf("%s: %v", url, err))
				continue
			}
			bound, skipped, _ := keys.VerificationKeysFromJWKS(set.keys, in.algorithms, "jwks_url "+url, true)
			for _, s := range skipped {
				if r.explain {
					r.step("keys", OutcomeInfo, "skipped %s", s)
				}
			}
			all = append(all, bound...)
		}
	}
	if len(all) == 0 {
		return nil, fail(CodeKeysUnavailable, "keys", "integration %q has no usable keys: %s", in.name, strings.Join(fetchErrs, "; "))
	}
	for _, e := range fetchErrs {
		if r.explain {
			r.step("keys", OutcomeInfo, "key set unavailable: %s", e)
		}
	}
	if picked := pickSigningKeys(all, alg, kid); len(picked) > 0 {
		return picked, nil
	}
	if kid == "" {
		return nil, fail(CodeInvalidToken, "keys", "no key of integration %q verifies %s", in.name, alg)
	}
	if len(fetchErrs) > 0 {
		return nil, fail(CodeKeysUnavailable, "keys", "no key with kid %q, and a key set could not be fetched", kid)
	}
	return nil, fail(CodeInvalidToken, "keys", "no %s key with kid %q in integration %q", alg, kid, in.name)
}

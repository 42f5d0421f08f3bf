package core

import (
	"context"
	"fmt"
	"slices"
	"strings"

	jose "github.com/jwtgate/jwtgate/core/internal/joseid"
	"github.com/jwtgate/jwtgate/core/internal/keys"
)

// signed verifies a compact JWS. within is the integration that decrypted
// it when it was nested in a JWE, else nil.
func (v *Verifier) signed(ctx context.Context, r *run, req *Request, tok string, within *integration) (claimsInput, *verdict) {
	var j jwsToken
	if verr := readJWS(r, tok, &j); verr != nil {
		return claimsInput{}, verr
	}
	h, payload := &j.h, j.payload
	in, obj, verr := v.routeClaims(r, req, payload)
	if verr != nil {
		return claimsInput{}, verr
	}
	if within != nil && in != within {
		return claimsInput{}, fail(CodeInvalidToken, "issuer", "the signed token's issuer belongs to integration %q, but integration %q decrypted it", in.name, within.name)
	}
	r.d.Integration, r.d.Tenant, r.d.Issuer = in.name, in.tenant, in.issuer
	if len(tok) > in.maxTokenBytes {
		return claimsInput{}, fail(CodeInvalidToken, "size", "token is %d bytes, integration %q allows %d", len(tok), in.name, in.maxTokenBytes)
	}
	alg, verr := allowedAlg(h, in.algorithms)
	if verr != nil {
		return claimsInput{}, fail(verr.code, verr.step, "%s; integration %q accepts %v", verr.reason, in.name, in.algorithms)
	}
	if r.explain {
		r.step("algorithm", OutcomePass, "alg %s is allowed", alg)
	}
	if verr := checkTyp(r, in, h.typ); verr != nil {
		return claimsInput{}, verr
	}
	candidates, verr := v.signingKeys(ctx, r, in, alg, h.kid)
	if verr != nil {
		return claimsInput{}, verr
	}
	k, verr := checkJWS(v.cfg.Signatures, &j, alg, candidates)
	if verr != nil {
		return claimsInput{}, verr
	}
	if r.explain {
		r.step("signature", OutcomePass, "signed with %s by %s", alg, k.Describe())
	}
	return claimsInput{in: in, payload: payload, obj: obj}, nil
}

// jwsToken is a compact JWS read by readJWS.
type jwsToken struct {
	h       header
	input   []byte // the signing input, "header.payload"
	payload []byte // the decoded payload
	sig     []byte // the decoded signature
}

// readJWS reads a compact JWS (two dots) strictly: only base64url
// characters, a strict header, a strictly decoded payload and the one
// canonical spelling of the signature. The public test vectors, whose
// payloads are not JWT claims, go through readJWS, allowedAlg,
// pickSigningKeys and checkJWS as every token does.
//
// Two allocations: the payload, which the decision keeps as its claims,
// and one scratch buffer for the signing input, header and signature.
func readJWS(r *run, tok string, j *jwsToken) *verdict {
	// Go's base64 decoders skip CR and LF, and refuse every other byte
	// outside the alphabet; so only those two are looked for up front
	// (two vectorised scans), and the whole token is checked byte by byte
	// (compactChars, for its exact error) only when a segment fails to
	// decode: the same verdict as checking first, at a tenth of the cost.
	if strings.IndexByte(tok, '\r') >= 0 || strings.IndexByte(tok, '\n') >= 0 {
		return compactChars(tok)
	}
	i1 := strings.IndexByte(tok, '.')
	i2 := i1 + 1 + strings.IndexByte(tok[i1+1:], '.')
	scratch := make([]byte, len(tok)+b64.DecodedLen(i1)+b64.DecodedLen(len(tok)-i2-1))
	raw := scratch[:copy(scratch, tok)]
	hdr, hdrErr := decodeInto(scratch[len(tok):], raw[:i1])
	j.payload = make([]byte, b64.DecodedLen(i2-i1-1))
	var payErr, sigErr error
	j.payload, payErr = decodeInto(j.payload, raw[i1+1:i2])
	j.sig, sigErr = decodeInto(scratch[len(tok)+len(hdr):], raw[i2+1:])
	if hdrErr != nil || payErr != nil || sigErr != nil {
		if verr := compactChars(tok); verr != nil {
			return verr
		}
	}
	if hdrErr != nil {
		return fail(CodeInvalidToken, "header", "header is not base64url: %v", hdrErr)
	}
	if verr := parseHeaderJSON(r, hdr, &j.h); verr != nil {
		return verr
	}
	j.input = raw[:i2]
	if payErr != nil {
		return fail(CodeInvalidToken, "payload", "payload is not base64url: %v", payErr)
	}
	// Strict decoding refuses other spellings of the same signature
	// (non-zero trailing bits), which lenient decoders accept.
	if sigErr != nil {
		return fail(CodeInvalidToken, "signature", "signature is not canonical base64url")
	}
	return nil
}

// decodeInto decodes strict base64url src into dst, which is large enough.
func decodeInto(dst, src []byte) ([]byte, error) {
	n, err := b64.Decode(dst, src)
	return dst[:n:n], err
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
// candidate keys: at most maxKeyTries of them, each by alg alone, by sc
// when set (a plugin's host), else with the standard library here.
func checkJWS(sc SignatureChecker, j *jwsToken, alg jose.SignatureAlgorithm, candidates []keys.VerificationKey) (*keys.VerificationKey, *verdict) {
	tries := min(len(candidates), maxKeyTries)
	for i := range tries {
		if verifyWith(sc, &candidates[i], alg, j) {
			return &candidates[i], nil
		}
	}
	return nil, fail(CodeInvalidToken, "signature", "%s signature does not verify with any of %d candidate keys", alg, tries)
}

// withFetched returns the integration's keys and those of its key sets,
// and why sets could not be had. Lists are clipped, so that adding to one
// always copies: a set's bound keys are shared by every token.
func (v *Verifier) withFetched(ctx context.Context, r *run, in *integration, kid string) ([]keys.VerificationKey, []string) {
	all := slices.Clip(in.keys)
	var errs []string
	for _, url := range in.jwksURLs {
		all, errs = v.addFetched(ctx, r, in, url, kid, all, errs)
	}
	if in.discovery != nil {
		// The host resolves the document; its set comes by the document's URL.
		all, errs = v.addFetched(ctx, r, in, in.discovery.URL, kid, all, errs)
	}
	return all, errs
}

// addFetched adds the keys of the set at url to all, or why it could not
// be had to errs.
func (v *Verifier) addFetched(ctx context.Context, r *run, in *integration, url, kid string, all []keys.VerificationKey, errs []string) ([]keys.VerificationKey, []string) {
	if v.cfg.Keys == nil {
		return all, append(errs, url+": no key source configured")
	}
	set, err := v.cfg.Keys.KeySet(ctx, url, kid)
	if err != nil || set == nil {
		return all, append(errs, fmt.Sprintf("%s: %v", url, err))
	}
	b := set.bound(url, in.algList, in.algorithms)
	for _, s := range b.skipped {
		if r.explain {
			r.step("keys", OutcomeInfo, "skipped %s", s)
		}
	}
	if len(all) == 0 {
		return slices.Clip(b.keys), errs // the only source so far: no copy
	}
	return append(all, b.keys...), errs
}

// signingKeys returns the keys that may verify a token with this alg and
// kid. With a kid, keys carrying that kid are used, else keys without any
// kid; without a kid, every key of the algorithm is tried.
func (v *Verifier) signingKeys(ctx context.Context, r *run, in *integration, alg jose.SignatureAlgorithm, kid string) ([]keys.VerificationKey, *verdict) {
	all, fetchErrs := v.withFetched(ctx, r, in, kid)
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

// checkTyp applies explicit typing (RFC 8725 section 3.11): with types
// set, the header's typ must be one of them, so that a token of another
// kind (an ID token where an access token is expected) is refused.
func checkTyp(r *run, in *integration, typ string) *verdict {
	if len(in.types) == 0 {
		return nil
	}
	if !slices.Contains(in.types, normalTyp(typ)) {
		return fail(CodeInvalidToken, "typ", "typ %q is not one of integration %q's types %q", typ, in.name, in.types)
	}
	if r.explain {
		r.step("typ", OutcomePass, "typ %q is accepted", typ)
	}
	return nil
}

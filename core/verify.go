package core

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/jwtgate/jwtgate/core/internal/jsonscan"
	"github.com/jwtgate/jwtgate/core/internal/keys"
	"github.com/jwtgate/jwtgate/core/internal/redirect"
)

// Bounds on the work one token can cause.
const (
	maxKeyTries  = 8   // signature checks or decryptions per token
	maxKeyIDLen  = 256 // bytes of a "kid"
	maxJTILen    = 256 // bytes of a "jti"
	maxJSONDepth = 32
)

var jsonLimits = jsonscan.Limits{MaxDepth: maxJSONDepth, MaxMembers: 10_000}

// KeySource supplies the key sets published at the policy's jwks_url
// addresses. The host fetches, caches and refreshes them; the core never
// does I/O.
type KeySource interface {
	// KeySet returns the current set published at url. kid is the key ID the
	// token asks for ("" when it names none), so that a host may refetch a
	// set that lacks it. An error means the set could not be had.
	KeySet(ctx context.Context, url, kid string) (*KeySet, error)
}

// KeySet is a parsed JWK set, as published at a jwks_url.
type KeySet struct {
	keys []jose.JSONWebKey
}

// ParseKeySet parses a JWK set document ({"keys": [...]}).
func ParseKeySet(data []byte) (*KeySet, error) {
	if _, err := jsonscan.ParseObject(data, jsonscan.Limits{MaxDepth: 8, MaxMembers: 100_000}); err != nil {
		return nil, fmt.Errorf("JWK set: %v", err)
	}
	k, err := keys.ParseJWKS(data)
	if err != nil {
		return nil, err
	}
	return &KeySet{keys: k}, nil
}

// Len returns the number of keys in the set.
func (s *KeySet) Len() int { return len(s.keys) }

// Config holds what a Verifier gets from its host.
type Config struct {
	// Replay remembers used one-time token IDs. Required when any
	// integration sets one_time_use.
	Replay ReplayStore
	// Keys supplies keys for jwks_url entries. Without it, integrations
	// whose only keys are URLs answer keys_unavailable.
	Keys KeySource
}

// Verifier verifies tokens against a Policy. It is safe for concurrent use.
type Verifier struct {
	policy *Policy
	cfg    Config
}

// NewVerifier returns a verifier for p.
func NewVerifier(p *Policy, cfg Config) (*Verifier, error) {
	if p == nil {
		return nil, errors.New("jwtgate: nil policy")
	}
	if p.OneTimeUse() && cfg.Replay == nil {
		return nil, errors.New("jwtgate: the policy has one_time_use integrations but no replay store was given")
	}
	return &Verifier{policy: p, cfg: cfg}, nil
}

// Policy returns the verifier's policy.
func (v *Verifier) Policy() *Policy { return v.policy }

// Request is one token to verify and the circumstances of the call.
type Request struct {
	// Token is the compact JWS or JWE, as presented.
	Token string
	// Now is the current time. Required: the core has no clock.
	Now time.Time
	// Explain asks for the step-by-step trace in the decision.
	Explain bool
	// RedirectParam is the redirect target passed beside the token (the
	// "go" or "redirect_url" query parameter), if any.
	RedirectParam string
	// Integration, when set, verifies against that integration only (the
	// token tester); a token of another issuer is configuration_not_found.
	Integration string
}

// Verify verifies one token and returns the decision. It never panics and
// never returns nil: any input, however broken, gets a decision.
func (v *Verifier) Verify(ctx context.Context, req Request) (d *Decision) {
	r := &run{d: &Decision{}, explain: req.Explain}
	defer func() {
		if p := recover(); p != nil {
			trace := r.d.Trace
			r.d = &Decision{Trace: trace}
			d = r.reject(CodeInvalidToken, "internal", "internal error while verifying (%T)", p)
		}
	}()
	return v.verify(ctx, r, &req)
}

// TokenTooLarge is the decision Verify gives a token of size bytes when
// the policy's limit (Policy.MaxTokenBytes) is limit. Hosts that refuse
// such a token before handing it over (the wasm host does not copy it into
// the sandbox) answer with it, so the decision is the same on every path.
func TokenTooLarge(size, limit int, explain bool) *Decision {
	r := &run{d: &Decision{}, explain: explain}
	return r.reject(CodeInvalidToken, "size", "token is %d bytes, the limit is %d", size, limit)
}

// run accumulates one decision and its trace.
type run struct {
	d       *Decision
	explain bool
}

// step records a trace entry. Callers guard it with "if r.explain" so that
// its arguments are not even built on the hot path.
func (r *run) step(name, outcome, format string, args ...any) {
	if r.explain {
		r.d.Trace = append(r.d.Trace, Step{Name: name, Outcome: outcome, Detail: fmt.Sprintf(format, args...)})
	}
}

func (r *run) reject(code Code, step, format string, args ...any) *Decision {
	reason := fmt.Sprintf(format, args...)
	r.d.Valid = false
	r.d.Code = code
	r.d.Message = code.Message()
	r.d.Reason = reason
	if r.explain {
		r.d.Trace = append(r.d.Trace, Step{Name: step, Outcome: OutcomeFail, Detail: reason})
	}
	return r.d
}

// verdict carries a rejection out of a helper.
type verdict struct {
	code   Code
	step   string
	reason string
}

func fail(code Code, step, format string, args ...any) *verdict {
	return &verdict{code: code, step: step, reason: fmt.Sprintf(format, args...)}
}

func (r *run) rejectWith(v *verdict) *Decision { return r.reject(v.code, v.step, "%s", v.reason) }

// header is what jwtgate reads of a JOSE header.
type header struct {
	alg, enc, kid, cty, zip string
	obj                     *jsonscan.Object
}

var b64 = base64.RawURLEncoding.Strict()

func parseHeader(r *run, seg string) (*header, *verdict) {
	raw, err := b64.DecodeString(seg)
	if err != nil {
		return nil, fail(CodeInvalidToken, "header", "header is not base64url: %v", err)
	}
	if !utf8.Valid(raw) {
		return nil, fail(CodeInvalidToken, "header", "header is not valid UTF-8")
	}
	obj, err := jsonscan.ParseObject(raw, jsonLimits)
	if err != nil {
		return nil, fail(CodeInvalidToken, "header", "header is not a JSON object: %v", err)
	}
	h := &header{obj: obj}
	for _, f := range []struct {
		name string
		dst  *string
	}{{"alg", &h.alg}, {"enc", &h.enc}, {"kid", &h.kid}, {"cty", &h.cty}, {"zip", &h.zip}} {
		if rawv, ok := obj.Get(f.name); ok {
			s, err := jsonscan.String(rawv)
			if err != nil {
				return nil, fail(CodeInvalidToken, "header", "header %q must be a string, found %s", f.name, jsonscan.Kind(rawv))
			}
			*f.dst = s
		}
	}
	if h.alg == "" {
		return nil, fail(CodeInvalidToken, "header", "header has no alg")
	}
	if len(h.kid) > maxKeyIDLen {
		return nil, fail(CodeInvalidToken, "header", "kid is %d bytes, the limit is %d", len(h.kid), maxKeyIDLen)
	}
	if rawv, ok := obj.Get("b64"); ok && string(rawv) != "true" {
		// go-jose would honour an unencoded payload (RFC 7797) even outside crit.
		return nil, fail(CodeInvalidToken, "header", "header b64 %s: unencoded payloads are not supported", rawv)
	}
	if _, ok := obj.Get("crit"); ok {
		// jwtgate implements no header extensions, so every critical one is unknown.
		return nil, fail(CodeInvalidToken, "header", "header lists critical extensions (crit), none of which jwtgate implements")
	}
	for _, name := range []string{"jwk", "jku", "x5u", "x5c"} {
		if _, ok := obj.Get(name); ok {
			if r.explain {
				r.step("header", OutcomeInfo, "header %q ignored: keys are never taken from the token", name)
			}
		}
	}
	return h, nil
}

func (v *Verifier) verify(ctx context.Context, r *run, req *Request) *Decision {
	tok := req.Token
	if req.Now.IsZero() {
		return r.reject(CodeInvalidToken, "time", "no current time was given")
	}
	if tok == "" {
		return r.reject(CodeInvalidToken, "size", "empty token")
	}
	if len(tok) > v.policy.maxToken {
		return TokenTooLarge(len(tok), v.policy.maxToken, req.Explain)
	}
	if r.explain {
		r.step("size", OutcomePass, "%d bytes", len(tok))
	}
	var c *claimsInput
	var verr *verdict
	switch dots := strings.Count(tok, "."); dots {
	case 2:
		c, verr = v.signed(ctx, r, req, tok, nil)
	case 4:
		c, verr = v.encrypted(ctx, r, req, tok)
	default:
		return r.reject(CodeInvalidToken, "format", "token has %s; a JWS has 3 and a JWE 5", parts(dots+1))
	}
	if verr != nil {
		return r.rejectWith(verr)
	}
	if verr := v.claims(ctx, r, req, c); verr != nil {
		return r.rejectWith(verr)
	}
	r.d.Valid = true
	if r.explain {
		r.step("decision", OutcomePass, "token accepted by integration %q", c.in.name)
	}
	return r.d
}

// claimsInput is an authenticated payload and the integration it belongs to.
type claimsInput struct {
	in      *integration
	payload []byte
	obj     *jsonscan.Object
}

// selectIntegration routes a token by its issuer.
func (v *Verifier) selectIntegration(r *run, req *Request, obj *jsonscan.Object) (*integration, *verdict) {
	raw, ok := obj.Get("iss")
	if !ok {
		return nil, fail(CodeConfigurationNotFound, "issuer", "token has no iss")
	}
	iss, err := jsonscan.String(raw)
	if err != nil {
		return nil, fail(CodeInvalidToken, "issuer", "iss must be a string, found %s", jsonscan.Kind(raw))
	}
	in := v.policy.byIssuer[iss]
	if req.Integration != "" {
		want := v.policy.byName[req.Integration]
		if want == nil {
			return nil, fail(CodeConfigurationNotFound, "issuer", "no integration named %q", req.Integration)
		}
		if in != want {
			return nil, fail(CodeConfigurationNotFound, "issuer", "iss %q is not integration %q's issuer %q", iss, want.name, want.issuer)
		}
	}
	if in == nil {
		return nil, fail(CodeConfigurationNotFound, "issuer", "no integration has issuer %q", iss)
	}
	if r.explain {
		r.step("issuer", OutcomePass, "iss %q matches integration %q", iss, in.name)
	}
	return in, nil
}

// routeClaims reads a payload, valid UTF-8 holding one strict JSON object,
// and routes it to its integration by issuer.
func (v *Verifier) routeClaims(r *run, req *Request, payload []byte) (*integration, *jsonscan.Object, *verdict) {
	if !utf8.Valid(payload) {
		return nil, nil, fail(CodeInvalidToken, "payload", "payload is not valid UTF-8")
	}
	obj, err := jsonscan.ParseObject(payload, jsonLimits)
	if err != nil {
		return nil, nil, fail(CodeInvalidToken, "payload", "payload is not a JSON object: %v", err)
	}
	in, verr := v.selectIntegration(r, req, obj)
	return in, obj, verr
}

// signed verifies a compact JWS. within is the integration that decrypted
// it when it was nested in a JWE, else nil.
func (v *Verifier) signed(ctx context.Context, r *run, req *Request, tok string, within *integration) (*claimsInput, *verdict) {
	if verr := compactChars(tok); verr != nil {
		return nil, verr
	}
	i1 := strings.IndexByte(tok, '.')
	i2 := i1 + 1 + strings.IndexByte(tok[i1+1:], '.')
	h, verr := parseHeader(r, tok[:i1])
	if verr != nil {
		return nil, verr
	}
	payload, err := b64.DecodeString(tok[i1+1 : i2])
	if err != nil {
		return nil, fail(CodeInvalidToken, "payload", "payload is not base64url: %v", err)
	}
	// go-jose decodes the signature leniently (non-zero trailing bits):
	// refuse other spellings of the same signature here.
	if !canonicalB64(tok[i2+1:]) {
		return nil, fail(CodeInvalidToken, "signature", "signature is not canonical base64url")
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
	alg, ok := keys.ParseSignatureAlgorithm(h.alg)
	if !ok || !containsAlg(in.algorithms, alg) {
		return nil, fail(CodeInvalidToken, "algorithm", "alg %q is not allowed; integration %q accepts %v", h.alg, in.name, in.algorithms)
	}
	if r.explain {
		r.step("algorithm", OutcomePass, "alg %s is allowed", alg)
	}
	jws, err := jose.ParseSignedCompact(tok, []jose.SignatureAlgorithm{alg})
	if err != nil {
		return nil, fail(CodeInvalidToken, "signature", "malformed JWS: %v", err)
	}
	candidates, verr := v.signingKeys(ctx, r, in, alg, h.kid)
	if verr != nil {
		return nil, verr
	}
	k, tries := verifyWithKeys(jws, alg, payload, candidates)
	if k != nil {
		if r.explain {
			r.step("signature", OutcomePass, "signed with %s by %s", alg, k.Describe())
		}
		return &claimsInput{in: in, payload: payload, obj: obj}, nil
	}
	return nil, fail(CodeInvalidToken, "signature", "%s signature does not verify with any of %d candidate keys", alg, tries)
}

// parts says how many parts a token has, in words: "1 part", "4 parts".
func parts(n int) string {
	if n == 1 {
		return "1 part"
	}
	return strconv.Itoa(n) + " parts"
}

// compactChars refuses a compact token holding anything but base64url
// characters and dots. Go's base64 decoders skip CR and LF, and go-jose
// re-encodes what it decoded, so without this check whitespace inside or
// around a token would give another accepted spelling of it.
func compactChars(tok string) *verdict {
	for i := 0; i < len(tok); i++ {
		if c := tok[i]; !compactChar[c] {
			return fail(CodeInvalidToken, "format", "token holds %q at byte %d; a compact token holds only base64url characters and dots", c, i)
		}
	}
	return nil
}

func containsAlg(list []jose.SignatureAlgorithm, alg jose.SignatureAlgorithm) bool {
	for _, a := range list {
		if a == alg {
			return true
		}
	}
	return false
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
		if !containsKeyAlg(in.keyAlgorithms, alg) || !containsEnc(in.contentAlgorithms, enc) {
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

func containsKeyAlg(list []jose.KeyAlgorithm, alg jose.KeyAlgorithm) bool {
	for _, a := range list {
		if a == alg {
			return true
		}
	}
	return false
}

func containsEnc(list []jose.ContentEncryption, enc jose.ContentEncryption) bool {
	for _, e := range list {
		if e == enc {
			return true
		}
	}
	return false
}

// numericDate reads an optional NumericDate claim.
func numericDate(obj *jsonscan.Object, name string) (float64, bool, *verdict) {
	raw, ok := obj.Get(name)
	if !ok {
		return 0, false, nil
	}
	n, err := jsonscan.Number(raw)
	if err != nil {
		return 0, false, fail(CodeInvalidToken, name, "%s must be a number of seconds, found %s", name, jsonscan.Kind(raw))
	}
	return n, true, nil
}

func unixTime(sec float64) time.Time {
	if sec > 1e15 || sec < -1e15 {
		sec = math.Copysign(1e15, sec)
	}
	whole, frac := math.Modf(sec)
	return time.Unix(int64(whole), int64(frac*1e9)).UTC()
}

// ago words a span of d seconds (its sign dropped). From a billion seconds
// (31 years) on, it is a lower bound in whole years: such spans are not
// worth the seconds, and a time.Duration ends at 292 years.
func ago(d float64) string {
	const year = 365.2425 * 24 * 3600 // the mean Gregorian year, in seconds
	if d = math.Abs(d); d >= 1e9 {
		return fmt.Sprintf("more than %.0f years", math.Floor(math.Min(d, 1e18)/year))
	}
	return (time.Duration(d * float64(time.Second))).Round(time.Second).String()
}

// claims checks an authenticated payload against its integration and fills
// the decision.
func (v *Verifier) claims(ctx context.Context, r *run, req *Request, c *claimsInput) *verdict {
	in, obj, d := c.in, c.obj, r.d
	d.Claims = c.payload
	now := float64(req.Now.Unix()) + float64(req.Now.Nanosecond())/1e9
	skew := in.skew.Seconds()

	exp, hasExp, verr := numericDate(obj, "exp")
	if verr != nil {
		return verr
	}
	nbf, hasNbf, verr := numericDate(obj, "nbf")
	if verr != nil {
		return verr
	}
	iat, hasIat, verr := numericDate(obj, "iat")
	if verr != nil {
		return verr
	}
	for _, name := range []string{"sub", "jti"} {
		if raw, ok := obj.Get(name); ok && jsonscan.Kind(raw) != "string" {
			return fail(CodeInvalidToken, name, "%s must be a string, found %s", name, jsonscan.Kind(raw))
		}
	}
	var aud []string
	if raw, ok := obj.Get("aud"); ok {
		list, err := jsonscan.StringOrArray(raw)
		if err != nil {
			return fail(CodeInvalidToken, "aud", "aud must be a string or an array of strings")
		}
		aud = list
		d.Audience = list
	}
	if hasExp {
		d.ExpiresAt = unixTime(exp).Unix()
	}
	if sub, err := claimString(obj, in.subjectClaim); err == nil {
		d.Subject = sub
	}
	var err error
	if d.Groups, err = stringList(obj, in.groupsClaim); err != nil {
		return fail(CodeRequiredClaimsFailed, "groups", "%v", err)
	}
	if d.Roles, err = stringList(obj, in.rolesClaim); err != nil {
		return fail(CodeRequiredClaimsFailed, "roles", "%v", err)
	}
	if d.Permissions, err = stringList(obj, in.permissionsClaim); err != nil {
		return fail(CodeRequiredClaimsFailed, "permissions", "%v", err)
	}

	// Time.
	switch {
	case hasExp && now > exp+skew:
		return fail(CodeTokenExpired, "exp", "expired %s ago (exp %s, clock skew %s)", ago(now-exp), unixTime(exp).Format(time.RFC3339), in.skew)
	case hasExp:
		if r.explain {
			r.step("exp", OutcomePass, "expires in %s (exp %s)", ago(exp-now), unixTime(exp).Format(time.RFC3339))
		}
	case in.maxAge == 0:
		return fail(CodeRequiredClaimsFailed, "exp", "the token has no exp and integration %q sets no max_age", in.name)
	default:
		if r.explain {
			r.step("exp", OutcomeSkip, "no exp; max_age bounds the token's life")
		}
	}
	if hasNbf {
		if nbf > now+skew {
			return fail(CodeTokenNotYetValid, "nbf", "not valid yet: valid in %s (nbf %s, clock skew %s)", ago(nbf-now), unixTime(nbf).Format(time.RFC3339), in.skew)
		}
		if r.explain {
			r.step("nbf", OutcomePass, "valid since %s", unixTime(nbf).Format(time.RFC3339))
		}
	}
	if hasIat {
		if iat > now+skew {
			return fail(CodeTokenNotYetValid, "iat", "issued %s in the future (iat %s, clock skew %s)", ago(iat-now), unixTime(iat).Format(time.RFC3339), in.skew)
		}
		if r.explain {
			r.step("iat", OutcomePass, "issued %s ago", ago(now-iat))
		}
	}
	if in.maxAge > 0 {
		if !hasIat {
			return fail(CodeRequiredClaimsFailed, "max_age", "max_age is %s but the token has no iat", in.maxAge)
		}
		if age := now - iat; age > in.maxAge.Seconds()+skew {
			return fail(CodeTokenExpired, "max_age", "issued %s ago, older than max_age %s", ago(age), in.maxAge)
		}
		if r.explain {
			r.step("max_age", OutcomePass, "issued within max_age %s", in.maxAge)
		}
	}

	// Audience.
	if len(in.audiences) > 0 {
		if aud == nil {
			return fail(CodeRequiredClaimsFailed, "aud", "the token has no aud; integration %q expects one of %q", in.name, in.audiences)
		}
		if !intersects(aud, in.audiences) {
			return fail(CodeInvalidToken, "aud", "aud %q does not include any of %q", aud, in.audiences)
		}
		if r.explain {
			r.step("aud", OutcomePass, "aud %q includes an expected audience", aud)
		}
	}

	// Required claims and subject.
	for _, rc := range in.required {
		raw, ok := obj.Get(rc.Name)
		if !ok || jsonscan.Kind(raw) == "null" {
			return fail(CodeRequiredClaimsFailed, "required_claims", "required claim %q is missing", rc.Name)
		}
		if rc.Type != "" && !hasType(raw, rc.Type) {
			return fail(CodeRequiredClaimsFailed, "required_claims", "required claim %q must be %s, found %s", rc.Name, rc.Type, jsonscan.Kind(raw))
		}
	}
	if len(in.required) > 0 {
		if r.explain {
			r.step("required_claims", OutcomePass, "%d required claims present", len(in.required))
		}
	}
	if _, err := claimString(obj, in.subjectClaim); err != nil {
		return fail(CodeRequiredClaimsFailed, "subject", "%v", err)
	}
	if len(d.Subject) > in.maxHeaderValue {
		// Hosts send the subject upstream as a header.
		return fail(CodeRequiredClaimsFailed, "subject", "subject claim %q is %d bytes, the limit is %d (max_header_value_bytes)", in.subjectClaim, len(d.Subject), in.maxHeaderValue)
	}
	if r.explain {
		r.step("subject", OutcomePass, "%s %q", in.subjectClaim, d.Subject)
	}

	// Policy requirements.
	if verr := checkRequirements(r, in, d); verr != nil {
		return verr
	}

	// Redirect target.
	if in.redirect != nil {
		d.Redirect = chooseRedirect(r, in, obj, req.RedirectParam)
	}

	// Upstream headers.
	if len(in.headers) > 0 {
		d.Headers = make(map[string]string, len(in.headers))
		for _, hm := range in.headers {
			raw, ok := obj.Get(hm.claim)
			if !ok || jsonscan.Kind(raw) == "null" {
				continue
			}
			val, err := headerValue(raw, in.maxHeaderValue)
			if err != nil {
				return fail(CodeInvalidToken, "headers", "claim %q cannot be sent as header %s: %v", hm.claim, hm.header, err)
			}
			d.Headers[hm.header] = val
		}
	}

	// One-time use comes last, so that a token refused for any other reason
	// does not use up its jti.
	if in.oneTime {
		raw, ok := obj.Get("jti")
		if !ok {
			return fail(CodeRequiredClaimsFailed, "jti", "integration %q requires one-time tokens, and the token has no jti", in.name)
		}
		jti, _ := jsonscan.String(raw)
		if jti == "" || len(jti) > maxJTILen {
			return fail(CodeRequiredClaimsFailed, "jti", "jti must be 1 to %d bytes", maxJTILen)
		}
		until := math.Inf(1)
		if hasExp {
			until = exp
		}
		if in.maxAge > 0 {
			until = math.Min(until, iat+in.maxAge.Seconds())
		}
		// The token is still accepted at exactly until+skew, and a store
		// forgets an entry once its expiry is reached: keep it a second
		// longer so that no instant exists where a replay is fresh.
		fresh, err := v.cfg.Replay.Claim(ctx, ReplayID(in.name, jti), ClampTime(unixTime(until+skew+1)), req.Now)
		if err != nil {
			return fail(CodeInvalidToken, "jti", "replay store failed: %v", err)
		}
		if !fresh {
			return fail(CodeTokenReplayed, "jti", "jti %q was already used", jti)
		}
		if r.explain {
			r.step("jti", OutcomePass, "jti %q used for the first time", jti)
		}
	}
	return nil
}

func intersects(a, b []string) bool {
	for _, x := range a {
		for _, y := range b {
			if x == y {
				return true
			}
		}
	}
	return false
}

// claimString reads a claim that names someone: a non-empty string, or a
// number (some vendors' user IDs are numeric), as its JSON text.
func claimString(obj *jsonscan.Object, name string) (string, error) {
	raw, ok := obj.Get(name)
	if !ok || jsonscan.Kind(raw) == "null" {
		return "", fmt.Errorf("subject claim %q is missing", name)
	}
	switch jsonscan.Kind(raw) {
	case "string":
		s, err := jsonscan.String(raw)
		if err != nil || s == "" {
			return "", fmt.Errorf("subject claim %q is empty", name)
		}
		if r, bad := unsafeRune(s); bad {
			return "", fmt.Errorf("subject claim %q holds control or formatting character %U", name, r)
		}
		return s, nil
	case "number":
		return string(raw), nil
	}
	return "", fmt.Errorf("subject claim %q must be a string, found %s", name, jsonscan.Kind(raw))
}

// stringList reads an optional list-of-strings claim. Absent or null: nil.
func stringList(obj *jsonscan.Object, name string) ([]string, error) {
	raw, ok := obj.Get(name)
	if !ok || jsonscan.Kind(raw) == "null" {
		return nil, nil
	}
	list, err := jsonscan.StringArray(raw)
	if err != nil {
		return nil, fmt.Errorf("claim %q must be an array of strings, found %s", name, jsonscan.Kind(raw))
	}
	if list == nil {
		list = []string{}
	}
	return list, nil
}

func hasType(raw []byte, typ string) bool {
	kind := jsonscan.Kind(raw)
	switch typ {
	case "integer":
		n, err := jsonscan.Number(raw)
		return err == nil && n == math.Trunc(n) && !bytes.ContainsAny(raw, ".eE")
	case "string_array":
		_, err := jsonscan.StringArray(raw)
		return err == nil
	}
	return kind == typ
}

func checkRequirements(r *run, in *integration, d *Decision) *verdict {
	if step, reason := in.requirements.unmet(d, r); reason != "" {
		return fail(CodePermissionDenied, step, "%s", reason)
	}
	return nil
}

func chooseRedirect(r *run, in *integration, obj *jsonscan.Object, param string) string {
	opts := redirect.Options{AllowedDomains: in.redirect.AllowedDomains, AllowHTTP: in.redirect.AllowHTTP}
	var targets []string
	if raw, ok := obj.Get(in.redirect.Claim); ok {
		if s, err := jsonscan.String(raw); err == nil && s != "" {
			targets = append(targets, s)
		}
	}
	if param != "" {
		targets = append(targets, param)
	}
	for _, t := range targets {
		if _, err := redirect.Check(t, opts); err != nil {
			if r.explain {
				r.step("redirect", OutcomeFail, "%v", err)
			}
			continue
		}
		if r.explain {
			r.step("redirect", OutcomePass, "redirect to %q allowed", t)
		}
		return t
	}
	if in.redirect.Default != "" {
		if r.explain {
			r.step("redirect", OutcomeInfo, "using the default %q", in.redirect.Default)
		}
	}
	return in.redirect.Default
}

// headerValue renders a claim as an HTTP header value of at most max
// bytes: strings as they are, lists of strings joined by commas, other
// values as JSON. What an upstream could read otherwise than meant is
// refused rather than altered: control characters and line or paragraph
// separators (which split or smuggle headers), bidirectional overrides
// (which make a value read otherwise than it is), and in a list an element
// holding a comma or empty or padded with spaces (upstreams split such a
// header on commas and trim: ["a,admin"] would read as "a" and "admin").
func headerValue(raw []byte, max int) (string, error) {
	var val string
	switch jsonscan.Kind(raw) {
	case "string":
		s, err := jsonscan.String(raw)
		if err != nil {
			return "", err
		}
		val = s
	case "array":
		if list, err := jsonscan.StringArray(raw); err == nil {
			for _, e := range list {
				if e == "" || strings.ContainsRune(e, ',') || strings.TrimSpace(e) != e {
					return "", fmt.Errorf("list element %q is empty, holds a comma or is padded with spaces", e)
				}
			}
			val = strings.Join(list, ",")
			break
		}
		val = compactJSON(raw)
	default:
		val = compactJSON(raw)
	}
	if r, bad := unsafeRune(val); bad {
		return "", fmt.Errorf("it holds control or formatting character %U", r)
	}
	if len(val) > max {
		return "", fmt.Errorf("it is %d bytes, the limit is %d (max_header_value_bytes)", len(val), max)
	}
	return val, nil
}

// unsafeRune returns the first rune of s that may not go into a header
// value: C0 and C1 controls and DEL, U+2028 and U+2029, and the
// bidirectional embedding, override and isolate controls.
func unsafeRune(s string) (rune, bool) {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x20 || c == 0x7f {
			return rune(c), true
		}
		if c < 0x80 {
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r >= 0x80 && r <= 0x9f, r == 0x2028, r == 0x2029,
			r >= 0x202a && r <= 0x202e, r >= 0x2066 && r <= 0x2069, r == utf8.RuneError && size == 1:
			return r, true
		}
		i += size - 1
	}
	return 0, false
}

// compactJSON renders a raw JSON value on one line.
func compactJSON(raw []byte) string {
	var b bytes.Buffer
	if err := json.Compact(&b, raw); err != nil {
		return string(raw)
	}
	return b.String()
}

// compactChar marks the bytes a compact token may hold: the base64url
// alphabet and the dot. A table, because every byte of every token is
// looked up.
var compactChar = func() (t [256]bool) {
	for _, c := range []byte("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.") {
		t[c] = true
	}
	return t
}()

// canonicalB64 reports whether s, already known to hold only base64url
// characters, is the one spelling that strict decoding accepts: a length
// that is not 1 mod 4, and zero bits past the last whole byte. It saves
// decoding a signature that go-jose decodes again.
func canonicalB64(s string) bool {
	if len(s) == 0 {
		return true
	}
	last := strings.IndexByte("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_", s[len(s)-1])
	switch len(s) % 4 {
	case 1:
		return false
	case 2:
		return last&0x0f == 0
	case 3:
		return last&0x03 == 0
	}
	return true
}

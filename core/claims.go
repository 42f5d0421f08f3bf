package core

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/jwtgate/jwtgate/core/internal/jsonscan"
	"github.com/jwtgate/jwtgate/internal/redirect"
)

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
// the decision, in the documented order: claim types and identity, times,
// audience, required claims and subject, requirements, redirect, headers,
// and the one-time jti last, so that a token refused for any other reason
// keeps its jti.
func (v *Verifier) claims(ctx context.Context, r *run, req *Request, c *claimsInput) *verdict {
	in, obj, d := c.in, c.obj, r.d
	d.Claims, d.ownedClaims = c.payload, c.payload
	t, verr := readTimes(obj)
	if verr != nil {
		return verr
	}
	if verr := readIdentity(in, obj, d); verr != nil {
		return verr
	}
	if t.hasExp {
		d.ExpiresAt = unixTime(t.exp).Unix()
	}
	now := nowSeconds(req.Now)
	for _, check := range []func() *verdict{
		func() *verdict { return checkTimes(r, in, t, now) },
		func() *verdict { return checkAudience(r, in, d.Audience) },
		func() *verdict { return checkRequired(r, in, obj, d) },
		func() *verdict { return checkRequirements(r, in, d) },
	} {
		if verr := check(); verr != nil {
			return verr
		}
	}
	if in.redirect != nil {
		d.Redirect = chooseRedirect(r, in, obj, req.RedirectParam)
	}
	if verr := fillHeaders(in, obj, d); verr != nil {
		return verr
	}
	if in.oneTime {
		if verr := v.claimJTI(ctx, r, req, in, obj, t); verr != nil {
			return verr
		}
	}
	d.window, d.windowed = windowOf(in, t), true
	return nil
}

// times are a payload's registered time claims, in seconds.
type times struct {
	exp, nbf, iat          float64
	hasExp, hasNbf, hasIat bool
}

// readTimes reads exp, nbf and iat, each a number when present.
func readTimes(obj *jsonscan.Object) (t times, verr *verdict) {
	// Straight-line: a table of pointers into t would move t to the heap.
	if t.exp, t.hasExp, verr = numericDate(obj, "exp"); verr != nil {
		return t, verr
	}
	if t.nbf, t.hasNbf, verr = numericDate(obj, "nbf"); verr != nil {
		return t, verr
	}
	t.iat, t.hasIat, verr = numericDate(obj, "iat")
	return t, verr
}

// readIdentity checks the types of sub, jti and aud and fills the
// decision's identity: audience, subject, groups, roles and permissions.
func readIdentity(in *integration, obj *jsonscan.Object, d *Decision) *verdict {
	for _, name := range []string{"sub", "jti"} {
		if raw, ok := obj.Get(name); ok && jsonscan.Kind(raw) != "string" {
			return fail(CodeInvalidToken, name, "%s must be a string, found %s", name, jsonscan.Kind(raw))
		}
	}
	if raw, ok := obj.Get("aud"); ok {
		list, err := jsonscan.StringOrArray(raw)
		if err != nil {
			return fail(CodeInvalidToken, "aud", "aud must be a string or an array of strings")
		}
		d.Audience = list
	}
	if sub, err := claimString(obj, in.subjectClaim); err == nil {
		d.Subject = sub
	}
	var err error
	if d.Groups, err = stringList(obj, in.groupsClaim, false); err != nil {
		return fail(CodeRequiredClaimsFailed, "groups", "%v", err)
	}
	// Roles and permissions may be an OAuth scope string (RFC 8693 4.2,
	// RFC 9068 2.2.3): "reports:read openid".
	if d.Roles, err = stringList(obj, in.rolesClaim, true); err != nil {
		return fail(CodeRequiredClaimsFailed, "roles", "%v", err)
	}
	if d.Permissions, err = stringList(obj, in.permissionsClaim, true); err != nil {
		return fail(CodeRequiredClaimsFailed, "permissions", "%v", err)
	}
	return nil
}

// checkTimes checks exp, nbf, iat and max_age against now, with the
// integration's clock skew.
func checkTimes(r *run, in *integration, t times, now float64) *verdict {
	skew := in.skew.Seconds()
	switch {
	case t.hasExp && now > t.exp+skew:
		return fail(CodeTokenExpired, "exp", "expired %s ago (exp %s, clock skew %s)", ago(now-t.exp), unixTime(t.exp).Format(time.RFC3339), in.skew)
	case t.hasExp:
		if r.explain {
			r.step("exp", OutcomePass, "expires in %s (exp %s)", ago(t.exp-now), unixTime(t.exp).Format(time.RFC3339))
		}
	case in.maxAge == 0:
		return fail(CodeRequiredClaimsFailed, "exp", "the token has no exp and integration %q sets no max_age", in.name)
	default:
		if r.explain {
			r.step("exp", OutcomeSkip, "no exp; max_age bounds the token's life")
		}
	}
	if t.hasNbf {
		if t.nbf > now+skew {
			return fail(CodeTokenNotYetValid, "nbf", "not valid yet: valid in %s (nbf %s, clock skew %s)", ago(t.nbf-now), unixTime(t.nbf).Format(time.RFC3339), in.skew)
		}
		if r.explain {
			r.step("nbf", OutcomePass, "valid since %s", unixTime(t.nbf).Format(time.RFC3339))
		}
	}
	if t.hasIat {
		if t.iat > now+skew {
			return fail(CodeTokenNotYetValid, "iat", "issued %s in the future (iat %s, clock skew %s)", ago(t.iat-now), unixTime(t.iat).Format(time.RFC3339), in.skew)
		}
		if r.explain {
			r.step("iat", OutcomePass, "issued %s ago", ago(now-t.iat))
		}
	}
	if in.maxAge == 0 {
		return nil
	}
	if !t.hasIat {
		return fail(CodeRequiredClaimsFailed, "max_age", "max_age is %s but the token has no iat", in.maxAge)
	}
	if age := now - t.iat; age > in.maxAge.Seconds()+skew {
		return fail(CodeTokenExpired, "max_age", "issued %s ago, older than max_age %s", ago(age), in.maxAge)
	}
	if r.explain {
		r.step("max_age", OutcomePass, "issued within max_age %s", in.maxAge)
	}
	return nil
}

// checkAudience checks aud against the integration's audiences.
func checkAudience(r *run, in *integration, aud []string) *verdict {
	if len(in.audiences) == 0 {
		return nil
	}
	if aud == nil {
		return fail(CodeRequiredClaimsFailed, "aud", "the token has no aud; integration %q expects one of %q", in.name, in.audiences)
	}
	if !intersects(aud, in.audiences) {
		return fail(CodeInvalidToken, "aud", "aud %q does not include any of %q", aud, in.audiences)
	}
	if r.explain {
		r.step("aud", OutcomePass, "aud %q includes an expected audience", aud)
	}
	return nil
}

// checkRequired checks the required claims and the subject.
func checkRequired(r *run, in *integration, obj *jsonscan.Object, d *Decision) *verdict {
	for _, rc := range in.required {
		raw, ok := obj.Get(rc.Name)
		if !ok || jsonscan.Kind(raw) == "null" {
			return fail(CodeRequiredClaimsFailed, "required_claims", "required claim %q is missing", rc.Name)
		}
		if rc.Type != "" && !hasType(raw, rc.Type) {
			return fail(CodeRequiredClaimsFailed, "required_claims", "required claim %q must be %s, found %s", rc.Name, rc.Type, jsonscan.Kind(raw))
		}
	}
	if len(in.required) > 0 && r.explain {
		r.step("required_claims", OutcomePass, "%d required claims present", len(in.required))
	}
	if d.Subject == "" { // readIdentity left it empty: say why
		_, err := claimString(obj, in.subjectClaim)
		return fail(CodeRequiredClaimsFailed, "subject", "%v", err)
	}
	if len(d.Subject) > in.maxHeaderValue {
		// Hosts send the subject upstream as a header.
		return fail(CodeRequiredClaimsFailed, "subject", "subject claim %q is %d bytes, the limit is %d (max_header_value_bytes)", in.subjectClaim, len(d.Subject), in.maxHeaderValue)
	}
	if r.explain {
		r.step("subject", OutcomePass, "%s %q", in.subjectClaim, d.Subject)
	}
	return nil
}

// fillHeaders renders the integration's claim headers.
func fillHeaders(in *integration, obj *jsonscan.Object, d *Decision) *verdict {
	if len(in.headers) == 0 {
		return nil
	}
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
	return nil
}

// claimJTI uses up a one-time token's jti in the replay store, for as long
// as the token could be accepted.
func (v *Verifier) claimJTI(ctx context.Context, r *run, req *Request, in *integration, obj *jsonscan.Object, t times) *verdict {
	raw, ok := obj.Get("jti")
	if !ok {
		return fail(CodeRequiredClaimsFailed, "jti", "integration %q requires one-time tokens, and the token has no jti", in.name)
	}
	jti, _ := jsonscan.String(raw)
	if jti == "" || len(jti) > maxJTILen {
		return fail(CodeRequiredClaimsFailed, "jti", "jti must be 1 to %d bytes", maxJTILen)
	}
	until := math.Inf(1)
	if t.hasExp {
		until = t.exp
	}
	if in.maxAge > 0 {
		until = math.Min(until, t.iat+in.maxAge.Seconds())
	}
	// The token is still accepted at exactly until+skew, and a store
	// forgets an entry once its expiry is reached: keep it a second longer
	// so that no instant exists where a replay is fresh.
	fresh, err := v.cfg.Replay.Claim(ctx, replayID(in.name, jti), ClampTime(unixTime(until+in.skew.Seconds()+1)), req.Now)
	if err != nil {
		return fail(CodeInvalidToken, "jti", "replay store failed: %v", err)
	}
	if !fresh {
		return fail(CodeTokenReplayed, "jti", "jti %q was already used", jti)
	}
	if r.explain {
		r.step("jti", OutcomePass, "jti %q used for the first time", jti)
	}
	return nil
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

// stringList reads an optional list-of-strings claim. Absent or null:
// nil. With scopes, a string is read as an OAuth scope: its tokens.
func stringList(obj *jsonscan.Object, name string, scopes bool) ([]string, error) {
	raw, ok := obj.Get(name)
	if !ok || jsonscan.Kind(raw) == "null" {
		return nil, nil
	}
	if scopes && jsonscan.Kind(raw) == "string" {
		s, _ := jsonscan.String(raw)
		return scopeTokens(name, s)
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

// scopeTokens splits an OAuth scope (RFC 6749 section 3.3): tokens of
// printable ASCII but '"' and '\\', separated by single spaces. "" is the
// empty list (present: no scopes).
func scopeTokens(name, s string) ([]string, error) {
	if s == "" {
		return []string{}, nil
	}
	list := strings.Split(s, " ")
	for _, t := range list {
		if t == "" || strings.ContainsFunc(t, func(r rune) bool { return r < 0x21 || r > 0x7e || r == '"' || r == '\\' }) {
			return nil, fmt.Errorf("claim %q is a scope string that is not tokens separated by single spaces (RFC 6749 section 3.3)", name)
		}
	}
	return list, nil
}

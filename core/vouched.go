package core

import (
	"context"
	"encoding/json"
	"strings"

	"github.com/jwtgate/jwtgate/core/internal/jsonscan"
)

// Vouched is what a trusted remote validation endpoint said of a token it
// accepted: the subject it named and its whole answer.
type Vouched struct {
	// Subject is the subject the endpoint named (from its subject field,
	// which need not be the integration's subject claim).
	Subject string
	// Claims is the endpoint's JSON answer, an object; nil for none.
	Claims json.RawMessage
}

// VerifyVouched decides on a token that a trusted endpoint (an
// integration's remote validation) has vouched for, so its signature is
// not checked here. Everything else is: the token is a compact JWS whose
// payload routes it to req.Integration (or by issuer), and its claims go
// through the same claims stage as a token verified with keys: times with
// the integration's clock skew, audience, required claims, subject,
// required permissions, roles and groups, redirect rules, headers and the
// one-time jti.
//
// The claims judged are the token's payload with the endpoint's answer
// laid over it (the answer wins, except for iss, which routed the token),
// and Subject as the integration's subject claim. Like Verify, it never
// panics and never returns nil.
func (v *Verifier) VerifyVouched(ctx context.Context, req Request, vouched Vouched) (d *Decision) {
	r := &run{d: &Decision{}, explain: req.Explain}
	defer func() {
		if p := recover(); p != nil {
			trace := r.d.Trace
			r.d = &Decision{Trace: trace}
			d = r.reject(CodeInvalidToken, "internal", "internal error while judging vouched claims (%T)", p)
		}
	}()
	c, verr := v.vouchedClaims(r, &req, vouched)
	if verr != nil {
		return r.rejectWith(verr)
	}
	if verr := v.claims(ctx, r, &req, &c); verr != nil {
		return r.rejectWith(verr)
	}
	r.d.Valid = true
	if r.explain {
		r.step("decision", OutcomePass, "token accepted by integration %q", c.in.name)
	}
	return r.d
}

// vouchedClaims reads a vouched token's payload, routes it, and lays the
// endpoint's answer over it.
func (v *Verifier) vouchedClaims(r *run, req *Request, vouched Vouched) (claimsInput, *verdict) {
	tok := req.Token
	switch {
	case req.Now.IsZero():
		return claimsInput{}, fail(CodeInvalidToken, "time", "no current time was given")
	case tok == "":
		return claimsInput{}, fail(CodeInvalidToken, "size", "empty token")
	case len(tok) > v.policy.maxToken:
		return claimsInput{}, fail(CodeInvalidToken, "size", "token is %d bytes, the limit is %d", len(tok), v.policy.maxToken)
	case strings.Count(tok, ".") != 2:
		return claimsInput{}, fail(CodeInvalidToken, "format", "a vouched token must be a compact JWS (3 parts), found %s", parts(strings.Count(tok, ".")+1))
	}
	if verr := compactChars(tok); verr != nil {
		return claimsInput{}, verr
	}
	payload, err := b64.DecodeString(tok[strings.IndexByte(tok, '.')+1 : strings.LastIndexByte(tok, '.')])
	if err != nil {
		return claimsInput{}, fail(CodeInvalidToken, "payload", "payload is not base64url: %v", err)
	}
	in, obj, verr := v.routeClaims(r, req, payload)
	if verr != nil {
		return claimsInput{}, verr
	}
	r.d.Integration, r.d.Tenant, r.d.Issuer = in.name, in.tenant, in.issuer
	if len(tok) > in.maxTokenBytes {
		return claimsInput{}, fail(CodeInvalidToken, "size", "token is %d bytes, integration %q allows %d", len(tok), in.name, in.maxTokenBytes)
	}
	answer := &jsonscan.Object{}
	if len(vouched.Claims) > 0 {
		if answer, err = jsonscan.ParseObject(vouched.Claims, jsonLimits); err != nil {
			return claimsInput{}, fail(CodeInvalidToken, "remote_validation", "the endpoint's answer is not a JSON object: %v", err)
		}
	}
	merged := mergeVouched(obj, answer, in.subjectClaim, vouched.Subject)
	mobj, err := jsonscan.ParseObject(merged, jsonLimits)
	if err != nil {
		return claimsInput{}, fail(CodeInvalidToken, "remote_validation", "vouched claims: %v", err)
	}
	if r.explain {
		r.step("remote_validation", OutcomePass, "vouched for by integration %q's validation endpoint (the signature is not checked here)", in.name)
	}
	return claimsInput{in: in, payload: merged, obj: mobj}, nil
}

// mergeVouched renders the claims of a vouched token: the payload's members
// in order, each replaced by the answer's value of that name (except iss),
// then the answer's other members, and the subject claim set to subject
// unless it already names it.
func mergeVouched(payload, answer *jsonscan.Object, subjectClaim, subject string) []byte {
	var b []byte
	seen := make(map[string]bool, len(payload.Members)+len(answer.Members))
	add := func(name string, value []byte) {
		if seen[name] {
			return
		}
		seen[name] = true
		if len(b) > 0 {
			b = append(b, ',')
		}
		n, _ := json.Marshal(name)
		b = append(append(append(b, n...), ':'), value...)
	}
	subjectValue := func(raw []byte) []byte {
		if subject == "" {
			return raw
		}
		if raw != nil {
			if s, err := claimString(&jsonscan.Object{Members: []jsonscan.Member{{Name: subjectClaim, Value: raw}}}, subjectClaim); err == nil && s == subject {
				return raw
			}
		}
		q, _ := json.Marshal(subject)
		return q
	}
	for _, m := range payload.Members {
		val := m.Value
		if a, ok := answer.Get(m.Name); ok && m.Name != "iss" {
			val = a
		}
		if m.Name == subjectClaim {
			val = subjectValue(val)
		}
		add(m.Name, val)
	}
	for _, m := range answer.Members {
		if m.Name == subjectClaim {
			add(m.Name, subjectValue(m.Value))
			continue
		}
		add(m.Name, m.Value)
	}
	if !seen[subjectClaim] && subject != "" {
		add(subjectClaim, subjectValue(nil))
	}
	return append(append([]byte{'{'}, b...), '}')
}

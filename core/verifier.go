package core

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/jwtgate/jwtgate/core/internal/jsonscan"
	"github.com/jwtgate/jwtgate/core/internal/keys"
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
	keys []keys.JWK
	doc  []byte   // the document parsed, for MarshalJSON
	bind bindings // keys bound per integration (keyset_bound.go)
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
	return &KeySet{keys: k, doc: append([]byte(nil), data...)}, nil
}

// Len returns the number of keys in the set.
func (s *KeySet) Len() int { return len(s.keys) }

// HasKeyID reports whether the set holds a key with this kid that the
// core accepted, so that a host can refetch a set that lacks the key a
// token asks for.
func (s *KeySet) HasKeyID(kid string) bool {
	return slices.ContainsFunc(s.keys, func(k keys.JWK) bool { return k.KeyID == kid })
}

// Config holds what a Verifier gets from its host.
type Config struct {
	// Replay remembers used one-time token IDs. Required when any
	// integration sets one_time_use.
	Replay ReplayStore
	// Keys supplies keys for jwks_url entries. Without it, integrations
	// whose only keys are URLs answer keys_unavailable.
	Keys KeySource
	// Signatures, when set, checks signatures in the core's place (a
	// plugin's host); nil checks them in the core.
	Signatures SignatureChecker
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
	var c claimsInput
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
	if verr := v.claims(ctx, r, req, &c); verr != nil {
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
	iss, verr := issuerOf(obj)
	if verr != nil {
		return nil, verr
	}
	in := v.policy.byIssuer[string(iss)]
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
// and routes it to its integration by issuer (as Policy.Route does).
func (v *Verifier) routeClaims(r *run, req *Request, payload []byte) (*integration, *jsonscan.Object, *verdict) {
	obj, verr := parsePayload(payload)
	if verr != nil {
		return nil, nil, verr
	}
	in, verr := v.selectIntegration(r, req, obj)
	return in, obj, verr
}

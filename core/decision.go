package core

import (
	"encoding/json"

	"github.com/jwtgate/jwtgate/core/internal/permission"
)

// Decision is the outcome of verifying one token against a policy. It
// marshals to the same JSON on every target (native, wasm, browser); that
// JSON is part of jwtgate's stable interface.
//
// On rejection Code, Message and Reason are set. Identity fields (Subject,
// Claims, Groups, …) are filled only once the token's signature has been
// verified, so they are never attacker-chosen; a rejected decision may still
// carry them (an expired but authentic token, say) for explanation, and
// callers must look at Valid first.
type Decision struct {
	// Valid is true when the token passed every check of its integration.
	Valid bool `json:"valid"`
	// Code is the taxonomy code of a rejection; empty when valid.
	Code Code `json:"code,omitempty"`
	// Message is the code's fixed message, safe to show to anyone.
	Message string `json:"message,omitempty"`
	// Reason is the fine detail of a rejection: for logs and the explain
	// trace, never for the party that presented the token.
	Reason string `json:"reason,omitempty"`
	// Integration is the name of the integration the token was matched to.
	Integration string `json:"integration,omitempty"`
	// Tenant is the integration's tenant.
	Tenant string `json:"tenant,omitempty"`
	// Issuer is the token's "iss".
	Issuer string `json:"issuer,omitempty"`
	// Subject is the value of the integration's subject claim.
	Subject string `json:"subject,omitempty"`
	// Audience is the token's "aud", always as a list.
	Audience []string `json:"audience,omitempty"`
	// ExpiresAt is the token's "exp" in Unix seconds, or 0.
	ExpiresAt int64 `json:"expires_at,omitempty"`
	// Claims is the verified payload, as JSON.
	Claims json.RawMessage `json:"claims,omitempty"`
	// Groups from the groups claim. Absent claim: nil (omitted from JSON);
	// present but empty: an empty list, which means "member of no group"
	// (the rule that a present list replaces and an absent one changes
	// nothing depends on the difference).
	Groups []string `json:"groups,omitzero"`
	// Roles from the roles claim, with the same absent/empty distinction.
	Roles []string `json:"roles,omitzero"`
	// Permissions from the permissions claim, as given in the token.
	Permissions []string `json:"permissions,omitzero"`
	// Redirect is the post-sign-in target, present only when it is allowed.
	Redirect string `json:"redirect,omitempty"`
	// Headers are the identity headers for an upstream, from the
	// integration's claim-to-header mapping.
	Headers map[string]string `json:"headers,omitempty"`
	// Trace is the ordered list of steps taken, when explain was requested.
	Trace []Step `json:"trace,omitempty"`

	perms *permission.Set
	// window is when a valid decision's time checks pass (Window), for a
	// decision cache; windowed says it was set.
	window   TimeWindow
	windowed bool
	// ownedClaims is the payload the core read into Claims (see JSON).
	ownedClaims []byte
}

// Step is one entry of an explain trace.
type Step struct {
	// Name identifies the check, such as "signature" or "exp".
	Name string `json:"step"`
	// Outcome is "pass", "fail", "skip" or "info".
	Outcome string `json:"outcome"`
	// Detail says what was expected and what was found.
	Detail string `json:"detail,omitempty"`
}

// Step outcomes.
const (
	OutcomePass = "pass"
	OutcomeFail = "fail"
	OutcomeSkip = "skip"
	OutcomeInfo = "info"
)

// Allows reports whether a valid decision's permissions satisfy the
// requirement req, written resource:action[:scope[:target]]. The matching
// rules are those of package core/internal/permission: scopes own < team <
// tenant < global with a broader grant satisfying a narrower need, admin
// implying every action on its resource, "*" matching any resource or
// action, and a grant with a target satisfying only that target. A rejected
// decision allows nothing; so does a malformed requirement.
func (d *Decision) Allows(req string) bool {
	if d == nil || !d.Valid {
		return false
	}
	if d.perms == nil {
		s := permission.NewSet(d.Permissions)
		d.perms = &s
	}
	return d.perms.AllowsString(req)
}

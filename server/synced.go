package server

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/jwtgate/jwtgate/core"
)

// Bounds of synced claims. A token's issuer controls the values, so each
// is bounded here as well as by the policy's token size: the store keeps
// them for as long as the subject lives, and /v1/session returns them.
const (
	maxSyncedClaims     = 16       // names in an integration's synced_claims
	maxSyncedNameBytes  = 64       // bytes of a name
	maxSyncedValueBytes = 16 << 10 // bytes of one claim's value, as the token spells it
	maxSyncedListLen    = 256      // elements of one claim's list
)

// syncedClaims reads a verified identity's synced claims: those of the
// integration's synced_claims the token carries, each a JSON list kept as
// the token spells it. A claim absent (or null, as the core reads an
// absent groups claim) is not synced, so that the stored value stays; a
// present one of the wrong type or over a bound refuses the token, as the
// core refuses a groups claim that is not a list, rather than keep a
// stale value without a word.
func syncedClaims(names []string, members map[string]json.RawMessage) (map[string]json.RawMessage, string) {
	var out map[string]json.RawMessage
	for _, name := range names {
		v, ok := members[name]
		if !ok || string(v) == "null" {
			continue
		}
		if reason := checkSynced(name, v); reason != "" {
			return nil, reason
		}
		if out == nil {
			out = map[string]json.RawMessage{}
		}
		out[name] = v
	}
	return out, ""
}

// checkSynced returns why a present synced claim's value is refused, or "".
func checkSynced(name string, v json.RawMessage) string {
	if len(v) == 0 || v[0] != '[' {
		return fmt.Sprintf("synced claim %q must be an array, found %s", name, jsonKind(v))
	}
	if len(v) > maxSyncedValueBytes {
		return fmt.Sprintf("synced claim %q is %d bytes, over the %d allowed", name, len(v), maxSyncedValueBytes)
	}
	var list []json.RawMessage
	if err := json.Unmarshal(v, &list); err != nil {
		return fmt.Sprintf("synced claim %q is not a JSON array", name)
	}
	if len(list) > maxSyncedListLen {
		return fmt.Sprintf("synced claim %q has %d elements, over the %d allowed", name, len(list), maxSyncedListLen)
	}
	return ""
}

// jsonKind names the JSON type of a value the core already parsed.
func jsonKind(v json.RawMessage) string {
	if len(v) == 0 {
		return "nothing"
	}
	switch v[0] {
	case '{':
		return "an object"
	case '"':
		return "a string"
	case 't', 'f':
		return "a boolean"
	}
	return "a number"
}

// onboarding reports whether a token asks for onboarding: Acadio's
// onboard claim, the JSON boolean true (the string "true" is not).
func onboarding(members map[string]json.RawMessage) bool {
	return string(members["onboard"]) == "true"
}

// verifySyncing verifies an integration's token as verifyExternal does,
// for the endpoints that store its subject (sign-in, token exchange), and
// reads the synced claims and the onboard request into the identity. A
// synced claim the integration cannot keep refuses the token with
// required_claims_failed, its reason for the log.
func (s *Server) verifySyncing(ctx context.Context, c *config, req core.Request) (*identity, *refusal) {
	id, ref := s.verifyExternal(ctx, c, req)
	if ref != nil {
		return nil, ref
	}
	members := id.profile().members
	id.onboard = onboarding(members)
	in := c.integrations[id.integration]
	if in == nil || len(in.synced) == 0 {
		return id, nil
	}
	synced, reason := syncedClaims(in.synced, members)
	if reason != "" {
		return nil, &refusal{code: core.CodeRequiredClaimsFailed, reason: reason, integration: id.integration}
	}
	id.synced = synced
	return id, nil
}

// configuredSynced is the stored synced claims the integration still
// syncs: a claim dropped from synced_claims is no longer kept up to date,
// so it is not answered either (its stored value stays, answered again if
// the claim is named again).
func configuredSynced(in *integ, stored map[string]json.RawMessage) map[string]json.RawMessage {
	if in == nil || len(stored) == 0 {
		return nil
	}
	var out map[string]json.RawMessage
	for _, name := range in.synced {
		if v, ok := stored[name]; ok {
			if out == nil {
				out = map[string]json.RawMessage{}
			}
			out[name] = v
		}
	}
	return out
}

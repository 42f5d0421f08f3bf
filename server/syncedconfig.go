package server

import (
	"fmt"
	"strings"
)

// unsyncedClaims are the claims synced_claims may not name, and why: the
// token's registered claims say nothing a subject keeps, and the profile
// claims have rules of their own (kept when absent, metadata an object).
var unsyncedClaims = map[string]string{
	"iss": "a registered claim", "sub": "a registered claim", "aud": "a registered claim",
	"exp": "a registered claim", "nbf": "a registered claim", "iat": "a registered claim",
	"jti": "a registered claim", "email": "kept as the subject's email", "name": "kept as the subject's name",
	"metadata": "kept as the subject's metadata", "meta": "kept as the subject's metadata",
	"onboard": "read at sign-in (onboarding_redirect), not kept",
}

// ownColumnClaims are synced whether or not synced_claims names them:
// the identity's groups and roles, kept in the subject's own fields by the
// same rule. Naming them is allowed (Acadio's list reads "groups,
// credits") and stores no second copy.
var ownColumnClaims = map[string]bool{"groups": true, "roles": true}

// syncedClaims checks an integration's synced_claims and returns the
// names the store keeps as synced claims (without groups and roles).
func (p *serviceParser) syncedClaims(field string, names []string) []string {
	if len(names) > maxSyncedClaims {
		p.fail(field, "at most %d claims, found %d", maxSyncedClaims, len(names))
		return nil
	}
	var kept []string
	seen := map[string]bool{}
	for i, name := range names {
		f := fmt.Sprintf("%s[%d]", field, i)
		switch {
		case name == "" || len(name) > maxSyncedNameBytes || !printable(name) || strings.TrimSpace(name) != name:
			p.fail(f, "want a claim name of 1-%d printable bytes without surrounding spaces, found %q", maxSyncedNameBytes, name)
		case seen[name]:
			p.fail(f, "claim %q is named twice", name)
		case unsyncedClaims[name] != "":
			p.fail(f, "claim %q cannot be synced: %s", name, unsyncedClaims[name])
		case !ownColumnClaims[name]:
			kept = append(kept, name)
		}
		seen[name] = true
	}
	return kept
}

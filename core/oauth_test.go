package core

import (
	"testing"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/stretchr/testify/require"
)

// OAuth access tokens as issued (RFC 9068): the permissions or roles claim
// may be the space-separated scope string.
func TestScopeStringAsPermissions(t *testing.T) {
	v := mustVerifier(t, vtPolicy(vtIntegration{Name: "a", Issuer: vtIssA, Algs: "HS256", Keys: []string{vtSecretKey(vtSecret, "", "")},
		Extra: []string{"permissions_claim: scope", "roles_claim: scp", "require_permissions: [reports:read]"}}))
	d := verifyAt(v, vtHS(t, claims(vtIssA, map[string]any{"scope": "reports:read openid", "scp": []string{"admin"}})), testNow)
	require.True(t, d.Valid, d.Reason)
	require.Equal(t, []string{"reports:read", "openid"}, d.Permissions)
	require.Equal(t, []string{"admin"}, d.Roles, "an array is still an array")
	require.True(t, verifyAt(v, vtHS(t, claims(vtIssA, map[string]any{"scope": "reports:read"})), testNow).Valid)
	vtCheck(t, verifyAt(v, vtHS(t, claims(vtIssA, map[string]any{"scope": ""})), testNow), vtReject(CodePermissionDenied, "", ""))
	vtCheck(t, verifyAt(v, vtHS(t, claims(vtIssA, map[string]any{"scope": "openid"})), testNow), vtReject(CodePermissionDenied, "", ""))
	for _, bad := range []string{"reports:read  openid", " reports:read", "reports:read\topenid", `reports:"read"`} {
		vtCheck(t, verifyAt(v, vtHS(t, claims(vtIssA, map[string]any{"scope": bad})), testNow), vtReject(CodeRequiredClaimsFailed, "permissions", "RFC 6749"))
	}
	// groups stay a list: a string there is refused as before.
	g := mustVerifier(t, vtPolicy(vtIntegration{Name: "a", Issuer: vtIssA, Algs: "HS256", Keys: []string{vtSecretKey(vtSecret, "", "")}}))
	vtCheck(t, verifyAt(g, vtHS(t, claims(vtIssA, map[string]any{"groups": "a b"})), testNow), vtReject(CodeRequiredClaimsFailed, "groups", "array of strings"))
}

// Explicit typing (RFC 8725 section 3.11): with types set, only those typ
// values (any case, application/ implied) are accepted.
func TestExplicitTypes(t *testing.T) {
	v := mustVerifier(t, vtPolicy(vtIntegration{Name: "a", Issuer: vtIssA, Algs: "HS256", Keys: []string{vtSecretKey(vtSecret, "", "")},
		Extra: []string{"types: [at+jwt]"}}))
	tok := func(typ any) string {
		h := map[jose.HeaderKey]any{}
		if typ != nil {
			h["typ"] = typ
		}
		return sign(t, jose.HS256, []byte(vtSecret), "", claims(vtIssA, nil), h)
	}
	for _, ok := range []string{"at+jwt", "AT+JWT", "application/at+jwt", "Application/At+JWT"} {
		d := verifyAt(v, tok(ok), testNow)
		require.True(t, d.Valid, "%s: %s", ok, d.Reason)
	}
	for _, bad := range []any{"JWT", "id_token+jwt", "application/jwt", ""} {
		vtCheck(t, verifyAt(v, tok(bad), testNow), vtReject(CodeInvalidToken, "typ", "types"))
	}
	vtCheck(t, verifyAt(v, vtRawJWS(t, jose.HS256, []byte(vtSecret), `{"alg":"HS256"}`, vtClaimsJSON(t, vtIssA, nil)), testNow), vtReject(CodeInvalidToken, "typ", "types"))
	vtCheck(t, verifyAt(v, tok(5), testNow), vtReject(CodeInvalidToken, "header", "must be a string"))
	// Without types any typ is accepted, as before.
	plain := mustVerifier(t, vtPolicy(vtIntegration{Name: "a", Issuer: vtIssA, Algs: "HS256", Keys: []string{vtSecretKey(vtSecret, "", "")}}))
	require.True(t, verifyAt(plain, tok("id_token+jwt"), testNow).Valid)
	_, err := ParsePolicy("p.yaml", []byte(vtPolicy(vtIntegration{Name: "a", Issuer: vtIssA, Algs: "HS256", Keys: []string{vtSecretKey(vtSecret, "", "")}, Extra: []string{`types: ["", "a b"]`}})), LoadOptions{})
	var list PolicyErrors
	require.ErrorAs(t, err, &list)
	require.Len(t, list, 2)
	require.Equal(t, "types[0]", list[0].Field)
}

package server

import (
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/jwtgate/jwtgate/internal/jwttest"
)

// identify asks the engine first and the own verifier only about the
// tokens the engine refuses. Each token is still judged by the verifier of
// its issuer, fully: jwtgate's own access token and an integration's token
// are both identified, and neither a header naming the server's own key
// (kid) nor a payload naming the server's issuer gets a token past a check.
func TestOwnAndExternalTokensAreJudgedByTheirIssuer(t *testing.T) {
	e := newEnv(t, envOptions{})
	ownKid := ownKeyID(t, e)
	authz := func(tok string) response {
		return e.get("/v1/authz/analytics", "Authorization", "Bearer "+tok)
	}

	// jwtgate's own access token (of an Okto session) and an integration's.
	access := e.oktoAccessToken()
	r := e.verify(access)
	require.Equal(t, http.StatusOK, r.status, r.body)
	assert.Equal(t, "okto", r.json["integration"])
	r = e.get("/v1/authz/home", "Authorization", "Bearer "+access)
	require.Equal(t, http.StatusOK, r.status, r.body)
	assert.Equal(t, "okto", r.json["integration"])
	r = e.verify(e.acadioToken(nil))
	require.Equal(t, http.StatusOK, r.status, r.body)
	assert.Equal(t, "jwt-auth", r.json["integration"])
	r = authz(e.okeraToken(0, "okera-1", nil))
	require.Equal(t, http.StatusOK, r.status, r.body)
	assert.Equal(t, "okera", r.json["integration"])

	// An integration's token whose header names the own kid is still the
	// integration's: its key decides, the kid is only a hint.
	mimic := mint(t, []byte(acadioSecret), ownKid, claims(e.clock.Now(), acadioIssuer, map[string]any{"email": "student@school.example"}))
	r = e.verify(mimic)
	require.Equal(t, http.StatusOK, r.status, r.body)
	assert.Equal(t, "jwt-auth", r.json["integration"])

	// The own kid on a token of Okera's signed with a key Okera does not
	// publish: refused by Okera's keys (the own ones are never tried).
	r = authz(e.okeraToken(1, ownKid, nil))
	assert.Equal(t, http.StatusUnauthorized, r.status, r.body)
	assert.Equal(t, "invalid_token", r.json["error"])

	// The server's issuer and kid, in the server's algorithm, signed with
	// another key: the own verifier refuses the signature.
	forged := jwttest.Sign("ES256", jwttest.Keys().EC, map[string]any{"kid": ownKid}, ownClaims{
		Issuer: e.srv.publicURL, Audience: e.srv.publicURL, Subject: "wallet-user-7", IssuedAt: e.clock.Now().Unix(),
		ExpiresAt: e.clock.Now().Add(time.Hour).Unix(), Use: tokenUseAccess, SessionID: "s", Integration: "okto",
	})
	for _, tok := range []string{forged, respell(t, access)} {
		r = e.verify(tok)
		assert.Equal(t, http.StatusUnauthorized, r.status, r.body)
		assert.Equal(t, "invalid_token", r.json["error"])
		assert.Equal(t, http.StatusUnauthorized, authz(tok).status)
	}

	// Signed with the server's own key but naming an integration's issuer:
	// the integration's verifier judges it, and refuses the algorithm.
	now := e.clock.Now()
	crossed, err := e.srv.keys.sign(map[string]any{"iss": acadioIssuer, "email": "student@school.example", "iat": now.Unix(), "exp": now.Add(time.Hour).Unix()}, now)
	require.NoError(t, err)
	r = e.verify(crossed)
	assert.Equal(t, http.StatusUnauthorized, r.status, r.body)
	assert.Equal(t, "invalid_token", r.json["error"])

	// Signed with the server's own key, of its issuer, naming no session
	// the store knows: the own verifier's checks go on past the signature.
	orphan, err := e.srv.signOwnToken(&identity{integration: "okto", subject: "wallet-user-7"}, "no-such-session", tokenUseAccess, now, now.Add(time.Minute))
	require.NoError(t, err)
	r = e.verify(orphan)
	assert.Equal(t, http.StatusUnauthorized, r.status, r.body)
	assert.Contains(t, e.logs.String(), `"reason":"unknown session"`)
	assertNoTokenInLogs(t, e.logs.String(), access, mimic, forged, crossed, orphan)
}

// ownKeyID is the kid of the key the server signs its own tokens with, as
// its published JWKS names it.
func ownKeyID(t *testing.T, e *env) string {
	t.Helper()
	r := e.get(jwksPath)
	require.Equal(t, http.StatusOK, r.status, r.body)
	keys, _ := r.json["keys"].([]any)
	require.NotEmpty(t, keys, r.body)
	kid, _ := keys[0].(map[string]any)["kid"].(string)
	require.NotEmpty(t, kid)
	return kid
}

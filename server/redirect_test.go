package server

import (
	"net/http"
	"net/url"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// For an integration without a redirect section, the go parameter is
// taken when it is a same-site path. The JSON answer used to return it as
// given ("/..//evil.com", which a browser script resolves off-site) while
// the 303's Location was cleaned: both now name the one same-site target.
func TestSignInTargetJSONMatchesLocation(t *testing.T) {
	e := newEnv(t, envOptions{})
	base, err := url.Parse(e.url)
	require.NoError(t, err)
	for _, param := range []string{
		"/..//evil.com", "/../evil.com", "/a/../b", "/a//b", "/./x", "/%2e%2e//evil.com", "/%2E%2E/%2Fevil.com",
		"/x/..%2f..%2fevil.com", "/courses/42", "/courses/42/", "/q?next=/../x", "//evil.com", "/\\evil.com", "/a#/../b",
	} {
		q := "/auth/callback/jwt-auth?" + url.Values{"token": {e.acadioToken(nil)}, "go": {param}}.Encode()
		js := e.get(q, "Accept", "application/json")
		require.Equal(t, http.StatusOK, js.status, js.body)
		target, _ := js.json["redirect"].(string)
		loc := e.get("/auth/callback/jwt-auth?" + url.Values{"token": {e.acadioToken(nil)}, "go": {param}}.Encode())
		require.Equal(t, http.StatusSeeOther, loc.status, loc.body)
		assert.Equal(t, loc.header.Get("Location"), target, "go=%q", param)
		ref, err := url.Parse(target)
		require.NoError(t, err, target)
		assert.Equal(t, base.Host, base.ResolveReference(ref).Host, "go=%q resolves to %q", param, target)
	}
}

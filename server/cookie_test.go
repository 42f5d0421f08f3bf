package server

import (
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The session cookie carries the __Host- prefix when it is Secure, has
// Path=/ and no Domain (a cookie that a sibling host, or a page over plain
// http, cannot set or overwrite), and __Secure- when it has a Domain.
func TestCookiePrefix(t *testing.T) {
	const https = "public_url: https://auth.example.com"
	for _, tc := range []struct {
		name  string
		edits []string
		want  string
	}{
		{"http loopback", nil, "jwtgate_session"},
		{"https public URL", []string{"public_url: http://localhost:8080", https}, "__Host-jwtgate_session"},
		{"secure: true on loopback", []string{sessionLine, "session: {cookie: jwtgate_session, ttl: 8h, secure: true}"}, "__Host-jwtgate_session"},
		{"same_site: none (Secure)", []string{sessionLine, "session: {cookie: jwtgate_session, ttl: 8h, same_site: none}"}, "__Host-jwtgate_session"},
		{"https, secure: false", []string{"public_url: http://localhost:8080", https, sessionLine, "session: {cookie: jwtgate_session, ttl: 8h, secure: false}"}, "jwtgate_session"},
		{"another name", []string{"public_url: http://localhost:8080", https, sessionLine, "session: {cookie: app_sess, ttl: 8h}"}, "__Host-app_sess"},
		{"a Domain", []string{"public_url: http://localhost:8080", https, sessionLine, "session: {cookie: jwtgate_session, ttl: 8h, domain: example.com}"}, "__Secure-jwtgate_session"},
	} {
		e := newOriginEnv(t, tc.edits...)
		r := e.signInPost("prefix")
		require.Equal(t, http.StatusOK, r.status, "%s: %s", tc.name, r.body)
		require.Len(t, r.resp.Cookies(), 1, tc.name)
		ck := r.resp.Cookies()[0]
		assert.Equal(t, tc.want, ck.Name, tc.name)
		assert.Equal(t, "/", ck.Path, tc.name)
		if strings.HasPrefix(tc.want, "__") {
			assert.True(t, ck.Secure, tc.name)
		}
		if strings.HasPrefix(tc.want, "__Host-") {
			assert.NotContains(t, r.header.Get("Set-Cookie"), "Domain=", tc.name)
		}
		sent := tc.want + "=" + ck.Value

		// The server reads the cookie it sets, on every endpoint.
		r = e.get("/v1/session", "Cookie", sent)
		assert.Equal(t, http.StatusOK, r.status, "%s: %s", tc.name, r.body)
		r = e.get("/v1/authz", "Cookie", sent, "X-Original-URI", "/", "X-Original-Method", "GET")
		assert.Equal(t, http.StatusOK, r.status, "%s: authz: %s", tc.name, r.body)

		if tc.want != "jwtgate_session" && tc.want != "app_sess" {
			// The same session under the bare name (a cookie from before
			// the prefix, or one planted by a sibling host or over http) is
			// ignored.
			bare := strings.TrimPrefix(strings.TrimPrefix(tc.want, "__Host-"), "__Secure-")
			r = e.get("/v1/session", "Cookie", bare+"="+ck.Value)
			assert.Equal(t, http.StatusUnauthorized, r.status, "%s: bare name", tc.name)
			r = e.get("/v1/authz", "Cookie", bare+"="+ck.Value, "X-Original-URI", "/", "X-Original-Method", "GET")
			assert.Equal(t, http.StatusUnauthorized, r.status, "%s: authz, bare name", tc.name)

			// Logout clears both.
			r = e.post("/auth/logout", "", "", "Cookie", sent)
			require.Equal(t, http.StatusOK, r.status, tc.name)
			var cleared []string
			for _, c := range r.resp.Cookies() {
				assert.Equal(t, -1, c.MaxAge, "%s: %s", tc.name, c.Name)
				cleared = append(cleared, c.Name)
			}
			assert.ElementsMatch(t, []string{tc.want, bare}, cleared, tc.name)
		}
	}
}

func TestCookieNameRefusesPrefixes(t *testing.T) {
	e := newEnv(t, envOptions{noStart: true})
	for _, name := range []string{"__Host-jwtgate", "__Secure-jwtgate", "__host-jwtgate", "__SECURE-x"} {
		e.write(strings.Replace(e.testConfig(""), sessionLine, "session: {cookie: "+name+", ttl: 8h}", 1))
		_, err := New(t.Context(), Options{ConfigFile: e.config, DataDir: t.TempDir(), StoreDSN: e.storeDS})
		require.Error(t, err, name)
		assert.ErrorIs(t, err, ErrConfig)
		assert.Contains(t, err.Error(), "service.session.cookie", name)
	}
}

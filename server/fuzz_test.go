package server

import (
	"bufio"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// FuzzHandlers sends arbitrary requests (method, path, headers, body)
// through every endpoint: no client input may reach a panic or a 5xx other
// than 503 (the store or a remote being unavailable is not the client's
// fault, and not a bug).
func FuzzHandlers(f *testing.F) {
	for _, seed := range []struct{ method, path, headers, body string }{
		{"GET", "/auth/callback/%ff", "", ""},
		{"GET", "/auth/callback/%00", "", ""},
		{"GET", "/auth/callback/jwt-auth?token=a.b.c&go=%ff", "", ""},
		{"POST", "/auth/jwt", "Content-Type: application/json", `{"token":"a.b.c","redirect_url":"/..//evil.com"}`},
		{"POST", "/auth/jwt", "Content-Type: multipart/form-data; boundary=x", "--x\r\nContent-Disposition: form-data; name=token\r\n\r\na.b.c\r\n--x--"},
		{"POST", "/auth/jwt", "Content-Type: application/x-www-form-urlencoded", "token=%zz"},
		{"POST", "/v1/verify", "Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.e30.x", ""},
		{"GET", "/v1/authz/%2e%2e/admin", "X-Original-URI: /%zz", ""},
		{"GET", "/v1/authz", "X-Forwarded-Uri: /admin\x7f", ""},
		{"GET", "/v1/session", "Cookie: jwtgate_session=%ff", ""},
		{"POST", "/oauth2/token", "Content-Type: application/x-www-form-urlencoded", "grant_type=urn:ietf:params:oauth:grant-type:token-exchange&subject_token=x"},
		{"POST", "/v1/integrations/%ff/test", "Authorization: Bearer x", `{"token":"x"}`},
		{"POST", "/auth/logout", "Authorization: Bearer a.b.c", ""},
		{"GET", "/readyz?verbose", "", ""},
		{"OPTIONS", "/auth/jwt", "Origin: https://evil.example", ""},
	} {
		f.Add(seed.method, seed.path, seed.headers, seed.body)
	}
	fuzzEnv := newEnv(f, envOptions{})
	f.Fuzz(func(t *testing.T, method, path, headers, body string) {
		raw := fmt.Sprintf("%s %s HTTP/1.1\r\nHost: jwtgate.test\r\n%s\r\nContent-Length: %d\r\n\r\n%s",
			method, path, strings.ReplaceAll(headers, "\n", "\r\n"), len(body), body)
		req, err := http.ReadRequest(bufio.NewReader(strings.NewReader(raw)))
		if err != nil {
			return // net/http answers 400 itself before any handler runs
		}
		fuzzEnv.logs.Reset()
		w := httptest.NewRecorder()
		fuzzEnv.srv.Handler().ServeHTTP(w, req)
		require.False(t, w.Code >= 500 && w.Code != http.StatusServiceUnavailable, "%s %q: status %d, body %q", method, path, w.Code, w.Body.String())
		logs := fuzzEnv.logs.String()
		require.NotContains(t, logs, `"msg":"panic"`, "%s %q: the handler panicked: %s", method, path, logs)
	})
}

// A bad escape in the callback's integration name used to reach a panic
// (recovered: 500 and a "panic" log line). It is a malformed request.
func TestCallbackBadNameIs400(t *testing.T) {
	e := newEnv(t, envOptions{})
	for _, p := range []string{"/auth/callback/%ff", "/auth/callback/%00", "/auth/callback/a%0Ab", "/auth/callback/%c0%af"} {
		r := e.get(p)
		assert.Equal(t, http.StatusBadRequest, r.status, p)
		assert.Equal(t, "invalid_request", r.json["error"], p)
	}
	assert.NotContains(t, e.logs.String(), `"msg":"panic"`)
}

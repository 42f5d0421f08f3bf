package server

import (
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// bearerToken adapts edge's extraction (its table is edge's
// TestBearerSource): the token, whether one was sent, whether it was good.
func TestBearerToken(t *testing.T) {
	r, _ := http.NewRequest(http.MethodGet, "http://x/", nil)
	got, present, ok := bearerToken(r)
	assert.Equal(t, []any{"", false, false}, []any{got, present, ok}, "none sent")
	r.Header.Set("Authorization", "Bearer abc")
	got, present, ok = bearerToken(r)
	assert.Equal(t, []any{"abc", true, true}, []any{got, present, ok})
	r.Header.Add("Authorization", "Bearer b")
	got, present, ok = bearerToken(r)
	assert.Equal(t, []any{"", true, false}, []any{got, present, ok}, "two headers: sent, malformed")
}

func TestSecureCookie(t *testing.T) {
	s := &Server{}
	for _, tc := range []struct {
		url, mode string
		want      bool
	}{
		{"http://127.0.0.1:8080", "auto", false},
		{"http://localhost:8080", "auto", false},
		{"http://[::1]:8080", "auto", false},
		{"http://auth.example.com", "auto", true},
		{"https://auth.example.com", "auto", true},
		{"https://localhost", "auto", true},
		{"http://127.0.0.1:8080", "always", true},
		{"https://auth.example.com", "never", false},
	} {
		s.publicURL = tc.url
		assert.Equal(t, tc.want, s.secureCookie(&config{secure: tc.mode}), "%s %s", tc.url, tc.mode)
	}
}

func TestPublicURLIsNotAnIntegrationIssuer(t *testing.T) {
	e := newEnv(t, envOptions{noStart: true})
	e.write(strings.Replace(e.testConfig(""), "public_url: http://localhost:8080", "public_url: "+oktoIssuer, 1))
	_, err := New(t.Context(), Options{ConfigFile: e.config, DataDir: t.TempDir(), StoreDSN: e.storeDS})
	assert.ErrorContains(t, err, "service.public_url")
	assert.ErrorIs(t, err, ErrConfig)
}

// The issuer of jwtgate's own tokens from the options is checked as the
// file's is, before anything is opened.
func TestPublicURLOptionChecked(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "policy.yaml")
	require.NoError(t, os.WriteFile(cfg, []byte("integrations:\n  - name: okto\n    issuer: "+oktoIssuer+"\n    algorithms: [HS256]\n    keys: [{secret: "+oktoSecret+"}]\n"), 0o600))
	for _, bad := range []string{"auth.example.com", "ftp://auth.example.com", "https://", "https://auth.example.com/?x=1"} {
		_, err := New(t.Context(), Options{ConfigFile: cfg, DataDir: filepath.Join(dir, "data"), PublicURL: bad})
		assert.ErrorContains(t, err, "public URL: want an http(s) URL", bad)
		_, err = os.Stat(filepath.Join(dir, "data"))
		assert.True(t, os.IsNotExist(err), "%s: nothing was opened", bad)
	}
	srv, err := New(t.Context(), Options{ConfigFile: cfg, DataDir: filepath.Join(dir, "data"), PublicURL: "http://[::1]:8080/"})
	require.NoError(t, err)
	defer srv.Close()
	assert.Equal(t, "http://[::1]:8080", srv.publicURL)
}

package server

import (
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestBearerToken(t *testing.T) {
	for _, tc := range []struct {
		in            []string
		want          string
		present, good bool
	}{
		{[]string{"Bearer abc"}, "abc", true, true},
		{[]string{"BEARER abc "}, "abc", true, true},
		{[]string{"Bearer"}, "", true, false},
		{[]string{"Bearerabc"}, "", true, false},
		{[]string{"Token abc"}, "", true, false},
		{nil, "", false, false},
		{[]string{"Bearer a", "Bearer b"}, "", true, false},
		{[]string{"Bearer a b"}, "", true, false},
	} {
		r, _ := http.NewRequest(http.MethodGet, "http://x/", nil)
		for _, v := range tc.in {
			r.Header.Add("Authorization", v)
		}
		got, present, ok := bearerToken(r)
		assert.Equal(t, tc.good, ok, "%q", tc.in)
		assert.Equal(t, tc.present, present, "%q", tc.in)
		assert.Equal(t, tc.want, got, "%q", tc.in)
	}
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

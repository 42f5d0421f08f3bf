package edge

import (
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The zero Sources read jwtgate serve's bearer header: one Authorization
// header, "Bearer TOKEN", the scheme in any case. (TestBearerToken of the
// server, moved here.)
func TestBearerSource(t *testing.T) {
	for _, tc := range []struct {
		in            []string
		want          string
		present, good bool
	}{
		{[]string{"Bearer abc"}, "abc", true, true},
		{[]string{"BEARER abc "}, "abc", true, true},
		{[]string{"bearer  abc "}, "abc", true, true},
		{[]string{"Bearer"}, "", true, false},
		{[]string{"Bearer "}, "", true, false},
		{[]string{"Bearerabc"}, "", true, false},
		{[]string{"Bearer\tabc"}, "", true, false},
		{[]string{"Token abc"}, "", true, false},
		{[]string{"Basic dXNlcjpwYXNz"}, "", true, false},
		{nil, "", false, false},
		{[]string{"Bearer a", "Bearer b"}, "", true, false},
		{[]string{"Bearer a b"}, "", true, false},
		{[]string{"Bearer a\tb"}, "", true, false},
	} {
		h := http.Header{}
		for _, v := range tc.in {
			h.Add("Authorization", v)
		}
		c := Sources{}.Extract(h, "/")
		assert.Equal(t, tc.good, c.Malformed == "" && c.Sent, "%q", tc.in)
		assert.Equal(t, tc.present, c.Sent, "%q", tc.in)
		assert.Equal(t, tc.want, c.Token, "%q", tc.in)
		// The same through a proxy's header pairs, names in any case.
		var l HeaderList
		for _, v := range tc.in {
			l = append(l, [2]string{"authorization", v})
		}
		assert.Equal(t, c, Sources{}.Extract(l, "/"), "%q", tc.in)
	}
}

// Headers, then parameters, then cookies; the first source present
// decides; each must be there once. (The filter's TestTokenSources,
// moved here.)
func TestSources(t *testing.T) {
	s := Sources{
		Headers: []HeaderSource{{Name: "Authorization", ValuePrefix: "Bearer "}, {Name: "X-Token"}},
		Params:  []string{"t"},
		Cookies: []string{"c"},
	}
	require.NoError(t, s.Check())
	for _, tc := range []struct {
		headers    HeaderList
		target     string
		tok        string
		sent, good bool
	}{
		{HeaderList{{"Authorization", "Bearer abc"}}, "/", "abc", true, true},
		{HeaderList{{"authorization", "bearer  abc "}}, "/", "abc", true, true},
		{HeaderList{{"authorization", "Bearer a b"}}, "/", "", true, false},
		{HeaderList{{"authorization", "Basic abc"}, {"x-token", "xyz"}}, "/", "", true, false}, // a bad credential is not passed over
		{HeaderList{{"authorization", "Bearer a"}, {"authorization", "Bearer b"}}, "/", "", true, false},
		{HeaderList{{"x-token", " verbatim  "}}, "/", " verbatim  ", true, true}, // no prefix: the value as it is
		{HeaderList{{"x-token", ""}}, "/", "", true, true},
		{HeaderList{{"x-token", "a"}, {"X-Token", "b"}}, "/", "", true, false},
		{HeaderList{{"x-token", "h"}}, "/x?t=q", "h", true, true},
		{nil, "/x?t=q1", "q1", true, true},
		{nil, "/x?a=1&t=q%2B1+2", "q+1 2", true, true},
		{nil, "/x?t=", "", true, true},
		{nil, "/x?t=q1&t=q2", "", true, false}, // which one would the upstream read?
		{nil, "/x?t=%zz", "", true, false},
		{nil, "/x?t%zz=q&tt=q", "", false, true},
		{HeaderList{{"cookie", "x=1; c=ck"}}, "/", "ck", true, true},
		{HeaderList{{"cookie", "x=1"}, {"Cookie", "c=ck"}}, "/", "ck", true, true}, // HTTP/2 splits cookies
		{HeaderList{{"cookie", "c=a; c=b"}}, "/", "", true, false},
		{HeaderList{{"cookie", "c="}}, "/", "", false, true},
		{HeaderList{{"cookie", "C=ck"}}, "/", "", false, true},
		{HeaderList{{"cookie", "c=ck"}}, "/?t=q", "q", true, true},
		{nil, "/", "", false, true},
	} {
		c := s.Extract(tc.headers, tc.target)
		assert.Equal(t, tc.tok, c.Token, "%v %s", tc.headers, tc.target)
		assert.Equal(t, tc.sent, c.Sent, "%v %s", tc.headers, tc.target)
		assert.Equal(t, tc.good, c.Malformed == "", "%v %s: %s", tc.headers, tc.target, c.Malformed)
	}
	// A source list without headers reads no header at all.
	c := Sources{Params: []string{"t"}}.Extract(HeaderList{{"authorization", "Bearer abc"}}, "/")
	assert.Equal(t, Credential{}, c)
	assert.Equal(t, []string{"Authorization"}, Sources{}.HeaderNames())
	assert.Equal(t, []string{"Authorization", "X-Token"}, s.HeaderNames())
	assert.Empty(t, Sources{Params: []string{"t"}}.HeaderNames())
	// A custom prefix, in any case, as a scheme.
	custom := Sources{Headers: []HeaderSource{{Name: "x-auth", ValuePrefix: "JWT "}}}
	assert.Equal(t, "abc", custom.Extract(HeaderList{{"x-auth", "jwt abc"}}, "/").Token)
	assert.NotEmpty(t, custom.Extract(HeaderList{{"x-auth", "abc"}}, "/").Malformed)
}

func TestSourcesCheck(t *testing.T) {
	long := strings.Repeat("a", 65)
	for want, s := range map[string]Sources{
		"from_headers[0].name":         {Headers: []HeaderSource{{Name: "x token"}}},
		"from_headers[1].name":         {Headers: []HeaderSource{{Name: "a"}, {Name: ""}}},
		"from_headers[0].value_prefix": {Headers: []HeaderSource{{Name: "a", ValuePrefix: "Bearer\n"}}},
		"from_headers":                 {Headers: make([]HeaderSource, MaxSources+1)},
		"from_params[0]":               {Params: []string{"a&b"}},
		"from_cookies[0]":              {Cookies: []string{long}},
	} {
		err := s.Check()
		var se *SourceError
		require.ErrorAs(t, err, &se, want)
		assert.Equal(t, want, se.Field)
	}
	require.NoError(t, Sources{}.Check())
}

func TestRedirectParam(t *testing.T) {
	for target, want := range map[string]string{
		"/": "",
		"/x?redirect_url=https%3A%2F%2Fa.example": "https://a.example",
		"/x?go=%2Fhome":             "/home",
		"/x?go=/b&redirect_url=/a":  "/a",
		"/x?redirect_url=&go=/b":    "/b",
		"/x?redirect_url=%zz&go=/b": "/b",
		"/x?go=/first&go=/second":   "/first",
	} {
		assert.Equal(t, want, RedirectParam(target), target)
	}
}

func TestTokenHash(t *testing.T) {
	assert.Equal(t, "ba7816bf8f01cfea", TokenHash("abc")) // SHA-256("abc") begins ba7816bf8f01cfea
	assert.Equal(t, "-", TokenHash(""))
}

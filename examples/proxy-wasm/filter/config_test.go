package main

import (
	"testing"

	"github.com/jwtgate/jwtgate/core"
)

const policy = `integrations: [{name: a, issuer: "https://a.example", algorithms: [HS256], keys: [{secret: "0123456789abcdef0123456789abcdef"}], headers: {X-User: sub}}]`

func TestTokenSources(t *testing.T) {
	s, err := parseConfig([]byte(`{"policy": ` + quote(policy) + `, "token": {"query": "t", "cookie": "c"}}`))
	if err != nil {
		t.Fatal(err)
	}
	if len(s.policyHeaders) != 1 || s.policyHeaders[0] != "x-user" {
		t.Errorf("policy headers %v", s.policyHeaders)
	}
	for _, tc := range []struct {
		headers           [][2]string
		path              string
		tok               string
		sent, isMalformed bool
	}{
		{[][2]string{{"Authorization", "Bearer abc"}}, "/", "abc", true, false},
		{[][2]string{{"authorization", "bearer  abc "}}, "/", "abc", true, false},
		{[][2]string{{"authorization", "Bearer a b"}}, "/", "", true, true},
		{[][2]string{{"authorization", "Basic abc"}}, "/", "", true, true},
		{[][2]string{{"authorization", "Bearer a"}, {"authorization", "Bearer b"}}, "/", "", true, true},
		{nil, "/x?t=q1&t=q2", "q1", true, false},
		{[][2]string{{"cookie", "x=1; c=ck"}}, "/", "ck", true, false},
		{[][2]string{{"cookie", "c="}}, "/", "", false, false},
		{nil, "/", "", false, false},
	} {
		tok, sent, malformed := s.token(tc.headers, tc.path)
		if tok != tc.tok || sent != tc.sent || (malformed != "") != tc.isMalformed {
			t.Errorf("%v %s: (%q, %v, %q)", tc.headers, tc.path, tok, sent, malformed)
		}
	}
}

func TestCleanPathAndRoutes(t *testing.T) {
	s, err := parseConfig([]byte("policy: " + quote(policy) + "\nroutes: [{prefix: /r}, {prefix: /r/deep, methods: [post]}, {prefix: /C, case_sensitive: true}]\nskip: [/healthz]\n"))
	if err != nil {
		t.Fatal(err)
	}
	path := func(uri string) core.Path {
		p, err := core.CleanPath(uri, s.paths)
		if err != nil {
			t.Fatalf("%q: %v", uri, err)
		}
		return p
	}
	if rt := s.routeFor("POST", path("/r/deep/x")); rt == nil || rt.Prefix != "/r/deep" {
		t.Errorf("POST /r/deep/x: %+v", rt)
	}
	if rt := s.routeFor("GET", path("/R/Deep/x")); rt == nil || rt.Prefix != "/r" {
		t.Errorf("GET /R/Deep/x: %+v", rt)
	}
	if rt := s.routeFor("GET", path("/rx")); rt != nil {
		t.Errorf("GET /rx: %+v", rt)
	}
	if rt := s.routeFor("GET", path("/c")); rt != nil {
		t.Errorf("GET /c matched the case-sensitive /C: %+v", rt)
	}
	if !s.skip[0].Covers(path("/healthz")) || s.skip[0].Covers(path("/healthz;x")) {
		t.Error("skip")
	}
	for _, bad := range []string{"skip: [healthz]", "skip: [/a/../b]", "skip: ['/a;b']", "routes: [{prefix: '/a%2f'}]", "routes: [{prefix: /a., case_sensitive: true}]"} {
		if _, err := parseConfig([]byte("policy: " + quote(policy) + "\n" + bad + "\n")); err == nil {
			t.Errorf("%s: accepted", bad)
		}
	}
	if s, err := parseConfig([]byte("policy: " + quote(policy) + "\nunicode_paths: true\n")); err != nil || !s.paths.Unicode {
		t.Errorf("unicode_paths: %v", err)
	}
}

func quote(s string) string {
	b := []byte{'"'}
	for _, c := range []byte(s) {
		if c == '"' || c == '\\' {
			b = append(b, '\\')
		}
		b = append(b, c)
	}
	return string(append(b, '"'))
}

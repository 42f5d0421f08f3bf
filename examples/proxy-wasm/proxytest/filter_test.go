package proxytest_test

import (
	"context"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/jwtgate/jwtgate/core"
	"github.com/jwtgate/jwtgate/examples/proxy-wasm/proxytest"
	"github.com/jwtgate/jwtgate/internal/jwttest"
	"github.com/jwtgate/jwtgate/internal/testcorpus"
)

func TestValidTokenContinuesWithIdentity(t *testing.T) {
	clk := newClock(testcorpus.Now)
	vm := newVM(t, newHost(t, clk), pluginConfig(testPolicy(), nil))
	// The client's own identity headers must not survive.
	s := do(t, vm, request("/api/things", "Bearer "+hsToken(clk.now(), nil),
		[2]string{"x-jwtgate-subject", "admin"}, [2]string{"X-User", "admin"}, [2]string{"x-jwtgate-role", "root"}, [2]string{"accept", "*/*"}))
	require.True(t, s.Continued(), "refused: %+v", s.Local)
	for name, want := range map[string]string{
		"x-user": "user-123", "x-email": "john@example.com", "x-groups": "eng,ops",
		"x-jwtgate-subject": "user-123", "x-jwtgate-tenant": "acme", "x-jwtgate-integration": "hs", "accept": "*/*",
	} {
		got := s.Header(name)
		assert.Equal(t, want, got)
	}
	for _, gone := range []string{"authorization", "x-jwtgate-role"} {
		assert.False(t, s.Has(gone), "%s still sent upstream", gone)
	}
	n := 0
	for _, h := range s.Headers {
		if strings.EqualFold(h[0], "x-user") {
			n++
		}
	}
	assert.Equal(t, 1, n, "%d x-user headers: %v", n, s.Headers)

	// With forward: true the header stays; RS256 works too.
	vm2 := newVM(t, newHost(t, clk), pluginConfig(testPolicy(), map[string]any{"forward": true}))
	s = do(t, vm2, request("/", "bearer "+rsToken(clk.now(), "rs-1")))
	require.True(t, s.Continued(), "RS256: %+v %+v", s.Local, s.Headers)
	require.True(t, s.Has("authorization"), "RS256: %+v %+v", s.Local, s.Headers)
	require.Equal(t, "rs", s.Header("x-jwtgate-integration"), "RS256: %+v %+v", s.Local, s.Headers)
}

func TestRefusals(t *testing.T) {
	clk := newClock(testcorpus.Now)
	vm := newVM(t, newHost(t, clk), pluginConfig(testPolicy(), nil))
	now := clk.now()
	good := hsToken(now, nil)
	tampered := good[:len(good)-3] + "AAA"
	for _, tc := range []struct {
		name      string
		headers   [][2]string
		code      core.Code
		challenge string
	}{
		{"invalid signature", request("/", "Bearer "+tampered), core.CodeInvalidToken, challengeFor("Invalid token")},
		{"expired", request("/", "Bearer "+hsToken(now, map[string]any{"exp": now.Add(-time.Hour).Unix()})), core.CodeTokenExpired, challengeFor("Token expired")},
		{"unknown issuer", request("/", "Bearer "+jwttest.Sign("HS256", []byte(hsSecret), nil, testcorpus.Claims("https://nobody.example", nil))), core.CodeConfigurationNotFound, challengeFor("Configuration not found")},
		{"garbage", request("/", "Bearer not-a-token"), core.CodeInvalidToken, challengeFor("Invalid token")},
		{"malformed header", request("/", "Basic dXNlcjpwYXNz"), core.CodeInvalidToken, challengeFor("Invalid token")},
		{"two headers", request("/", "Bearer "+good, [2]string{"authorization", "Bearer " + good}), core.CodeInvalidToken, challengeFor("Invalid token")},
		{"missing", request("/", ""), core.CodeInvalidToken, `Bearer realm="jwtgate"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := do(t, vm, tc.headers)
			wantRefused(t, s, 401, string(tc.code), tc.challenge)
			assert.True(t, strings.HasPrefix(s.Local.Details, "jwtgate_"), "details %q", s.Local.Details)
		})
	}
	// The reason never reaches the client.
	s := do(t, vm, request("/", "Bearer "+tampered))
	assert.NotContains(t, string(s.Local.Body), "signature", "the body leaks the reason: %s", s.Local.Body)
}

func TestRoutesAndSkip(t *testing.T) {
	clk := newClock(testcorpus.Now)
	cfg := pluginConfig(testPolicy(), map[string]any{
		"routes": []any{
			map[string]any{"prefix": "/reports", "require_permissions": []string{"reports:read:tenant"}},
			map[string]any{"prefix": "/admin", "methods": []string{"POST", "delete"}, "require_roles": map[string]any{"any": []string{"admin"}}},
			map[string]any{"prefix": "/eng", "require_groups": map[string]any{"all": []string{"eng", "ops"}}},
			map[string]any{"prefix": "/rs-only", "integration": "rs"},
		},
		"skip": []string{"/healthz"},
	})
	vm := newVM(t, newHost(t, clk), cfg)
	now := clk.now()
	user := "Bearer " + hsToken(now, nil) // permissions users:read, reports:read:own; roles user; groups eng, ops
	admin := "Bearer " + hsToken(now, map[string]any{"roles": []string{"admin"}, "permissions": []string{"reports:read:global"}})
	denied := `Bearer realm="jwtgate", error="insufficient_scope", error_description="Permission denied"`

	wantRefused(t, do(t, vm, request("/reports/2026", user)), 403, "permission_denied", denied)
	wantContinued(t, do(t, vm, request("/reports/2026", admin)), "admin refused on /reports")
	wantContinued(t, do(t, vm, request("/reportsx", user)), "/reportsx is not under /reports")
	post := request("/admin/users", user)
	post[0][1] = "POST"
	wantRefused(t, do(t, vm, post), 403, "permission_denied", denied)
	wantContinued(t, do(t, vm, request("/admin/users", user)), "GET /admin is not restricted")
	wantContinued(t, do(t, vm, request("/eng/x", user)), "/eng")
	wantRefused(t, do(t, vm, request("/eng/x", "Bearer "+hsToken(now, map[string]any{"groups": []string{"eng"}}))), 403, "permission_denied", denied)
	// A pinned route refuses other integrations' tokens.
	wantRefused(t, do(t, vm, request("/rs-only", user)), 401, "configuration_not_found", challengeFor("Configuration not found"))
	wantContinued(t, do(t, vm, request("/rs-only/a", "Bearer "+rsToken(now, "rs-1"))), "/rs-only with an rs token")
	// Skipped paths pass without a token, but never with forged identity.
	s := do(t, vm, request("/healthz", "", [2]string{"x-jwtgate-subject", "admin"}, [2]string{"x-user", "admin"}))
	assert.False(t, !s.Continued() || s.Has("x-jwtgate-subject") || s.Has("x-user"), "/healthz: %+v %v", s.Local, s.Headers)
	// A path that escapes the skip prefix is verified.
	wantRefused(t, do(t, vm, request("/healthz/../admin", "")), 401, "invalid_token", `Bearer realm="jwtgate"`)
}

func TestTokenSources(t *testing.T) {
	clk := newClock(testcorpus.Now)
	tok := hsToken(clk.now(), nil)
	t.Run("query and cookie", func(t *testing.T) {
		vm := newVM(t, newHost(t, clk), pluginConfig(testPolicy(), map[string]any{"from_params": []string{"access_token"}, "from_cookies": []string{"jwt"}}))
		wantContinued(t, do(t, vm, request("/x?a=1&access_token="+url.QueryEscape(tok), "")), "query")
		wantContinued(t, do(t, vm, request("/x", "", [2]string{"cookie", "a=b; jwt=" + tok + "; c=d"})), "cookie")
		wantRefused(t, do(t, vm, request("/x?access_token=junk", "")), 401, "invalid_token", challengeFor("Invalid token"))
		// Two tokens: the upstream might read the other one.
		wantRefused(t, do(t, vm, request("/x?access_token="+url.QueryEscape(tok)+"&access_token=junk", "")), 401, "invalid_token", challengeFor("Invalid token"))
		wantRefused(t, do(t, vm, request("/x", "", [2]string{"cookie", "other=" + tok})), 401, "invalid_token", `Bearer realm="jwtgate"`)
	})
	t.Run("custom header", func(t *testing.T) {
		vm := newVM(t, newHost(t, clk), pluginConfig(testPolicy(), map[string]any{"from_headers": []any{map[string]any{"name": "X-Auth-Token", "value_prefix": "JWT "}}}))
		s := do(t, vm, request("/x", "", [2]string{"x-auth-token", "JWT " + tok}))
		assert.False(t, !s.Continued() || s.Has("x-auth-token"), "custom header: %+v %v", s.Local, s.Headers)
		wantRefused(t, do(t, vm, request("/x", "", [2]string{"x-auth-token", tok})), 401, "invalid_token", challengeFor("Invalid token"))
		// The Authorization header is not read when another is configured.
		wantRefused(t, do(t, vm, request("/x", "Bearer "+tok)), 401, "invalid_token", `Bearer realm="jwtgate"`)
	})
}

func TestBadConfiguration(t *testing.T) {
	h := newHost(t, newClock(testcorpus.Now))
	for name, cfg := range map[string]string{
		"empty":           ``,
		"no policy":       `{"forward": true}`,
		"unknown setting": pluginConfig(testPolicy(), map[string]any{"forwrd": true}),
		"old spelling":    pluginConfig(testPolicy(), map[string]any{"remove_authorization": true}),
		"number duration": pluginConfig(testPolicy(), map[string]any{"tick_period": 1000}),
		"bad policy":      pluginConfig("integrations: []", nil),
		"file key":        pluginConfig("integrations: [{name: a, issuer: x, algorithms: [HS256], keys: [{secret_file: /etc/passwd}]}]", nil),
		"jwks no cluster": pluginConfig("integrations: [{name: a, issuer: x, algorithms: [RS256], keys: [{jwks_url: 'https://idp.example/jwks'}]}]", nil),
		"bad route":       pluginConfig(testPolicy(), map[string]any{"routes": []any{map[string]any{"prefix": "reports"}}}),
		"unknown pin":     pluginConfig(testPolicy(), map[string]any{"routes": []any{map[string]any{"prefix": "/r", "integration": "nope"}}}),
	} {
		_, err := h.NewVM(context.Background(), []byte(cfg))
		assert.Error(t, err, "%s: the configuration was accepted", name)
	}
	// The policy may be given as an object (YAML) instead of a string.
	obj := "policy:\n  integrations:\n    - {name: a, issuer: 'https://hs.example', algorithms: [HS256], keys: [{secret: '" + hsSecret + "'}]}\n"
	vm := newVM(t, h, obj)
	s := do(t, vm, request("/", "Bearer "+jwttest.Sign("HS256", []byte(hsSecret), nil, testcorpus.Claims("https://hs.example", nil))))
	assert.True(t, s.Continued(), "YAML object policy: %+v", s.Local)
}

// TestOneTimeAcrossVMs: a one-time token accepted by one VM is refused by
// another, through shared data; raced on two VMs at once, each token is
// accepted exactly once.
func TestOneTimeAcrossVMs(t *testing.T) {
	clk := newClock(testcorpus.Now)
	h := newHost(t, clk)
	cfg := pluginConfig(testPolicy(), map[string]any{"replay_buckets": 4})
	vm1, vm2 := newVM(t, h, cfg), newVM(t, h, cfg)
	once := func(jti string) string {
		return jwttest.Sign("HS256", []byte(hsSecret), nil, testcorpus.Claims("https://once.example", map[string]any{"jti": jti}))
	}
	tok := once("jti-1")
	require.True(t, wantContinued(t, do(t, vm1, request("/", "Bearer "+tok)), "first use refused"))
	wantRefused(t, do(t, vm2, request("/", "Bearer "+tok)), 401, "token_replayed", challengeFor("Token has already been used"))
	wantRefused(t, do(t, vm1, request("/", "Bearer "+tok)), 401, "token_replayed", challengeFor("Token has already been used"))
	keys := h.Shared.Keys("jwtgate:replay:")
	assert.Len(t, keys, 4, "replay buckets %v", keys)

	const n = 40
	var mu sync.Mutex
	accepted := map[string]int{}
	var wg sync.WaitGroup
	for _, v := range []*proxytest.VM{vm1, vm2} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range n {
				jti := "race-" + string(rune('a'+i%26)) + string(rune('a'+i/26))
				s, err := v.Request(context.Background(), request("/", "Bearer "+once(jti)))
				if !assert.NoError(t, err) {
					return
				}
				if s.Continued() {
					mu.Lock()
					accepted[jti]++
					mu.Unlock()
				} else if assert.NotNil(t, s.Local, "%s: neither accepted nor refused", jti) {
					assert.Contains(t, string(s.Local.Body), "token_replayed", jti)
				}
			}
		}()
	}
	wg.Wait()
	assert.Len(t, accepted, n, "%d of %d tokens accepted", len(accepted), n)
	for jti, c := range accepted {
		assert.Equal(t, 1, c, "%s accepted %d times", jti, c)
	}
}

package proxytest_test

import (
	"context"
	"encoding/json"
	"math/big"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/jwtgate/jwtgate/examples/proxy-wasm/proxytest"
	"github.com/jwtgate/jwtgate/internal/jwttest"
	"github.com/jwtgate/jwtgate/internal/testcorpus"
	"github.com/jwtgate/jwtgate/internal/wasmtest"
)

// The filter is built by the tests (proxytest.Build, cached by a hash of
// its sources), and wazero's compiled code is cached on disk in the folder
// every package's tests share, so only the first run after a change pays
// for either.
var (
	buildOnce sync.Once
	module    []byte
	modPath   string
	buildErr  error
)

func filterModule(t testing.TB) []byte {
	t.Helper()
	wasmtest.SkipShort(t)
	buildOnce.Do(func() {
		modPath, buildErr = proxytest.Build(context.Background(), proxytest.BuildOptions{})
		if buildErr == nil {
			module, buildErr = os.ReadFile(modPath)
		}
	})
	require.NoError(t, buildErr, "building the filter")
	return module
}

func compileCache(t testing.TB) string { return wasmtest.CompileCache(t) }

// clock is a settable wall clock for the VMs.
type clock struct{ ns atomic.Int64 }

func newClock(t time.Time) *clock { c := &clock{}; c.set(t); return c }
func (c *clock) set(t time.Time)  { c.ns.Store(t.UnixNano()) }
func (c *clock) add(d time.Duration) {
	c.ns.Add(int64(d))
}
func (c *clock) now() time.Time { return time.Unix(0, c.ns.Load()).UTC() }

func newHost(t testing.TB, clk *clock) *proxytest.Host {
	t.Helper()
	h, err := proxytest.New(context.Background(), filterModule(t), proxytest.Options{Clock: clk.now, CacheDir: compileCache(t)})
	require.NoError(t, err)
	t.Cleanup(func() { h.Close(context.Background()) })
	return h
}

func newVM(t testing.TB, h *proxytest.Host, config string) *proxytest.VM {
	t.Helper()
	vm, err := h.NewVM(context.Background(), []byte(config))
	require.NoError(t, err)
	return vm
}

// pluginConfig wraps a policy and filter settings into a plugin
// configuration (JSON).
func pluginConfig(policy string, settings map[string]any) string {
	m := map[string]any{"policy": policy}
	for k, v := range settings {
		m[k] = v
	}
	b, err := json.Marshal(m)
	if err != nil {
		panic(err)
	}
	return string(b)
}

const hsSecret = testcorpus.HSSecret

// testPolicy has an HS256 integration with claim headers, an RS256 one
// with an inline JWKS, and a one-time integration.
func testPolicy() string {
	k := jwttest.Keys()
	n := strings.TrimRight(b64url(k.RSA.N.Bytes()), "=")
	e := b64url(big.NewInt(int64(k.RSA.E)).Bytes())
	return `integrations:
  - name: hs
    tenant: acme
    issuer: https://hs.example
    audiences: [api]
    algorithms: [HS256]
    keys: [{secret: "` + hsSecret + `"}]
    headers: {X-User: sub, X-Email: email, X-Groups: groups}
  - name: rs
    tenant: rs-tenant
    issuer: https://rs.example
    algorithms: [RS256]
    keys:
      - jwks: {"keys":[{"kty":"RSA","kid":"rs-1","alg":"RS256","n":"` + n + `","e":"` + e + `"}]}
  - name: once
    issuer: https://once.example
    algorithms: [HS256]
    keys: [{secret: "` + hsSecret + `"}]
    one_time_use: true
`
}

func hsToken(now time.Time, extra map[string]any) string {
	c := jwttest.Merge(testcorpus.Claims("https://hs.example", map[string]any{"exp": now.Add(time.Hour).Unix(), "iat": now.Add(-time.Minute).Unix()}), extra)
	return jwttest.Sign("HS256", []byte(hsSecret), nil, c)
}

func rsToken(now time.Time, kid string) string {
	c := testcorpus.Claims("https://rs.example", map[string]any{"exp": now.Add(time.Hour).Unix(), "iat": now.Add(-time.Minute).Unix()})
	return jwttest.Sign("RS256", jwttest.Keys().RSA, map[string]any{"kid": kid}, c)
}

func request(path, authorization string, extra ...[2]string) [][2]string {
	hs := [][2]string{{":method", "GET"}, {":path", path}, {":authority", "api.example"}, {":scheme", "https"}}
	if authorization != "" {
		hs = append(hs, [2]string{"authorization", authorization})
	}
	return append(hs, extra...)
}

func do(t testing.TB, vm *proxytest.VM, headers [][2]string) *proxytest.Stream {
	t.Helper()
	s, err := vm.Request(context.Background(), headers)
	require.NoError(t, err)
	return s
}

// wantRefused checks a local response: status, JSON body and challenge.
// wantContinued checks that s went upstream; what names the request.
func wantContinued(t testing.TB, s *proxytest.Stream, what string) bool {
	t.Helper()
	return assert.True(t, s.Continued(), "%s: refused: %+v", what, s.Local)
}

func wantRefused(t testing.TB, s *proxytest.Stream, status uint32, code string, challenge string) {
	t.Helper()
	require.NotNil(t, s.Local, "want a %d local response (%s), the request went upstream with %v", status, code, s.Headers)
	assert.Equal(t, status, s.Local.Status, "status %d, want %d (body %s)", s.Local.Status, status, s.Local.Body)
	var body struct{ Error, Message string }
	require.NoError(t, json.Unmarshal(s.Local.Body, &body), "body %q", s.Local.Body)
	assert.Equal(t, code, body.Error, "error %q, want %q (body %s)", body.Error, code, s.Local.Body)
	assert.NotEmpty(t, body.Message, "no message in %s", s.Local.Body)
	assert.Equal(t, "application/json", s.Local.Header("content-type"))
	got := s.Local.Header("www-authenticate")
	assert.Equal(t, challenge, got, "www-authenticate %q, want %q", got, challenge)
}

func challengeFor(msg string) string {
	return `Bearer realm="jwtgate", error="invalid_token", error_description="` + msg + `"`
}

// decisions returns the decision JSON lines the filter logged (debug).
func decisions(vm *proxytest.VM) []string {
	var out []string
	for _, l := range vm.Logs() {
		if d, ok := strings.CutPrefix(l.Message, "jwtgate decision "); ok {
			out = append(out, d)
		}
	}
	return out
}

func b64url(b []byte) string {
	const enc = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	var sb strings.Builder
	for i := 0; i < len(b); i += 3 {
		var n uint32
		m := min(3, len(b)-i)
		for j := 0; j < 3; j++ {
			n <<= 8
			if j < m {
				n |= uint32(b[i+j])
			}
		}
		for j := 0; j < m+1; j++ {
			sb.WriteByte(enc[(n>>(18-6*j))&63])
		}
	}
	return sb.String()
}

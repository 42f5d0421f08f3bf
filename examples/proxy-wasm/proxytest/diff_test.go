package proxytest_test

import (
	"context"
	"encoding/json"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/jwtgate/jwtgate/core"
	"github.com/jwtgate/jwtgate/examples/proxy-wasm/proxytest"
	"github.com/jwtgate/jwtgate/internal/testcorpus"
)

// TestDifferential runs the shared corpus (internal/testcorpus) natively and
// through the filter, as requests, and requires for every case:
//
//   - the decision JSON the filter logs (debug: true) to be byte for byte
//     core.Decision.JSON() of the native verifier, explain trace included;
//   - the request's fate to follow that decision: a valid token continues
//     upstream with exactly the decision's claim headers; a rejected one
//     gets the 401 (403 for permission_denied) local response with the
//     decision's code and fixed message.
//
// The token travels verbatim in an X-Token header (no "Bearer " parsing,
// so that malformed tokens reach the core as they are), the corpus's time
// is the proxy's wall clock (WASI clock_time_get), the redirect parameter
// is the redirect_url query parameter and the pinned integration a route.
// Each policy group runs on one host, with one VM per explain setting, so
// that the one-time cases share one replay store (shared data) as they do
// natively. The one case left out is time/zero-now: a proxy always has a
// clock.
func TestDifferential(t *testing.T) {
	clk := newClock(testcorpus.Now)
	cases := testcorpus.Cases()
	ran := 0
	for _, g := range testcorpus.Groups(cases) {
		p, err := core.ParsePolicy("policy", g.Policy, core.LoadOptions{})
		require.NoError(t, err)
		native, err := core.NewVerifier(p, core.Config{Replay: core.NewMemoryReplayStore(0)})
		require.NoError(t, err)
		var routes []any
		for _, name := range p.Integrations() {
			routes = append(routes, map[string]any{"prefix": "/pin/" + name, "integration": name})
		}
		h := newHost(t, clk)
		vms := map[bool]*proxytest.VM{}
		for _, explain := range []bool{false, true} {
			vms[explain] = newVM(t, h, pluginConfig(string(g.Policy), map[string]any{
				"from_headers": []any{map[string]any{"name": "x-token"}}, "debug": true, "explain": explain, "routes": routes, "identity_headers": false,
			}))
		}
		for _, c := range g.Cases {
			if c.Now.IsZero() {
				continue
			}
			ran++
			want := native.Verify(context.Background(), c.Request())
			clk.set(c.Now)
			path := "/"
			if c.Integration != "" {
				path = "/pin/" + c.Integration
			}
			if c.RedirectParam != "" {
				path += "?redirect_url=" + url.QueryEscape(c.RedirectParam)
			}
			vm := vms[c.Explain]
			vm.ClearLogs()
			s := do(t, vm, request(path, "", [2]string{"x-token", c.Token}))
			got := decisions(vm)
			if !assert.Len(t, got, 1, "%s: decisions logged", c.Name) {
				continue
			}
			if !assert.Equal(t, string(want.JSON()), got[0], "%s: the filter's decision differs from native", c.Name) {
				continue
			}
			checkFate(t, c.Name, want, s)
		}
	}
	assert.Equal(t, len(cases)-2, ran, "cases ran; only the two time/zero-now cases are left out")
	t.Logf("%d corpus cases: identical decision JSON and matching responses", ran)
}

// checkFate checks that what happened to the request follows the decision.
func checkFate(t *testing.T, name string, d *core.Decision, s *proxytest.Stream) {
	t.Helper()
	if d.Valid {
		if !assert.True(t, s.Continued(), "%s: valid, but refused: %+v", name, s.Local) {
			return
		}
		added := map[string]string{}
		for _, h := range s.Headers {
			if !strings.HasPrefix(h[0], ":") && h[0] != "x-token" {
				added[h[0]] = h[1]
			}
		}
		want := map[string]string{}
		for k, v := range d.Headers {
			want[strings.ToLower(k)] = v
		}
		assert.Len(t, added, len(want), "%s: upstream headers %v, want %v", name, added, want)
		for k, v := range want {
			assert.Equal(t, v, added[k], "%s: header %s = %q, want %q", name, k, added[k], v)
		}
		return
	}
	status := uint32(401)
	if d.Code == core.CodePermissionDenied {
		status = 403
	}
	if !assert.NotNil(t, s.Local, "%s: %s, want a %d local response", name, d.Code, status) ||
		!assert.Equal(t, status, s.Local.Status, "%s: %s", name, d.Code) {
		return
	}
	var body struct{ Error, Message string }
	err := json.Unmarshal(s.Local.Body, &body)
	assert.False(t, err != nil || body.Error != string(d.Code) || body.Message != d.Message, "%s: body %s, want code %s message %q", name, s.Local.Body, d.Code, d.Message)
}

package server

import (
	"net/http"
	"net/netip"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"crypto/rsa"
)

func TestBlockedAddress(t *testing.T) {
	for _, a := range []string{"127.0.0.1", "10.1.2.3", "172.16.0.1", "192.168.1.1", "169.254.169.254", "0.0.0.0",
		"100.64.0.1", "::1", "fe80::1", "fd00::1", "::ffff:127.0.0.1", "::ffff:169.254.169.254", "224.0.0.1", "64:ff9b::a9fe:a9fe", "::"} {
		assert.True(t, blockedAddress(netip.MustParseAddr(a)), a)
	}
	for _, a := range []string{"8.8.8.8", "1.1.1.1", "2001:4860:4860::8888", "93.184.216.34"} {
		assert.False(t, blockedAddress(netip.MustParseAddr(a)), a)
	}
}

// A stored integration's key set on a loopback address is not fetched:
// a tenant admin cannot make jwtgate call the operator's own networks. The
// file's integrations may (their hosts are the operator's), and
// service.egress.allow_private lets stored ones too.
func TestStoredIntegrationEgress(t *testing.T) {
	keys := newFakeEndpoint(t, answer(http.StatusOK, jwksBody(t, map[string]*rsa.PrivateKey{"k1": rsaKey(t, 0)})))
	doc := `{"policy":{"issuer":"` + acmeIssuer + `","algorithms":["RS256"],"keys":[{"jwks_url":"` + keys.URL + `/keys.json"}]}}`
	for _, c := range []struct {
		extra  string
		status int
	}{{"", http.StatusUnauthorized}, {"  egress: {allow_private: true}\n", http.StatusOK}} {
		e := newAdminEnv(t, envOptions{extra: c.extra})
		e.admin(http.MethodPut, "/v1/admin/tenants/acme/integrations/sso", doc).expect(t, http.StatusCreated)
		tok := mint(t, rsaKey(t, 0), "k1", claims(e.clock.Now(), acmeIssuer, map[string]any{"sub": "ada"}))
		var r response
		require.Eventually(t, func() bool {
			r = e.verify(tok)
			return r.status == c.status
		}, 5*time.Second, 50*time.Millisecond, "%q: %s", c.extra, r.body)
		if c.status != http.StatusOK {
			assert.Nil(t, keys.lastRequest(), "no request reached the loopback key server")
			assert.Contains(t, e.logs.String(), "loopback, private or link-local")
		}
		e.verify(e.okeraToken(0, "okera-1", nil)).expect(t, http.StatusOK) // the file's loopback key set
	}
}

package server

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"syscall"
	"time"
)

// Egress: a tenant admin names URLs that jwtgate then calls (a jwks_url,
// a discovery issuer, a remote validation endpoint, a group resolver).
// Those calls must not reach the operator's own networks: loopback, the
// private ranges, link-local (the cloud metadata address) and the like,
// else any tenant could make jwtgate probe or call them (SSRF). The
// address is checked where the connection is made, after the name is
// resolved, so that a name that resolves (or rebinds) to such an address
// is refused too. The hosts the configuration file names are the
// operator's and are trusted; service.egress.allow_private lifts the
// check for the others (an installation on a private network).

// errPrivateAddress refuses a connection of a stored integration to an
// address of the operator's networks.
var errPrivateAddress = errors.New("the address is loopback, private or link-local: an integration stored through the admin API may not reach it (service.egress.allow_private)")

// blockedPrefixes are ranges that netip's predicates do not cover.
var blockedPrefixes = []netip.Prefix{
	netip.MustParsePrefix("0.0.0.0/8"),     // "this network"
	netip.MustParsePrefix("100.64.0.0/10"), // carrier-grade NAT (RFC 6598)
	netip.MustParsePrefix("192.0.0.0/24"),  // IETF protocol assignments
	netip.MustParsePrefix("198.18.0.0/15"), // benchmarking (RFC 2544)
	netip.MustParsePrefix("64:ff9b::/96"),  // NAT64, which maps the ranges above
}

// blockedAddress reports whether ip is of the operator's networks.
func blockedAddress(ip netip.Addr) bool {
	ip = ip.Unmap()
	if !ip.IsValid() || ip.IsLoopback() || ip.IsPrivate() || ip.IsLinkLocalUnicast() || ip.IsLinkLocalMulticast() ||
		ip.IsInterfaceLocalMulticast() || ip.IsMulticast() || ip.IsUnspecified() {
		return true
	}
	for _, p := range blockedPrefixes {
		if p.Contains(ip) {
			return true
		}
	}
	return false
}

// guardedTransport makes connections to public addresses only; it uses no
// proxy from the environment, which would connect on its behalf.
func guardedTransport() *http.Transport {
	d := &net.Dialer{Timeout: 10 * time.Second, Control: func(_, address string, _ syscall.RawConn) error {
		host, _, err := net.SplitHostPort(address)
		if err != nil {
			return err
		}
		ip, err := netip.ParseAddr(host)
		if err != nil || blockedAddress(ip) {
			return errPrivateAddress
		}
		return nil
	}}
	return &http.Transport{
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			return d.DialContext(ctx, network, addr)
		},
		TLSHandshakeTimeout: 10 * time.Second, MaxIdleConns: 100, IdleConnTimeout: 90 * time.Second,
		ForceAttemptHTTP2: true,
	}
}

// egress sends a request to a host the file names through the server's
// own transport, and any other through the guarded one.
type egress struct {
	trusted trustedHosts
	plain   http.RoundTripper
	guarded http.RoundTripper
}

func (e *egress) RoundTrip(r *http.Request) (*http.Response, error) {
	if e.trusted.has(r.URL) {
		return e.plain.RoundTrip(r)
	}
	return e.guarded.RoundTrip(r)
}

// trustedHosts are the hosts (hostKey) a file names, and the domains of
// its jwks_hosts wildcards (*.example.com: any host below example.com).
type trustedHosts struct {
	hosts   map[string]bool
	domains []string
}

func (t trustedHosts) has(u *url.URL) bool {
	if t.hosts[hostKey(u)] {
		return true
	}
	host := strings.ToLower(u.Hostname())
	for _, d := range t.domains {
		if strings.HasSuffix(host, "."+d) {
			return true
		}
	}
	return false
}

// hostKey is a URL's host and port, the scheme's default port written.
func hostKey(u *url.URL) string {
	port := u.Port()
	if port == "" {
		port = map[string]string{"http": "80", "https": "443"}[u.Scheme]
	}
	return strings.ToLower(u.Hostname()) + ":" + port
}

// fileHosts are the hosts a configuration file's own integrations call:
// their key sets, discovery issuers and jwks_hosts, remote validation
// endpoints and group resolvers.
func fileHosts(c *config) trustedHosts {
	t := trustedHosts{hosts: map[string]bool{}}
	add := func(raw string) {
		if u, err := url.Parse(raw); err == nil && u.Host != "" {
			t.hosts[hostKey(u)] = true
		}
	}
	if c.filePolicy == nil {
		return t
	}
	for _, u := range c.filePolicy.JWKSURLs() {
		add(u)
	}
	for _, d := range c.filePolicy.Discoveries() {
		add(d.URL)
		for _, h := range d.JWKSHosts {
			if domain, ok := strings.CutPrefix(h, "*."); ok {
				t.domains = append(t.domains, strings.ToLower(domain))
				continue
			}
			add("https://" + h)
			add("http://" + h)
		}
	}
	for _, name := range c.filePolicy.Integrations() {
		in := c.integrations[name]
		if in.validator != nil {
			add(in.validator.URL)
		}
		if in.resolver != nil {
			add(in.resolver.URL)
		}
	}
	return t
}

// egressTransport is the transport of a configuration's outgoing calls.
func (s *Server) egressTransport(c *config) http.RoundTripper {
	plain := s.client.Transport
	if plain == nil {
		plain = http.DefaultTransport
	}
	if c.allowPrivate {
		return plain
	}
	return &egress{trusted: fileHosts(c), plain: plain, guarded: s.guarded}
}

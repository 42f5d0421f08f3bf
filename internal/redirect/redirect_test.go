package redirect_test

import (
	"errors"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/jwtgate/jwtgate/internal/redirect"
)

// allowed is the allowed-domains list used by most cases.
var allowed = []string{"good.com", "*.example.com", "127.0.0.1", "[::1]"}

func TestCheck(t *testing.T) {
	long := "https://good.com/" + strings.Repeat("a", 3000-len("https://good.com/"))
	longOK := "/" + strings.Repeat("a", 2047)

	tests := []struct {
		name      string
		target    string
		allowHTTP bool
		domains   []string // nil means allowed
		reason    string   // "" means the target must be accepted
	}{
		// Accepted: allowed hosts.
		{name: "exact host", target: "https://good.com/ok"},
		{name: "exact host no path", target: "https://good.com"},
		{name: "exact host query only", target: "https://good.com?x=1"},
		{name: "exact host fragment only", target: "https://good.com#top"},
		{name: "query and fragment with at and slashes", target: "https://good.com/a?next=//evil.com@x#@evil.com"},
		{name: "double slash in absolute path stays on host", target: "https://good.com//evil.com"},
		{name: "uppercase scheme and host", target: "HTTPS://GOOD.COM/ok"},
		{name: "mixed case host", target: "https://GoOd.CoM/"},
		{name: "trailing dot on host", target: "https://good.com./"},
		{name: "default port spelled", target: "https://good.com:443"},
		{name: "default port with leading zeros", target: "https://good.com:0443/"},
		{name: "http default port", target: "http://good.com:80/", allowHTTP: true},
		{name: "pinned port", target: "https://good.com:8443/x", domains: []string{"good.com:8443"}},
		{name: "pinned port on a wildcard", target: "https://a.example.com:8443/", domains: []string{"*.example.com:8443"}},
		{name: "pinned port on IPv6", target: "https://[::1]:8443/cb", domains: []string{"[::1]:8443"}},
		{name: "pinned default port", target: "https://good.com/", domains: []string{"good.com:443"}},
		{name: "wildcard one level", target: "https://a.example.com/"},
		{name: "wildcard two levels", target: "https://a.b.example.com/x"},
		{name: "wildcard with port and trailing dot", target: "https://A.Example.Com.:8080/", domains: []string{"*.example.com:8080"}},
		{name: "uppercase entry", target: "https://good.com/", domains: []string{"GOOD.COM"}},
		{name: "canonical IPv4 listed", target: "https://127.0.0.1/"},
		{name: "canonical IPv4 with its port listed", target: "https://127.0.0.1:8080/", domains: []string{"127.0.0.1:8080"}},
		{name: "IPv6 listed literally", target: "https://[::1]/cb"},
		{name: "http with AllowHTTP", target: "http://good.com/", allowHTTP: true},
		{name: "HTTP uppercase with AllowHTTP", target: "HTTP://good.com/", allowHTTP: true},
		{name: "punycode host listed", target: "https://xn--gd-fkaa.com/", domains: []string{"xn--gd-fkaa.com"}},

		// Accepted: relative paths.
		{name: "root", target: "/"},
		{name: "path with query and fragment", target: "/dashboard?x=1#y"},
		{name: "root with query", target: "/?go=//evil.com"},
		{name: "root with fragment", target: "/#//evil.com"},
		{name: "encoded slash later in path", target: "/a/%2F%2Fb"},
		{name: "dot segments staying local", target: "/a/./b/../c"},
		{name: "percent-encoded space in path", target: "/my%20docs/"},
		{name: "relative accepted with no domains", target: "/home", domains: []string{}},
		{name: "2048 bytes is the limit", target: longOK},

		// Refused: wildcard and host matching.
		{name: "wildcard does not match apex", target: "https://example.com/", reason: `host "example.com" is not an allowed domain`},
		{name: "host not listed", target: "https://evil.com/", reason: `host "evil.com" is not an allowed domain`},
		{name: "allowed host as subdomain of evil", target: "https://good.com.evil.com/", reason: `host "good.com.evil.com" is not an allowed domain`},
		{name: "allowed host as suffix without dot", target: "https://evilgood.com/", reason: `host "evilgood.com" is not an allowed domain`},
		{name: "wildcard suffix without dot", target: "https://evilexample.com/", reason: "is not an allowed domain"},
		{name: "subdomain of exact entry", target: "https://a.good.com/", reason: "is not an allowed domain"},
		{name: "two trailing dots", target: "https://good.com../", reason: "is not a valid hostname"},
		{name: "leading dot", target: "https://.good.com/", reason: "is not a valid hostname"},
		{name: "no domains configured", target: "https://good.com/", domains: []string{}, reason: "is not an allowed domain"},
		{name: "bare star entry matches nothing", target: "https://evil.com/", domains: []string{"*"}, reason: "is not an allowed domain"},
		{name: "single label wildcard entry matches nothing", target: "https://evil.com/", domains: []string{"*.com"}, reason: "is not an allowed domain"},
		{name: "entry with scheme matches nothing", target: "https://good.com/", domains: []string{"https://good.com"}, reason: "is not an allowed domain"},
		{name: "IPv6 not listed", target: "https://[::2]/", reason: `host "[::2]" is not an allowed domain`},
		{name: "IPv6 not matched by wildcard", target: "https://[::1]/", domains: []string{"*.example.com"}, reason: "is not an allowed domain"},
		{name: "IPv6 with zone", target: "https://[fe80::1%25eth0]/", reason: "percent-encoded"},
		{name: "IPv6 malformed", target: "https://[::1/", reason: "malformed IPv6"},
		{name: "IPv6 junk after bracket", target: "https://[::1]x/", reason: "malformed IPv6"},
		{name: "IPv4 hex form", target: "https://0x7f.0.0.1/", reason: "normalised to a different address"},
		{name: "IPv4 integer form", target: "https://2130706433/", reason: "normalised to a different address"},
		{name: "IPv4 leading zero", target: "https://127.0.0.01/", reason: "normalised to a different address"},
		{name: "IPv4 short form", target: "https://127.1/", reason: "normalised to a different address"},
		{name: "host ending in number", target: "https://good.123/", domains: []string{"good.123"}, reason: "normalised to a different address"},
		{name: "non-ASCII host", target: "https://gööd.com/", domains: []string{"gööd.com"}, reason: "non-ASCII"},
		{name: "fullwidth dot in host", target: "https://good\uff0ecom/", reason: "non-ASCII"},
		{name: "non-ASCII in relative path", target: "/café", reason: "non-ASCII"},

		// Refused: ports. An entry without a port allows only the default.
		{name: "other port than the default", target: "https://good.com:8443/x", reason: "allows only port 443"},
		{name: "other port on a wildcard", target: "https://a.example.com:8080/", reason: "not an allowed domain"},
		{name: "other port on IPv6", target: "https://[::1]:8443/", reason: "not an allowed domain"},
		{name: "http default port is not https's", target: "https://good.com:80/", reason: "not an allowed domain"},
		{name: "default port where a port is pinned", target: "https://good.com/", domains: []string{"good.com:8443"}, reason: "not an allowed domain"},
		{name: "another pinned port", target: "https://good.com:8444/", domains: []string{"good.com:8443"}, reason: "not an allowed domain"},
		{name: "empty port", target: "https://good.com:/", reason: "invalid port"},
		{name: "port too large", target: "https://good.com:65536/", reason: "invalid port"},
		{name: "non-numeric port", target: "https://good.com:https/", reason: "invalid port"},
		{name: "two ports", target: "https://good.com:80:90/", reason: "invalid port"},

		// Refused: schemes.
		{name: "javascript", target: "javascript:alert(1)", reason: `scheme "javascript" is not allowed`},
		{name: "javascript mixed case", target: "JaVaScRiPt:alert(1)", reason: `scheme "javascript" is not allowed`},
		{name: "javascript leading space", target: " javascript:alert(1)", reason: "space"},
		{name: "javascript trailing space", target: "javascript:alert(1) ", reason: "space"},
		{name: "javascript with tab", target: "java\tscript:alert(1)", reason: "control characters"},
		{name: "javascript with newline", target: "java\nscript:alert(1)", reason: "control characters"},
		{name: "javascript with CR", target: "java\rscript:alert(1)", reason: "control characters"},
		{name: "leading NUL", target: "\x00/dashboard", reason: "control characters"},
		{name: "DEL", target: "/a\x7f", reason: "control characters"},
		{name: "javascript with slashes", target: "javascript://good.com/%0aalert(1)", reason: `scheme "javascript" is not allowed`},
		{name: "data", target: "data:text/html,<script>alert(1)</script>", reason: "not allowed in a URL"},
		{name: "data base64", target: "data:text/html;base64,PHNjcmlwdD4=", reason: `scheme "data" is not allowed`},
		{name: "vbscript", target: "vbscript:msgbox(1)", reason: `scheme "vbscript" is not allowed`},
		{name: "ftp", target: "ftp://good.com/", reason: `scheme "ftp" is not allowed`},
		{name: "http without AllowHTTP", target: "http://good.com/", reason: `scheme "http" is not allowed`},
		{name: "https without slashes", target: "https:evil.com", reason: "must have the form"},
		{name: "https with one slash", target: "https:/evil.com", reason: "must have the form"},
		{name: "https with three slashes", target: "https:///evil.com", reason: "empty host"},
		{name: "empty host", target: "https://", reason: "empty host"},
		{name: "empty host before path", target: "https://:443/", reason: "empty host"},
		{name: "relative without leading slash", target: "dashboard", reason: "neither a path"},
		{name: "dot relative", target: "./dashboard", reason: "neither a path"},
		{name: "query only", target: "?x=1", reason: "neither a path"},
		{name: "leading colon", target: ":evil", reason: "neither a path"},

		// Refused: protocol-relative and backslashes.
		{name: "protocol relative", target: "//evil.com", reason: "protocol-relative"},
		{name: "triple slash", target: "///evil.com", reason: "protocol-relative"},
		{name: "slash backslash", target: "/\\evil.com", reason: "backslash"},
		{name: "double backslash", target: "\\\\evil.com", reason: "backslash"},
		{name: "https backslashes", target: "https:\\\\evil.com", reason: "backslash"},
		{name: "backslash before at", target: "https://good.com\\@evil.com", reason: "backslash"},
		{name: "backslash in path", target: "/a\\b", reason: "backslash"},

		// Refused: userinfo and authority confusion.
		{name: "userinfo evil host", target: "https://good.com@evil.com", reason: "userinfo"},
		{name: "userinfo allowed host", target: "https://user:pw@good.com/", reason: "userinfo"},
		{name: "port-like userinfo", target: "https://good.com:443@evil.com", reason: "userinfo"},
		{name: "at in fragment", target: "https://evil.com#@good.com", reason: `host "evil.com" is not an allowed domain`},
		{name: "at in query", target: "https://evil.com?@good.com", reason: `host "evil.com" is not an allowed domain`},
		{name: "encoded slash before at", target: "https://evil.com%2F@good.com", reason: "userinfo"},
		{name: "encoded host", target: "https://%67ood.com/", reason: "percent-encoded"},

		// Refused: encoded double slashes in relative paths.
		{name: "encoded double slash", target: "/%2F%2Fevil.com", reason: `decodes to one starting with "//"`},
		{name: "encoded double slash lowercase", target: "/%2f/evil.com", reason: "decodes to"},
		{name: "encoded backslash", target: "/%5Cevil.com", reason: "decodes to"},
		{name: "double-encoded slash", target: "/%252F%252Fevil.com", reason: "decodes to"},
		{name: "encoded tab then slash", target: "/%09/evil.com", reason: "decodes to"},
		{name: "dot segments to double slash", target: "/a/..//evil.com", reason: "resolves to"},
		{name: "encoded dot segments to double slash", target: "/a/%2e%2e//evil.com", reason: "decodes to"},
		{name: "too deeply encoded", target: "/a" + strings.Repeat("%25", 1) + strings.Repeat("25", 9) + "41", reason: "too many times"},
		{name: "malformed percent", target: "/a%zz", reason: "malformed percent-encoding"},
		{name: "truncated percent", target: "/a%2", reason: "malformed percent-encoding"},

		// Refused: other characters and lengths.
		{name: "empty", target: "", reason: "empty"},
		{name: "3000 bytes", target: long, reason: "longer than 2048 bytes"},
		{name: "2049 bytes", target: longOK + "a", reason: "longer than 2048 bytes"},
		{name: "angle brackets", target: "/<script>", reason: "not allowed in a URL"},
		{name: "double quote", target: `/a"onload=x`, reason: "not allowed in a URL"},
		{name: "pipe in host", target: "https://good.com|evil.com/", reason: "not allowed in a URL"},
		{name: "star in host", target: "https://*.example.com/", reason: "not a valid hostname"},
		{name: "bracket in middle of host", target: "https://good[.com/", reason: "not a valid hostname"},
	}

	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			domains := tc.domains
			if domains == nil {
				domains = allowed
			}
			got, err := redirect.Check(tc.target, redirect.Options{AllowedDomains: domains, AllowHTTP: tc.allowHTTP})
			if tc.reason == "" {
				require.NoError(t, err)
				assert.Equal(t, tc.target, got)
				return
			}
			require.Error(t, err)
			assert.Empty(t, got)
			var rerr *redirect.Error
			require.True(t, errors.As(err, &rerr), "error is %T, want *redirect.Error", err)
			assert.Equal(t, tc.target, rerr.Target)
			assert.Contains(t, rerr.Reason, tc.reason)
			assertSafeMessage(t, err.Error())
		})
	}
}

func TestErrorMessage(t *testing.T) {
	_, err := redirect.Check("https://evil.com/", redirect.Options{AllowedDomains: []string{"good.com"}})
	require.Error(t, err)
	assert.Equal(t, `redirect "https://evil.com/": host "evil.com" is not an allowed domain`, err.Error())

	_, err = redirect.Check("java\tscript:\u202e"+strings.Repeat("x", 3000), redirect.Options{})
	require.Error(t, err)
	msg := err.Error()
	assertSafeMessage(t, msg)
	assert.Less(t, len(msg), 400)
	assert.Contains(t, msg, `\t`)

	var nilErr *redirect.Error
	assert.NotPanics(t, func() { _ = nilErr.Error() })
}

// assertSafeMessage checks that an error message is printable ASCII.
func assertSafeMessage(t *testing.T, msg string) {
	t.Helper()
	for i := 0; i < len(msg); i++ {
		require.False(t, msg[i] < 0x20, "message contains byte %#x: %q", msg[i], msg)
		require.False(t, msg[i] >= 0x7f, "message contains byte %#x: %q", msg[i], msg)
	}
}

func TestValidateDomain(t *testing.T) {
	tests := []struct {
		entry  string
		reason string // "" means valid
	}{
		{entry: "example.com"},
		{entry: "Example.COM"},
		{entry: "localhost"},
		{entry: "a-b_c.example.co.uk"},
		{entry: "xn--gd-fkaa.com"},
		{entry: "*.example.com"},
		{entry: "*.a.b.example.com"},
		{entry: "127.0.0.1"},
		{entry: "[::1]"},
		{entry: "[2001:db8::ffff:1.2.3.4]"},
		{entry: "[1:2:3:4:5:6:7:8]"},

		{entry: "", reason: "is empty"},
		{entry: "*", reason: `bare "*"`},
		{entry: "*.com", reason: "at least two labels"},
		{entry: "*.", reason: "needs a domain"},
		{entry: "*.*.example.com", reason: `leading "*." label`},
		{entry: "a.*.example.com", reason: `leading "*." label`},
		{entry: "*example.com", reason: `leading "*." label`},
		{entry: "https://example.com", reason: "scheme"},
		{entry: "example.com/path", reason: "path"},
		{entry: "example.com:443"},
		{entry: "*.example.com:8443"},
		{entry: "[::1]:443"},
		{entry: "127.0.0.1:8080"},
		{entry: "example.com:0", reason: "invalid port"},
		{entry: "example.com:65536", reason: "invalid port"},
		{entry: "example.com:08443", reason: "invalid port"},
		{entry: "example.com:", reason: "invalid port"},
		{entry: "example.com:https", reason: "invalid port"},
		{entry: ":443", reason: "no host"},
		{entry: "[::1]x", reason: "IPv6"},
		{entry: "::1", reason: "brackets"},
		{entry: "user@example.com", reason: "userinfo"},
		{entry: "example.com.", reason: "end with a dot"},
		{entry: ".example.com", reason: "not a valid hostname"},
		{entry: "exa mple.com", reason: "whitespace"},
		{entry: " example.com", reason: "whitespace"},
		{entry: "gööd.com", reason: "non-ASCII"},
		{entry: "ex%61mple.com", reason: "percent"},
		{entry: "example.com\\", reason: "path"},
		{entry: "exa!mple.com", reason: "not a valid hostname"},
		{entry: strings.Repeat("a", 64) + ".com", reason: "not a valid hostname"},
		{entry: strings.Repeat("a.", 130) + "com", reason: "longer than 255"},
		{entry: "*.0.0.1", reason: "IP address"},
		{entry: "0x7f.0.0.1", reason: "canonical"},
		{entry: "127.1", reason: "canonical"},
		{entry: "[::1", reason: "IPv6"},
		{entry: "[1:2:3:4:5:6:7:8:9]", reason: "IPv6"},
		{entry: "[::1::]", reason: "IPv6"},
		{entry: "[fe80::1%eth0]", reason: "percent"},
		{entry: "[g::1]", reason: "IPv6"},
	}
	for _, tc := range tests {
		t.Run(tc.entry, func(t *testing.T) {
			err := redirect.ValidateDomain(tc.entry)
			if tc.reason == "" {
				assert.NoError(t, err)
				return
			}
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.reason)
			assertSafeMessage(t, err.Error())
		})
	}
}

// fuzzDomains is the allowed-domains list FuzzCheck checks against.
var fuzzDomains = []string{"good.com", "*.example.com", "127.0.0.1", "[::1]"}

// independentMatch decides list membership without the package's code:
// host is lowercase with brackets for IPv6 and no trailing dot.
func independentMatch(host string) bool {
	switch host {
	case "good.com", "127.0.0.1", "[::1]":
		return true
	}
	return strings.HasSuffix(host, ".example.com") && len(host) > len(".example.com")
}

func FuzzCheck(f *testing.F) {
	seeds := []string{
		"/", "/dashboard?x=1#y", "//evil.com", "///evil.com", "/\\evil.com", "\\\\evil.com",
		"https://good.com/ok", "HTTPS://GOOD.COM/ok", "https://a.b.example.com:8443/",
		"https://example.com/", "https://good.com./", "https://good.com..",
		"http://good.com/", "https:evil.com", "https:\\\\evil.com",
		"https://good.com\\@evil.com", "https://good.com@evil.com", "https://evil.com#@good.com",
		"https://evil.com?@good.com", "https://good.com.evil.com", "https://evilgood.com",
		"https://evil.com%2F@good.com", "https://%67ood.com", "/%2F%2Fevil.com", "/%5Cevil.com",
		"/a/..//evil.com", "/%252F%252Fevil.com", "javascript:alert(1)", "JaVaScRiPt:alert(1)",
		" javascript:alert(1)", "java\tscript:alert(1)", "data:text/html,<b>x</b>",
		"https://good.com:443@evil.com", "https://[::1]:80/", "https://[::1]x/", "https://127.0.0.1/",
		"https://0x7f.1/", "https://gööd.com/", "", "https://good.com:/",
	}
	for _, s := range seeds {
		f.Add(s, false)
		f.Add(s, true)
	}
	f.Fuzz(func(t *testing.T, target string, allowHTTP bool) {
		got, err := redirect.Check(target, redirect.Options{AllowedDomains: fuzzDomains, AllowHTTP: allowHTTP})
		if err != nil {
			require.Empty(t, got, "refused %q but returned %q", target, got)
			var rerr *redirect.Error
			require.ErrorAs(t, err, &rerr, "bad error for %q: %#v", target, err)
			require.NotEmpty(t, rerr.Reason, "bad error for %q: %#v", target, err)
			require.Equal(t, target, rerr.Target, "bad error for %q: %#v", target, err)
			assertSafeMessage(t, err.Error())
			return
		}
		require.Equal(t, target, got, "accepted %q but returned %q", target, got)
		require.False(t, len(target) > 2048, "accepted %q despite length or characters", target)
		require.False(t, strings.ContainsAny(target, "\\ \t\r\n"), "accepted %q despite length or characters", target)
		u, perr := url.Parse(target)
		require.NoError(t, perr, "accepted %q, which net/url cannot parse", target)

		if strings.HasPrefix(target, "/") {
			require.False(t, strings.HasPrefix(target, "//"), "accepted protocol-relative %q", target)
			require.False(t, strings.HasPrefix(target, "/\\"), "accepted protocol-relative %q", target)
			require.Empty(t, u.Scheme, "accepted relative %q that net/url reads as scheme=%q host=%q", target, u.Scheme, u.Host)
			require.Empty(t, u.Host, "accepted relative %q that net/url reads as scheme=%q host=%q", target, u.Scheme, u.Host)
			require.Nil(t, u.User, "accepted relative %q that net/url reads as scheme=%q host=%q", target, u.Scheme, u.Host)
			p, uerr := url.PathUnescape(u.EscapedPath())
			require.False(t, uerr == nil && (strings.HasPrefix(p, "//") || strings.HasPrefix(p, "/\\")), "accepted %q whose decoded path is %q", target, p)
			base := &url.URL{Scheme: "https", Host: "good.com", Path: "/app/"}
			r := base.ResolveReference(u)
			require.Equal(t, "good.com", r.Host, "relative %q resolves off-site to %q", target, r)
			require.Equal(t, "https", r.Scheme, "relative %q resolves off-site to %q", target, r)
			return
		}

		scheme := strings.ToLower(u.Scheme)
		require.False(t, scheme != "https" && !(allowHTTP && scheme == "http"), "accepted %q with scheme %q (allowHTTP=%v)", target, u.Scheme, allowHTTP)
		require.Empty(t, u.Opaque, "accepted %q with opaque %q or userinfo", target, u.Opaque)
		require.Nil(t, u.User, "accepted %q with opaque %q or userinfo", target, u.Opaque)
		host := strings.ToLower(u.Hostname())
		if strings.HasPrefix(u.Host, "[") {
			host = "[" + host + "]"
		} else {
			host = strings.TrimSuffix(host, ".")
		}
		require.True(t, independentMatch(host), "accepted %q whose host %q (net/url) is not on the list", target, host)
		port := strings.TrimLeft(u.Port(), "0")
		require.False(t, port != "" && port != map[string]string{"https": "443", "http": "80"}[scheme], "accepted %q on port %s, which no entry pins", target, port)
	})
}

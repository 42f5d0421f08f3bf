package server

import (
	"cmp"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// secureCookie reports whether the session cookie is Secure: always, or
// with "auto" unless the public URL is plain http on a loopback host; and
// always with SameSite=None, which browsers take only with Secure.
func (s *Server) secureCookie(c *config) bool {
	switch {
	case c.secure == "always" || c.sameSite == http.SameSiteNoneMode:
		return true
	case c.secure == "never":
		return false
	}
	u, err := url.Parse(s.publicURL)
	if err != nil {
		return true
	}
	host := u.Hostname()
	local := host == "localhost" || host == "127.0.0.1" || host == "::1" || strings.HasSuffix(host, ".localhost")
	return !(u.Scheme == "http" && local)
}

// settleCookie names the session cookie once its attributes are known
// (Secure depends on the public URL): __Host-NAME when it is Secure with
// Path=/ and no Domain, __Secure-NAME when it is Secure with a Domain,
// else NAME. A prefixed cookie cannot be set by a page over plain http
// nor (__Host-) by a sibling host, so none of them can plant a session
// of its own choosing (login CSRF by cookie). The bare name is then
// ignored, an older cookie of that name included: it dies with its
// Max-Age, or at logout.
func (s *Server) settleCookie(c *config) {
	switch {
	case !s.secureCookie(c):
		c.cookieName = c.cookieBase
	case c.cookieDomain == "":
		c.cookieName = "__Host-" + c.cookieBase
	default:
		c.cookieName = "__Secure-" + c.cookieBase
	}
}

// sessionCookie is the session cookie with the configured attributes; a
// cookie is cleared with the same ones, or the browser keeps it.
func (s *Server) sessionCookie(c *config, value string) *http.Cookie {
	return &http.Cookie{
		Name: c.cookieName, Value: value, Path: "/", Domain: c.cookieDomain,
		HttpOnly: true, SameSite: cmp.Or(c.sameSite, http.SameSiteLaxMode), Secure: s.secureCookie(c),
	}
}

// setSessionCookie sets the cookie of a session of the integration in,
// with its own SameSite when it has one.
func (s *Server) setSessionCookie(w http.ResponseWriter, c *config, in *integ, tok string, exp time.Time) {
	ck := s.sessionCookie(c, tok)
	if in != nil && in.sameSite != 0 {
		ck.SameSite = in.sameSite
	}
	ck.Expires, ck.MaxAge = exp, int(exp.Sub(s.now()).Seconds())
	http.SetCookie(w, ck)
}

// clearSessionCookie clears the cookie, and the bare-named one of before
// the prefix (host-only, as it was set).
func (s *Server) clearSessionCookie(w http.ResponseWriter, c *config) {
	ck := s.sessionCookie(c, "")
	ck.MaxAge = -1
	http.SetCookie(w, ck)
	if c.cookieName != c.cookieBase {
		ck.Name, ck.Domain = c.cookieBase, ""
		http.SetCookie(w, ck)
	}
}

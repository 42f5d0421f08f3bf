package server

import (
	"errors"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
)

// The browser endpoints (sign-in, session, logout) know the page a request
// comes from by its Origin header, or, when a browser sends none, by
// Sec-Fetch-Site. A state-changing request (POST) is refused unless it
// comes from jwtgate's own origin, from no browser page at all (curl, a
// vendor's backend), or from an origin in the allowed_origins of the
// integration it concerns; the same lists grant CORS read access.

// Answers of the origin checks: fixed, as every error answer.
const (
	codeForbiddenOrigin    = "forbidden_origin"
	messageForbiddenOrigin = "Origin not allowed"
	corsAllowHeaders       = "Content-Type, Authorization"
	corsMaxAge             = "600" // seconds a browser may cache a preflight
	maxLoggedOrigin        = 200
)

var errOrigin = errors.New("want an origin such as https://app.example.com: scheme://host[:port], nothing else")

// parseOrigin checks an allowed_origins entry and returns it as browsers
// serialise the Origin header (lower case, no default port), so that a
// request's Origin can be compared byte for byte.
func parseOrigin(s string) (string, error) {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Opaque != "" || u.User != nil ||
		u.Path != "" || u.RawPath != "" || u.RawQuery != "" || u.ForceQuery || u.Fragment != "" ||
		strings.HasSuffix(u.Host, ":") {
		return "", errOrigin
	}
	host, err := originHost(u.Hostname())
	if err != nil {
		return "", err
	}
	port, err := originPort(u.Scheme, u.Port())
	if err != nil {
		return "", err
	}
	if port != "" {
		host += ":" + port
	}
	return u.Scheme + "://" + host, nil
}

// originHost is an origin's host as browsers write it: lower case, an
// IPv6 address compressed, in hex and bracketed ([::1]).
func originHost(hostname string) (string, error) {
	host := strings.ToLower(hostname)
	if ip, err := netip.ParseAddr(host); err == nil && ip.Is6() {
		if ip.Is4In6() || ip.Zone() != "" {
			return "", errors.New("want a plain IPv6 address, found " + strconv.Quote(hostname))
		}
		return "[" + ip.String() + "]", nil
	}
	if !validHostname(host) {
		return "", errors.New("want a host of ASCII letters, digits, '-' and '.' (the xn-- form of an international name), found " + strconv.Quote(hostname))
	}
	return host, nil
}

// originPort is an origin's port as browsers write it: none for the
// scheme's default.
func originPort(scheme, port string) (string, error) {
	if port == "" {
		return "", nil
	}
	n, err := strconv.Atoi(port)
	if err != nil || n < 1 || n > 65535 || port[0] == '0' {
		return "", errors.New("want a port from 1 to 65535, found " + strconv.Quote(port))
	}
	if (scheme == "https" && n == 443) || (scheme == "http" && n == 80) {
		return "", nil
	}
	return port, nil
}

// validHostname: dot-separated labels of a-z, 0-9 and '-' (an IPv4
// address is one too).
func validHostname(h string) bool {
	if h == "" || len(h) > 253 {
		return false
	}
	for label := range strings.SplitSeq(h, ".") {
		if label == "" || len(label) > 63 {
			return false
		}
		for i := 0; i < len(label); i++ {
			c := label[i]
			if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
				return false
			}
		}
	}
	return true
}

// originOf returns the Origin of a request ("" when none was sent). ok is
// false for a request to refuse outright: several Origin headers, or none
// with Sec-Fetch-Site: cross-site (a cross-site page whose browser left
// the Origin out).
func originOf(r *http.Request) (origin string, ok bool) {
	values := r.Header.Values("Origin")
	switch len(values) {
	case 0:
		for _, v := range r.Header.Values("Sec-Fetch-Site") {
			if strings.EqualFold(strings.TrimSpace(v), "cross-site") {
				return "", false
			}
		}
		return "", true
	case 1:
		return values[0], true
	}
	return "", false
}

// admitted reports whether a request's origin may go on before the
// integration it concerns is known: no Origin, jwtgate's own, or one that
// some integration allows. The integration's own list decides later
// (allowedFor); refusing an origin that no list has here spares the
// verification, and the token's one-time jti.
func (s *Server) admitted(c *config, r *http.Request) (origin string, ok bool) {
	origin, ok = originOf(r)
	return origin, ok && (origin == "" || origin == s.publicOrigin || c.origins[origin])
}

// allowedFor reports whether a state-changing request from origin may
// act for integration in: no Origin, jwtgate's own, or one of the
// integration's allowed_origins. One integration's origins never admit
// another's tokens: each tenant sets its own list.
func (s *Server) allowedFor(in *integ, origin string) bool {
	return origin == "" || origin == s.publicOrigin || (in != nil && in.allowedOrigins[origin])
}

// readableBy reports whether the page at origin may read an answer (CORS)
// about integration name: an origin of that integration, or, for an answer
// about none (no token, unknown issuer), of any — such answers are fixed
// error codes.
func readableBy(c *config, origin, name string) bool {
	if origin == "" {
		return false
	}
	if name == "" {
		return c.origins[origin]
	}
	in := c.integrations[name]
	return in != nil && in.allowedOrigins[origin]
}

// varyOrigin marks an answer that depends on the Origin, so that no cache
// hands one origin's answer (or grant) to another. Every answer of the
// browser endpoints carries it, refusals included.
func varyOrigin(w http.ResponseWriter) {
	w.Header().Add("Vary", "Origin")
}

// grantCORS lets the page at origin read the answer, with credentials.
// Never "*": a credentialed answer names its one origin.
func grantCORS(w http.ResponseWriter, origin string) {
	h := w.Header()
	h.Set("Access-Control-Allow-Origin", origin)
	h.Set("Access-Control-Allow-Credentials", "true")
}

// forbiddenOrigin refuses a cross-origin request: 403, no cookie, no CORS
// grant; the origin and the integration go to the log.
func (s *Server) forbiddenOrigin(w http.ResponseWriter, endpoint, origin, integration string) {
	if len(origin) > maxLoggedOrigin {
		origin = origin[:maxLoggedOrigin]
	}
	s.log.Info("origin refused", "endpoint", endpoint, "origin", origin, "integration", integration)
	writeError(w, http.StatusForbidden, codeForbiddenOrigin, messageForbiddenOrigin)
}

// preflight answers OPTIONS on a browser endpoint. A CORS preflight from
// an origin some integration allows is granted (a preflight carries no
// cookie nor body, so the integration is not known yet; the request itself
// is checked against its own integration's list); from any other origin it
// is refused without a grant. An OPTIONS that is no preflight gets Allow.
func (s *Server) preflight(methods string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		c := s.cur.Load()
		varyOrigin(w)
		drain(w, r)
		origin, ok := originOf(r)
		if ok && (origin == "" || r.Header.Get("Access-Control-Request-Method") == "") {
			w.Header().Set("Allow", methods+", OPTIONS")
			w.WriteHeader(http.StatusNoContent)
			return
		}
		if !ok || !c.origins[origin] {
			s.forbiddenOrigin(w, "preflight", origin, "")
			return
		}
		grantCORS(w, origin)
		h := w.Header()
		h.Set("Access-Control-Allow-Methods", methods)
		h.Set("Access-Control-Allow-Headers", corsAllowHeaders)
		h.Set("Access-Control-Max-Age", corsMaxAge)
		w.WriteHeader(http.StatusNoContent)
	}
}

package server

import (
	"cmp"
	"fmt"
	"net/http"
	"slices"
	"strings"
)

// The headers proxies carry the original request in. A client can send
// any of them too (nginx's auth_request subrequest carries the client's
// own headers), so /v1/authz reads the one source the operator configures
// and refuses a request in which another copy disagrees.
const (
	hdrForwardedMethod = "X-Forwarded-Method" // Traefik, Caddy
	hdrForwardedURI    = "X-Forwarded-Uri"
	hdrOriginalMethod  = "X-Original-Method" // nginx, as docs/serve.md sets it
	hdrOriginalURI     = "X-Original-Uri"
	hdrOriginalURL     = "X-Original-Url" // set by some ingress controllers
)

var (
	knownMethodHeaders = []string{hdrForwardedMethod, hdrOriginalMethod}
	knownURIHeaders    = []string{hdrForwardedURI, hdrOriginalURI, hdrOriginalURL}
)

// forwardSource is service.forward_auth: where the original method and
// URI are read. The zero value is the default, any source: every copy
// present is read and all must agree.
type forwardSource struct {
	name                    string // for logs: nginx, traefik, envoy, headers; "" any
	methodHeader, uriHeader string // canonical header names; "" for envoy and any
	envoy                   bool   // the original request behind /v1/authz/
}

// newForwardSource checks the service section's forward_auth settings.
func newForwardSource(source, methodHeader, uriHeader string) (forwardSource, string, error) {
	if (methodHeader == "") != (uriHeader == "") {
		return forwardSource{}, "method_header", fmt.Errorf("give method_header and uri_header together")
	}
	if methodHeader != "" {
		if source != "" {
			return forwardSource{}, "source", fmt.Errorf("give source or method_header and uri_header, not both")
		}
		for field, h := range map[string]string{"method_header": methodHeader, "uri_header": uriHeader} {
			if !isToken(h) || len(h) > 64 {
				return forwardSource{}, field, fmt.Errorf("%q is not a header name", h)
			}
		}
		return forwardSource{name: "headers", methodHeader: http.CanonicalHeaderKey(methodHeader), uriHeader: http.CanonicalHeaderKey(uriHeader)}, "", nil
	}
	switch source {
	case "":
		return forwardSource{}, "", nil
	case "nginx":
		return forwardSource{name: source, methodHeader: hdrOriginalMethod, uriHeader: hdrOriginalURI}, "", nil
	case "traefik":
		return forwardSource{name: source, methodHeader: hdrForwardedMethod, uriHeader: hdrForwardedURI}, "", nil
	case "envoy":
		return forwardSource{name: source, envoy: true}, "", nil
	}
	return forwardSource{}, "source", fmt.Errorf("want nginx, traefik or envoy, found %q", source)
}

// forwardedError is an original request /v1/authz cannot read: Reason is
// for logs, the client gets a fixed answer.
type forwardedError struct{ Reason string }

func (e *forwardedError) Error() string { return "original request refused: " + e.Reason }

// copies are the values of the original method or URI a request carries,
// by where they were found: at most the known headers, a configured one
// and the request itself, held in place (this runs on every request).
type copies struct {
	n      int
	names  [maxCopies]string
	values [maxCopies]string
}

// maxCopies bounds the copies of one value: the three known URI headers,
// a configured header and the request target.
const maxCopies = 5

func (c *copies) add(name, value string) {
	c.names[c.n], c.values[c.n] = name, value
	c.n++
}

func (c *copies) get(name string) (string, bool) {
	for i, n := range c.names[:c.n] {
		if n == name {
			return c.values[i], true
		}
	}
	return "", false
}

// read adds the value of each of the named headers (canonical names) that
// r carries, and of the configured one when it is not among them; a
// header sent more than once is a *forwardedError.
func (c *copies) read(h http.Header, names []string, configured string) error {
	for _, name := range names {
		if err := c.readHeader(h, name); err != nil {
			return err
		}
	}
	if configured == "" || slices.Contains(names, configured) {
		return nil // a configured header that is also a known one
	}
	return c.readHeader(h, configured)
}

func (c *copies) readHeader(h http.Header, name string) error {
	switch vals := h[name]; len(vals) { // canonical already: no Values
	case 0:
	case 1:
		c.add(name, vals[0])
	default:
		return &forwardedError{fmt.Sprintf("%d %s headers", len(vals), name)}
	}
	return nil
}

// agree returns the value of the named copy (any copy when name is ""),
// refusing a missing one and any other copy that differs.
func (c *copies) agree(kind, name string, equal func(a, b string) bool) (string, error) {
	v, ok := c.get(name)
	if name == "" && c.n > 0 {
		v, ok = c.values[0], true
	}
	if !ok {
		return "", &forwardedError{fmt.Sprintf("no original %s (want %s)", kind, cmp.Or(name, "a forwarding header"))}
	}
	for i, other := range c.values[:c.n] {
		if !equal(v, other) {
			return "", &forwardedError{fmt.Sprintf("the original %s in %s disagrees with %s", kind, c.names[i], cmp.Or(name, c.names[0]))}
		}
	}
	return v, nil
}

// originalRequest returns the method (upper case) and URI of the request
// a proxy asks about, from src; a missing, repeated or disagreeing copy is
// a *forwardedError.
func originalRequest(r *http.Request, src forwardSource) (method, uri string, err error) {
	var methods, uris copies
	if err := methods.read(r.Header, knownMethodHeaders, src.methodHeader); err != nil {
		return "", "", err
	}
	if err := uris.read(r.Header, knownURIHeaders, src.uriHeader); err != nil {
		return "", "", err
	}
	// Envoy's shape: the original request behind the path prefix. Only
	// for envoy and "any": behind nginx or Traefik the path and method of
	// the check request itself are the proxy's configuration (nginx's
	// subrequest is a GET whatever the client's method).
	const requestTarget, requestMethod = "the request target", "the request method"
	if src.envoy || src.name == "" {
		if target, ok := envoyTarget(r); ok {
			uris.add(requestTarget, target)
			methods.add(requestMethod, r.Method)
		}
	}
	mName, uName := src.methodHeader, src.uriHeader
	if src.envoy {
		mName, uName = requestMethod, requestTarget
	}
	if method, err = methods.agree("method", mName, strings.EqualFold); err != nil {
		return "", "", err
	}
	if uri, err = uris.agree("URI", uName, func(a, b string) bool { return a == b }); err != nil {
		return "", "", err
	}
	if !isToken(method) || len(method) > 32 {
		return "", "", &forwardedError{"the original method is not an HTTP method"}
	}
	return strings.ToUpper(method), uri, nil
}

// authzPrefix is the path prefix of Envoy's check requests.
const authzPrefix = "/v1/authz/"

// envoyTarget is the original request target of an Envoy ext_authz check
// request (the original request behind the path prefix), as sent: not
// decoded or cleaned, so that forward auth judges the client's spelling.
// ok is false for a request on /v1/authz itself.
func envoyTarget(r *http.Request) (string, bool) {
	target := r.RequestURI
	if !strings.HasPrefix(target, authzPrefix) {
		// The absolute form (or a request made in-process): the path as
		// escaped.
		target = r.URL.EscapedPath()
		if r.URL.RawQuery != "" {
			target += "?" + r.URL.RawQuery
		}
		if !strings.HasPrefix(target, authzPrefix) {
			return "", false
		}
	}
	return target[len(authzPrefix)-1:], true
}

// isToken reports whether s is an RFC 9110 token (a method, a header name).
func isToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0) {
			return false
		}
	}
	return true
}

package edge

import (
	"fmt"
	"regexp"
	"strings"
)

// Headers reads a request's headers: every value of the named header,
// matched in any case, in the order received. http.Header satisfies it;
// HeaderList adapts a proxy's header pairs.
type Headers interface {
	// Values returns every value of the header name, nil for none.
	Values(name string) []string
}

// HeaderList is a request's headers as name and value pairs, the form
// proxy-wasm hosts give them in.
type HeaderList [][2]string

// Values implements Headers.
func (l HeaderList) Values(name string) []string {
	var out []string
	for _, h := range l {
		if strings.EqualFold(h[0], name) {
			out = append(out, h[1])
		}
	}
	return out
}

// HeaderSource is a header that carries the token: Envoy jwt_authn's
// from_headers entry.
type HeaderSource struct {
	// Name is the header's name, matched in any case.
	Name string `yaml:"name" json:"name"`
	// ValuePrefix, when set, comes before the token ("Bearer "), matched
	// in any case as an authentication scheme is (RFC 9110 section 11.1):
	// the token is what follows, without surrounding spaces, and holds no
	// space or tab (RFC 6750's b64token). Without it the whole value is
	// the token, as it is.
	ValuePrefix string `yaml:"value_prefix" json:"value_prefix,omitempty"`
}

// Sources say where a request's token is: in Headers, then Params (query
// parameters), then Cookies, each list in order. The first source the
// request carries decides, well-formed or not: a credential that cannot be
// read is never passed over for another. The zero value reads the
// Authorization header as "Bearer TOKEN" (RFC 6750 section 2.1), as
// jwtgate serve does.
type Sources struct {
	Headers []HeaderSource // Envoy's from_headers
	Params  []string       // query parameter names: from_params
	Cookies []string       // cookie names: from_cookies
}

// MaxSources bounds each list of a Sources configuration.
const MaxSources = 8

// maxSourceNameBytes bounds a header, parameter or cookie name, and a
// value prefix.
const maxSourceNameBytes = 64

// bearer is the zero Sources' one source.
var bearer = []HeaderSource{{Name: "Authorization", ValuePrefix: "Bearer "}}

// Credential is what a request carries at its token sources.
type Credential struct {
	// Token is the token found ("" when none was, or Malformed).
	Token string
	// Sent reports whether the request carries any of the sources, so
	// that a refusal's challenge can tell a bad credential from none.
	Sent bool
	// Malformed, when set, says why the source the request carries could
	// not be read: for logs, never for the client.
	Malformed string
}

// Extract finds the token of a request, from its headers and target (the
// request target in origin form, path and query, as sent).
func (s Sources) Extract(h Headers, target string) Credential {
	headers := s.Headers
	if len(headers) == 0 && len(s.Params) == 0 && len(s.Cookies) == 0 {
		headers = bearer
	}
	for _, src := range headers {
		if c, ok := fromHeader(h, src); ok {
			return c
		}
	}
	for _, name := range s.Params {
		if c, ok := fromParam(target, name); ok {
			return c
		}
	}
	for _, name := range s.Cookies {
		if c, ok := fromCookie(h, name); ok {
			return c
		}
	}
	return Credential{}
}

// fromHeader reads one header source; ok is false when the request does
// not carry the header.
func fromHeader(h Headers, src HeaderSource) (Credential, bool) {
	values := h.Values(src.Name)
	switch {
	case len(values) == 0:
		return Credential{}, false
	case len(values) > 1:
		// Which one the upstream would read is anyone's guess.
		return malformed("%d %s headers", len(values), src.Name), true
	case src.ValuePrefix == "":
		return Credential{Token: values[0], Sent: true}, true
	}
	v := values[0]
	if len(v) < len(src.ValuePrefix) || !equalASCII(v[:len(src.ValuePrefix)], src.ValuePrefix, true) {
		return malformed("the %s header does not start with %q", src.Name, src.ValuePrefix), true
	}
	tok := strings.TrimSpace(v[len(src.ValuePrefix):])
	if tok == "" || strings.ContainsAny(tok, " \t") {
		return malformed("malformed %s header", src.Name), true
	}
	return Credential{Token: tok, Sent: true}, true
}

// fromParam reads a query parameter; ok is false when the target has none
// of that name.
func fromParam(target, name string) (Credential, bool) {
	vals, bad := queryValues(target, name)
	switch {
	case bad:
		return malformed("a malformed escape in the %s parameter", name), true
	case len(vals) == 0:
		return Credential{}, false
	case len(vals) > 1:
		return malformed("%d %s parameters", len(vals), name), true
	}
	return Credential{Token: vals[0], Sent: true}, true
}

// fromCookie reads a cookie of every Cookie header (HTTP/2 splits them);
// ok is false when no non-empty cookie has that name.
func fromCookie(h Headers, name string) (Credential, bool) {
	var vals []string
	for _, line := range h.Values("Cookie") {
		for part := range strings.SplitSeq(line, ";") {
			n, v, ok := strings.Cut(strings.TrimSpace(part), "=")
			if ok && n == name && v != "" {
				vals = append(vals, v)
			}
		}
	}
	switch len(vals) {
	case 0:
		return Credential{}, false
	case 1:
		return Credential{Token: vals[0], Sent: true}, true
	}
	return malformed("%d %s cookies", len(vals), name), true
}

func malformed(format string, args ...any) Credential {
	return Credential{Sent: true, Malformed: fmt.Sprintf(format, args...)}
}

// SourceError says which token source is malformed: Field is
// "from_headers[i].name", "from_headers[i].value_prefix",
// "from_params[i]" or "from_cookies[i]" (Envoy's names, which the proxy
// filter's configuration uses).
type SourceError struct {
	Field  string // the source at fault
	Reason string // what is wrong with it
}

// Error returns "FIELD: reason".
func (e *SourceError) Error() string { return e.Field + ": " + e.Reason }

var (
	headerName = regexp.MustCompile(`^[A-Za-z0-9-]{1,64}$`)
	paramName  = regexp.MustCompile(`^[A-Za-z0-9._~-]{1,64}$`)
	cookieName = regexp.MustCompile(`^[A-Za-z0-9._-]{1,64}$`)
)

// Check validates the sources.
func (s Sources) Check() error {
	lists := []struct {
		field string
		n     int
	}{{"from_headers", len(s.Headers)}, {"from_params", len(s.Params)}, {"from_cookies", len(s.Cookies)}}
	for _, l := range lists {
		if l.n > MaxSources {
			return &SourceError{Field: l.field, Reason: fmt.Sprintf("at most %d sources, found %d", MaxSources, l.n)}
		}
	}
	for i, h := range s.Headers {
		if !headerName.MatchString(h.Name) {
			return &SourceError{Field: fmt.Sprintf("from_headers[%d].name", i), Reason: fmt.Sprintf("%q is not a header name", h.Name)}
		}
		if len(h.ValuePrefix) > maxSourceNameBytes || strings.IndexFunc(h.ValuePrefix, func(r rune) bool { return r < ' ' || r > '~' }) >= 0 {
			return &SourceError{Field: fmt.Sprintf("from_headers[%d].value_prefix", i), Reason: fmt.Sprintf("want at most %d bytes of printable ASCII, found %q", maxSourceNameBytes, h.ValuePrefix)}
		}
	}
	for i, p := range s.Params {
		if !paramName.MatchString(p) {
			return &SourceError{Field: fmt.Sprintf("from_params[%d]", i), Reason: fmt.Sprintf("%q is not a query parameter name (letters, digits, ., _, ~, -)", p)}
		}
	}
	for i, c := range s.Cookies {
		if !cookieName.MatchString(c) {
			return &SourceError{Field: fmt.Sprintf("from_cookies[%d]", i), Reason: fmt.Sprintf("%q is not a cookie name (letters, digits, ., _, -)", c)}
		}
	}
	return nil
}

// HeaderNames returns the names of the header sources (the zero Sources':
// Authorization): the headers a host removes after a success when the
// token is not forwarded.
func (s Sources) HeaderNames() []string {
	headers := s.Headers
	if len(headers) == 0 && len(s.Params) == 0 && len(s.Cookies) == 0 {
		headers = bearer
	}
	out := make([]string, len(headers))
	for i, h := range headers {
		out[i] = h.Name
	}
	return out
}

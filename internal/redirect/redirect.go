// Package redirect decides whether a post-sign-in redirect target is safe
// to send the browser to, so that jwtgate cannot be used as an open
// redirect.
//
// A target (taken from a token claim such as redirect_url or from a query
// parameter such as go=/somewhere) is accepted only when it is
//
//   - a relative path: a single "/" followed by something other than "/"
//     or "\" (for example "/", "/dashboard?x=1#y"), whose path part, after
//     percent-decoding (repeatedly) and dot-segment removal, still does not
//     begin with "//" or "/\"; or
//   - an absolute "https://" URL ("http://" only with Options.AllowHTTP)
//     whose host is on Options.AllowedDomains.
//
// The rules are deliberately stricter than browsers: anything a browser
// could interpret differently from this package is refused. In particular
// every target containing ASCII control characters, spaces, backslashes,
// non-ASCII bytes, characters that RFC 3986 does not allow in a URL, or
// malformed percent-encoding is refused outright, as are userinfo,
// percent-encoded hosts, IPv4 addresses in other than canonical dotted
// decimal form, and targets longer than 2048 bytes.
//
// The package uses only the standard library packages errors, strconv and
// strings (no net, net/url or os), so it builds for GOOS=wasip1 and GOOS=js.
package redirect

import (
	"errors"
	"strconv"
	"strings"
)

// maxTargetLength is the longest target, in bytes, that Check accepts.
const maxTargetLength = 2048

// maxDecodeRounds bounds how many times a relative path is percent-decoded
// while looking for a hidden "//" or "/\" prefix.
const maxDecodeRounds = 8

// maxLoggedLength bounds how much of a target or host is quoted in an error
// message.
const maxLoggedLength = 128

// Options configures Check.
type Options struct {
	// AllowedDomains lists the hosts that absolute targets may point to.
	// An entry "example.com" matches exactly that host (case-insensitive;
	// a trailing dot on the target host is ignored). An entry
	// "*.example.com" matches any subdomain at any depth ("a.example.com",
	// "a.b.example.com") but not "example.com" itself. A canonical IPv4
	// address ("127.0.0.1") or a bracketed IPv6 literal ("[::1]") matches
	// only that exact literal. An entry may pin a port
	// ("app.example.com:8443", "*.example.com:8443", "[::1]:8443"); an
	// entry without one allows only the scheme's default port (443 for
	// https, 80 for http), whether the target spells it or not. Entries
	// rejected by ValidateDomain never match anything.
	AllowedDomains []string

	// AllowHTTP additionally permits absolute "http://" targets. Without
	// it only "https://" absolute targets are accepted.
	AllowHTTP bool
}

// Error reports why Check refused a redirect target. Its Error method
// quotes (as ASCII) and truncates the target, so the message is safe to log.
type Error struct {
	// Target is the refused target exactly as it was passed to Check. It is
	// untrusted input: prefer logging the Error method's output, which
	// escapes and truncates it.
	Target string

	// Reason says, in a short human-readable phrase, why the target was
	// refused, for example `host "evil.com" is not an allowed domain`.
	// Any parts of the target it contains are quoted and truncated.
	Reason string
}

// Error returns a message of the form
// `redirect "https://evil.com/": host "evil.com" is not an allowed domain`.
func (e *Error) Error() string {
	if e == nil {
		return "redirect: <nil>"
	}
	return "redirect " + quote(e.Target) + ": " + e.Reason
}

// Check returns the target unchanged when it is safe to redirect to, or an
// error saying why not. A refused target yields "" and a non-nil *Error.
func Check(target string, opts Options) (string, error) {
	if reason := check(target, opts); reason != "" {
		return "", &Error{Target: target, Reason: reason}
	}
	return target, nil
}

// ValidateDomain reports whether an allowed-domains entry is well formed.
// Valid entries are a hostname ("example.com", "localhost"), "*." followed
// by a hostname of at least two labels ("*.example.com"), a canonical
// dotted-decimal IPv4 address ("127.0.0.1") or a bracketed IPv6 literal
// ("[::1]"). Letter case is ignored. Entries must be ASCII (use punycode
// for internationalised names) and must not contain a scheme, userinfo,
// path, trailing dot, bare "*", a "*" anywhere but a leading "*." label,
// or a single-label wildcard such as "*.com". Any of them may end in a
// port, ":1" to ":65535".
func ValidateDomain(entry string) error {
	if reason := validateDomain(entry); reason != "" {
		return errors.New("allowed domain " + quote(entry) + ": " + reason)
	}
	return nil
}

// validateDomain is ValidateDomain's reason, "" for a good entry: its
// characters, then its form (no URL parts, a good port), then its host.
func validateDomain(entry string) string {
	if reason := domainChars(entry); reason != "" {
		return reason
	}
	switch {
	case strings.Contains(entry, "://"):
		return "must not include a scheme"
	case strings.ContainsAny(entry, "/\\?#"):
		return "must not include a path, query or fragment"
	case strings.ContainsRune(entry, '@'):
		return "must not include userinfo"
	case strings.ContainsRune(entry, '%'):
		return "must not contain percent-encoding"
	}
	if strings.HasSuffix(entry, ":") {
		return "has an invalid port (want 1 to 65535)"
	}
	entry, port, reason := splitPort(entry)
	if reason != "" {
		return reason
	}
	if port != "" && (!validPort(port) || port == "0" || port[0] == '0') {
		return "has an invalid port (want 1 to 65535)"
	}
	if entry == "" {
		return "has no host before its port"
	}
	if entry[0] == '[' {
		if !validIPv6(entry[1 : len(entry)-1]) {
			return "is not a valid bracketed IPv6 address"
		}
		return ""
	}
	return domainHost(entry)
}

// domainChars checks an entry's length and that it is printable ASCII.
func domainChars(entry string) string {
	if entry == "" {
		return "is empty"
	}
	if len(entry) > 255 {
		return "is longer than 255 bytes"
	}
	for i := 0; i < len(entry); i++ {
		c := entry[i]
		if c >= 0x80 {
			return "contains non-ASCII characters (use the punycode form)"
		}
		if c <= ' ' || c == 0x7f {
			return "contains whitespace or control characters"
		}
	}
	return ""
}

// domainHost checks an entry's host, its port removed and not an IPv6
// address: a hostname, optionally under a leading "*." of at least two
// labels, or a canonical IPv4 address.
func domainHost(entry string) string {
	if entry == "*" {
		return "a bare \"*\" is not allowed"
	}
	host := strings.ToLower(entry)
	wildcard := strings.HasPrefix(host, "*.")
	if wildcard {
		host = host[2:]
	}
	if wildcard && host == "" {
		return "a wildcard needs a domain after \"*.\""
	}
	if strings.ContainsRune(host, '*') {
		return "\"*\" is only allowed as a leading \"*.\" label"
	}
	if strings.HasSuffix(host, ".") {
		return "must not end with a dot"
	}
	if !validHostname(host) {
		return "is not a valid hostname"
	}
	if endsInNumber(host) {
		if wildcard {
			return "a wildcard must not be applied to an IP address"
		}
		if !canonicalIPv4(host) {
			return "is neither a hostname nor a canonical dotted-decimal IPv4 address"
		}
		return ""
	}
	if wildcard && !strings.ContainsRune(host, '.') {
		return "a wildcard must cover at least two labels (\"*.com\" is not allowed)"
	}
	return ""
}

// check returns "" when target is acceptable, and otherwise the reason it
// is not.
func check(t string, opts Options) string {
	if t == "" {
		return "target is empty"
	}
	if len(t) > maxTargetLength {
		return "target is longer than " + strconv.Itoa(maxTargetLength) + " bytes"
	}
	for i := 0; i < len(t); i++ {
		c := t[i]
		switch {
		case c >= 0x80:
			return "target contains non-ASCII characters (paths must be percent-encoded, hosts must use punycode)"
		case c < 0x20 || c == 0x7f:
			return "target contains control characters"
		case c == ' ':
			return "target contains a space"
		case c == '\\':
			return "target contains a backslash"
		case !urlChars[c]:
			return "target contains " + strconv.QuoteRune(rune(c)) + ", which is not allowed in a URL"
		}
	}
	if !validPercentEncoding(t) {
		return "target contains malformed percent-encoding"
	}
	if t[0] == '/' {
		return checkRelative(t)
	}
	return checkAbsolute(t, opts)
}

// checkRelative checks a target that starts with "/".
func checkRelative(t string) string {
	if len(t) > 1 && (t[1] == '/' || t[1] == '\\') {
		return "protocol-relative targets (starting with \"//\") are not allowed"
	}
	path := t
	if i := strings.IndexAny(path, "?#"); i >= 0 {
		path = path[:i]
	}
	for round := 0; ; round++ {
		if escapesOrigin(path) {
			if round == 0 {
				return "path resolves to one starting with \"//\""
			}
			return "path decodes to one starting with \"//\" or \"/\\\""
		}
		if !strings.ContainsRune(path, '%') {
			return ""
		}
		decoded := percentDecode(path)
		if decoded == path {
			return ""
		}
		if round == maxDecodeRounds {
			return "path is percent-encoded too many times"
		}
		path = decoded
	}
}

// escapesOrigin reports whether a path, read the way a browser or a
// lenient server might read it (ignoring tab/CR/LF, treating "\" as "/",
// resolving "." and ".." segments), starts with "//".
func escapesOrigin(p string) bool {
	if strings.ContainsAny(p, "\t\r\n") {
		p = strings.NewReplacer("\t", "", "\r", "", "\n", "").Replace(p)
	}
	p = strings.ReplaceAll(p, "\\", "/")
	if strings.HasPrefix(p, "//") {
		return true
	}
	if !strings.HasPrefix(p, "/") {
		// Cannot happen for a path whose raw form starts with "/", but
		// refuse rather than guess.
		return true
	}
	return strings.HasPrefix(removeDotSegments(p), "//")
}

// removeDotSegments resolves "." and ".." segments of an absolute path.
func removeDotSegments(p string) string {
	segs := strings.Split(p[1:], "/")
	out := make([]string, 0, len(segs))
	for i, s := range segs {
		last := i == len(segs)-1
		switch s {
		case ".":
			if last {
				out = append(out, "")
			}
		case "..":
			if len(out) > 0 {
				out = out[:len(out)-1]
			}
			if last {
				out = append(out, "")
			}
		default:
			out = append(out, s)
		}
	}
	return "/" + strings.Join(out, "/")
}

// checkAbsolute checks a target that does not start with "/".
func checkAbsolute(t string, opts Options) string {
	colon := strings.IndexByte(t, ':')
	if colon <= 0 || !validScheme(t[:colon]) {
		return "target is neither a path starting with \"/\" nor an absolute URL"
	}
	scheme := strings.ToLower(t[:colon])
	switch scheme {
	case "https":
	case "http":
		if !opts.AllowHTTP {
			return "scheme \"http\" is not allowed (use https)"
		}
	default:
		return "scheme " + quote(scheme) + " is not allowed"
	}
	rest := t[colon+1:]
	if !strings.HasPrefix(rest, "//") {
		return "URL must have the form " + scheme + "://host/path"
	}
	rest = rest[2:]
	end := strings.IndexAny(rest, "/?#")
	if end < 0 {
		end = len(rest)
	}
	return checkAuthority(rest[:end], scheme, opts)
}

// splitPort splits an allowed-domains entry into its host and its port
// ("" when it has none).
func splitPort(entry string) (host, port, reason string) {
	if entry[0] == '[' {
		end := strings.IndexByte(entry, ']')
		switch {
		case end < 0:
			return "", "", "is not a valid bracketed IPv6 address"
		case end == len(entry)-1:
			return entry, "", ""
		case entry[end+1] != ':':
			return "", "", "is not a valid bracketed IPv6 address"
		}
		return entry[:end+1], entry[end+2:], ""
	}
	switch strings.Count(entry, ":") {
	case 0:
		return entry, "", ""
	case 1:
		i := strings.IndexByte(entry, ':')
		return entry[:i], entry[i+1:], ""
	}
	return "", "", "IPv6 addresses must be written in brackets, like \"[::1]\""
}

// defaultPort is the port a URL of scheme has when it names none.
func defaultPort(scheme string) string {
	if scheme == "http" {
		return "80"
	}
	return "443"
}

// checkAuthority checks the host[:port] part of an absolute URL.
func checkAuthority(a, scheme string, opts Options) string {
	if a == "" {
		return "URL has an empty host"
	}
	if strings.ContainsRune(a, '@') {
		return "URL must not contain userinfo (\"@\" before the host)"
	}
	if strings.ContainsRune(a, '%') {
		return "host must not contain percent-encoded characters"
	}
	var host, port string
	hasPort := false
	ipv6 := false
	if a[0] == '[' {
		end := strings.IndexByte(a, ']')
		if end < 0 || !validIPv6(a[1:end]) {
			return "URL has a malformed IPv6 host"
		}
		host = strings.ToLower(a[:end+1])
		after := a[end+1:]
		if after != "" {
			if after[0] != ':' {
				return "URL has a malformed IPv6 host"
			}
			port, hasPort = after[1:], true
		}
		ipv6 = true
	} else {
		host = a
		if i := strings.IndexByte(a, ':'); i >= 0 {
			host, port, hasPort = a[:i], a[i+1:], true
		}
	}
	if hasPort && !validPort(port) {
		return "URL has an invalid port"
	}
	if !ipv6 {
		if host == "" {
			return "URL has an empty host"
		}
		host = strings.ToLower(host)
		if strings.HasSuffix(host, ".") {
			host = host[:len(host)-1]
		}
		if !validHostname(host) {
			return "host " + quote(host) + " is not a valid hostname"
		}
		if endsInNumber(host) && !canonicalIPv4(host) {
			return "host " + quote(host) + " would be normalised to a different address by browsers"
		}
	}
	if !hasPort || port == "" {
		port = defaultPort(scheme)
	}
	port = strings.TrimLeft(port, "0")
	if !hostAllowed(host, port, scheme, ipv6, opts.AllowedDomains) {
		if port != defaultPort(scheme) {
			return "host " + quote(host+":"+port) + " is not an allowed domain (an entry without a port allows only port " + defaultPort(scheme) + ")"
		}
		return "host " + quote(host) + " is not an allowed domain"
	}
	return ""
}

// hostAllowed reports whether a normalised host (lowercase, no trailing
// dot; IPv6 in brackets) and port (without leading zeros) of a scheme's
// URL match a well-formed entry of domains.
func hostAllowed(host, port, scheme string, ipv6 bool, domains []string) bool {
	for _, entry := range domains {
		if validateDomain(entry) != "" {
			continue
		}
		entry, entryPort, _ := splitPort(strings.ToLower(entry))
		if entryPort == "" {
			entryPort = defaultPort(scheme)
		}
		if entryPort != port {
			continue
		}
		if strings.HasPrefix(entry, "*.") {
			suffix := entry[1:] // ".example.com"
			if !ipv6 && len(host) > len(suffix) && strings.HasSuffix(host, suffix) {
				return true
			}
			continue
		}
		if host == entry {
			return true
		}
	}
	return false
}

// urlChars marks the bytes RFC 3986 allows in a URI: unreserved, reserved
// and "%".
var urlChars = func() (t [256]bool) {
	const allowed = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789" +
		"-._~" + ":/?#[]@" + "!$&'()*+,;=" + "%"
	for i := 0; i < len(allowed); i++ {
		t[allowed[i]] = true
	}
	return t
}()

func validScheme(s string) bool {
	if s == "" || !isAlpha(s[0]) {
		return false
	}
	for i := 1; i < len(s); i++ {
		c := s[i]
		if !isAlpha(c) && !isDigit(c) && c != '+' && c != '-' && c != '.' {
			return false
		}
	}
	return true
}

// validHostname reports whether h (already lowercase, without a trailing
// dot) is a dot-separated sequence of 1-63 byte labels made of a-z, 0-9,
// "-" and "_", at most 253 bytes long.
func validHostname(h string) bool {
	if h == "" || len(h) > 253 {
		return false
	}
	for _, label := range strings.Split(h, ".") {
		if label == "" || len(label) > 63 {
			return false
		}
		for i := 0; i < len(label); i++ {
			c := label[i]
			if !(c >= 'a' && c <= 'z') && !isDigit(c) && c != '-' && c != '_' {
				return false
			}
		}
	}
	return true
}

// endsInNumber implements the WHATWG URL "ends in a number" check: when it
// is true a browser parses the host as an IPv4 address (and normalises
// forms like "0x7f.1" or "2130706433").
func endsInNumber(h string) bool {
	labels := strings.Split(h, ".")
	last := labels[len(labels)-1]
	if last == "" && len(labels) > 1 {
		last = labels[len(labels)-2]
	}
	if last != "" && allDigits(last) {
		return true
	}
	if len(last) >= 2 && last[0] == '0' && (last[1] == 'x' || last[1] == 'X') {
		for i := 2; i < len(last); i++ {
			if !isHex(last[i]) {
				return false
			}
		}
		return true
	}
	return false
}

// canonicalIPv4 reports whether s is an IPv4 address in the form browsers
// serialise it: four decimal parts 0-255 without leading zeros.
func canonicalIPv4(s string) bool {
	parts := strings.Split(s, ".")
	if len(parts) != 4 {
		return false
	}
	for _, p := range parts {
		if p == "" || len(p) > 3 || !allDigits(p) || (len(p) > 1 && p[0] == '0') {
			return false
		}
		if n, err := strconv.Atoi(p); err != nil || n > 255 {
			return false
		}
	}
	return true
}

// validIPv6 reports whether s (without brackets or zone) is a syntactically
// valid IPv6 address, optionally ending in a dotted-decimal IPv4 address.
func validIPv6(s string) bool {
	if s == "" || len(s) > 45 {
		return false
	}
	left, right := s, ""
	compressed := false
	if i := strings.Index(s, "::"); i >= 0 {
		if strings.Contains(s[i+1:], "::") {
			return false
		}
		left, right, compressed = s[:i], s[i+2:], true
	}
	groups := 0
	var all []string
	if left != "" {
		all = append(all, strings.Split(left, ":")...)
	}
	if right != "" {
		all = append(all, strings.Split(right, ":")...)
	}
	for i, g := range all {
		if i == len(all)-1 && strings.ContainsRune(g, '.') {
			if !canonicalIPv4(g) {
				return false
			}
			groups += 2
			continue
		}
		if g == "" || len(g) > 4 {
			return false
		}
		for j := 0; j < len(g); j++ {
			if !isHex(g[j]) {
				return false
			}
		}
		groups++
	}
	if compressed {
		return groups <= 7
	}
	return groups == 8
}

func validPort(p string) bool {
	if p == "" || len(p) > 5 || !allDigits(p) {
		return false
	}
	n, err := strconv.Atoi(p)
	return err == nil && n <= 65535
}

// validPercentEncoding reports whether every "%" in s starts a "%XX"
// escape.
func validPercentEncoding(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] == '%' {
			if i+2 >= len(s) || !isHex(s[i+1]) || !isHex(s[i+2]) {
				return false
			}
			i += 2
		}
	}
	return true
}

// percentDecode decodes every valid "%XX" escape in s once, leaving
// malformed ones as they are.
func percentDecode(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); i++ {
		if s[i] == '%' && i+2 < len(s) && isHex(s[i+1]) && isHex(s[i+2]) {
			b.WriteByte(unhex(s[i+1])<<4 | unhex(s[i+2]))
			i += 2
			continue
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// quote returns s truncated to maxLoggedLength bytes and quoted with only
// printable ASCII, so that it is safe to put in a log line.
func quote(s string) string {
	if len(s) > maxLoggedLength {
		return strconv.QuoteToASCII(s[:maxLoggedLength]) + "..."
	}
	return strconv.QuoteToASCII(s)
}

func isAlpha(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func isHex(c byte) bool { return isDigit(c) || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F' }

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) {
			return false
		}
	}
	return s != ""
}

func unhex(c byte) byte {
	switch {
	case isDigit(c):
		return c - '0'
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10
	case c >= 'A' && c <= 'F':
		return c - 'A' + 10
	}
	return 0
}

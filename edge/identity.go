package edge

import (
	"slices"
	"strings"

	"github.com/jwtgate/jwtgate/core"
)

// The headers that carry jwtgate's own identity fields upstream, beside
// the policy's claim headers.
const (
	HeaderSubject     = "X-Jwtgate-Subject"
	HeaderTenant      = "X-Jwtgate-Tenant"
	HeaderIntegration = "X-Jwtgate-Integration"
)

// reservedPrefix covers jwtgate's identity headers, present and future.
const reservedPrefix = "x-jwtgate-"

// Identity is what an upstream learns of a verified request.
type Identity struct {
	// Subject, Tenant and Integration are the decision's: whom the token
	// names, and the integration that vouched for it.
	Subject, Tenant, Integration string
	// Headers are the policy's claim headers, name to value
	// (core.Decision.Headers).
	Headers map[string]string
}

// IdentityOf is a valid decision's identity.
func IdentityOf(d *core.Decision) Identity {
	return Identity{Subject: d.Subject, Tenant: d.Tenant, Integration: d.Integration, Headers: d.Headers}
}

// UpstreamHeaders are the headers to set on the request upstream, names in
// lower case: the claim headers by name, then, when withJwtgate, the
// X-Jwtgate-Subject, -Tenant and -Integration headers. A host sets each,
// replacing any value the client sent (see Reserved).
func (id Identity) UpstreamHeaders(withJwtgate bool) [][2]string {
	out := make([][2]string, 0, len(id.Headers)+3)
	for k, v := range id.Headers {
		out = append(out, [2]string{strings.ToLower(k), v})
	}
	slices.SortFunc(out, func(a, b [2]string) int { return strings.Compare(a[0], b[0]) })
	if withJwtgate {
		out = append(out,
			[2]string{lowerJwtgate[0], id.Subject},
			[2]string{lowerJwtgate[1], id.Tenant},
			[2]string{lowerJwtgate[2], id.Integration})
	}
	return out
}

// lowerJwtgate are the X-Jwtgate-* names in lower case, made once.
var lowerJwtgate = [...]string{strings.ToLower(HeaderSubject), strings.ToLower(HeaderTenant), strings.ToLower(HeaderIntegration)}

// Reserved are the request headers only jwtgate may set: every
// X-Jwtgate-* header and the policy's claim headers. A host that sends
// requests upstream removes them from each client request, verified or
// not, so that identity reaches an upstream only from the verifier.
type Reserved struct {
	names []string // the claim headers, lower case, sorted
}

// ReservedHeaders are the reserved headers of a policy.
func ReservedHeaders(p *core.Policy) Reserved { return Reserved{names: p.HeaderNames()} }

// Has reports whether the header name (any case) is reserved.
func (r Reserved) Has(name string) bool {
	lower := strings.ToLower(name)
	if strings.HasPrefix(lower, reservedPrefix) {
		return true
	}
	_, found := slices.BinarySearch(r.names, lower)
	return found
}

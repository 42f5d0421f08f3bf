package core

import (
	"slices"
	"strconv"

	"github.com/jwtgate/jwtgate/internal/jsonenc"
)

// The decision's canonical JSON, written field by field: encoding/json's
// reflection cost as much as the HMAC check of a token and links reflect
// into every target. The output is byte for byte what json.Marshal gives
// for Decision (same field order and omission rules, HTML-safe escaping,
// U+FFFD for invalid UTF-8, compacted claims); TestDecisionJSONMatches-
// Marshal and FuzzDecisionJSON hold it to that.

// JSON returns the decision as its canonical JSON.
func (d *Decision) JSON() []byte {
	if len(d.Claims) > 0 && !d.ownClaims() {
		return d.marshalJSON() // claims the core did not read: validated there
	}
	claims := jsonenc.Embed(d.Claims)
	b := make([]byte, 0, 256+len(claims)+len(d.Reason))
	b = append(b, `{"valid":`...)
	b = strconv.AppendBool(b, d.Valid)
	b = appendField(b, "code", string(d.Code))
	b = appendField(b, "message", d.Message)
	b = appendField(b, "reason", d.Reason)
	b = appendField(b, "integration", d.Integration)
	b = appendField(b, "tenant", d.Tenant)
	b = appendField(b, "issuer", d.Issuer)
	b = appendField(b, "subject", d.Subject)
	if len(d.Audience) > 0 {
		b = jsonenc.List(append(b, `,"audience":`...), d.Audience)
	}
	if d.ExpiresAt != 0 {
		b = strconv.AppendInt(append(b, `,"expires_at":`...), d.ExpiresAt, 10)
	}
	if len(claims) > 0 {
		b = append(append(b, `,"claims":`...), claims...)
	}
	for _, l := range [...]struct {
		name string
		list []string
	}{{"groups", d.Groups}, {"roles", d.Roles}, {"permissions", d.Permissions}} {
		if l.list != nil { // omitzero: an empty list is said
			b = jsonenc.List(append(append(append(b, `,"`...), l.name...), `":`...), l.list)
		}
	}
	b = appendField(b, "redirect", d.Redirect)
	if len(d.Headers) > 0 {
		b = appendHeaders(append(b, `,"headers":`...), d.Headers)
	}
	if len(d.Trace) > 0 {
		b = appendTrace(append(b, `,"trace":`...), d.Trace)
	}
	return append(b, '}')
}

// appendField appends an omitempty string member.
func appendField(b []byte, name, v string) []byte {
	if v == "" {
		return b
	}
	b = append(append(append(b, `,"`...), name...), `":`...)
	return jsonenc.String(b, v)
}

// appendHeaders appends a map as encoding/json does: keys sorted.
func appendHeaders(b []byte, h map[string]string) []byte {
	names := make([]string, 0, len(h))
	for k := range h {
		names = append(names, k)
	}
	slices.Sort(names)
	b = append(b, '{')
	for i, k := range names {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(jsonenc.String(b, k), ':')
		b = jsonenc.String(b, h[k])
	}
	return append(b, '}')
}

func appendTrace(b []byte, trace []Step) []byte {
	b = append(b, '[')
	for i, s := range trace {
		if i > 0 {
			b = append(b, ',')
		}
		b = jsonenc.String(append(b, `{"step":`...), s.Name)
		b = jsonenc.String(append(b, `,"outcome":`...), s.Outcome)
		b = appendField(b, "detail", s.Detail)
		b = append(b, '}')
	}
	return append(b, ']')
}

// ownClaims reports whether Claims is still the payload the core read
// strictly (and so valid JSON), not one a caller or a JSON decoder set.
func (d *Decision) ownClaims() bool {
	return len(d.ownedClaims) == len(d.Claims) && &d.ownedClaims[0] == &d.Claims[0]
}

package core

import (
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/jwtgate/jwtgate/core/internal/jsonscan"
	"github.com/jwtgate/jwtgate/internal/redirect"
)

// IntegrationInfo is what a host may read of one integration without
// re-parsing the policy: its identity, the keys it fetches and the shape
// of its decisions. It is a copy; changing it changes nothing.
type IntegrationInfo struct {
	// Name, Tenant and Issuer are the integration's name, tenant and iss,
	// as its decisions carry them.
	Name   string
	Tenant string
	Issuer string
	// OneTimeUse reports whether its tokens' jti may be used once.
	OneTimeUse bool
	// JWKSURLs are its jwks_url key sets, for the host to fetch.
	JWKSURLs []string
	// DiscoveryURL is its issuer's discovery document, "" without a
	// {discovery: true} entry: the KeySource URL of the set it names.
	DiscoveryURL string
	// HasRedirect reports whether it has a redirect section, so that its
	// decisions carry the post-sign-in target (Decision.Redirect).
	HasRedirect bool
	// HeaderNames are the headers of its claim-to-header mapping, sorted:
	// those a host strips from a request before it sets a decision's.
	HeaderNames []string
}

// CheckRedirect reports why target is not a post-sign-in redirect the
// integration's redirect section allows (its allowed_domains; https unless
// allow_http), nil when it is: the check a redirect claim or parameter
// gets, for the targets a host configures beside the policy (an
// onboarding page, say). An integration without a redirect section allows
// none.
func (p *Policy) CheckRedirect(integration, target string) error {
	in := p.byName[integration]
	switch {
	case in == nil:
		return fmt.Errorf("no integration %q", integration)
	case in.redirect == nil:
		return errors.New("the integration has no redirect section")
	}
	_, err := redirect.Check(target, redirect.Options{AllowedDomains: in.redirect.AllowedDomains, AllowHTTP: in.redirect.AllowHTTP})
	return err
}

// Integration returns the integration called name, or false.
func (p *Policy) Integration(name string) (IntegrationInfo, bool) {
	in := p.byName[name]
	if in == nil {
		return IntegrationInfo{}, false
	}
	return in.info(), true
}

// Route returns the integration Verify would judge a compact JWS against:
// the one whose issuer is the "iss" of the token's payload, read as Verify
// reads it (base64url, UTF-8, one strict JSON object in which a member
// given twice is refused), so that a host routing on it (to pick a remote
// validation endpoint, say) and the verifier cannot disagree on a token's
// issuer. Nothing is verified. A JWE (its payload is sealed), a token over
// the policy's size limit, a malformed one or an unknown issuer: false.
func (p *Policy) Route(token string) (IntegrationInfo, bool) {
	if len(token) > p.maxToken || strings.Count(token, ".") != 2 || compactChars(token) != nil {
		return IntegrationInfo{}, false
	}
	payload, err := b64.DecodeString(token[strings.IndexByte(token, '.')+1 : strings.LastIndexByte(token, '.')])
	if err != nil {
		return IntegrationInfo{}, false
	}
	obj, verr := parsePayload(payload)
	if verr != nil {
		return IntegrationInfo{}, false
	}
	iss, verr := issuerOf(obj)
	in := p.byIssuer[string(iss)]
	if verr != nil || in == nil {
		return IntegrationInfo{}, false
	}
	return in.info(), true
}

func (in *integration) info() IntegrationInfo {
	info := IntegrationInfo{
		Name: in.name, Tenant: in.tenant, Issuer: in.issuer, OneTimeUse: in.oneTime,
		JWKSURLs: append([]string(nil), in.jwksURLs...), HasRedirect: in.redirect != nil,
	}
	if in.discovery != nil {
		info.DiscoveryURL = in.discovery.URL
	}
	for _, h := range in.headers {
		info.HeaderNames = append(info.HeaderNames, h.header)
	}
	return info
}

// parsePayload reads a token's payload as every path does: valid UTF-8
// holding one strict JSON object.
func parsePayload(payload []byte) (*jsonscan.Object, *verdict) {
	if !utf8.Valid(payload) {
		return nil, fail(CodeInvalidToken, "payload", "payload is not valid UTF-8")
	}
	obj, err := jsonscan.ParseObject(payload, jsonLimits)
	if err != nil {
		return nil, fail(CodeInvalidToken, "payload", "payload is not a JSON object: %v", err)
	}
	return obj, nil
}

// issuerOf reads the "iss" a token is routed by, without copying it: the
// caller looks it up (byIssuer[string(iss)] does not allocate) and keeps
// the integration's own string.
func issuerOf(obj *jsonscan.Object) ([]byte, *verdict) {
	raw, ok := obj.Get("iss")
	if !ok {
		return nil, fail(CodeConfigurationNotFound, "issuer", "token has no iss")
	}
	iss, err := jsonscan.StringBytes(raw)
	if err != nil {
		return nil, fail(CodeInvalidToken, "issuer", "iss must be a string, found %s", jsonscan.Kind(raw))
	}
	return iss, nil
}

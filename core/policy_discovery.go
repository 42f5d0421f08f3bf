package core

import (
	"errors"
	"fmt"
	"strings"

	"github.com/jwtgate/jwtgate/internal/redirect"
)

// DiscoveryPath is what OpenID Connect Discovery 1.0 §4 appends to an
// issuer (its trailing "/" removed) to name its configuration document.
const DiscoveryPath = "/.well-known/openid-configuration"

// maxJWKSHosts bounds a discovery entry's jwks_hosts.
const maxJWKSHosts = 16

// Discovery is an integration's {discovery: true} key entry: the host
// fetches the document at URL, checks that its "issuer" is Issuer exactly
// (OpenID Connect Discovery §4.3), takes its "jwks_uri" when that URL's
// host is one of JWKSHosts (an https URL; http only for an http issuer)
// and serves that set to the core as KeySource.KeySet(ctx, URL, kid).
// The core does none of this: it names the document and the rules.
type Discovery struct {
	// URL is the issuer's discovery document, the KeySource URL of its set.
	URL string
	// Issuer is the integration's issuer, which the document must name.
	Issuer string
	// JWKSHosts are the hosts jwks_uri may name, as redirect allowed
	// domains are written: the issuer's own host[:port] first, then the
	// entry's jwks_hosts.
	JWKSHosts []string
}

// Discoveries returns the policy's discovery entries, for the host to
// resolve (jwks.Options.Discoveries).
func (p *Policy) Discoveries() []Discovery {
	var out []Discovery
	for _, in := range p.integrations {
		if d := in.discovery; d != nil {
			out = append(out, Discovery{URL: d.URL, Issuer: d.Issuer, JWKSHosts: append([]string(nil), d.JWKSHosts...)})
		}
	}
	return out
}

// addDiscovery compiles a {discovery: true} entry of field.
func (in *integration) addDiscovery(k *keyConfig, field string, opts LoadOptions) error {
	switch {
	case !opts.Discovery:
		return fieldErr(field, "this host cannot fetch an issuer's discovery document; give its jwks_uri as jwks_url (or its keys inline) instead")
	case k.KeyID != "" || k.Algorithm != "":
		return fieldErr(field, "kid and algorithm come from the published keys; remove them")
	case in.discovery != nil:
		return fieldErr(field, "the issuer's discovery is already a key entry of this integration")
	}
	d, err := discoveryOf(in.issuer, k.JWKSHosts, field)
	if err != nil {
		return err
	}
	in.discovery = d
	return nil
}

// DiscoveryOf returns the discovery of issuer whose jwks_uri may also be
// on jwksHosts, as a {discovery: true, jwks_hosts: …} entry of an
// integration of that issuer gets it: for a host's diagnostics (jwtgate
// jwks check --discovery). The error says what is wrong with either.
func DiscoveryOf(issuer string, jwksHosts []string) (Discovery, error) {
	d, err := discoveryOf(issuer, jwksHosts, "")
	if err != nil {
		var fe *fieldError
		if errors.As(err, &fe) && fe.field != "" {
			return Discovery{}, errors.New(strings.TrimPrefix(fe.field, ".") + ": " + fe.reason)
		}
		if errors.As(err, &fe) {
			return Discovery{}, errors.New(fe.reason)
		}
		return Discovery{}, err
	}
	return *d, nil
}

// discoveryOf checks issuer and jwksHosts; its errors name field.
func discoveryOf(issuer string, jwksHosts []string, field string) (*Discovery, error) {
	if len(jwksHosts) > maxJWKSHosts {
		return nil, fieldErr(field+".jwks_hosts", "at most %d hosts, found %d", maxJWKSHosts, len(jwksHosts))
	}
	host, reason := issuerHost(issuer)
	if reason != "" {
		return nil, fieldErr(field, "discovery needs the integration's issuer to be an http(s) URL without query or fragment: %s", reason)
	}
	for i, h := range jwksHosts {
		if err := redirect.ValidateDomain(h); err != nil {
			return nil, fieldErr(fmt.Sprintf("%s.jwks_hosts[%d]", field, i), "%v", err)
		}
	}
	return &Discovery{
		URL:       strings.TrimSuffix(issuer, "/") + DiscoveryPath,
		Issuer:    issuer,
		JWKSHosts: append([]string{host}, jwksHosts...),
	}, nil
}

// issuerHost returns the host[:port] of an issuer that discovery can
// use, or why it cannot: the URL rules of redirect targets (no userinfo,
// a valid host, printable ASCII), and no query or fragment (OpenID
// Connect Discovery §3 issuers have neither).
func issuerHost(issuer string) (string, string) {
	scheme, rest, ok := strings.Cut(issuer, "://")
	if !ok || (scheme != "https" && scheme != "http") {
		return "", fmt.Sprintf("want https:// (or http://), found %q", issuer)
	}
	if strings.ContainsAny(issuer, "?#") {
		return "", fmt.Sprintf("found a query or fragment in %q", issuer)
	}
	host := rest
	if i := strings.IndexByte(rest, '/'); i >= 0 {
		host = rest[:i]
	}
	if err := redirect.ValidateDomain(host); err != nil || strings.Contains(host, "*") {
		return "", fmt.Sprintf("its host %q is not a plain host name or address", host)
	}
	if _, err := redirect.Check(issuer, redirect.Options{AllowedDomains: []string{host}, AllowHTTP: true}); err != nil {
		return "", err.Error()
	}
	return host, ""
}

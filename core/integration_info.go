package core

// IntegrationInfo is what a host may read of one integration without
// re-parsing the policy: its identity and the keys it fetches. It is a
// copy; changing it changes nothing.
type IntegrationInfo struct {
	Name   string
	Tenant string
	Issuer string
	// OneTimeUse reports whether its tokens' jti may be used once.
	OneTimeUse bool
	// JWKSURLs are its jwks_url key sets, for the host to fetch.
	JWKSURLs []string
}

// Integration returns the integration called name, or false.
func (p *Policy) Integration(name string) (IntegrationInfo, bool) {
	in := p.byName[name]
	if in == nil {
		return IntegrationInfo{}, false
	}
	return IntegrationInfo{
		Name: in.name, Tenant: in.tenant, Issuer: in.issuer, OneTimeUse: in.oneTime,
		JWKSURLs: append([]string(nil), in.jwksURLs...),
	}, true
}

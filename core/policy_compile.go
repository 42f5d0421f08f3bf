package core

import (
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	jose "github.com/jwtgate/jwtgate/core/internal/joseid"
	"github.com/jwtgate/jwtgate/core/internal/keys"
	"github.com/jwtgate/jwtgate/internal/redirect"
)

// integration is one compiled tenant configuration.
type integration struct {
	name, tenant, issuer string
	audiences            []string
	algorithms           []jose.SignatureAlgorithm
	types                []string // explicit typing (RFC 8725 3.11): accepted typ values, normalised
	algList              string   // algorithms as one string, a key set binding's key
	keys                 []keys.VerificationKey
	jwksURLs             []string
	discovery            *Discovery // a {discovery: true} entry, nil without
	decryption           []keys.DecryptionKey
	keyAlgorithms        []jose.KeyAlgorithm
	contentAlgorithms    []jose.ContentEncryption
	allowUnsigned        bool
	allowCompression     bool
	maxPlaintext         int
	maxPBES2Count        int
	required             []requiredClaim
	skew, maxAge         time.Duration
	oneTime              bool
	maxTokenBytes        int
	maxHeaderValue       int
	subjectClaim         string
	groupsClaim          string
	rolesClaim           string
	permissionsClaim     string
	redirect             *redirectConfig
	headers              []headerMapping
	requirements         *Requirements
}

type headerMapping struct{ header, claim string }

// compileIntegration checks a decoded integration, recording every
// problem in p, and returns it compiled, or nil when p has problems. A
// check that depends on a field with a problem (keys on algorithms) is
// skipped rather than reported as a second, derived problem.
func compileIntegration(c *integrationConfig, opts LoadOptions, p *problems) *integration {
	if slices.Contains(p.decoded, "") {
		return nil // not a mapping: there are no fields to check
	}
	in := &integration{
		name: c.Name, tenant: c.Tenant, issuer: c.Issuer, audiences: c.Audiences,
		oneTime: c.OneTimeUse, skew: DefaultClockSkew,
		maxTokenBytes: DefaultMaxTokenBytes, maxHeaderValue: DefaultMaxHeaderValueBytes,
		subjectClaim: or(c.SubjectClaim, "sub"), groupsClaim: or(c.GroupsClaim, "groups"),
		rolesClaim: or(c.RolesClaim, "roles"), permissionsClaim: or(c.PermissionsClaim, "permissions"),
		allowUnsigned: c.Encryption.AllowUnsigned, allowCompression: c.Encryption.AllowCompression,
		maxPlaintext: DefaultMaxPlaintextBytes, maxPBES2Count: DefaultMaxPBES2Count,
	}
	in.compileIdentity(c, p)
	in.compileTypes(c, p)
	in.compileLimits(c, p)
	in.compileKeys(c, opts, p)
	in.compileEncryption(c, opts, p)
	in.compileClaims(c, p)
	in.compileRedirect(c, p)
	in.compileHeaders(c, p)
	if len(p.list) > 0 {
		return nil
	}
	return in
}

func (in *integration) compileIdentity(c *integrationConfig, p *problems) {
	if !validName(c.Name) {
		p.add("name", "want 1-63 characters of a-z, 0-9, '_' and '-', starting with a letter or digit, found %q", c.Name)
	}
	if c.Issuer == "" {
		p.add("issuer", "required: the exact \"iss\" of this integration's tokens")
	}
	for i, a := range c.Audiences {
		if a == "" {
			p.add(fmt.Sprintf("audiences[%d]", i), "empty audience")
		}
	}
	if len(c.Algorithms) == 0 {
		p.add("algorithms", "required: list the signature algorithms this integration accepts, such as [RS256]")
	}
	for i, name := range c.Algorithms {
		alg, ok := keys.ParseSignatureAlgorithm(name)
		if !ok {
			p.add(fmt.Sprintf("algorithms[%d]", i), "%q is not a supported signature algorithm (supported: %v)", name, keys.SignatureAlgorithms)
			continue
		}
		in.algorithms = append(in.algorithms, alg)
	}
	in.algList = fmt.Sprint(in.algorithms)
}

func (in *integration) compileLimits(c *integrationConfig, p *problems) {
	if c.ClockSkew != nil {
		in.skew = time.Duration(*c.ClockSkew)
		if in.skew < 0 || in.skew > MaxClockSkew {
			p.add("clock_skew", "want between 0s and %v, found %v", MaxClockSkew, in.skew)
		}
	}
	if c.MaxAge != nil {
		in.maxAge = time.Duration(*c.MaxAge)
		if in.maxAge <= 0 {
			p.add("max_age", "want a positive duration, found %v", in.maxAge)
		}
	}
	if c.MaxTokenBytes != 0 {
		if c.MaxTokenBytes < 64 || c.MaxTokenBytes > MaxTokenBytesLimit {
			p.add("max_token_bytes", "want between 64 and %d, found %d", MaxTokenBytesLimit, c.MaxTokenBytes)
		}
		in.maxTokenBytes = c.MaxTokenBytes
	}
	if c.MaxHeaderValue != 0 {
		if c.MaxHeaderValue < 64 || c.MaxHeaderValue > MaxHeaderValueBytesLimit {
			p.add("max_header_value_bytes", "want between 64 and %d, found %d", MaxHeaderValueBytesLimit, c.MaxHeaderValue)
		}
		in.maxHeaderValue = c.MaxHeaderValue
	}
	for _, f := range []struct{ field, value string }{
		{"subject_claim", in.subjectClaim}, {"groups_claim", in.groupsClaim},
		{"roles_claim", in.rolesClaim}, {"permissions_claim", in.permissionsClaim},
	} {
		if strings.TrimSpace(f.value) != f.value {
			p.add(f.field, "claim name %q has surrounding spaces", f.value)
		}
	}
}

// compileKeys binds the verification keys to the integration's
// algorithms; with algorithms at fault, only what does not depend on
// them is checked.
func (in *integration) compileKeys(c *integrationConfig, opts LoadOptions, p *problems) {
	if len(c.Keys) == 0 {
		p.add("keys", "required: at least one key (jwks, jwks_file, jwks_url, pem_file, pem, secret, secret_file, secret_env or discovery)")
	}
	algorithmsOK := !p.failed("algorithms")
	for i := range c.Keys {
		field := fmt.Sprintf("keys[%d]", i)
		if p.decodeFailed(field) {
			continue
		}
		if err := in.addVerificationKeys(&c.Keys[i], field, opts, algorithmsOK); err != nil {
			p.addErr(err)
		}
	}
}

func (in *integration) compileClaims(c *integrationConfig, p *problems) {
	for i, rc := range c.RequiredClaims {
		field := fmt.Sprintf("required_claims[%d]", i)
		if rc.Name == "" {
			p.add(field, "empty claim name")
		}
		if rc.Type != "" && !claimTypes[rc.Type] {
			p.add(field+".type", "want one of string, number, integer, boolean, array, object, string_array, found %q", rc.Type)
		}
		in.required = append(in.required, rc)
	}
	if in.oneTime {
		// One-time use needs a bounded memory of used IDs: each entry lives
		// until the token expires.
		if in.maxAge == 0 && !requires(in.required, "exp") {
			in.required = append(in.required, requiredClaim{Name: "exp", Type: "number"})
		}
	}
	req, bad := compileRequirements(c.RequirePermissions, c.RequireRoles, c.RequireGroups)
	for _, re := range bad {
		p.add(re.Field, "%s", re.Reason)
	}
	in.requirements = req
}

func (in *integration) compileRedirect(c *integrationConfig, p *problems) {
	r := c.Redirect
	if r == nil {
		return
	}
	rc := *r
	rc.Claim = or(rc.Claim, "redirect_url")
	rc.Param = or(rc.Param, "go")
	domainsOK := !p.failed("redirect.allowed_domains")
	for i, d := range rc.AllowedDomains {
		if err := redirect.ValidateDomain(d); err != nil {
			p.add(fmt.Sprintf("redirect.allowed_domains[%d]", i), "%v", err)
			domainsOK = false
		}
	}
	if rc.Default != "" && domainsOK {
		if _, err := redirect.Check(rc.Default, redirect.Options{AllowedDomains: rc.AllowedDomains, AllowHTTP: rc.AllowHTTP}); err != nil {
			p.add("redirect.default", "%v", err)
		}
	}
	in.redirect = &rc
}

// compileHeaders maps upstream headers to claims, in a stable order.
func (in *integration) compileHeaders(c *integrationConfig, p *problems) {
	names := make([]string, 0, len(c.Headers))
	for h := range c.Headers {
		names = append(names, h)
	}
	sort.Strings(names)
	for _, h := range names {
		claim := c.Headers[h]
		switch {
		case !validHeaderName(h):
			p.addAt("headers", "headers."+h, "%q is not a valid header name", h)
		case claim == "":
			p.add("headers."+h, "empty claim name")
		default:
			in.headers = append(in.headers, headerMapping{header: h, claim: claim})
		}
	}
}

func requires(list []requiredClaim, name string) bool {
	for _, r := range list {
		if r.Name == name {
			return true
		}
	}
	return false
}

func or(v, def string) string {
	if v == "" {
		return def
	}
	return v
}

// compileTypes reads types: the header typ values the integration
// accepts, compared as normalTyp makes them.
func (in *integration) compileTypes(c *integrationConfig, p *problems) {
	for i, t := range c.Types {
		n := normalTyp(t)
		if n == "" || strings.ContainsFunc(n, func(r rune) bool { return r <= ' ' || r >= 0x7f }) {
			p.add(fmt.Sprintf("types[%d]", i), "want a media type such as at+jwt, found %q", t)
			continue
		}
		in.types = append(in.types, n)
	}
}

// normalTyp is a typ compared as RFC 7515 section 4.1.9 says: without
// case, and with "application/" implied.
func normalTyp(t string) string {
	t = strings.ToLower(t)
	return strings.TrimPrefix(t, "application/")
}

package core

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
	"sort"
	"strings"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"go.yaml.in/yaml/v3"

	"github.com/jwtgate/jwtgate/core/internal/keys"
	"github.com/jwtgate/jwtgate/core/internal/redirect"
	"github.com/jwtgate/jwtgate/core/yamlconfig"
)

// Limits and defaults of the policy format.
const (
	// DefaultMaxTokenBytes is the token size limit when an integration sets none.
	DefaultMaxTokenBytes = 16 << 10
	// MaxTokenBytesLimit is the largest max_token_bytes accepted.
	MaxTokenBytesLimit = 1 << 20
	// DefaultClockSkew is the clock_skew when an integration sets none.
	DefaultClockSkew = 60 * time.Second
	// MaxClockSkew is the largest clock_skew accepted.
	MaxClockSkew = 10 * time.Minute
	// DefaultMaxPlaintextBytes bounds a JWE's decrypted (and decompressed) payload.
	DefaultMaxPlaintextBytes = 64 << 10
	// DefaultMaxHeaderValueBytes bounds a header value made from a claim
	// (and the subject, which hosts send as a header) when an integration
	// sets no max_header_value_bytes; MaxHeaderValueBytesLimit is the
	// largest accepted.
	DefaultMaxHeaderValueBytes = 4 << 10
	MaxHeaderValueBytesLimit   = 64 << 10
	// DefaultMaxPBES2Count bounds the PBES2 iteration count ("p2c") when PBES2 is allowed.
	DefaultMaxPBES2Count = 310_000
	// maxPolicyBytes bounds a policy document.
	maxPolicyBytes = 8 << 20
)

// LoadOptions gives policy loading the I/O it may do; the core does none.
type LoadOptions struct {
	// ReadFile reads a file named by jwks_file, pem_file or secret_file.
	// The caller resolves relative names (against the policy file's folder,
	// usually). nil refuses those fields.
	ReadFile func(name string) ([]byte, error)
	// LookupEnv reads an environment variable named by secret_env. nil
	// refuses that field.
	LookupEnv func(name string) (string, bool)
}

// PolicyError is a policy refused at load time. It names the file, the
// integration and the field at fault.
type PolicyError struct {
	File        string
	Integration string // "" for errors outside any integration
	Field       string // such as "keys[0].secret"
	Line        int    // 1-based line in the file, when known
	Reason      string
}

func (e *PolicyError) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Line > 0 {
		fmt.Fprintf(&b, ":%d", e.Line)
	}
	if e.Integration != "" {
		fmt.Fprintf(&b, ": integration %q", e.Integration)
	}
	if e.Field != "" {
		fmt.Fprintf(&b, ": field %s", e.Field)
	}
	b.WriteString(": ")
	b.WriteString(e.Reason)
	return b.String()
}

// Policy is a parsed, validated policy: the integrations a verifier serves.
// It is immutable and safe for concurrent use.
type Policy struct {
	integrations []*integration
	byIssuer     map[string]*integration
	byName       map[string]*integration
	maxToken     int // the largest max_token_bytes of any integration
}

// Integrations returns the names of the policy's integrations, in file order.
func (p *Policy) Integrations() []string {
	out := make([]string, len(p.integrations))
	for i, in := range p.integrations {
		out[i] = in.name
	}
	return out
}

// MaxTokenBytes returns the largest token any integration accepts. Verify
// refuses larger ones before reading them (see TokenTooLarge).
func (p *Policy) MaxTokenBytes() int { return p.maxToken }

// JWKSURLs returns every jwks_url of the policy, for the host to fetch.
func (p *Policy) JWKSURLs() []string {
	var out []string
	for _, in := range p.integrations {
		out = append(out, in.jwksURLs...)
	}
	return out
}

// OneTimeUse reports whether any integration enforces one-time tokens (and
// so needs a ReplayStore).
func (p *Policy) OneTimeUse() bool {
	for _, in := range p.integrations {
		if in.oneTime {
			return true
		}
	}
	return false
}

// The file format. Field names are part of jwtgate's stable interface.
type policyFile struct {
	Integrations []yaml.Node `yaml:"integrations"`
	// Service holds the settings of jwtgate serve (listen address, store,
	// routes, remote validation, sessions). The core ignores it; keeping it
	// in the one file keeps a deployment's configuration together.
	Service yaml.Node `yaml:"service"`
}

type integrationConfig struct {
	Name               string               `yaml:"name"`
	Tenant             string               `yaml:"tenant"`
	Issuer             string               `yaml:"issuer"`
	Audiences          []string             `yaml:"audiences"`
	Algorithms         []string             `yaml:"algorithms"`
	Keys               []keyConfig          `yaml:"keys"`
	DecryptionKeys     []keyConfig          `yaml:"decryption_keys"`
	Encryption         encryptionConfig     `yaml:"encryption"`
	RequiredClaims     []requiredClaim      `yaml:"required_claims"`
	ClockSkew          *yamlconfig.Duration `yaml:"clock_skew"`
	MaxAge             *yamlconfig.Duration `yaml:"max_age"`
	OneTimeUse         bool                 `yaml:"one_time_use"`
	MaxTokenBytes      int                  `yaml:"max_token_bytes"`
	MaxHeaderValue     int                  `yaml:"max_header_value_bytes"`
	SubjectClaim       string               `yaml:"subject_claim"`
	GroupsClaim        string               `yaml:"groups_claim"`
	RolesClaim         string               `yaml:"roles_claim"`
	PermissionsClaim   string               `yaml:"permissions_claim"`
	Redirect           *redirectConfig      `yaml:"redirect"`
	Headers            map[string]string    `yaml:"headers"`
	RequirePermissions []string             `yaml:"require_permissions"`
	RequireRoles       *Membership          `yaml:"require_roles"`
	RequireGroups      *Membership          `yaml:"require_groups"`
}

type keyConfig struct {
	JWKS       yaml.Node `yaml:"jwks"`
	JWKSFile   string    `yaml:"jwks_file"`
	JWKSURL    string    `yaml:"jwks_url"`
	PEMFile    string    `yaml:"pem_file"`
	PEM        string    `yaml:"pem"`
	Secret     string    `yaml:"secret"`
	SecretFile string    `yaml:"secret_file"`
	SecretEnv  string    `yaml:"secret_env"`
	// KeyID sets the "kid" of a PEM or secret key.
	KeyID string `yaml:"kid"`
	// Algorithm narrows the key to one algorithm.
	Algorithm string `yaml:"algorithm"`
}

type encryptionConfig struct {
	KeyAlgorithms     []string `yaml:"key_algorithms"`
	ContentAlgorithms []string `yaml:"content_algorithms"`
	AllowUnsigned     bool     `yaml:"allow_unsigned"`
	AllowCompression  bool     `yaml:"allow_compression"`
	MaxPlaintextBytes int      `yaml:"max_plaintext_bytes"`
	AllowPBES2        bool     `yaml:"allow_pbes2"`
	MaxPBES2Count     int      `yaml:"max_pbes2_count"`
}

type redirectConfig struct {
	Claim          string   `yaml:"claim"`
	Param          string   `yaml:"param"`
	AllowedDomains []string `yaml:"allowed_domains"`
	Default        string   `yaml:"default"`
	AllowHTTP      bool     `yaml:"allow_http"`
}

// requiredClaim is a claim name, optionally with a JSON type: either a plain
// string, or {name: …, type: …}.
type requiredClaim struct {
	Name string `yaml:"name"`
	Type string `yaml:"type"`
}

func (r *requiredClaim) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind == yaml.ScalarNode {
		return n.Decode(&r.Name)
	}
	type plain requiredClaim
	var p plain
	if err := yamlconfig.DecodeStrict(n, &p); err != nil {
		return err
	}
	*r = requiredClaim(p)
	return nil
}

// claimTypes are the JSON types a required claim may demand.
var claimTypes = map[string]bool{
	"string": true, "number": true, "integer": true, "boolean": true,
	"array": true, "object": true, "string_array": true,
}

var namePattern = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,62}$`)
var headerPattern = regexp.MustCompile(`^[A-Za-z0-9-]{1,64}$`)

// ParsePolicy parses and validates a policy document, YAML or JSON. file is
// used only in error messages. Everything a verifier needs is checked here,
// so that a policy that loads never fails at verification time for its own
// reasons.
func ParsePolicy(file string, data []byte, opts LoadOptions) (*Policy, error) {
	fail := func(in, field string, line int, format string, args ...any) error {
		return &PolicyError{File: file, Integration: in, Field: field, Line: line, Reason: fmt.Sprintf(format, args...)}
	}
	if len(data) > maxPolicyBytes {
		return nil, fail("", "", 0, "policy is %d bytes, the limit is %d", len(data), maxPolicyBytes)
	}
	var pf policyFile
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&pf); err != nil && !errors.Is(err, io.EOF) {
		return nil, fail("", "", 0, "%s", strings.TrimPrefix(err.Error(), "yaml: "))
	}
	if err := dec.Decode(new(yaml.Node)); !errors.Is(err, io.EOF) {
		// A second YAML document would otherwise be silently ignored.
		return nil, fail("", "", 0, "the policy must be a single YAML document")
	}
	if len(pf.Integrations) == 0 {
		return nil, fail("", "integrations", 0, "no integrations")
	}
	p := &Policy{byIssuer: map[string]*integration{}, byName: map[string]*integration{}}
	for i := range pf.Integrations {
		node := &pf.Integrations[i]
		var cfg integrationConfig
		if err := yamlconfig.DecodeStrict(node, &cfg); err != nil {
			return nil, fail(nameOf(node, i), "", node.Line, "%v", err)
		}
		in, err := compileIntegration(&cfg, opts)
		if err != nil {
			var fe *fieldError
			if errors.As(err, &fe) {
				return nil, fail(nameOr(cfg.Name, i), fe.field, node.Line, "%s", fe.reason)
			}
			return nil, fail(nameOr(cfg.Name, i), "", node.Line, "%v", err)
		}
		if p.byName[in.name] != nil {
			return nil, fail(in.name, "name", node.Line, "duplicate integration name")
		}
		if other := p.byIssuer[in.issuer]; other != nil {
			return nil, fail(in.name, "issuer", node.Line, "issuer %q is already used by integration %q", in.issuer, other.name)
		}
		p.byName[in.name] = in
		p.byIssuer[in.issuer] = in
		p.integrations = append(p.integrations, in)
		if in.maxTokenBytes > p.maxToken {
			p.maxToken = in.maxTokenBytes
		}
	}
	return p, nil
}

func nameOf(n *yaml.Node, i int) string {
	for j := 0; j+1 < len(n.Content); j += 2 {
		if n.Content[j].Value == "name" {
			return n.Content[j+1].Value
		}
	}
	return fmt.Sprintf("#%d", i+1)
}

func nameOr(name string, i int) string {
	if name == "" {
		return fmt.Sprintf("#%d", i+1)
	}
	return name
}

type fieldError struct{ field, reason string }

func (e *fieldError) Error() string { return e.field + ": " + e.reason }

func fieldErr(field, format string, args ...any) error {
	return &fieldError{field: field, reason: fmt.Sprintf(format, args...)}
}

// integration is one compiled tenant configuration.
type integration struct {
	name, tenant, issuer string
	audiences            []string
	algorithms           []jose.SignatureAlgorithm
	keys                 []keys.VerificationKey
	jwksURLs             []string
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

func compileIntegration(c *integrationConfig, opts LoadOptions) (*integration, error) {
	in := &integration{
		name: c.Name, tenant: c.Tenant, issuer: c.Issuer, audiences: c.Audiences,
		oneTime: c.OneTimeUse, skew: DefaultClockSkew,
		maxTokenBytes: DefaultMaxTokenBytes, maxHeaderValue: DefaultMaxHeaderValueBytes,
		subjectClaim: or(c.SubjectClaim, "sub"), groupsClaim: or(c.GroupsClaim, "groups"),
		rolesClaim: or(c.RolesClaim, "roles"), permissionsClaim: or(c.PermissionsClaim, "permissions"),
		allowUnsigned: c.Encryption.AllowUnsigned, allowCompression: c.Encryption.AllowCompression,
		maxPlaintext: DefaultMaxPlaintextBytes, maxPBES2Count: DefaultMaxPBES2Count,
	}
	if !namePattern.MatchString(c.Name) {
		return nil, fieldErr("name", "want 1-63 characters of a-z, 0-9, '_' and '-', starting with a letter or digit, found %q", c.Name)
	}
	if c.Issuer == "" {
		return nil, fieldErr("issuer", "required: the exact \"iss\" of this integration's tokens")
	}
	for i, a := range c.Audiences {
		if a == "" {
			return nil, fieldErr(fmt.Sprintf("audiences[%d]", i), "empty audience")
		}
	}
	if len(c.Algorithms) == 0 {
		return nil, fieldErr("algorithms", "required: list the signature algorithms this integration accepts, such as [RS256]")
	}
	for i, name := range c.Algorithms {
		alg, ok := keys.ParseSignatureAlgorithm(name)
		if !ok {
			return nil, fieldErr(fmt.Sprintf("algorithms[%d]", i), "%q is not a supported signature algorithm (supported: %v)", name, keys.SignatureAlgorithms)
		}
		in.algorithms = append(in.algorithms, alg)
	}
	if c.ClockSkew != nil {
		in.skew = time.Duration(*c.ClockSkew)
		if in.skew < 0 || in.skew > MaxClockSkew {
			return nil, fieldErr("clock_skew", "want between 0s and %v, found %v", MaxClockSkew, in.skew)
		}
	}
	if c.MaxAge != nil {
		in.maxAge = time.Duration(*c.MaxAge)
		if in.maxAge <= 0 {
			return nil, fieldErr("max_age", "want a positive duration, found %v", in.maxAge)
		}
	}
	if c.MaxTokenBytes != 0 {
		if c.MaxTokenBytes < 64 || c.MaxTokenBytes > MaxTokenBytesLimit {
			return nil, fieldErr("max_token_bytes", "want between 64 and %d, found %d", MaxTokenBytesLimit, c.MaxTokenBytes)
		}
		in.maxTokenBytes = c.MaxTokenBytes
	}
	if c.MaxHeaderValue != 0 {
		if c.MaxHeaderValue < 64 || c.MaxHeaderValue > MaxHeaderValueBytesLimit {
			return nil, fieldErr("max_header_value_bytes", "want between 64 and %d, found %d", MaxHeaderValueBytesLimit, c.MaxHeaderValue)
		}
		in.maxHeaderValue = c.MaxHeaderValue
	}
	for _, f := range []struct{ field, value string }{
		{"subject_claim", in.subjectClaim}, {"groups_claim", in.groupsClaim},
		{"roles_claim", in.rolesClaim}, {"permissions_claim", in.permissionsClaim},
	} {
		if strings.TrimSpace(f.value) != f.value {
			return nil, fieldErr(f.field, "claim name %q has surrounding spaces", f.value)
		}
	}

	// Verification keys.
	if len(c.Keys) == 0 {
		return nil, fieldErr("keys", "required: at least one key (jwks, jwks_file, jwks_url, pem_file, pem, secret, secret_file or secret_env)")
	}
	for i := range c.Keys {
		field := fmt.Sprintf("keys[%d]", i)
		if err := in.addVerificationKeys(&c.Keys[i], field, opts); err != nil {
			return nil, err
		}
	}

	// Encryption.
	if err := in.compileEncryption(c, opts); err != nil {
		return nil, err
	}

	// Claims.
	for i, rc := range c.RequiredClaims {
		field := fmt.Sprintf("required_claims[%d]", i)
		if rc.Name == "" {
			return nil, fieldErr(field, "empty claim name")
		}
		if rc.Type != "" && !claimTypes[rc.Type] {
			return nil, fieldErr(field+".type", "want one of string, number, integer, boolean, array, object, string_array, found %q", rc.Type)
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

	// Policy requirements.
	req, err := NewRequirements(c.RequirePermissions, c.RequireRoles, c.RequireGroups)
	if err != nil {
		var re *RequirementsError
		errors.As(err, &re)
		return nil, fieldErr(re.Field, "%s", re.Reason)
	}
	in.requirements = req

	// Redirects.
	if r := c.Redirect; r != nil {
		rc := *r
		rc.Claim = or(rc.Claim, "redirect_url")
		rc.Param = or(rc.Param, "go")
		for i, d := range rc.AllowedDomains {
			if err := redirect.ValidateDomain(d); err != nil {
				return nil, fieldErr(fmt.Sprintf("redirect.allowed_domains[%d]", i), "%v", err)
			}
		}
		if rc.Default != "" {
			if _, err := redirect.Check(rc.Default, redirect.Options{AllowedDomains: rc.AllowedDomains, AllowHTTP: rc.AllowHTTP}); err != nil {
				return nil, fieldErr("redirect.default", "%v", err)
			}
		}
		in.redirect = &rc
	}

	// Upstream headers, in a stable order.
	for h, claim := range c.Headers {
		if !headerPattern.MatchString(h) {
			return nil, fieldErr("headers", "%q is not a valid header name", h)
		}
		if claim == "" {
			return nil, fieldErr("headers."+h, "empty claim name")
		}
		in.headers = append(in.headers, headerMapping{header: h, claim: claim})
	}
	sort.Slice(in.headers, func(i, j int) bool { return in.headers[i].header < in.headers[j].header })
	return in, nil
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

// keyMaterial returns the one source a key entry names.
type keySource struct {
	kind  string // the field name
	value string
}

func (k *keyConfig) sources() []keySource {
	var out []keySource
	if !k.JWKS.IsZero() {
		out = append(out, keySource{"jwks", ""})
	}
	for _, s := range []keySource{
		{"jwks_file", k.JWKSFile}, {"jwks_url", k.JWKSURL}, {"pem_file", k.PEMFile}, {"pem", k.PEM},
		{"secret", k.Secret}, {"secret_file", k.SecretFile}, {"secret_env", k.SecretEnv},
	} {
		if s.value != "" {
			out = append(out, s)
		}
	}
	return out
}

// jwksJSON returns an inline jwks as JSON: written either as a YAML/JSON
// object or as a string holding JSON.
func jwksJSON(n *yaml.Node) ([]byte, error) {
	if n.Kind == yaml.ScalarNode {
		return []byte(n.Value), nil
	}
	var v any
	if err := n.Decode(&v); err != nil {
		return nil, err
	}
	return json.Marshal(v)
}

// material loads a key entry's bytes. secret reports whether they are a
// shared secret rather than PEM or JWKS.
func (k *keyConfig) material(field string, opts LoadOptions) (kind string, data []byte, err error) {
	src := k.sources()
	if len(src) != 1 {
		names := make([]string, len(src))
		for i, s := range src {
			names[i] = s.kind
		}
		return "", nil, fieldErr(field, "give exactly one of jwks, jwks_file, jwks_url, pem_file, pem, secret, secret_file, secret_env (found %v)", names)
	}
	s := src[0]
	field += "." + s.kind
	readFile := func(name string) ([]byte, error) {
		if opts.ReadFile == nil {
			return nil, fieldErr(field, "files cannot be read here; inline the key")
		}
		b, err := opts.ReadFile(name)
		if err != nil {
			return nil, fieldErr(field, "%v", err)
		}
		return b, nil
	}
	switch s.kind {
	case "jwks":
		b, err := jwksJSON(&k.JWKS)
		if err != nil {
			return "", nil, fieldErr(field, "%v", err)
		}
		return "jwks", b, nil
	case "jwks_file":
		b, err := readFile(s.value)
		return "jwks", b, err
	case "jwks_url":
		return "jwks_url", []byte(s.value), nil
	case "pem_file":
		b, err := readFile(s.value)
		return "pem", b, err
	case "pem":
		return "pem", []byte(s.value), nil
	case "secret":
		return "secret", []byte(s.value), nil
	case "secret_file":
		b, err := readFile(s.value)
		// A trailing newline is an editor's, not part of the secret.
		return "secret", bytes.TrimRight(b, "\r\n"), err
	case "secret_env":
		if opts.LookupEnv == nil {
			return "", nil, fieldErr(field, "the environment cannot be read here; inline the secret")
		}
		v, ok := opts.LookupEnv(s.value)
		if !ok || v == "" {
			return "", nil, fieldErr(field, "environment variable %s is not set", s.value)
		}
		return "secret", []byte(v), nil
	}
	return "", nil, fieldErr(field, "unknown key source")
}

func (in *integration) addVerificationKeys(k *keyConfig, field string, opts LoadOptions) error {
	kind, data, err := k.material(field, opts)
	if err != nil {
		return err
	}
	field += "." + k.sources()[0].kind
	bind := func(material any, source string) error {
		algs, err := keys.BindSignature(material, k.Algorithm, in.algorithms)
		if err != nil {
			return fieldErr(field, "%v", err)
		}
		in.keys = append(in.keys, keys.VerificationKey{ID: k.KeyID, Material: material, Algorithms: algs, Source: source})
		return nil
	}
	switch kind {
	case "jwks_url":
		if !strings.HasPrefix(s(data), "https://") && !strings.HasPrefix(s(data), "http://") {
			return fieldErr(field, "want an http(s) URL, found %q", data)
		}
		if k.KeyID != "" || k.Algorithm != "" {
			return fieldErr(field, "kid and algorithm come from the published keys; remove them")
		}
		in.jwksURLs = append(in.jwksURLs, s(data))
		return nil
	case "jwks":
		if k.KeyID != "" {
			return fieldErr(field, "a JWKS names its own kids; remove kid")
		}
		set, err := keys.ParseJWKS(data)
		if err != nil {
			return fieldErr(field, "%v", err)
		}
		allowed := in.algorithms
		if k.Algorithm != "" {
			alg, ok := keys.ParseSignatureAlgorithm(k.Algorithm)
			if !ok {
				return fieldErr(field+".algorithm", "%q is not a supported signature algorithm", k.Algorithm)
			}
			allowed = []jose.SignatureAlgorithm{alg}
		}
		vks, _, err := keys.VerificationKeysFromJWKS(set, allowed, field, false)
		if err != nil {
			return fieldErr(field, "%v", err)
		}
		if len(vks) == 0 {
			return fieldErr(field, "no signing keys in the set")
		}
		in.keys = append(in.keys, vks...)
		return nil
	case "pem":
		list, err := keys.ParsePEM(data)
		if err != nil {
			return fieldErr(field, "%v", err)
		}
		for _, m := range list {
			if err := bind(m, field); err != nil {
				return err
			}
		}
		return nil
	case "secret":
		return bind(data, field)
	}
	return fieldErr(field, "unknown key source")
}

func s(b []byte) string { return string(b) }

func (in *integration) compileEncryption(c *integrationConfig, opts LoadOptions) error {
	e := c.Encryption
	if e.MaxPlaintextBytes != 0 {
		if e.MaxPlaintextBytes < 256 || e.MaxPlaintextBytes > MaxTokenBytesLimit {
			return fieldErr("encryption.max_plaintext_bytes", "want between 256 and %d, found %d", MaxTokenBytesLimit, e.MaxPlaintextBytes)
		}
		in.maxPlaintext = e.MaxPlaintextBytes
	}
	if e.MaxPBES2Count != 0 {
		if !e.AllowPBES2 {
			return fieldErr("encryption.max_pbes2_count", "set only together with allow_pbes2")
		}
		if e.MaxPBES2Count < 1000 || e.MaxPBES2Count > 1_000_000 {
			return fieldErr("encryption.max_pbes2_count", "want between 1000 and 1000000, found %d", e.MaxPBES2Count)
		}
		in.maxPBES2Count = e.MaxPBES2Count
	}
	allowedKeyAlgs := keys.KeyAlgorithms
	if e.AllowPBES2 {
		allowedKeyAlgs = append(allowedKeyAlgs[:len(allowedKeyAlgs):len(allowedKeyAlgs)], keys.PBES2Algorithms...)
	}
	if len(e.KeyAlgorithms) > 0 {
		var list []jose.KeyAlgorithm
		for i, name := range e.KeyAlgorithms {
			alg, ok := keys.ParseKeyAlgorithm(name)
			if !ok || (!e.AllowPBES2 && strings.HasPrefix(name, "PBES2")) {
				return fieldErr(fmt.Sprintf("encryption.key_algorithms[%d]", i), "%q is not an accepted key algorithm (PBES2 needs allow_pbes2; RSA1_5 is never accepted)", name)
			}
			list = append(list, alg)
		}
		allowedKeyAlgs = list
	}
	in.contentAlgorithms = keys.ContentEncryptions
	if len(e.ContentAlgorithms) > 0 {
		in.contentAlgorithms = nil
		for i, name := range e.ContentAlgorithms {
			enc, ok := keys.ParseContentEncryption(name)
			if !ok {
				return fieldErr(fmt.Sprintf("encryption.content_algorithms[%d]", i), "%q is not a supported content encryption", name)
			}
			in.contentAlgorithms = append(in.contentAlgorithms, enc)
		}
	}
	if len(c.DecryptionKeys) == 0 {
		if e.AllowUnsigned || e.AllowCompression || e.AllowPBES2 || len(e.KeyAlgorithms) > 0 {
			return fieldErr("encryption", "encryption settings without decryption_keys")
		}
		return nil
	}
	seen := map[jose.KeyAlgorithm]bool{}
	for i := range c.DecryptionKeys {
		k := &c.DecryptionKeys[i]
		field := fmt.Sprintf("decryption_keys[%d]", i)
		kind, data, err := k.material(field, opts)
		if err != nil {
			return err
		}
		field += "." + k.sources()[0].kind
		// Each key's algorithm: its JWK's own "alg" (RFC 7517 4.4), else
		// the policy's algorithm; both set, they must agree.
		var materials []any
		var kids, declared []string
		switch kind {
		case "secret":
			materials, kids, declared = []any{data}, []string{k.KeyID}, []string{k.Algorithm}
		case "pem":
			list, err := keys.ParsePrivatePEM(data)
			if err != nil {
				return fieldErr(field, "%v", err)
			}
			for _, m := range list {
				materials, kids, declared = append(materials, m), append(kids, k.KeyID), append(declared, k.Algorithm)
			}
		case "jwks":
			set, err := keys.ParseJWKS(data)
			if err != nil {
				return fieldErr(field, "%v", err)
			}
			for _, jwk := range set {
				if jwk.Use == "sig" {
					continue
				}
				alg := jwk.Algorithm
				if _, ok := keys.ParseContentEncryption(alg); ok {
					// A direct key names the content encryption it is for
					// (RFC 7520 5.6): its key management is dir.
					alg = string(jose.DIRECT)
				}
				switch {
				case alg == "":
					alg = k.Algorithm
				case k.Algorithm != "" && alg != k.Algorithm:
					return fieldErr(field, "key %q says alg %q, but the policy sets algorithm %q", jwk.KeyID, alg, k.Algorithm)
				}
				materials, kids, declared = append(materials, jwk.Key), append(kids, jwk.KeyID), append(declared, alg)
			}
			if len(materials) == 0 {
				return fieldErr(field, "no decryption keys in the set (keys with use \"sig\" are skipped)")
			}
		default:
			return fieldErr(field, "decryption keys cannot be fetched from a URL")
		}
		for j, m := range materials {
			algs, err := keys.BindDecryption(m, declared[j], allowedKeyAlgs)
			if err != nil {
				return fieldErr(field, "%v", err)
			}
			for _, a := range algs {
				seen[a] = true
			}
			in.decryption = append(in.decryption, keys.DecryptionKey{ID: kids[j], Material: m, Algorithms: algs, Source: field})
		}
	}
	if e.AllowUnsigned {
		for _, k := range in.decryption {
			if _, secret := k.Material.([]byte); !secret {
				// Only a shared secret makes encryption authenticate the
				// sender: anyone holding a public encryption key could mint
				// encrypted-only claims.
				return fieldErr("encryption.allow_unsigned", "%s is a public-key decryption key; unsigned claims can be allowed only with shared-secret decryption keys", k.Source)
			}
		}
	}
	for _, a := range allowedKeyAlgs {
		if seen[a] {
			in.keyAlgorithms = append(in.keyAlgorithms, a)
		}
	}
	return nil
}

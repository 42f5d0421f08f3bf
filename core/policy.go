package core

import (
	"bytes"
	"errors"
	"fmt"
	"time"

	"github.com/jwtgate/jwtgate/core/internal/keys"
	"github.com/jwtgate/jwtgate/internal/yamlconfig"
	yaml "github.com/jwtgate/jwtgate/internal/yamlconfig/yamlnode"
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
	// MaxPolicyBytes bounds a policy document (hosts bound the files it
	// names alike).
	MaxPolicyBytes = 8 << 20
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
	// PublicKeysOnly refuses shared secrets (secret*, oct JWKs) and
	// decryption keys: for a policy shipped to a browser, where every key
	// is public, so a secret would let anyone who loads the page mint
	// tokens. (A fetched key set's shared secrets are never used.)
	PublicKeysOnly bool
	// Discovery accepts {discovery: true} key entries: the host resolves
	// Policy.Discoveries through its KeySource, as jwks.Fetcher does.
	// Without it they are refused, so that a host that cannot fetch the
	// document refuses the policy at load rather than every token.
	Discovery bool

	// parsePEM reads pem: keys. ParsePolicy sets it; ParseBundle, whose
	// builds link no crypto/x509, does not, and refuses them.
	parsePEM func([]byte) ([]any, error)
}

// publicOnlyReason is why PublicKeysOnly refuses a shared secret.
const publicOnlyReason = "a shared secret cannot be kept in a public-key-only policy (one shipped to a browser): anyone who loads it can read the secret and mint tokens; use a public key (RS256, PS256, ES256, EdDSA)"

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

// The file format. Field names are part of jwtgate's stable interface; the
// want and item tags word the messages of values of the wrong kind.
type policyFile struct {
	Integrations []yaml.Node `yaml:"integrations" want:"a list of integrations"`
	// Service holds the settings of jwtgate serve (listen address, store,
	// routes, remote validation, sessions). The core ignores it; keeping it
	// in the one file keeps a deployment's configuration together.
	Service yaml.Node `yaml:"service"`
	// Bundle marks a document BuildBundle wrote: its format and content
	// hash, checked at load (bundle.go).
	Bundle yaml.Node `yaml:"bundle"`
}

type integrationConfig struct {
	Name               string               `yaml:"name"`
	Tenant             string               `yaml:"tenant"`
	Issuer             string               `yaml:"issuer"`
	Audiences          []string             `yaml:"audiences" want:"a list of audiences" item:"an audience"`
	Algorithms         []string             `yaml:"algorithms" want:"a list of algorithm names" item:"an algorithm name"`
	Types              []string             `yaml:"types" want:"a list of JWT types" item:"a type such as at+jwt"`
	Keys               []keyConfig          `yaml:"keys" want:"a list of keys" item:"a key such as {jwks_url: URL}"`
	DecryptionKeys     []keyConfig          `yaml:"decryption_keys" want:"a list of keys" item:"a key such as {pem_file: FILE}"`
	Encryption         encryptionConfig     `yaml:"encryption"`
	RequiredClaims     []requiredClaim      `yaml:"required_claims" want:"a list of claim names" item:"a claim name or {name: NAME, type: TYPE}"`
	ClockSkew          *yamlconfig.Duration `yaml:"clock_skew"`
	MaxAge             *yamlconfig.Duration `yaml:"max_age"`
	OneTimeUse         bool                 `yaml:"one_time_use"`
	MaxTokenBytes      int                  `yaml:"max_token_bytes"`
	MaxHeaderValue     int                  `yaml:"max_header_value_bytes"`
	SubjectClaim       string               `yaml:"subject_claim" want:"a claim name"`
	GroupsClaim        string               `yaml:"groups_claim" want:"a claim name"`
	RolesClaim         string               `yaml:"roles_claim" want:"a claim name"`
	PermissionsClaim   string               `yaml:"permissions_claim" want:"a claim name"`
	Redirect           *redirectConfig      `yaml:"redirect"`
	Headers            map[string]string    `yaml:"headers" want:"a mapping of header names to claim names" item:"a claim name"`
	RequirePermissions []string             `yaml:"require_permissions" want:"a list of permissions" item:"a permission such as reports:read"`
	RequireRoles       *Membership          `yaml:"require_roles" want:"{any: [...], all: [...]}"`
	RequireGroups      *Membership          `yaml:"require_groups" want:"{any: [...], all: [...]}"`
}

type keyConfig struct {
	// JWKS is an inline set: a mapping, or a string holding JSON.
	JWKS       any    `yaml:"jwks"`
	JWKSFile   string `yaml:"jwks_file" want:"a file name"`
	JWKSURL    string `yaml:"jwks_url" want:"a URL"`
	PEMFile    string `yaml:"pem_file" want:"a file name"`
	PEM        string `yaml:"pem"`
	Secret     string `yaml:"secret"`
	SecretFile string `yaml:"secret_file" want:"a file name"`
	SecretEnv  string `yaml:"secret_env" want:"an environment variable name"`
	// KeyID sets the "kid" of a PEM or secret key.
	KeyID string `yaml:"kid"`
	// Discovery reads the keys from the issuer's OpenID Connect discovery
	// document (policy_discovery.go); JWKSHosts are the other hosts its
	// jwks_uri may name.
	Discovery bool     `yaml:"discovery"`
	JWKSHosts []string `yaml:"jwks_hosts" want:"a list of hosts" item:"a host such as keys.example.com"`
	// Algorithm narrows the key to one algorithm.
	Algorithm string `yaml:"algorithm" want:"an algorithm name"`
}

type encryptionConfig struct {
	KeyAlgorithms     []string `yaml:"key_algorithms" want:"a list of key algorithm names" item:"a key algorithm name"`
	ContentAlgorithms []string `yaml:"content_algorithms" want:"a list of content encryption names" item:"a content encryption name"`
	AllowUnsigned     bool     `yaml:"allow_unsigned"`
	AllowCompression  bool     `yaml:"allow_compression"`
	MaxPlaintextBytes int      `yaml:"max_plaintext_bytes"`
	AllowPBES2        bool     `yaml:"allow_pbes2"`
	MaxPBES2Count     int      `yaml:"max_pbes2_count"`
}

type redirectConfig struct {
	Claim          string   `yaml:"claim" want:"a claim name"`
	Param          string   `yaml:"param" want:"a parameter name"`
	AllowedDomains []string `yaml:"allowed_domains" want:"a list of domains" item:"a domain such as app.example.com"`
	Default        string   `yaml:"default" want:"a path or a URL"`
	AllowHTTP      bool     `yaml:"allow_http"`
}

// requiredClaim is a claim name, optionally with a JSON type: either a plain
// string, or {name: …, type: …}.
type requiredClaim struct {
	Name string `yaml:"name" want:"a claim name"`
	Type string `yaml:"type" want:"a type name"`
}

// SetScalar implements yamlconfig.ScalarForm: "email" is {name: email}.
func (r *requiredClaim) SetScalar(n *yaml.Node) error {
	r.Name = n.Value
	return nil
}

// claimTypes are the JSON types a required claim may demand.
var claimTypes = map[string]bool{
	"string": true, "number": true, "integer": true, "boolean": true,
	"array": true, "object": true, "string_array": true,
}

// ParsePolicy parses and validates a policy document, YAML or JSON. file is
// used only in error messages. Everything a verifier needs is checked here,
// so that a policy that loads never fails at verification time for its own
// reasons. A refused policy's error is PolicyErrors: every problem found,
// in file order, each a *PolicyError at the line of the field at fault.
func ParsePolicy(file string, data []byte, opts LoadOptions) (*Policy, error) {
	opts.parsePEM = keys.ParsePEM
	return parsePolicy(file, data, opts, yamlconfig.ParseDocument)
}

// ParseBundle parses and validates a policy written in JSON, as
// ParsePolicy does: a bundle that jwtgate policy build wrote (its hash is
// checked), or the same JSON by hand. It reads JSON only, strictly (RFC
// 8259), and links no YAML parser and no crypto/x509: it is the loader of
// the builds that must stay small (the browser module). Keys are JWKs, as
// in a bundle: a pem key is refused. A policy both read gives the same
// Policy and the same errors.
func ParseBundle(file string, data []byte, opts LoadOptions) (*Policy, error) {
	return parsePolicy(file, data, opts, parseJSON)
}

// parseJSON is yamlconfig.ParseJSON, saying what to do with a YAML policy.
func parseJSON(data []byte) (*yaml.Node, error) {
	n, err := yamlconfig.ParseJSON(data)
	var sp *yamlconfig.Problem
	if t := bytes.TrimLeft(data, " \t\r\n"); len(t) > 0 && t[0] != '{' && errors.As(err, &sp) {
		sp.Reason += " (this loader reads JSON policies only; jwtgate policy build writes one from YAML)"
	}
	return n, err
}

func parsePolicy(file string, data []byte, opts LoadOptions, parse func([]byte) (*yaml.Node, error)) (*Policy, error) {
	if len(data) > MaxPolicyBytes {
		return nil, PolicyErrors{{File: file, Reason: fmt.Sprintf("policy is %d bytes, the limit is %d", len(data), MaxPolicyBytes)}}
	}
	root, err := parse(data)
	if err != nil {
		return nil, PolicyErrors{syntaxError(file, err)}
	}
	top := &problems{file: file}
	var pf policyFile
	top.lines, err = yamlconfig.Decoder{Want: "a mapping with a list of integrations"}.Decode(root, &pf)
	top.addDecoded(err)
	if pf.Bundle.Kind != 0 {
		if err := checkBundle(root); err != nil {
			top.add("bundle", "%v", err)
		}
	}
	if len(pf.Integrations) == 0 && len(top.list) == 0 {
		top.add("integrations", "no integrations")
	}
	var all []keyed
	for _, pe := range top.list {
		all = append(all, keyed{pe.Line, pe})
	}
	p := &Policy{byIssuer: map[string]*integration{}, byName: map[string]*integration{}}
	ids := newIdentities()
	for i := range pf.Integrations {
		cfg, in, ip := parseIntegration(file, &pf.Integrations[i], opts)
		name := nameOr(cfg.Name, i)
		// Duplicates among the names and issuers that are themselves valid.
		url := ""
		if in != nil && in.discovery != nil {
			url = in.discovery.URL
		}
		for _, c := range ids.claim(name, cfg.Name, cfg.Issuer, url, !ip.failed("name"), !ip.failed("issuer")) {
			ip.add(c.field, "%s", c.reason)
		}
		for _, pe := range ip.list {
			pe.Integration = name
			all = append(all, keyed{ip.lines.Line(""), pe})
		}
		if len(ip.list) > 0 || len(all) > 0 {
			continue
		}
		p.add(in)
	}
	if len(all) > 0 {
		return nil, sortedProblems(file, all)
	}
	return p, nil
}

// syntaxError is the *PolicyError of a document that is not one YAML
// document.
func syntaxError(file string, err error) *PolicyError {
	if errors.Is(err, yamlconfig.ErrSeveralDocuments) {
		return &PolicyError{File: file, Reason: "the policy must be a single YAML document"}
	}
	var sp *yamlconfig.Problem
	if errors.As(err, &sp) {
		return &PolicyError{File: file, Line: sp.Line, Column: sp.Column, Reason: sp.Reason}
	}
	return &PolicyError{File: file, Reason: err.Error()}
}

// parseIntegration decodes and compiles one integration; in is nil when
// it has problems.
func parseIntegration(file string, node *yaml.Node, opts LoadOptions) (*integrationConfig, *integration, *problems) {
	ip := &problems{file: file}
	var cfg integrationConfig
	var err error
	ip.lines, err = yamlconfig.Decoder{
		Where: "in an integration",
		Want:  "an integration (a mapping with name, issuer, algorithms and keys)",
	}.Decode(node, &cfg)
	ip.addDecoded(err)
	in := compileIntegration(&cfg, opts, ip)
	return &cfg, in, ip
}

func nameOr(name string, i int) string {
	if name == "" {
		return fmt.Sprintf("#%d", i+1)
	}
	return name
}

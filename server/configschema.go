package server

import (
	"time"

	"github.com/jwtgate/jwtgate/edge"
	"github.com/jwtgate/jwtgate/internal/yamlconfig"
)

// Defaults and bounds of the service section.
const (
	defaultCookieName     = "jwtgate_session"
	defaultSessionTTL     = 8 * time.Hour
	defaultAccessTokenTTL = 15 * time.Minute
	defaultSigningAlg     = "ES256"
	defaultRotateEvery    = 30 * 24 * time.Hour
	defaultRemoteTimeout  = 5 * time.Second
	maxRemoteTimeout      = time.Minute
	maxTokenTTL           = 30 * 24 * time.Hour
)

// serviceConfig is the service section. Field names are part of jwtgate's
// stable interface (see docs/configuration.md).
type serviceConfig struct {
	Store          string `yaml:"store"`
	PublicURL      string `yaml:"public_url"`
	AdminTokenEnv  string `yaml:"admin_token_env"`
	AdminTokenFile string `yaml:"admin_token_file"`
	SecretsKeyFile string `yaml:"secrets_key_file"`
	// PreviousSecretsKeyFiles open documents sealed before a rotation.
	PreviousSecretsKeyFiles []string                       `yaml:"previous_secrets_key_files"`
	Session                 sessionConfig                  `yaml:"session"`
	AccessTokenTTL          *yamlconfig.Duration           `yaml:"access_token_ttl"`
	Signing                 signingConfig                  `yaml:"signing"`
	Integrations            map[string]integrationSettings `yaml:"integrations"`
	Routes                  []edge.RouteConfig             `yaml:"routes"`
	ForwardAuth             forwardAuthConfig              `yaml:"forward_auth"`
	DecisionCache           decisionCacheConfig            `yaml:"decision_cache"`
	TLS                     *tlsConfig                     `yaml:"tls"`
	Tracing                 tracingConfig                  `yaml:"tracing"`
	Egress                  egressConfig                   `yaml:"egress"`
}

// egressConfig bounds the calls of integrations stored through the admin
// API (egress.go).
type egressConfig struct {
	// AllowPrivate lets them reach loopback, private and link-local
	// addresses, as the file's own integrations may.
	AllowPrivate bool `yaml:"allow_private"`
}

// forwardAuthConfig is how /v1/authz reads the request it is asked about.
type forwardAuthConfig struct {
	// Source is the proxy in front: nginx, traefik or envoy; or else
	// MethodHeader and URIHeader name the headers. Neither: any source,
	// every copy present agreeing.
	Source       string `yaml:"source"`
	MethodHeader string `yaml:"method_header"`
	URIHeader    string `yaml:"uri_header"`
	// UnicodePaths admits non-ASCII paths (see edge.PathOptions).
	UnicodePaths bool `yaml:"unicode_paths"`
}

type sessionConfig struct {
	Cookie   string               `yaml:"cookie"`
	TTL      *yamlconfig.Duration `yaml:"ttl"`
	Secure   string               `yaml:"secure"`
	SameSite string               `yaml:"same_site"`
	Domain   string               `yaml:"domain"`
}

type signingConfig struct {
	Algorithm   string               `yaml:"algorithm"`
	RotateEvery *yamlconfig.Duration `yaml:"rotate_every"`
}

type integrationSettings struct {
	RemoteValidation *remoteValidationConfig `yaml:"remote_validation"`
	GroupResolver    *groupResolverConfig    `yaml:"group_resolver"`
	LDAP             *ldapConfig             `yaml:"ldap"`
	SystemTokenFile  string                  `yaml:"system_token_file"`
	DefaultRedirect  string                  `yaml:"default_redirect"`
	ErrorRedirect    string                  `yaml:"error_redirect"`
	AllowedOrigins   []string                `yaml:"allowed_origins"`

	// SyncedClaims are the token's list claims kept on the subject by
	// Acadio's rule; OnboardingRedirect is where a sign-in that creates
	// the subject goes when its token says onboard: true.
	SyncedClaims       []string `yaml:"synced_claims"`
	OnboardingRedirect string   `yaml:"onboarding_redirect"`

	// Session is the integration's own session lifetime, idle timeout and
	// SameSite, within service.session's.
	Session *integrationSessionConfig `yaml:"session"`
}

type remoteValidationConfig struct {
	URL          string               `yaml:"url"`
	SubjectField string               `yaml:"subject_field"`
	Timeout      *yamlconfig.Duration `yaml:"timeout"`
}

type groupResolverConfig struct {
	URL     string               `yaml:"url"`
	Timeout *yamlconfig.Duration `yaml:"timeout"`
}

// ldapConfig is an integration's LDAP / Active Directory group resolver
// (see ldapgroups.Config). The bind password comes from a file or the
// environment, never from this file.
type ldapConfig struct {
	URL              string               `yaml:"url"`
	StartTLS         bool                 `yaml:"start_tls"`
	CAFile           string               `yaml:"ca_file"`
	BindDN           string               `yaml:"bind_dn"`
	BindPasswordFile string               `yaml:"bind_password_file"`
	BindPasswordEnv  string               `yaml:"bind_password_env"`
	BaseDN           string               `yaml:"base_dn"`
	UserFilter       string               `yaml:"user_filter"`
	GroupAttribute   string               `yaml:"group_attribute"`
	GroupSearch      *ldapGroupSearch     `yaml:"group_search"`
	GroupNames       string               `yaml:"group_names"` // name (default) or dn
	Nested           bool                 `yaml:"nested"`
	Timeout          *yamlconfig.Duration `yaml:"timeout"`
	Cache            ldapCacheConfig      `yaml:"cache"`
}

type ldapGroupSearch struct {
	BaseDN string `yaml:"base_dn"`
	Filter string `yaml:"filter"`
}

type ldapCacheConfig struct {
	TTL        *yamlconfig.Duration `yaml:"ttl"` // 0s: no cache
	MaxEntries int                  `yaml:"max_entries"`
}

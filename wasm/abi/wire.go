package abi

// LoadSummary is the result of a jwtgate_load that returned StatusOK.
type LoadSummary struct {
	// ABI is the version the module implements (Version).
	ABI int `json:"abi"`
	// Integrations are the names of the policy's integrations, in order.
	Integrations []string `json:"integrations"`
	// MaxTokenBytes is the policy's token size limit (the largest
	// max_token_bytes of its integrations); the host refuses larger
	// tokens without copying them in. Always positive.
	MaxTokenBytes int `json:"max_token_bytes"`
	// OneTimeUse reports that some integration uses the replay store.
	OneTimeUse bool `json:"one_time_use"`
	// JWKSURLs are the policy's jwks_url key sets, which the guest will ask
	// for through keyset_get.
	JWKSURLs []string `json:"jwks_urls,omitempty"`
}

// PolicyError is the result of a jwtgate_load that returned
// StatusPolicyError: the first problem of core.PolicyErrors, and in More
// the others (a host that reads only the first still works).
type PolicyError struct {
	File        string        `json:"file"`
	Integration string        `json:"integration,omitempty"`
	Field       string        `json:"field,omitempty"`
	Line        int           `json:"line,omitempty"`
	Column      int           `json:"column,omitempty"`
	Reason      string        `json:"reason"`
	More        []PolicyError `json:"more,omitempty"`
}

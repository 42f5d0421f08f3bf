package main

import (
	"github.com/jwtgate/jwtgate/cmd/jwtgate/internal/keyfetch"
	"github.com/jwtgate/jwtgate/core"
	"github.com/jwtgate/jwtgate/policyfile"
)

// loadPolicy reads and parses the policy file at path as a library user's
// policyfile.Load does: key files named in it (jwks_file, pem_file,
// secret_file) relative to the policy file's folder unless absolute, each
// a bounded regular file; secret_env reads the process environment. A
// policy the core refuses comes back as core.PolicyErrors, every problem
// naming the file, the line, the integration and the field.
func loadPolicy(path string) (*core.Policy, error) {
	return policyfile.Load(path)
}

// parsePolicy parses the bytes of the policy file at path, as loadPolicy.
func parsePolicy(path string, data []byte) (*core.Policy, error) {
	return policyfile.Parse(path, data)
}

// newVerifier loads the policy at path and returns a verifier with an
// in-memory replay store and an HTTP key source (keyfetch: timeout, size
// limit, Cache-Control caching) for its jwks_url entries.
func newVerifier(path string) (*core.Verifier, error) {
	p, err := loadPolicy(path)
	if err != nil {
		return nil, err
	}
	cfg := core.Config{Replay: core.NewMemoryReplayStore(0)}
	if urls := p.JWKSURLs(); len(urls) > 0 {
		cfg.Keys = keyfetch.New(keyfetch.Options{URLs: urls})
	}
	return core.NewVerifier(p, cfg)
}

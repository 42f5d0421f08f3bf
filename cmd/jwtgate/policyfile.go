package main

import (
	"fmt"

	"github.com/jwtgate/jwtgate/core"
	"github.com/jwtgate/jwtgate/jwks"
	"github.com/jwtgate/jwtgate/policyfile"
)

// loadPolicy reads and parses the policy file at path as a library user's
// policyfile.Load does: key files named in it (jwks_file, pem_file,
// secret_file) relative to the policy file's folder unless absolute, each
// a bounded regular file; secret_env reads the process environment. A
// policy the core refuses comes back as core.PolicyErrors, every problem
// naming the file, the line, the integration and the field.
func loadPolicy(path string) (*core.Policy, error) {
	_, p, err := readPolicy(path)
	return p, err
}

// readPolicy is loadPolicy that also returns the file's bytes (for the
// wasm engine, which gets the policy document itself).
func readPolicy(path string) ([]byte, *core.Policy, error) {
	data, err := policyfile.ReadFile(path, policyfile.MaxFileBytes)
	if err != nil {
		return nil, nil, fmt.Errorf("read policy: %w", err)
	}
	p, err := parsePolicy(path, data)
	return data, p, err
}

// parsePolicy parses the bytes of the policy file at path, as loadPolicy.
func parsePolicy(path string, data []byte) (*core.Policy, error) {
	return policyfile.Parse(path, data)
}

// newVerifier loads the policy at path and returns its verifier (see
// newVerifierOf).
func newVerifier(path string) (*core.Verifier, error) {
	p, err := loadPolicy(path)
	if err != nil {
		return nil, err
	}
	return newVerifierOf(p)
}

// newVerifierOf returns a verifier of p with an in-memory replay store and
// an HTTP key source (package jwks: timeout, size limit, Cache-Control
// caching) for its jwks_url entries.
func newVerifierOf(p *core.Policy) (*core.Verifier, error) {
	return core.NewVerifier(p, configOf(p))
}

// configOf is what a command's engine gets from its host, natively or in
// the plugin: an in-memory replay store and, for jwks_url and discovery
// keys, a fetcher of the policy's URLs and issuers' documents only.
func configOf(p *core.Policy) core.Config {
	cfg := core.Config{Replay: core.NewMemoryReplayStore(0)}
	if urls, docs := p.JWKSURLs(), p.Discoveries(); len(urls) > 0 || len(docs) > 0 {
		cfg.Keys = jwks.New(jwks.Options{URLs: urls, Discoveries: docs})
	}
	return cfg
}

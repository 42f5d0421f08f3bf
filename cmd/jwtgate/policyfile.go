package main

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/jwtgate/jwtgate/cmd/jwtgate/internal/keyfetch"
	"github.com/jwtgate/jwtgate/core"
)

// loadPolicy reads and parses the policy file at path. Key files named in it
// (jwks_file, pem_file, secret_file) are read relative to the policy file's
// folder unless absolute; secret_env reads the process environment. A policy
// the core refuses comes back as a *core.PolicyError naming the file, the
// integration and the field.
func loadPolicy(path string) (*core.Policy, error) {
	_, p, err := readPolicy(path)
	return p, err
}

// readPolicy is loadPolicy that also returns the file's bytes.
func readPolicy(path string) ([]byte, *core.Policy, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, fmt.Errorf("read policy: %w", err)
	}
	p, err := parsePolicy(path, data)
	return data, p, err
}

// parsePolicy parses the bytes of the policy file at path, as loadPolicy.
func parsePolicy(path string, data []byte) (*core.Policy, error) {
	dir := filepath.Dir(path)
	return core.ParsePolicy(path, data, core.LoadOptions{
		ReadFile: func(name string) ([]byte, error) {
			if !filepath.IsAbs(name) {
				name = filepath.Join(dir, name)
			}
			return os.ReadFile(name)
		},
		LookupEnv: os.LookupEnv,
	})
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
// an HTTP key source (keyfetch: timeout, size limit, Cache-Control
// caching) for its jwks_url entries.
func newVerifierOf(p *core.Policy) (*core.Verifier, error) {
	cfg := core.Config{Replay: core.NewMemoryReplayStore(0)}
	if urls := p.JWKSURLs(); len(urls) > 0 {
		cfg.Keys = keyfetch.New(keyfetch.Options{URLs: urls})
	}
	return core.NewVerifier(p, cfg)
}

package server

import (
	"fmt"

	"go.yaml.in/yaml/v3"

	"github.com/jwtgate/jwtgate/core"
)

// Check loads the configuration file as New does, without opening the
// store, the signing keys or a listener, and returns every problem it
// finds, one error a problem: the policy's (each a *core.PolicyError),
// then the service section's (configuration errors, matched by
// ErrConfig). The service section is checked even when the policy is
// refused. A file that cannot be read is one problem. nil: New would
// load it.
func Check(file string) []error {
	data, policy, err := readConfig(file)
	if data == nil {
		return []error{err}
	}
	var problems []error
	if err != nil {
		problems = append(problems, unjoin(err)...) // core.PolicyErrors: one a problem
		var doc yaml.Node
		if yaml.Unmarshal(data, &doc) != nil {
			return problems // a syntax error, which the policy's loader reported
		}
		// The service section on its own: no integration's limits or
		// key URLs, which only the policy gives.
		policy = &core.Policy{}
	}
	if _, err := parseService(file, data, policy, fileReader(file), lookupEnv); err != nil {
		problems = append(problems, unjoin(err)...)
	}
	return problems
}

// issuerClash refuses a public URL that is also an integration's issuer:
// jwtgate's own tokens would be taken for that integration's.
func issuerClash(file, publicURL string, c *config) *configError {
	if in := c.byIssuer[publicURL]; in != nil {
		return &configError{file: file, field: "service.public_url", reason: fmt.Sprintf(
			"%s is the issuer of jwtgate's own tokens and cannot also be integration %q's issuer", publicURL, in.name)}
	}
	return nil
}

// unjoin returns the errors an errors.Join holds, or err alone.
func unjoin(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		return j.Unwrap()
	}
	return []error{err}
}

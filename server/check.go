package server

import (
	"go.yaml.in/yaml/v3"
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
		// The service section on its own: without the integrations, their
		// limits and their key URLs, which only the policy gives.
		policy = nil
	}
	if _, err := parseService(file, data, policy, fileReader(file), lookupEnv); err != nil {
		problems = append(problems, unjoin(err)...)
	}
	return problems
}

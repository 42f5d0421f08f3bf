package main

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// The filter cannot fetch an issuer's discovery document (its only
// network is the proxy's clusters, named per jwks_url): a policy with a
// discovery entry is refused at load, saying what to write instead.
func TestConfigRefusesDiscovery(t *testing.T) {
	doc := `integrations: [{name: a, issuer: "https://a.example", algorithms: [RS256], keys: [{discovery: true}]}]`
	_, err := parseConfig([]byte("policy: " + quote(doc)))
	require.ErrorContains(t, err, "keys[0].discovery: this host cannot fetch an issuer's discovery document; give its jwks_uri as jwks_url")
}

package server

import (
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/jwtgate/jwtgate/core"
)

// The service section's problems are reported as the policy's are: at the
// line of the field at fault, one line number, unknown fields with the
// nearest valid name, every decoding problem at once.
func TestServiceConfigErrors(t *testing.T) {
	policy := "integrations:\n  - name: okto\n    issuer: " + oktoIssuer + "\n    algorithms: [HS256]\n    keys: [{secret: " + oktoSecret + "}]\n"
	p, err := core.ParsePolicy("jwtgate.yaml", []byte(policy), core.LoadOptions{})
	require.NoError(t, err)
	parse := func(service string) error {
		_, err := parseService("jwtgate.yaml", []byte(policy+service), p, fileReader("jwtgate.yaml"), lookupEnv)
		require.Error(t, err)
		require.ErrorIs(t, err, ErrConfig)
		return err
	}

	err = parse("service:\n  public_url: https://auth.example.com\n  session:\n    tll: 8h\n  acess_token_ttl: 15m\n  routes: {prefix: /admin}\n")
	require.Equal(t, []string{
		"jwtgate.yaml:9: field service.session.tll: unknown field in service.session; did you mean ttl?",
		"jwtgate.yaml:10: field service.acess_token_ttl: unknown field in service; did you mean access_token_ttl?",
		"jwtgate.yaml:11: field service.routes: want a list, found a mapping",
	}, strings.Split(err.Error(), "\n"))
	var ce *configError
	require.True(t, errors.As(err, &ce))
	require.Equal(t, 9, ce.line, "the first problem")

	// A value refused after decoding is at its own line too.
	err = parse("service:\n  public_url: https://auth.example.com\n  session:\n    ttl: 8h\n    secure: maybe\n")
	require.EqualError(t, err, `jwtgate.yaml:10: field service.session.secure: want auto, true or false, found "maybe"`)

	// Routes (edge.RouteConfig, shared with the proxy filter) too: a
	// misspelt requirement is refused at its line, never dropped, and a
	// route refused after decoding is at its field's line.
	err = parse("service:\n  routes:\n    - prefix: /admin\n      require_role: {any: [admin]}\n    - methods: [GET]\n      prefix: reports\n")
	require.Equal(t, []string{
		"jwtgate.yaml:9: field service.routes[0].require_role: unknown field in a route; did you mean require_roles?",
		`jwtgate.yaml:11: field service.routes[1].prefix: want a path starting with /, found "reports"`,
	}, strings.Split(err.Error(), "\n"))
}

package server

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/jwtgate/jwtgate/core"
)

// checkPolicy is a policy that loads, for the service sections below.
const checkPolicy = `integrations:
  - name: a
    issuer: https://a.example
    algorithms: [HS256]
    keys: [{secret: ` + oktoSecret + `}]
`

// problems returns the lines of every problem Check reports for data.
func problems(t *testing.T, data string) []string {
	t.Helper()
	file := filepath.Join(t.TempDir(), "jwtgate.yaml")
	require.NoError(t, os.WriteFile(file, []byte(data), 0o600))
	var lines []string
	for _, err := range Check(file) {
		lines = append(lines, strings.Split(err.Error(), "\n")...)
	}
	return lines
}

// TestParseServiceEveryProblem: a service section is refused with every
// problem found, each a configuration error naming its field, not only
// the first.
func TestParseServiceEveryProblem(t *testing.T) {
	data := checkPolicy + `service:
  public_url: notaurl
  store: mysql://u:s3cret@db/jwtgate
  session: {secure: sometimes, ttl: 1s}
  signing: {algorithm: HS256}
  integrations:
    nosuch: {default_redirect: /home}
    a: {remote_validation: {url: ftp://x}, allowed_origins: ["not an origin"]}
`
	file := filepath.Join(t.TempDir(), "jwtgate.yaml")
	require.NoError(t, os.WriteFile(file, []byte(data), 0o600))
	policy, err := parsePolicy(file, []byte(data))
	require.NoError(t, err)
	_, err = parseService(file, []byte(data), policy, fileReader(file), lookupEnv)
	require.Error(t, err)
	assert.ErrorIs(t, err, ErrConfig)
	msg := err.Error()
	for _, field := range []string{
		"service.public_url", "service.store", "service.session.secure", "service.session.ttl",
		"service.signing.algorithm", "service.integrations.nosuch", "service.integrations.a.remote_validation.url",
		"service.integrations.a.allowed_origins[0]",
	} {
		assert.Contains(t, msg, "field "+field+":", "every problem is named")
	}
	assert.Contains(t, msg, `unsupported DSN scheme "mysql"`)
	assert.NotContains(t, msg, "s3cret")
	assert.Len(t, strings.Split(msg, "\n"), 8, "one line per problem: %s", msg)
}

// TestCheck: Check loads a file as New does, without a store or a
// listener: nothing for a good file; the policy's problems and the service
// section's together for a bad one; a store DSN of the wrong form; a
// public URL that is also an integration's issuer.
func TestCheck(t *testing.T) {
	assert.Empty(t, problems(t, checkPolicy+"service:\n  store: postgres://u:s3cret@127.0.0.1:1/db\n"), "the store is not opened")

	got := problems(t, `integrations:
  - name: a
    issuer: https://a.example
    algorithms: [XX999]
    keys: [{secret: `+oktoSecret+`}]
service:
  sesion: {}
`)
	require.Len(t, got, 2, "%q", got)
	assert.Contains(t, got[0], `integration "a"`)
	assert.Contains(t, got[0], "XX999")
	assert.Contains(t, got[1], "sesion", "the service section is checked though the policy failed")

	// The policy refused, the service section is checked without its
	// integrations: referring to one is no problem of its own.
	got = problems(t, `integrations:
  - name: a
    issuer: https://a.example
    algorithms: [XX999]
    keys: [{secret: `+oktoSecret+`}]
service:
  integrations:
    a: {default_redirect: "not a path"}
`)
	require.Len(t, got, 2, "%q", got)
	assert.Contains(t, got[0], "XX999")
	assert.Contains(t, got[1], "field service.integrations.a.default_redirect")

	got = problems(t, checkPolicy+"service:\n  store: postgres://u:s3cret@h:99999/db\n  public_url: https://a.example\n")
	require.Len(t, got, 2, "%q", got)
	assert.Contains(t, got[0], "field service.store: store: postgres: invalid DSN: port 99999")
	assert.NotContains(t, strings.Join(got, "\n"), "s3cret")
	assert.Contains(t, got[1], `is the issuer of jwtgate's own tokens and cannot also be integration "a"'s issuer`)

	got = problems(t, checkPolicy+"service:\n  sesion: {}\n  public_url: notaurl\n")
	require.Len(t, got, 2, "a field that does not decode does not hide the others' problems: %q", got)
	assert.Contains(t, got[0], "sesion")
	assert.Contains(t, got[1], "field service.public_url")

	got = problems(t, "")
	require.NotEmpty(t, got)
	got = problems(t, "integrations: [\n")
	require.Len(t, got, 1, "%q", got)

	missing := Check(filepath.Join(t.TempDir(), "missing.yaml"))
	require.Len(t, missing, 1)
	assert.ErrorIs(t, missing[0], ErrConfig)
	var pe *core.PolicyError
	errs := Check(writeTemp(t, "integrations: [{name: a}]\n"))
	require.NotEmpty(t, errs)
	assert.True(t, errors.As(errs[0], &pe), "%v", errs[0])
}

func writeTemp(t *testing.T, data string) string {
	t.Helper()
	file := filepath.Join(t.TempDir(), "jwtgate.yaml")
	require.NoError(t, os.WriteFile(file, []byte(data), 0o600))
	return file
}

// TestReloadAcceptedAfterRefusal: the watcher refuses a broken file; when
// the file comes back to the configuration serving, that is said
// ("configuration accepted"), and breaking it the same way again is
// refused and logged again.
func TestReloadAcceptedAfterRefusal(t *testing.T) {
	e := newEnv(t, envOptions{})
	good := e.testConfig("")
	check := runWatched(t, e)
	count := func(s string) int { return strings.Count(e.logs.String(), s) }
	accepted := count("configuration accepted")
	assert.Equal(t, 1, accepted, "New says it: %s", e.logs.String())

	for round := 1; round <= 2; round++ {
		refused := count("configuration refused")
		e.write(good + "  bogus_field: 1\n")
		check()
		require.Equal(t, refused+1, count("configuration refused"), "round %d", round)
		e.write(good)
		check()
		require.Equal(t, accepted+1, count("configuration accepted"),
			"round %d: the good file is said to be accepted: %s", round, e.logs.String())
		accepted = count("configuration accepted")
	}
	check()
	check()
	assert.Equal(t, accepted, count("configuration accepted"), "said once, not at every check")
	assert.Equal(t, 2, count("configuration refused"))
}

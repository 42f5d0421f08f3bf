package server

import (
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/jwtgate/jwtgate/core"
	"github.com/jwtgate/jwtgate/internal/slapdtest"
)

// ldapEnv is the seeds' world with Okera's groups in a real slapd (over
// StartTLS, the bind password in a file), before its group resolver
// endpoint.
func ldapEnv(t *testing.T) (*env, *slapdtest.Server) {
	dir := slapdtest.Start(t)
	e := newEnv(t, envOptions{noStart: true})
	require.NoError(t, os.WriteFile(filepath.Join(e.dir, "ldap.password"), []byte(slapdtest.BindPassword+"\n"), 0o600))
	endpoint := "      group_resolver: {url: " + e.groups.URL + "/groups, timeout: 2s}\n"
	cfg := e.testConfig("")
	require.Contains(t, cfg, endpoint)
	e.write(strings.Replace(cfg, endpoint, endpoint+`      ldap:
        url: `+dir.URL+`
        start_tls: true
        ca_file: `+dir.CAFile+`
        bind_dn: `+slapdtest.BindDN+`
        bind_password_file: ldap.password
        base_dn: `+slapdtest.PeopleDN+`
        user_filter: (&(objectClass=inetOrgPerson)(uid={subject}))
        nested: true
        timeout: 2s
        cache: {ttl: 1m, max_entries: 100}
`, 1))
	e.srv = e.start(filepath.Join(e.dir, "data"))
	e.http = httptest.NewServer(e.srv.Handler())
	t.Cleanup(e.http.Close)
	e.url = e.http.URL
	return e, dir
}

// TestLDAPGroups: Okera's order. A token's groups claim is used as it is,
// LDAP not asked; without one, the directory's groups of sub meet a route's
// required groups; a user the directory does not know has none.
func TestLDAPGroups(t *testing.T) {
	e, _ := ldapEnv(t)
	ldapCalls := func() float64 { return testutil.ToFloat64(e.srv.metrics.remoteCalls.WithLabelValues("ldap", "ok")) }
	analytics := func(sub string, groups any) response {
		tok := e.okeraToken(0, "okera-1", map[string]any{"sub": sub, "groups": groups})
		return e.get("/v1/authz", "Authorization", "Bearer "+tok, "X-Forwarded-Method", "GET", "X-Forwarded-Uri", "/analytics")
	}

	r := analytics("bob", []string{"analysts"})
	assert.Equal(t, http.StatusOK, r.status, "the claim, though LDAP puts bob in admins only")
	assert.Zero(t, ldapCalls(), "a token with a groups claim: LDAP not asked")

	assert.Equal(t, http.StatusOK, analytics("ada", nil).status, "ada is in analysts")
	assert.Equal(t, float64(1), ldapCalls())
	assert.Equal(t, http.StatusForbidden, analytics("bob", nil).status, "bob is in admins only")

	tok := e.okeraToken(0, "okera-1", map[string]any{"sub": "ada", "groups": nil})
	v := e.verify(tok)
	require.Equal(t, http.StatusOK, v.status, v.body)
	assert.Equal(t, []any{"analysts", "staff"}, v.json["groups"], "nested: staff holds analysts")

	r = analytics("nobody", nil)
	assert.Equal(t, http.StatusForbidden, r.status)
	v = e.verify(e.okeraToken(0, "okera-1", map[string]any{"sub": "nobody", "groups": nil}))
	assert.Equal(t, []any{}, v.json["groups"], "not in the directory: no groups")
	assert.Zero(t, e.groups.hits.Load(), "LDAP answered: the endpoint is not asked")

	// A subject that would widen the search unescaped matches no one.
	assert.Equal(t, http.StatusForbidden, analytics("*", nil).status)
	assert.Equal(t, http.StatusForbidden, analytics("ad*", nil).status)
	assert.NotContains(t, e.logs.String(), slapdtest.BindPassword)
}

// TestLDAPGroupsServerDown: with the directory down the groups are
// unknown, never "none" nor anything a route requires: the endpoint is
// asked next, and when it fails too, required groups are refused. An
// answer cached before the outage still serves.
func TestLDAPGroupsServerDown(t *testing.T) {
	e, dir := ldapEnv(t)
	analytics := func(sub string) int {
		tok := e.okeraToken(0, "okera-1", map[string]any{"sub": sub, "groups": nil})
		return e.get("/v1/authz", "Authorization", "Bearer "+tok, "X-Forwarded-Method", "GET", "X-Forwarded-Uri", "/analytics").status
	}
	require.Equal(t, http.StatusOK, analytics("ada"))
	dir.Stop()

	assert.Equal(t, http.StatusOK, analytics("ada"), "cached within the TTL")
	e.groups.set(answer(http.StatusOK, `{"groups":["analysts"]}`))
	assert.Equal(t, http.StatusOK, analytics("bob"), "LDAP failed: the endpoint's groups")
	assert.Equal(t, int32(1), e.groups.hits.Load())
	e.groups.set(answer(http.StatusInternalServerError, `down too`))
	assert.Equal(t, http.StatusForbidden, analytics("carol"), "both failed: unknown groups meet no requirement")
	assert.Equal(t, float64(2), testutil.ToFloat64(e.srv.metrics.remoteCalls.WithLabelValues("ldap", "error")))
	assert.Contains(t, e.logs.String(), "LDAP group resolver unavailable")
	assert.NotContains(t, e.logs.String(), slapdtest.BindPassword)
}

// TestLDAPConfigErrors: the ldap settings are checked at their lines; the
// password is never inline.
func TestLDAPConfigErrors(t *testing.T) {
	policy := "integrations:\n  - name: okto\n    issuer: " + oktoIssuer + "\n    algorithms: [HS256]\n    keys: [{secret: " + oktoSecret + "}]\n"
	p, err := core.ParsePolicy("jwtgate.yaml", []byte(policy), core.LoadOptions{})
	require.NoError(t, err)
	parse := func(ldap string) error {
		service := "service:\n  integrations:\n    okto:\n      ldap:\n" + ldap
		_, err := parseService("jwtgate.yaml", []byte(policy+service), p, fileReader("jwtgate.yaml"), lookupEnv)
		return err
	}
	t.Setenv("JWTGATE_TEST_LDAP_PW", "s3cret-pw")
	ok := "        url: ldaps://ldap.example.com\n        base_dn: dc=example,dc=com\n"
	require.NoError(t, parse(ok))
	require.NoError(t, parse(ok+"        bind_dn: cn=svc,dc=example,dc=com\n        bind_password_env: JWTGATE_TEST_LDAP_PW\n"))
	for want, ldap := range map[string]string{
		"jwtgate.yaml:12: field service.integrations.okto.ldap.bind_password: unknown field":                          ok + "        bind_password: s3cret-pw\n",
		"jwtgate.yaml:12: field service.integrations.okto.ldap.bind_dn: a bind DN needs bind_password_file or":        ok + "        bind_dn: cn=svc,dc=example,dc=com\n",
		"jwtgate.yaml:13: field service.integrations.okto.ldap.bind_password_env: environment variable JWTGATE_NO_PW": ok + "        bind_dn: cn=svc\n        bind_password_env: JWTGATE_NO_PW\n",
		"jwtgate.yaml:10: field service.integrations.okto.ldap.url: want ldap://host[:port] or ldaps://":              "        url: https://ldap.example.com\n        base_dn: dc=x\n",
		"field service.integrations.okto.ldap.start_tls: the bind password would cross the network in clear":          "        url: ldap://ldap.example.com\n        base_dn: dc=x\n        bind_dn: cn=svc\n        bind_password_env: JWTGATE_TEST_LDAP_PW\n",
		"jwtgate.yaml:12: field service.integrations.okto.ldap.user_filter: \"(uid=ada)\" does not contain {subject}": ok + "        user_filter: (uid=ada)\n",
		"jwtgate.yaml:12: field service.integrations.okto.ldap.group_names: want name or dn":                          ok + "        group_names: cn\n",
		"jwtgate.yaml:12: field service.integrations.okto.ldap.timeout: want between 1ms and 1m0s":                    ok + "        timeout: 2m\n",
		"jwtgate.yaml:12: field service.integrations.okto.ldap.cache.max_entries: want between 1 and 1000000":         ok + "        cache: {max_entries: 2000000}\n",
	} {
		err := parse(ldap)
		require.Error(t, err, want)
		assert.Contains(t, err.Error(), want)
		assert.NotContains(t, err.Error(), "s3cret-pw")
	}
}

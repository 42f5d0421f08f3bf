package server

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestREADMEServiceConfiguration keeps the manual's serve configuration
// honest: the seeds' integrations (docs/serve.md) and the complete service
// section (docs/configuration.md), put together, load.
func TestREADMEServiceConfiguration(t *testing.T) {
	conf, err := os.ReadFile("../docs/configuration.md")
	require.NoError(t, err)
	service := regexp.MustCompile("(?s)\n#+ A complete service section\n\n```yaml\n(.*?)```").FindStringSubmatch(string(conf))
	require.NotNil(t, service, "docs/configuration.md has no complete service section")
	serve, err := os.ReadFile("../docs/serve.md")
	require.NoError(t, err)
	text := string(serve)
	from, to := strings.Index(text, "# The seeds' flows with `curl`\n"), strings.Index(text, "# Behind a proxy\n")
	require.True(t, from >= 0 && to > from, "docs/serve.md has no seeds' flows before Behind a proxy")
	seeds := text[from:to]
	var integrations strings.Builder
	for _, m := range regexp.MustCompile("(?s)```yaml\n(.*?)```").FindAllStringSubmatch(seeds, -1) {
		integrations.WriteString(m[1])
	}
	integrations.WriteString("  - name: okto\n    issuer: https://vendor.okto.example\n    algorithms: [HS256]\n    keys: [{secret: " + oktoSecret + "}]\n    subject_claim: user_id\n")

	dir := t.TempDir()
	require.NoError(t, os.MkdirAll(filepath.Join(dir, "keys"), 0o700))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "keys/okera-system.token"), []byte(systemToken), 0o600))
	t.Setenv("AUTHONOMY_HS256_SECRET", authonomySecret)
	t.Setenv("ACADIO_SECRET", acadioSecret)
	t.Setenv("JWTGATE_ADMIN_TOKEN", adminToken)
	t.Setenv("OKERA_LDAP_PASSWORD", "ldap-secret")
	file := filepath.Join(dir, "jwtgate.yaml")
	data := []byte(integrations.String() + "\n" + service[1])
	require.NoError(t, os.WriteFile(file, data, 0o600))

	policy, err := parsePolicy(file, data)
	require.NoError(t, err, "%s", data)
	assert.Equal(t, []string{"okera", "authonomy", "jwt-auth", "okto"}, policy.Integrations())
	c, err := parseService(file, data, policy, fileReader(file), lookupEnv)
	require.NoError(t, err)
	assert.Equal(t, "https://auth.example.com", c.publicURL)
	assert.NotNil(t, c.integrations["okera"].validator)
	assert.Equal(t, systemToken, c.integrations["okera"].resolver.SystemToken)
	assert.NotNil(t, c.integrations["okera"].ldap, "before the resolver")
	assert.Equal(t, "user_id", c.integrations["okto"].validator.SubjectField)
	assert.Equal(t, "/login", c.integrations["jwt-auth"].errorRedirect)
	assert.Equal(t, map[string]bool{"https://app.example.com": true}, c.integrations["authonomy"].allowedOrigins)
	require.Len(t, c.routes, 3)
	assert.Equal(t, "/analytics", c.routes[0].Prefix, "longest prefix first")
	assert.Equal(t, forwardSource{name: "nginx", methodHeader: hdrOriginalMethod, uriHeader: hdrOriginalURI}, c.forward)
	assert.Equal(t, digest(adminToken), c.adminDigest)
}

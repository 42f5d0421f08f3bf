package browser

import (
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// unlinked are packages the module must not import, so that none of their
// code (their package initialisers included) is linked: the signature
// arithmetic is WebCrypto's (the tag jwtgate_webcrypto), keys are JWKs,
// and policies JSON bundles, read without yaml.v3 (and its regexps).
var unlinked = []string{
	"crypto/rsa", "crypto/ecdsa", "crypto/ed25519", "crypto/elliptic", "math/big",
	"crypto/x509", "encoding/pem", "github.com/go-jose/go-jose/v4", "go.yaml.in/yaml/v3", "regexp",
}

// TestModuleImports: the module, built with BuildTags, imports none of
// unlinked; and the Makefile builds it with the same tags.
func TestModuleImports(t *testing.T) {
	cmd := exec.Command("go", "list", "-deps", "-tags", strings.Join(BuildTags, ","), WasmPackage)
	cmd.Env = append(os.Environ(), "GOOS=js", "GOARCH=wasm")
	out, err := cmd.Output()
	require.NoError(t, err)
	deps := map[string]bool{}
	for _, p := range strings.Fields(string(out)) {
		deps[p] = true
	}
	require.True(t, deps["github.com/jwtgate/jwtgate/core"], "go list found no core: %s", out)
	for _, p := range unlinked {
		assert.False(t, deps[p], "the module imports %s", p)
	}
	mk, err := os.ReadFile("../../Makefile")
	require.NoError(t, err)
	m := regexp.MustCompile(`(?m)^BROWSER_TAGS := (.*)$`).FindSubmatch(mk)
	require.NotNil(t, m, "no BROWSER_TAGS in the Makefile")
	assert.Equal(t, strings.Join(BuildTags, ","), string(m[1]), "the Makefile's BROWSER_TAGS are not BuildTags")
}

//go:build jwtgate_nojwe

package core_test

import (
	"context"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/jwtgate/jwtgate/core"
	"github.com/jwtgate/jwtgate/internal/testcorpus"
)

// TestNoJWE runs in the build without JWE (make check-wasm-build): a
// decryption key is refused at load, and the JWE cases of the corpus that
// need none are decided as in every build (TestCorpusNative checks their
// codes in the full build; the browser test compares its decisions).
func TestNoJWE(t *testing.T) {
	_, err := core.ParsePolicy("p.yaml", testcorpus.Policy(), core.LoadOptions{})
	var pe *core.PolicyError
	require.ErrorAs(t, err, &pe)
	assert.Equal(t, "decryption_keys[0]", pe.Field, "%v", err)
	assert.Contains(t, pe.Reason, "this build of jwtgate reads no decryption keys")

	p, err := core.ParsePolicy("p.yaml", testcorpus.PublicKeyPolicy(), core.LoadOptions{PublicKeysOnly: true})
	require.NoError(t, err)
	v, err := core.NewVerifier(p, core.Config{Replay: core.NewMemoryReplayStore(0)})
	require.NoError(t, err)
	n := 0
	for _, c := range testcorpus.PublicKeyCases() {
		if strings.HasPrefix(c.Name, "jwe/") || strings.HasPrefix(c.Name, "attack/jwe-") {
			n++
			d := v.Verify(context.Background(), c.Request())
			assert.Equal(t, c.Want, d.Code, "%s: %s", c.Name, d.Reason)
		}
	}
	assert.NotZero(t, n, "no JWE cases in the public-key corpus")
}

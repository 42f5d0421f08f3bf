package testcorpus

import (
	"context"
	"crypto/sha256"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/jwtgate/jwtgate/core"
)

// TestCorpusNative runs the corpus natively and checks each case's code,
// so that the corpus cannot silently degrade into identical rejections.
func TestCorpusNative(t *testing.T) {
	checkCodes(t, Cases(), core.LoadOptions{})
}

// TestPublicKeyCorpusNative does the same for the public-key twin, loaded
// as the browser loads it: a shared secret anywhere in it would be refused.
func TestPublicKeyCorpusNative(t *testing.T) {
	cases := PublicKeyCases()
	checkCodes(t, cases, core.LoadOptions{PublicKeysOnly: true})
	assert.NotContains(t, string(PublicKeyPolicy()), HSSecret)
	full := map[string]bool{}
	for _, c := range Cases() {
		full[c.Name] = true
	}
	for _, c := range cases {
		assert.True(t, full[c.Name], "%s: the public-key corpus has a case that Cases lacks", c.Name)
	}
}

func checkCodes(t *testing.T, cases []Case, opts core.LoadOptions) {
	seen := map[core.Code]int{}
	for _, g := range Groups(cases) {
		p, err := core.ParsePolicy("corpus.yaml", g.Policy, opts)
		require.NoError(t, err, "corpus policy")
		v, err := core.NewVerifier(p, core.Config{Replay: core.NewMemoryReplayStore(0)})
		require.NoError(t, err)
		for _, c := range g.Cases {
			d := v.Verify(context.Background(), c.Request())
			seen[d.Code]++
			assert.False(t, d.Code != c.Want || d.Valid != (c.Want == ""), "%s: got valid=%v code=%q (%s), want code %q", c.Name, d.Valid, d.Code, d.Reason, c.Want)
		}
	}
	for _, code := range []core.Code{"", core.CodeInvalidToken, core.CodeTokenExpired, core.CodeTokenNotYetValid, core.CodeTokenReplayed, core.CodeConfigurationNotFound, core.CodeRequiredClaimsFailed, core.CodePermissionDenied} {
		assert.NotZero(t, seen[code], "the corpus has no case with code %q", code)
	}
	t.Logf("%d cases: %v", len(cases), seen)
}

// TestCorpusDeterministic checks that two generations are byte-identical.
func TestCorpusDeterministic(t *testing.T) {
	digest := func() [32]byte {
		h := sha256.New()
		for _, c := range append(Cases(), PublicKeyCases()...) {
			fmt.Fprintf(h, "%s\x00%s\x00%s\x00%d\x00%v\x00%s\x00%s\x00", c.Name, c.Policy, c.Token, c.Now.UnixNano(), c.Explain, c.RedirectParam, c.Integration)
		}
		var out [32]byte
		copy(out[:], h.Sum(nil))
		return out
	}
	a, b := digest(), digest()
	require.Equal(t, b[:], a[:], "two generations of the corpus differ")
	names := map[string]bool{}
	for _, c := range Cases() {
		assert.False(t, names[c.Name], "duplicate case name %s", c.Name)
		names[c.Name] = true
	}
}

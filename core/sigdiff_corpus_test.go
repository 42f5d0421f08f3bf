package core_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/jwtgate/jwtgate/core"
	"github.com/jwtgate/jwtgate/internal/testcorpus"
)

// TestSigDiffCorpus: every token of the differential corpus gets the same
// signature verdict from the lean check and from go-jose (see
// sigdiff_test.go).
func TestSigDiffCorpus(t *testing.T) {
	compared := 0
	for _, g := range testcorpus.Groups(testcorpus.Cases()) {
		p, err := core.ParsePolicy("corpus.yaml", g.Policy, core.LoadOptions{})
		require.NoError(t, err)
		v, err := core.NewVerifier(p, core.Config{Replay: core.NewMemoryReplayStore(0)})
		require.NoError(t, err)
		for _, c := range g.Cases {
			if core.SigDiff(t, v, c.Token) {
				compared++
			}
		}
	}
	require.Greater(t, compared, 20, "the corpus reaches the signature check")
}

package core_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/jwtgate/jwtgate/core"
	"github.com/jwtgate/jwtgate/internal/testcorpus"
)

// TestParseBundleDecidesAsParsePolicy: the corpus policies, bundled, give
// the same decisions through ParseBundle as through ParsePolicy, case for
// case (the edge builds load with ParseBundle, the native ones with
// ParsePolicy).
func TestParseBundleDecidesAsParsePolicy(t *testing.T) {
	for _, cases := range [][]testcorpus.Case{testcorpus.Cases(), testcorpus.PublicKeyCases()} {
		for _, g := range testcorpus.Groups(cases) {
			bundle, err := core.BuildBundle("corpus.yaml", g.Policy, core.LoadOptions{})
			require.NoError(t, err)
			decide := func(parse func(string, []byte, core.LoadOptions) (*core.Policy, error)) []string {
				p, err := parse("corpus.json", bundle, core.LoadOptions{})
				require.NoError(t, err)
				v, err := core.NewVerifier(p, core.Config{Replay: core.NewMemoryReplayStore(0)})
				require.NoError(t, err)
				var out []string
				for _, c := range g.Cases {
					out = append(out, string(v.Verify(context.Background(), c.Request()).JSON()))
				}
				return out
			}
			assert.Equal(t, decide(core.ParsePolicy), decide(core.ParseBundle))
		}
	}
}

// TestParseBundleErrors: a JSON policy's problems are the same PolicyErrors
// either way, at the same lines and columns; YAML and broken JSON are
// refused with the position and what to do.
func TestParseBundleErrors(t *testing.T) {
	for _, doc := range []string{
		`{"integrations": [{"name": "a", "issuer": "https://a.example", "algoritms": ["RS256"], "keys": []}]}`,
		"{\n  \"integrations\": [\n    {\"name\": \"Bad Name\", \"issuer\": 7,\n     \"algorithms\": [\"none\"], \"keys\": [{\"secret\": \"short\"}], \"max_age\": 5}\n  ]\n}",
		`{"integrations": [], "extra": {"é": true}}`,
		`{"integrations": [{"name": "a", "issuer": "https://a.example", "algorithms": ["RS256"], "keys": [{"jwks_url": "https://a.example/k"}]}], "bundle": {"format": 1, "sha256": "00"}}`,
	} {
		_, want := core.ParsePolicy("p.json", []byte(doc), core.LoadOptions{})
		_, got := core.ParseBundle("p.json", []byte(doc), core.LoadOptions{})
		require.Error(t, want, doc)
		assert.Equal(t, want.Error(), got.Error(), doc)
	}
	_, err := core.ParseBundle("p.yaml", []byte("integrations:\n  - name: a\n"), core.LoadOptions{})
	assert.ErrorContains(t, err, "p.yaml:1:1: JSON syntax: a value was expected, found 'i' (this loader reads JSON policies only; jwtgate policy build writes one from YAML)")
	_, err = core.ParseBundle("p.json", []byte(`{"integrations": [}`), core.LoadOptions{})
	var pe *core.PolicyError
	require.ErrorAs(t, err, &pe)
	assert.Equal(t, [2]int{1, 19}, [2]int{pe.Line, pe.Column}, "%v", err)
}

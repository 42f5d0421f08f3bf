package host

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/jwtgate/jwtgate/core"
	"github.com/jwtgate/jwtgate/internal/testcorpus"
)

// TestDifferential runs the shared corpus natively and through the wasm
// plugin and requires byte-identical decision JSON, both as the guest wrote
// it and after decoding into a core.Decision.
func TestDifferential(t *testing.T) {
	module := guestModule(t)
	cases := testcorpus.Cases()
	for _, g := range testcorpus.Groups(cases) {
		p, err := core.ParsePolicy("policy", g.Policy, core.LoadOptions{})
		require.NoError(t, err)
		native, err := core.NewVerifier(p, core.Config{Replay: core.NewMemoryReplayStore(0)})
		require.NoError(t, err)
		h := mustLoad(t, module, g.Policy, Options{PoolSize: 2})
		for _, c := range g.Cases {
			want := native.Verify(context.Background(), c.Request()).JSON()
			got, err := h.Call(context.Background(), c.Request())
			if !assert.NoError(t, err, c.Name) || !assert.Equal(t, string(want), string(got), "%s: decisions differ", c.Name) {
				continue
			}
			// The decoded decision marshals back to the same bytes.
			d := new(core.Decision)
			require.NoError(t, json.Unmarshal(got, d))
			assert.Equal(t, string(want), string(d.JSON()), "%s: decoded decision re-encodes differently", c.Name)
		}
	}
	t.Logf("%d cases identical", len(cases))
}

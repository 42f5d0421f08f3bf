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
// it and after decoding into a core.Decision: with the host checking the
// signatures (the default) and with the guest checking them itself.
func TestDifferential(t *testing.T) {
	module := guestModule(t)
	for _, guestSigs := range []bool{false, true} {
		checks := differential(t, module, Options{PoolSize: 2, GuestSignatures: guestSigs})
		if guestSigs {
			require.Zero(t, checks, "GuestSignatures: the host checks no signature")
		} else {
			require.Greater(t, checks, uint64(20), "the host checks the corpus' signatures")
		}
	}
}

// differential runs the corpus through hosts made with opts and returns
// how many signatures the hosts checked.
func differential(t *testing.T, module []byte, opts Options) (checks uint64) {
	cases := testcorpus.Cases()
	for _, g := range testcorpus.Groups(cases) {
		p, err := core.ParsePolicy("policy", g.Policy, core.LoadOptions{})
		require.NoError(t, err)
		native, err := core.NewVerifier(p, core.Config{Replay: core.NewMemoryReplayStore(0)})
		require.NoError(t, err)
		h := mustLoad(t, module, g.Policy, opts)
		defer func() { checks += h.sigChecks.Load() }()
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
	t.Logf("%d cases identical (GuestSignatures %v)", len(cases), opts.GuestSignatures)
	return checks
}

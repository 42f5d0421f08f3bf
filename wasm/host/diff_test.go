package host

import (
	"bytes"
	"context"
	"encoding/json"
	"testing"

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
		if err != nil {
			t.Fatal(err)
		}
		native, err := core.NewVerifier(p, core.Config{Replay: core.NewMemoryReplayStore(0)})
		if err != nil {
			t.Fatal(err)
		}
		h := mustLoad(t, module, g.Policy, Options{PoolSize: 2})
		for _, c := range g.Cases {
			want := native.Verify(context.Background(), c.Request()).JSON()
			got, err := h.VerifyJSON(context.Background(), c.Request())
			if err != nil {
				t.Errorf("%s: %v", c.Name, err)
				continue
			}
			if !bytes.Equal(got, want) {
				t.Errorf("%s: decisions differ\nnative: %s\nwasm:   %s", c.Name, want, got)
				continue
			}
			// The decoded decision marshals back to the same bytes.
			d := new(core.Decision)
			if err := json.Unmarshal(got, d); err != nil {
				t.Fatal(err)
			}
			if again := d.JSON(); !bytes.Equal(again, want) {
				t.Errorf("%s: decoded decision re-encodes differently\nnative: %s\nagain:  %s", c.Name, want, again)
			}
		}
	}
	t.Logf("%d cases identical", len(cases))
}

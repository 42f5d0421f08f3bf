package testcorpus

import (
	"bytes"
	"context"
	"crypto/sha256"
	"fmt"
	"testing"

	"github.com/jwtgate/jwtgate/core"
)

// TestCorpusNative runs the corpus natively and checks each case's code,
// so that the corpus cannot silently degrade into identical rejections.
func TestCorpusNative(t *testing.T) {
	cases := Cases()
	seen := map[core.Code]int{}
	for _, g := range Groups(cases) {
		p, err := core.ParsePolicy("corpus.yaml", g.Policy, core.LoadOptions{})
		if err != nil {
			t.Fatalf("corpus policy: %v", err)
		}
		v, err := core.NewVerifier(p, core.Config{Replay: core.NewMemoryReplayStore(0)})
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range g.Cases {
			d := v.Verify(context.Background(), c.Request())
			seen[d.Code]++
			if d.Code != c.Want || d.Valid != (c.Want == "") {
				t.Errorf("%s: got valid=%v code=%q (%s), want code %q", c.Name, d.Valid, d.Code, d.Reason, c.Want)
			}
		}
	}
	for _, code := range []core.Code{"", core.CodeInvalidToken, core.CodeTokenExpired, core.CodeTokenNotYetValid, core.CodeTokenReplayed, core.CodeConfigurationNotFound, core.CodeRequiredClaimsFailed, core.CodePermissionDenied} {
		if seen[code] == 0 {
			t.Errorf("the corpus has no case with code %q", code)
		}
	}
	t.Logf("%d cases: %v", len(cases), seen)
}

// TestCorpusDeterministic checks that two generations are byte-identical.
func TestCorpusDeterministic(t *testing.T) {
	digest := func() [32]byte {
		h := sha256.New()
		for _, c := range Cases() {
			fmt.Fprintf(h, "%s\x00%s\x00%s\x00%d\x00%v\x00%s\x00%s\x00", c.Name, c.Policy, c.Token, c.Now.UnixNano(), c.Explain, c.RedirectParam, c.Integration)
		}
		var out [32]byte
		copy(out[:], h.Sum(nil))
		return out
	}
	a, b := digest(), digest()
	if !bytes.Equal(a[:], b[:]) {
		t.Fatal("two generations of the corpus differ")
	}
	names := map[string]bool{}
	for _, c := range Cases() {
		if names[c.Name] {
			t.Errorf("duplicate case name %s", c.Name)
		}
		names[c.Name] = true
	}
}

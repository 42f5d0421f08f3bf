package core

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func joinEntry(name, issuer string) string {
	return "  - name: " + name + "\n    issuer: " + issuer + "\n    algorithms: [HS256]\n    keys:\n      - secret: a-shared-secret-of-at-least-32-bytes\n    max_age: 5m\n"
}

// Joined policies are one file's: the same integrations in order, and
// the same clashes refused with the same reasons, the others kept.
func TestJoinPolicies(t *testing.T) {
	a := mustPolicy(t, "integrations:\n"+joinEntry("a", "https://a")+joinEntry("b", "https://b"))
	b := mustPolicy(t, "integrations:\n"+joinEntry("c", "https://c"))
	p, err := JoinPolicies(a, b)
	require.NoError(t, err)
	assert.Equal(t, []string{"a", "b", "c"}, p.Integrations())
	info, ok := p.Integration("c")
	require.True(t, ok)
	assert.Equal(t, "https://c", info.Issuer)

	// A taken issuer and a taken name: left out, reported as the parser reports them.
	clash := mustPolicy(t, "integrations:\n"+joinEntry("d", "https://a")+joinEntry("b", "https://e")+joinEntry("f", "https://f"))
	p, err = JoinPolicies(a, clash)
	var pes PolicyErrors
	require.True(t, errors.As(err, &pes), "%v", err)
	assert.Equal(t, []string{"a", "b", "f"}, p.Integrations(), "the others are kept")
	_, parsed := ParsePolicy("x.yaml", []byte("integrations:\n"+joinEntry("a", "https://a")+joinEntry("b", "https://b")+
		joinEntry("d", "https://a")+joinEntry("b", "https://e")+joinEntry("f", "https://f")), LoadOptions{})
	var want PolicyErrors
	require.True(t, errors.As(parsed, &want))
	require.Len(t, pes, len(want))
	for i := range want {
		assert.Equal(t, want[i].Integration, pes[i].Integration)
		assert.Equal(t, want[i].Field, pes[i].Field)
		assert.Equal(t, want[i].Reason, pes[i].Reason)
	}
	// The parts are unchanged.
	assert.Equal(t, []string{"d", "b", "f"}, clash.Integrations())
}

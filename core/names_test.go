package core

import (
	"regexp"
	"testing"

	"github.com/stretchr/testify/require"
)

// The regular expressions validName and validHeaderName replace.
var (
	namePattern   = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,62}$`)
	headerPattern = regexp.MustCompile(`^[A-Za-z0-9-]{1,64}$`)
)

func FuzzNames(f *testing.F) {
	for _, s := range []string{"", "a", "acme", "a_b-c", "_a", "-a", "A", "9", "a\n", "\na", "é", "x-Jwtgate-Sub",
		"X-JWTGATE", "a b", "a.b", string(make([]byte, 63)), "\xff",
		"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
		"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
		"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		require.Equal(t, namePattern.MatchString(s), validName(s), "name %q", s)
		require.Equal(t, headerPattern.MatchString(s), validHeaderName(s), "header %q", s)
	})
}

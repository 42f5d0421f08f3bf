//go:build !jwtgate_webcrypto

package yamlconfig

import (
	"regexp"
	"testing"

	"github.com/stretchr/testify/require"
)

// linePrefixPattern is the regular expression linePrefix replaces.
var linePrefixPattern = regexp.MustCompile(`^line (\d+): `)

func FuzzLinePrefix(f *testing.F) {
	for _, s := range []string{"", "line 3: did not find expected key", "line : x", "line 12:x", "line 0: ", "Line 1: x",
		"line 1 : x", "line 99999999999999999999: x", "line ٣: x", " line 1: x", "line 1: line 2: x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		digits, rest, ok := linePrefix(s)
		m := linePrefixPattern.FindStringSubmatch(s)
		require.Equal(t, m != nil, ok, "%q", s)
		if ok {
			require.Equal(t, m[1], digits, "%q", s)
			require.Equal(t, s[len(m[0]):], rest, "%q", s)
		}
	})
}

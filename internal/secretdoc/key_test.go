package secretdoc

import (
	"encoding/hex"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestKeyPrintsNoBytes(t *testing.T) {
	k := keyOf(t, rawKey)
	holder := struct {
		Name string
		K    Key
		k    Key
	}{"x", k, k}
	hexKey := hex.EncodeToString(rawKey)
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%x", "%X", "%q", "%d", "%T"} {
		for _, v := range []any{k, &k, holder, &holder} {
			out := fmt.Sprintf(verb, v)
			require.NotContains(t, strings.ToLower(out), hexKey[:16], "%s of %T", verb, v)
			require.NotContains(t, out, string(rawKey[:8]), "%s of %T", verb, v)
			require.NotContains(t, out, "251 239 1 127", "%s of %T", verb, v) // %d of the bytes
			require.NotContains(t, out, "fb ef", "%s of %T", verb, v)
		}
	}
	require.Equal(t, "secretdoc.Key("+k.ID()+")", fmt.Sprint(k))
	require.Equal(t, "secretdoc.Key(none)", fmt.Sprint(Key{}))
}

func TestKeyID(t *testing.T) {
	k := keyOf(t, rawKey)
	require.Regexp(t, `^[0-9a-f]{16}$`, k.ID())
	require.Equal(t, k.ID(), keyOf(t, rawKey).ID())
	other := append([]byte(nil), rawKey...)
	other[31] ^= 1
	require.NotEqual(t, k.ID(), keyOf(t, other).ID())
	// The ID is no plain hash of the key: a fixed label comes first.
	require.NotContains(t, sha256Hex(rawKey), k.ID())
	require.Empty(t, Key{}.ID())
}

func TestNewKeyLength(t *testing.T) {
	for _, n := range []int{0, 16, 24, 31, 33, 64} {
		_, err := newKey(make([]byte, n))
		require.ErrorIs(t, err, errKeyLength, "%d bytes", n)
	}
}

package secretdoc

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"testing"

	"github.com/stretchr/testify/require"
)

func sha256Hex(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

func TestSealOpen(t *testing.T) {
	k := keyOf(t, rawKey)
	plain := []byte(`{"policy":{"keys":[{"secret":"s3cr3t-s3cr3t-s3cr3t-s3cr3t-s3cr3t"}]}}`)
	aad := []byte("tenant-a/app")
	sealed := k.Seal(plain, aad)
	require.Equal(t, byte(formatV1), sealed[0])
	require.Len(t, sealed, headerSize+12+len(plain)+16)
	require.Equal(t, k.ID(), hex.EncodeToString(sealed[1:headerSize]))
	require.False(t, bytes.Contains(sealed, []byte("s3cr3t")))

	got, err := k.Open(sealed, aad)
	require.NoError(t, err)
	require.Equal(t, plain, got)

	// A fresh nonce each time.
	require.NotEqual(t, sealed, k.Seal(plain, aad))

	empty, err := k.Open(k.Seal(nil, nil), nil)
	require.NoError(t, err)
	require.Empty(t, empty)
}

func TestOpenWrongKey(t *testing.T) {
	k := keyOf(t, rawKey)
	other := keyOf(t, bytes.Repeat([]byte{7}, KeySize))
	_, err := other.Open(k.Seal([]byte("doc"), nil), nil)
	require.ErrorIs(t, err, ErrWrongKey)
}

func TestOpenWrongAAD(t *testing.T) {
	k := keyOf(t, rawKey)
	sealed := k.Seal([]byte("doc"), []byte("tenant-a/app"))
	for _, aad := range [][]byte{nil, []byte("tenant-b/app"), []byte("tenant-a/ap")} {
		_, err := k.Open(sealed, aad)
		require.ErrorIs(t, err, ErrCorrupt, "aad %q", aad)
	}
}

func TestOpenTampered(t *testing.T) {
	k := keyOf(t, rawKey)
	sealed := k.Seal([]byte("a sealed document"), []byte("aad"))
	for i := range sealed {
		for _, bit := range []byte{0x01, 0x80} {
			bad := bytes.Clone(sealed)
			bad[i] ^= bit
			_, err := k.Open(bad, []byte("aad"))
			if i >= 1 && i < headerSize {
				require.ErrorIs(t, err, ErrWrongKey, "byte %d", i) // the key ID
			} else {
				require.ErrorIs(t, err, ErrCorrupt, "byte %d", i)
			}
		}
	}
	for n := range len(sealed) {
		_, err := k.Open(sealed[:n], []byte("aad"))
		require.Error(t, err, "truncated to %d", n)
		require.True(t, err == ErrCorrupt || err == ErrWrongKey, "truncated to %d: %v", n, err)
	}
	_, err := k.Open(append(bytes.Clone(sealed), 0), []byte("aad"))
	require.ErrorIs(t, err, ErrCorrupt)
}

func TestZeroKey(t *testing.T) {
	var k Key
	require.Nil(t, k.Seal([]byte("doc"), nil))
	_, err := k.Open(keyOf(t, rawKey).Seal([]byte("doc"), nil), nil)
	require.ErrorIs(t, err, ErrNoKey)
}

package proxywasm

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestSerializeMap(t *testing.T) {
	// The spec's example: {{"a": "1"}, {"b": "22"}}.
	want := []byte{2, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 'a', 0, '1', 0, 'b', 0, '2', '2', 0}
	pairs := [][2]string{{"a", "1"}, {"b", "22"}}
	got := SerializeMap(pairs)
	require.Equal(t, want, got, "SerializeMap = %v, want %v", got, want)
	back, err := DeserializeMap(want)
	require.NoError(t, err, "DeserializeMap = %v, %v", back, err)
	require.Equal(t, pairs, back, "DeserializeMap = %v, %v", back, err)
	for _, empty := range [][]byte{nil, {0}, {0, 0, 0, 0}} {
		m, err := DeserializeMap(empty)
		assert.NoError(t, err, "%v", empty)
		assert.Empty(t, m, "%v", empty)
	}
	for _, bad := range [][]byte{{1, 0}, {1, 0, 0, 0}, {1, 0, 0, 0, 5, 0, 0, 0, 0, 0, 0, 0, 'a', 0}, {0xff, 0xff, 0xff, 0xff}} {
		_, err := DeserializeMap(bad)
		assert.Error(t, err, "%v: accepted", bad)
	}
}

func TestStatusErrors(t *testing.T) {
	require.Nil(t, statusErr(0), "statusErr")
	require.Equal(t, ErrorStatusCasMismatch, statusErr(8), "statusErr")
	require.NotEmpty(t, ErrorStatusNotFound.Error(), "empty message")
	require.NotEmpty(t, Status(99).Error(), "empty message")
}

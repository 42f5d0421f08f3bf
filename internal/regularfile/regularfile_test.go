package regularfile

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestRead(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "f")
	require.NoError(t, os.WriteFile(file, []byte("12345"), 0o600))

	data, err := Read(file, 5, nil)
	require.NoError(t, err)
	assert.Equal(t, "12345", string(data))

	_, err = Read(file, 4, nil)
	var tle *TooLargeError
	require.ErrorAs(t, err, &tle)
	assert.EqualError(t, err, file+" is 5 bytes, the limit is 4")

	_, err = Read(dir, 1<<20, nil)
	var nre *NotRegularError
	require.ErrorAs(t, err, &nre)

	refused := errors.New("refused")
	_, err = Read(file, 5, func(fs.FileInfo) error { return refused })
	require.ErrorIs(t, err, refused, "check's error, before anything is read")

	_, err = Read(filepath.Join(dir, "missing"), 5, nil)
	require.ErrorIs(t, err, fs.ErrNotExist)
}

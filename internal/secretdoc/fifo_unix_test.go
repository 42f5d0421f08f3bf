//go:build unix

package secretdoc

import (
	"path/filepath"
	"syscall"
	"testing"

	"github.com/stretchr/testify/require"
)

// A FIFO is refused, not waited on (the open would block without
// O_NONBLOCK until a writer came).
func TestLoadKeyFIFO(t *testing.T) {
	path := filepath.Join(t.TempDir(), "fifo")
	require.NoError(t, syscall.Mkfifo(path, 0o600))
	_, err := LoadKey(path)
	require.Equal(t, KeyNotRegular, problemOf(t, err))
}

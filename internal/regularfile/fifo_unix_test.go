//go:build unix

package regularfile

import (
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// A FIFO named as a key file would block an ordinary open until a writer
// comes: it is refused at once.
func TestReadFIFO(t *testing.T) {
	fifo := filepath.Join(t.TempDir(), "fifo")
	require.NoError(t, syscall.Mkfifo(fifo, 0o600))
	start := time.Now()
	_, err := Read(fifo, 1<<20, nil)
	require.EqualError(t, err, fifo+" is not a regular file (p---------)")
	require.Less(t, time.Since(start), 5*time.Second)
}

package filelock

import (
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestLockExcludes: read-modify-write cycles of a counter file, each under
// its own Lock, lose no update. flock locks belong to the open file, so
// goroutines that open the file each exclude one another as processes do.
func TestLockExcludes(t *testing.T) {
	if runtime.GOOS == "windows" || runtime.GOOS == "plan9" {
		t.Skip("no flock: Lock does not exclude here")
	}
	path := filepath.Join(t.TempDir(), "counter")
	require.NoError(t, os.WriteFile(path, []byte("0"), 0o644))
	const workers, rounds = 8, 40
	var wg sync.WaitGroup
	errs := make(chan error, workers*rounds)
	for range workers {
		wg.Go(func() {
			for range rounds {
				if err := increment(path); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	require.Equal(t, strconv.Itoa(workers*rounds), string(data))
}

func increment(path string) error {
	unlock, err := Lock(path + ".lock")
	if err != nil {
		return err
	}
	defer unlock()
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	n, err := strconv.Atoi(string(data))
	if err != nil {
		return err
	}
	runtime.Gosched() // let another worker read the same value, were it not locked
	return os.WriteFile(path, []byte(strconv.Itoa(n+1)), 0o644)
}

// TestLockCreatesFolder: the lock file's folder is made when missing.
func TestLockCreatesFolder(t *testing.T) {
	path := filepath.Join(t.TempDir(), "a", "b", "lock")
	unlock, err := Lock(path)
	require.NoError(t, err)
	unlock()
	require.FileExists(t, path)
}

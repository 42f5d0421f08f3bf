// Package filelock serialises work between processes with an advisory lock
// on a file: test binaries of several packages, run at once by go test,
// build the same wasm module or install the same node_modules only once.
package filelock

import (
	"os"
	"path/filepath"
)

// Lock takes an exclusive lock on the file at path (created if needed),
// waiting for another process to release it, and returns its release.
// On systems without flock it returns at once: callers still write their
// results atomically, so the lock saves work, it does not make them safe.
func Lock(path string) (unlock func(), err error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, err
	}
	if err := lockFile(f); err != nil {
		f.Close()
		return nil, err
	}
	return func() {
		unlockFile(f)
		f.Close()
	}, nil
}

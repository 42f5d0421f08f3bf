// Package regularfile reads the small files a configuration names (a
// policy, a key, a secret) safely: a regular file only, bounded, checked
// on the open file itself so that what is checked is what is read.
package regularfile

import (
	"fmt"
	"io"
	"io/fs"
	"os"
)

// NotRegularError refuses a device, a FIFO, a directory…: the read of
// /dev/zero never ends, a FIFO's open would wait for a writer.
type NotRegularError struct {
	Path string
	Mode fs.FileMode
}

func (e *NotRegularError) Error() string {
	return fmt.Sprintf("%s is not a regular file (%s)", e.Path, e.Mode.Type())
}

// TooLargeError refuses a file over the limit; Size is -1 for one that
// grew past it while being read.
type TooLargeError struct {
	Path        string
	Size, Limit int64
}

func (e *TooLargeError) Error() string {
	if e.Size < 0 {
		return fmt.Sprintf("%s is over %d bytes", e.Path, e.Limit)
	}
	return fmt.Sprintf("%s is %d bytes, the limit is %d", e.Path, e.Size, e.Limit)
}

// Read reads a regular file of at most limit bytes. It opens without
// blocking (a FIFO is refused, not waited on), checks the open file's
// mode and size, then check (when not nil: say, who may write it), and
// refuses a file that is or grows too large rather than truncate it.
// Errors are the file system's, *NotRegularError, *TooLargeError or
// check's.
func Read(path string, limit int64, check func(fs.FileInfo) error) ([]byte, error) {
	f, err := os.OpenFile(path, os.O_RDONLY|nonBlocking, 0)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, &NotRegularError{Path: path, Mode: fi.Mode()}
	}
	if check != nil {
		if err := check(fi); err != nil {
			return nil, err
		}
	}
	if fi.Size() > limit {
		return nil, &TooLargeError{Path: path, Size: fi.Size(), Limit: limit}
	}
	data, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > limit {
		clear(data)
		return nil, &TooLargeError{Path: path, Size: -1, Limit: limit}
	}
	return data, nil
}

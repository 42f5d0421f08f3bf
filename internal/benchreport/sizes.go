package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
)

// module is a -module flag: a name and the path of its .wasm.
type module struct{ name, path string }

// moduleSize is a module's size in bytes, raw and compressed; -1 for a
// compressor that is not installed.
type moduleSize struct {
	name              string
	raw, gzip, brotli int64
}

// measureSizes compresses each module with the gzip and brotli commands
// (what a web server or a registry would serve), not Go's packages, so
// that the figures are the ones an operator reproduces by hand. brotli is
// Debian's brotli package; without it the column says so.
func measureSizes(modules []module) ([]moduleSize, error) {
	var out []moduleSize
	for _, m := range modules {
		st, err := os.Stat(m.path)
		if err != nil {
			return nil, err
		}
		s := moduleSize{name: m.name, raw: st.Size()}
		if s.gzip, err = compressedSize(m.path, "gzip", "-9", "-c"); err != nil {
			return nil, err
		}
		if s.brotli, err = compressedSize(m.path, "brotli", "-q", "11", "-c"); err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, nil
}

// compressedSize runs command args… path and counts its output; -1 when
// the command is not installed.
func compressedSize(path, command string, args ...string) (int64, error) {
	if _, err := exec.LookPath(command); errors.Is(err, exec.ErrNotFound) {
		return -1, nil
	}
	var n countWriter
	var stderr bytes.Buffer
	cmd := exec.Command(command, append(args, path)...)
	cmd.Stdout, cmd.Stderr = &n, &stderr
	if err := cmd.Run(); err != nil {
		return 0, fmt.Errorf("%s %s: %v: %s", command, path, err, stderr.Bytes())
	}
	return int64(n), nil
}

// countWriter counts what is written to it.
type countWriter int64

var _ io.Writer = (*countWriter)(nil)

func (c *countWriter) Write(p []byte) (int, error) {
	*c += countWriter(len(p))
	return len(p), nil
}

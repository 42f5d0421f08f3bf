package secretdoc

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"io/fs"
	"os"

	"github.com/jwtgate/jwtgate/internal/regularfile"
)

// MaxKeyFileBytes bounds a key file: a key is 64 characters, the rest is
// room for whitespace, and a larger file is surely the wrong one.
const MaxKeyFileBytes = 4 << 10

// KeyProblem says why a key file was refused.
type KeyProblem int

const (
	KeyUnreadable    KeyProblem = iota + 1 // opening or reading failed (Err says why)
	KeyNotRegular                          // a directory, a device, a FIFO…
	KeyTooLarge                            // over MaxKeyFileBytes
	KeyWorldWritable                       // anyone could swap the key
	KeyMalformed                           // not 32 bytes in hex or base64
	KeyExists                              // GenerateKeyFile found a file there
	KeyUnwritable                          // creating or writing failed (Err says why)
)

// reasons are the problems' messages; none quotes the file's content.
var reasons = map[KeyProblem]string{
	KeyUnreadable:    "cannot be read",
	KeyNotRegular:    "is not a regular file",
	KeyTooLarge:      "is over 4 KiB: a key file holds one key",
	KeyWorldWritable: "is writable by anyone: chmod o-w it",
	KeyMalformed:     "must hold a 32-byte key written as 64 hex characters or as base64 (44 characters, or 43 without padding)",
	KeyExists:        "already exists: a new key is never written over one",
	KeyUnwritable:    "cannot be written",
}

// KeyFileError is why LoadKey or GenerateKeyFile refused a key file.
type KeyFileError struct {
	Path    string
	Problem KeyProblem
	Err     error // the file system's error, for KeyUnreadable and KeyUnwritable
}

// Error returns "secret key file PATH: reason".
func (e *KeyFileError) Error() string {
	s := "secret key file " + e.Path + ": " + reasons[e.Problem]
	if e.Err != nil {
		s += ": " + errText(e.Err)
	}
	return s
}

// Unwrap returns the file system's error.
func (e *KeyFileError) Unwrap() error { return e.Err }

// errText is an os error without the path the message already names.
func errText(err error) string {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}

// errKeyLength is newKey's refusal, turned into KeyMalformed by LoadKey.
var errKeyLength = errors.New("secretdoc: a key is 32 bytes")

// LoadKey reads the key of a key file: 32 bytes as 64 hex characters or
// as base64 (standard or URL alphabet, padded or not), whitespace around
// it trimmed. The file must be a regular file of at most MaxKeyFileBytes
// that not everyone may write to.
func LoadKey(path string) (Key, error) {
	data, err := readKeyFile(path)
	if err != nil {
		return Key{}, err
	}
	defer clear(data)
	raw, ok := decodeKey(bytes.TrimSpace(data))
	if !ok {
		return Key{}, &KeyFileError{Path: path, Problem: KeyMalformed}
	}
	defer clear(raw)
	k, err := newKey(raw)
	if err != nil {
		return Key{}, &KeyFileError{Path: path, Problem: KeyMalformed}
	}
	return k, nil
}

// readKeyFile reads the file after checking, on the open file itself, that
// it is a regular file of a key's size that only its owners may write.
func readKeyFile(path string) ([]byte, error) {
	data, err := regularfile.Read(path, MaxKeyFileBytes, func(fi fs.FileInfo) error {
		if fi.Mode().Perm()&0o002 != 0 {
			return &KeyFileError{Path: path, Problem: KeyWorldWritable}
		}
		return nil
	})
	var kfe *KeyFileError
	var nre *regularfile.NotRegularError
	var tle *regularfile.TooLargeError
	switch {
	case err == nil:
		return data, nil
	case errors.As(err, &kfe):
		return nil, err
	case errors.As(err, &nre):
		return nil, &KeyFileError{Path: path, Problem: KeyNotRegular}
	case errors.As(err, &tle):
		return nil, &KeyFileError{Path: path, Problem: KeyTooLarge}
	}
	return nil, &KeyFileError{Path: path, Problem: KeyUnreadable, Err: err}
}

// base64Forms are the spellings of a key LoadKey takes beside hex. Strict:
// each key has one spelling per form (no stray bits in the last character).
var base64Forms = []*base64.Encoding{
	base64.StdEncoding.Strict(),
	base64.RawStdEncoding.Strict(),
	base64.URLEncoding.Strict(),
	base64.RawURLEncoding.Strict(),
}

// decodeKey returns the 32 bytes text spells, or false. The base64 decoders
// skip line breaks inside the text; a key is one word, so they are refused
// first.
func decodeKey(text []byte) ([]byte, bool) {
	if len(text) == 2*KeySize {
		raw := make([]byte, KeySize)
		if _, err := hex.Decode(raw, text); err == nil {
			return raw, true
		}
	}
	if bytes.ContainsAny(text, "\r\n") {
		return nil, false
	}
	for _, enc := range base64Forms {
		if enc.DecodedLen(len(text)) < KeySize || enc.DecodedLen(len(text)) > KeySize+2 {
			continue
		}
		raw := make([]byte, enc.DecodedLen(len(text)))
		n, err := enc.Decode(raw, text)
		if err == nil && n == KeySize {
			return raw[:n], true
		}
		clear(raw)
	}
	return nil, false
}

// GenerateKeyFile writes a new random key to path, as 64 hex characters
// and a newline, readable by its owner only, and returns it. It never
// writes over a file: an existing one is KeyExists.
func GenerateKeyFile(path string) (Key, error) {
	raw := make([]byte, KeySize)
	defer clear(raw)
	rand.Read(raw) // never fails (crypto/rand since Go 1.24)
	k, err := newKey(raw)
	if err != nil {
		return Key{}, &KeyFileError{Path: path, Problem: KeyUnwritable, Err: err}
	}
	text := make([]byte, 0, 2*KeySize+1)
	text = hex.AppendEncode(text, raw)
	text = append(text, '\n')
	defer clear(text)
	if err := writeNew(path, text); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return Key{}, &KeyFileError{Path: path, Problem: KeyExists}
		}
		return Key{}, &KeyFileError{Path: path, Problem: KeyUnwritable, Err: err}
	}
	return k, nil
}

// writeNew creates path (O_EXCL: not over a file, nor through a symbolic
// link) with mode 0600 and writes data to disk; a file left half-written
// is removed, so that a retry is not refused as KeyExists.
func writeNew(path string, data []byte) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(path)
	}
	return err
}

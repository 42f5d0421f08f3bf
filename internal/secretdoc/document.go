package secretdoc

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
)

// MaxDocBytes bounds a document: a policy entry with its keys is a few KiB,
// and a large inline JWK set some tens.
const MaxDocBytes = 1 << 20

var (
	// ErrTooLarge is the error for a document over MaxDocBytes.
	ErrTooLarge = errors.New("secretdoc: the document is over 1 MiB")
	// ErrSyntax is the error for a document that is not one JSON value.
	// The parser's own message is left out: it quotes the document.
	ErrSyntax = errors.New("secretdoc: the document is not valid JSON")
	// ErrNotObject is the error for a JSON document that is no object.
	ErrNotObject = errors.New("secretdoc: the document is not a JSON object")
)

// DocError names which of Restore's documents an error is about.
type DocError struct {
	Doc string // "incoming" or "stored"
	Err error  // ErrTooLarge, ErrSyntax or ErrNotObject
}

// Error returns "DOC document: reason".
func (e *DocError) Error() string { return "the " + e.Doc + " document: " + e.Err.Error() }

// Unwrap returns the reason, for errors.Is.
func (e *DocError) Unwrap() error { return e.Err }

// parse decodes a document into maps, slices, strings, json.Numbers (each
// number kept as written), bools and nils.
func parse(doc []byte) (map[string]any, error) {
	if len(doc) > MaxDocBytes {
		return nil, ErrTooLarge
	}
	v, ok := decode(doc)
	if !ok {
		return nil, ErrSyntax
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, ErrNotObject
	}
	return m, nil
}

// decode decodes exactly one JSON value, nothing but space after it.
// encoding/json bounds the nesting (10000 levels).
func decode(data []byte) (any, bool) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, false
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, false
	}
	return v, true
}

// encode writes v as compact JSON, members in name order and <, >, &
// kept as they are: one spelling for one value, which fingerprints need.
func encode(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, ErrSyntax
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), nil
}

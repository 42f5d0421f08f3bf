package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"

	"github.com/jwtgate/jwtgate/core"
	"github.com/jwtgate/jwtgate/wasm/abi"
)

// hostKeys is the host's key source, reached through the
// jwtgate_host.keyset_get import. It keeps each URL's last document and
// its parse, so that a host answering from its cache (the same bytes)
// costs a copy and a compare, not a parse of every key.
type hostKeys struct {
	buf    []byte
	parsed map[string]parsedSet // by URL; only the policy's URLs are asked for
}

type parsedSet struct {
	doc []byte
	set *core.KeySet
}

func newHostKeys() *hostKeys {
	return &hostKeys{buf: make([]byte, 16<<10), parsed: map[string]parsedSet{}}
}

// KeySet implements core.KeySource. The host's message becomes the error
// as it is, so that the decision's reason is the native one.
func (k *hostKeys) KeySet(_ context.Context, url, kid string) (*core.KeySet, error) {
	if len(url) > abi.MaxURLBytes || len(kid) > abi.MaxKeyIDBytes {
		return nil, errors.New("key set request over the ABI's limits")
	}
	doc, err := k.fetch(url, kid)
	if err != nil {
		return nil, err
	}
	if p, ok := k.parsed[url]; ok && bytes.Equal(p.doc, doc) {
		return p.set, nil
	}
	set, err := core.ParseKeySet(doc)
	if err != nil {
		return nil, err
	}
	k.parsed[url] = parsedSet{doc: bytes.Clone(doc), set: set}
	return set, nil
}

// fetch calls keyset_get, once more with a buffer of the size the host
// asks for when the document did not fit.
func (k *hostKeys) fetch(url, kid string) ([]byte, error) {
	for range 2 {
		r := keySetGet(url, kid, k.buf)
		if n, failed := abi.FailureLen(r); failed {
			return nil, errors.New(string(k.buf[:min(n, len(k.buf))]))
		}
		if int(r) <= len(k.buf) {
			return k.buf[:r], nil
		}
		if r > abi.MaxKeySetBytes {
			return nil, fmt.Errorf("key set of %d bytes is over the plugin's limit of %d", r, abi.MaxKeySetBytes)
		}
		k.buf = make([]byte, r)
	}
	return nil, errors.New("the host's key set grew between two calls")
}

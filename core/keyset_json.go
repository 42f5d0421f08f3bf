package core

import (
	"encoding/json"

	jose "github.com/go-jose/go-jose/v4"
)

// MarshalJSON returns the set as a JWK set document: the very document
// ParseKeySet parsed, so that a host handing a key set to another verifier
// (the wasm plugin's, through its ABI) gives it the bytes the native
// verifier read, and both decide alike.
func (s *KeySet) MarshalJSON() ([]byte, error) {
	if s == nil {
		return []byte("null"), nil
	}
	if s.doc != nil {
		return append([]byte(nil), s.doc...), nil
	}
	return json.Marshal(jose.JSONWebKeySet{Keys: s.keys})
}

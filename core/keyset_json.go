package core

// MarshalJSON returns the set as a JWK set document: the very document
// ParseKeySet parsed, so that a host handing a key set to another verifier
// (the wasm plugin's, through its ABI) gives it the bytes the native
// verifier read, and both decide alike.
func (s *KeySet) MarshalJSON() ([]byte, error) {
	if s == nil {
		return []byte("null"), nil
	}
	if s.doc == nil { // a zero KeySet{}: ParseKeySet keeps every document
		return []byte(`{"keys":[]}`), nil
	}
	return append([]byte(nil), s.doc...), nil
}

package secretdoc

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
)

// KeySize is the length of a Key's bytes: AES-256.
const KeySize = 32

// idLabel is hashed before the key into its ID, so that the ID is no
// plain hash of the key that another use of the same bytes could share.
const idLabel = "jwtgate secretdoc key id v1\x00"

// idSize is how many bytes of the hash make an ID: enough to tell a
// rotated key from the current one, not to stand for the key.
const idSize = 8

// Key seals and opens documents. Its bytes sit behind a pointer so that
// printing a struct holding a Key shows an address, never them; its own
// String, GoString and Format show its ID only. The zero Key holds no key:
// Seal returns nil and Open ErrNoKey.
type Key struct {
	k *keyState
}

type keyState struct {
	aead cipher.AEAD
	id   [idSize]byte
}

// newKey builds the Key of 32 bytes.
func newKey(raw []byte) (Key, error) {
	if len(raw) != KeySize {
		return Key{}, errKeyLength
	}
	block, err := aes.NewCipher(raw)
	if err != nil {
		return Key{}, errKeyLength
	}
	// The AEAD draws its own 96-bit nonce for each Seal and puts it in
	// front of the ciphertext, so no caller can reuse one.
	aead, err := cipher.NewGCMWithRandomNonce(block)
	if err != nil {
		return Key{}, errKeyLength
	}
	st := &keyState{aead: aead}
	h := sha256.New()
	h.Write([]byte(idLabel))
	h.Write(raw)
	copy(st.id[:], h.Sum(nil))
	return Key{k: st}, nil
}

// ID returns the key's ID, 16 hex characters, "" for the zero Key. It is
// stored beside each sealed document to tell which key sealed it.
func (k Key) ID() string {
	if k.k == nil {
		return ""
	}
	return hex.EncodeToString(k.k.id[:])
}

// String returns "secretdoc.Key(ID)".
func (k Key) String() string {
	if k.k == nil {
		return "secretdoc.Key(none)"
	}
	return "secretdoc.Key(" + k.ID() + ")"
}

// GoString is String, so that %#v shows no bytes either.
func (k Key) GoString() string { return k.String() }

// Format prints String for every verb, so that no verb (%x, %+v…)
// reaches the key's bytes.
func (k Key) Format(f fmt.State, _ rune) { fmt.Fprint(f, k.String()) }

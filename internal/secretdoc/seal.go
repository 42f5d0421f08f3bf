package secretdoc

import (
	"bytes"
	"errors"
)

// formatV1 leads every sealed value of this format: format byte, key ID
// (8 bytes), nonce (12), ciphertext and tag (16). A later format takes
// another byte, and Open tells them apart.
const formatV1 = 1

// headerSize is the format byte and the key ID, both bound into the tag.
const headerSize = 1 + idSize

var (
	// ErrWrongKey is Open's error for a value sealed by another key (its
	// key ID is not this key's): a rotated key, or the wrong key file.
	ErrWrongKey = errors.New("secretdoc: the value was sealed with another key")
	// ErrCorrupt is Open's error for a value that is not one Seal made
	// with this key and these additional data: truncated, altered, of an
	// unknown format, or opened with other additional data.
	ErrCorrupt = errors.New("secretdoc: the sealed value is corrupt or its additional data differ")
	// ErrNoKey is Open's error on the zero Key.
	ErrNoKey = errors.New("secretdoc: no key")
)

// Seal encrypts plaintext with AES-256-GCM under a fresh random nonce,
// authenticating aad too (such as the row's tenant and name, so that a
// sealed value copied to another row does not open). The zero Key seals
// nothing and returns nil.
func (k Key) Seal(plaintext, aad []byte) []byte {
	if k.k == nil {
		return nil
	}
	header := k.header()
	return k.k.aead.Seal(header, nil, plaintext, boundAAD(header, aad))
}

// Open decrypts what Seal returned, given the same aad: ErrWrongKey when
// another key sealed it, ErrCorrupt when it fails authentication.
func (k Key) Open(sealed, aad []byte) ([]byte, error) {
	if k.k == nil {
		return nil, ErrNoKey
	}
	if len(sealed) < headerSize || sealed[0] != formatV1 {
		return nil, ErrCorrupt
	}
	header := k.header()
	if !bytes.Equal(sealed[1:headerSize], header[1:]) {
		return nil, ErrWrongKey
	}
	plain, err := k.k.aead.Open(nil, nil, sealed[headerSize:], boundAAD(header, aad))
	if err != nil {
		return nil, ErrCorrupt
	}
	return plain, nil
}

// header is the format byte and this key's ID.
func (k Key) header() []byte {
	h := make([]byte, headerSize, headerSize+k.k.aead.NonceSize()+k.k.aead.Overhead())
	h[0] = formatV1
	copy(h[1:], k.k.id[:])
	return h
}

// boundAAD puts the header before the caller's additional data, so that
// an altered format byte or key ID fails authentication too. The header
// has a fixed length, so the two parts cannot be shifted into each other.
func boundAAD(header, aad []byte) []byte {
	return append(header[:headerSize:headerSize], aad...)
}

package secretdoc

import (
	"crypto/sha256"
	"encoding/hex"
)

// Secret is one secret Redact took out of a document.
type Secret struct {
	Path        string // as the policy loader names the field: policy.keys[0].secret
	Fingerprint string // sha256:<16 hex>, as the placeholder holds it
}

// fingerprintMember is the one member of a placeholder.
const fingerprintMember = "fingerprint"

// PlaceholderError is Redact's error for a document that holds a
// placeholder where a secret goes: Redact takes a document with its
// secrets (Restore's result), and a placeholder stored as a secret would
// come back from Restore as a secret nobody gave.
type PlaceholderError struct{ Path string }

// Error returns "PATH holds a fingerprint placeholder, not a secret".
func (e *PlaceholderError) Error() string {
	return e.Path + " holds a fingerprint placeholder, not a secret"
}

// Redact returns doc with each secret replaced by the placeholder
// {"fingerprint": "sha256:…"} and the list of those it replaced. Every
// other value is kept as it is (numbers as written); members come out in
// name order, as compact JSON.
func Redact(doc []byte) (public []byte, secrets []Secret, err error) {
	tree, err := parse(doc)
	if err != nil {
		return nil, nil, err
	}
	for _, p := range places(tree) {
		if _, ok := placeholderOf(p.value()); ok {
			return nil, nil, &PlaceholderError{Path: p.path}
		}
		if !p.isSecret() {
			continue
		}
		fp, err := fingerprint(p.value())
		if err != nil {
			return nil, nil, err
		}
		p.entry[p.name] = placeholder(fp)
		secrets = append(secrets, Secret{Path: p.path, Fingerprint: fp})
	}
	public, err = encode(tree)
	if err != nil {
		return nil, nil, err
	}
	return public, secrets, nil
}

// HasSecrets reports whether doc holds a secret, or a placeholder where a
// secret goes (it stands for one Restore puts back).
func HasSecrets(doc []byte) (bool, error) {
	tree, err := parse(doc)
	if err != nil {
		return false, err
	}
	for _, p := range places(tree) {
		if _, ok := placeholderOf(p.value()); ok || p.isSecret() {
			return true, nil
		}
	}
	return false, nil
}

// fingerprint is "sha256:" and the first 16 hex characters of the SHA-256
// of a string's bytes, or of another value's compact JSON.
func fingerprint(v any) (string, error) {
	var b []byte
	if s, ok := v.(string); ok {
		b = []byte(s)
	} else {
		var err error
		if b, err = encode(v); err != nil {
			return "", err
		}
	}
	sum := sha256.Sum256(b)
	return "sha256:" + hex.EncodeToString(sum[:8]), nil
}

// placeholder is the value that stands for the secret of fingerprint fp.
func placeholder(fp string) map[string]any {
	return map[string]any{fingerprintMember: fp}
}

// placeholderOf returns the fingerprint of a placeholder: an object whose
// one member is "fingerprint", a string.
func placeholderOf(v any) (string, bool) {
	m, ok := v.(map[string]any)
	if !ok || len(m) != 1 {
		return "", false
	}
	fp, ok := m[fingerprintMember].(string)
	return fp, ok
}

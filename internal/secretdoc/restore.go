package secretdoc

// WithheldError is Restore's error for a placeholder that stands for no
// secret of the stored document: a new secret needs its value.
type WithheldError struct{ Path string }

// Error returns "the secret at PATH is withheld: give its value".
func (e *WithheldError) Error() string {
	return "the secret at " + e.Path + " is withheld: give its value"
}

// Restore returns incoming with each placeholder where a secret goes
// replaced by the stored document's secret of the same fingerprint, found
// wherever it is in stored (entries may have moved) but in a member of the
// same name: a secret is never put back as another kind of value, which
// could make it public (a password as a verification key's jwks is no
// private key, so Redact would show it). A placeholder with no such secret
// is a *WithheldError; stored is nil for a new document, where every
// placeholder is one. Errors about either document are *DocError.
func Restore(incoming, stored []byte) ([]byte, error) {
	tree, err := parse(incoming)
	if err != nil {
		return nil, &DocError{Doc: "incoming", Err: err}
	}
	known, err := storedSecrets(stored)
	if err != nil {
		return nil, &DocError{Doc: "stored", Err: err}
	}
	for _, p := range places(tree) {
		fp, ok := placeholderOf(p.value())
		if !ok {
			continue
		}
		v, ok := known[secretKey{p.name, fp}]
		if !ok {
			return nil, &WithheldError{Path: p.path}
		}
		p.entry[p.name] = v
	}
	out, err := encode(tree)
	if err != nil {
		return nil, &DocError{Doc: "incoming", Err: err}
	}
	return out, nil
}

// secretKey finds a stored secret: its member's name and its fingerprint.
type secretKey struct{ name, fingerprint string }

// storedSecrets returns the secrets of the stored document, none for nil.
func storedSecrets(stored []byte) (map[secretKey]any, error) {
	known := map[secretKey]any{}
	if stored == nil {
		return known, nil
	}
	tree, err := parse(stored)
	if err != nil {
		return nil, err
	}
	for _, p := range places(tree) {
		if !p.isSecret() {
			continue
		}
		fp, err := fingerprint(p.value())
		if err != nil {
			return nil, err
		}
		known[secretKey{p.name, fp}] = p.value()
	}
	return known, nil
}

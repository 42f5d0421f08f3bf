//go:build jwtgate_webcrypto

package core

// marshalJSON is embedJSON in the browser module's build, which does not
// link encoding/json's reflection-based encoder for this one fallback
// (decision_marshal_native.go has encoding/json's).
func (d *Decision) marshalJSON() []byte { return d.embedJSON() }

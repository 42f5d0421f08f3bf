//go:build !jwtgate_webcrypto

package core

import "encoding/json"

// marshalJSON is JSON through encoding/json, for decisions whose claims
// must be validated as they are encoded.
func (d *Decision) marshalJSON() []byte {
	b, err := json.Marshal(d)
	if err != nil {
		// Every field is plain data; this cannot fail unless Claims was
		// altered by the caller into invalid JSON.
		b, _ = json.Marshal(&Decision{Code: CodeInvalidToken, Message: CodeInvalidToken.Message(), Reason: "decision could not be encoded"})
	}
	return b
}

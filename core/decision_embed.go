package core

import "encoding/json"

// embedJSON is what json.Marshal gives for a decision whose claims the
// core did not read (marshalJSON), without reflection: the claims checked
// with json.Valid (encoding/json's scanner) and embedded as the fast path
// embeds the core's own (jsonenc.Embed: compacted and HTML-escaped, as
// encoding/json embeds a RawMessage). FuzzEmbedJSON holds it to
// json.Marshal.
func (d *Decision) embedJSON() []byte {
	if !json.Valid(d.Claims) {
		bad := Decision{Code: CodeInvalidToken, Message: CodeInvalidToken.Message(), Reason: "decision could not be encoded"}
		return bad.JSON()
	}
	c := *d
	c.ownedClaims = c.Claims
	return c.JSON()
}

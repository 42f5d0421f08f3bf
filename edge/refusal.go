package edge

import (
	"encoding/json"
	"fmt"

	"github.com/jwtgate/jwtgate/core"
)

// Refusal is jwtgate's answer to a request it refuses, on every host: a
// status, an RFC 6750 challenge for WWW-Authenticate ("" for none), and
// the JSON error body's code and fixed message, never the reason.
type Refusal struct {
	Status    int    // the HTTP status: 400, 401 or 403
	Challenge string // the WWW-Authenticate value, "" for none
	Code      string // the JSON body's "error"
	Message   string // the JSON body's "message", fixed per code
}

// realm is the challenge of a request without credentials (RFC 6750
// section 3.1: no error code then).
const realm = `Bearer realm="jwtgate"`

// Unauthorized is 401 with code's fixed message. With a credential sent,
// the challenge names invalid_token and the message; without one, it is
// the bare challenge.
func Unauthorized(code core.Code, credentialSent bool) Refusal {
	r := Refusal{Status: 401, Challenge: realm, Code: string(code), Message: code.Message()}
	if credentialSent {
		r.Challenge = fmt.Sprintf(`%s, error="invalid_token", error_description=%q`, realm, r.Message)
	}
	return r
}

// Forbidden is 403 permission_denied, a valid token that does not meet the
// policy or the route, with the insufficient_scope challenge.
func Forbidden() Refusal {
	code := core.CodePermissionDenied
	return Refusal{Status: 403, Code: string(code), Message: code.Message(),
		Challenge: fmt.Sprintf(`%s, error="insufficient_scope", error_description=%q`, realm, code.Message())}
}

// Refuse answers a rejected decision's code: Forbidden for
// permission_denied, else Unauthorized.
func Refuse(code core.Code, credentialSent bool) Refusal {
	if code == core.CodePermissionDenied {
		return Forbidden()
	}
	return Unauthorized(code, credentialSent)
}

// InvalidPath is 400 invalid_request for a request path CleanPath refuses,
// with no challenge: the path is refused whatever the credential.
func InvalidPath() Refusal {
	return Refusal{Status: 400, Code: "invalid_request", Message: "Invalid request path"}
}

// Body is the refusal's JSON error body.
func (r Refusal) Body() []byte { return ErrorBody(r.Code, r.Message) }

// ErrorBody is jwtgate's JSON error body, {"error": code, "message":
// message}, without a final newline.
func ErrorBody(code, message string) []byte {
	b, err := json.Marshal(struct {
		Error   string `json:"error"`
		Message string `json:"message"`
	}{code, message})
	if err != nil { // strings always marshal
		return []byte(`{"error":"internal_error","message":"Internal error"}`)
	}
	return b
}

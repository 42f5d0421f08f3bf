package edge

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/jwtgate/jwtgate/core"
)

// Every host answers a refusal alike: RFC 6750 challenges naming the
// code's fixed message, the bare challenge without a credential, and the
// JSON body with the code and message only.
func TestRefusals(t *testing.T) {
	for _, tc := range []struct {
		got       Refusal
		status    int
		challenge string
		code      string
		message   string
	}{
		{Refuse(core.CodeTokenExpired, true), 401, `Bearer realm="jwtgate", error="invalid_token", error_description="Token expired"`, "token_expired", "Token expired"},
		{Refuse(core.CodeInvalidToken, false), 401, `Bearer realm="jwtgate"`, "invalid_token", "Invalid token"},
		{Refuse(core.CodePermissionDenied, true), 403, `Bearer realm="jwtgate", error="insufficient_scope", error_description="Permission denied"`, "permission_denied", "Permission denied"},
		{Refuse(core.CodePermissionDenied, false), 403, `Bearer realm="jwtgate", error="insufficient_scope", error_description="Permission denied"`, "permission_denied", "Permission denied"},
		{Unauthorized(core.CodePermissionDenied, true), 401, `Bearer realm="jwtgate", error="invalid_token", error_description="Permission denied"`, "permission_denied", "Permission denied"},
		{Forbidden(), 403, `Bearer realm="jwtgate", error="insufficient_scope", error_description="Permission denied"`, "permission_denied", "Permission denied"},
		{InvalidPath(), 400, "", "invalid_request", "Invalid request path"},
	} {
		assert.Equal(t, Refusal{Status: tc.status, Challenge: tc.challenge, Code: tc.code, Message: tc.message}, tc.got)
		var body map[string]string
		require.NoError(t, json.Unmarshal(tc.got.Body(), &body))
		assert.Equal(t, map[string]string{"error": tc.code, "message": tc.message}, body)
	}
	assert.Equal(t, `{"error":"x","message":"a \"quoted\" \u003cmessage\u003e"}`, string(ErrorBody("x", `a "quoted" <message>`)))
}

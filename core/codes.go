package core

// Code is a stable error code of the decision taxonomy. Callers compare
// codes, never messages.
type Code string

// The error taxonomy. Each code has one fixed message (see Message) that is
// safe to show to whoever presented the token; the detail goes to Reason.
const (
	// CodeInvalidToken: malformed, badly signed, wrong algorithm, wrong
	// audience, or anything else that makes the token untrustworthy.
	CodeInvalidToken Code = "invalid_token"
	// CodeTokenExpired: "exp" is past (beyond the clock skew), or the token
	// is older than the integration's max_age.
	CodeTokenExpired Code = "token_expired"
	// CodeTokenNotYetValid: "nbf" or "iat" lies in the future beyond the skew.
	CodeTokenNotYetValid Code = "token_not_yet_valid"
	// CodeTokenReplayed: a one-time token whose "jti" was already used.
	CodeTokenReplayed Code = "token_replayed"
	// CodeConfigurationNotFound: no integration has the token's issuer.
	CodeConfigurationNotFound Code = "configuration_not_found"
	// CodeRequiredClaimsFailed: a required claim is missing or of the wrong type.
	CodeRequiredClaimsFailed Code = "required_claims_failed"
	// CodeKeysUnavailable: the integration has no usable keys right now
	// (for example its JWKS URL could not be fetched).
	CodeKeysUnavailable Code = "keys_unavailable"
	// CodePermissionDenied: a valid token that does not meet the policy's
	// required permissions, roles or groups.
	CodePermissionDenied Code = "permission_denied"
)

// Codes returns every code, in the order of the taxonomy. The slice is the
// caller's own: changing it changes no other caller's answer.
func Codes() []Code {
	return []Code{
		CodeInvalidToken, CodeTokenExpired, CodeTokenNotYetValid, CodeTokenReplayed,
		CodeConfigurationNotFound, CodeRequiredClaimsFailed, CodeKeysUnavailable, CodePermissionDenied,
	}
}

// Message returns the code's fixed, attacker-safe message.
func (c Code) Message() string {
	switch c {
	case CodeInvalidToken:
		return "Invalid token"
	case CodeTokenExpired:
		return "Token expired"
	case CodeTokenNotYetValid:
		return "Token is not valid yet"
	case CodeTokenReplayed:
		return "Token has already been used"
	case CodeConfigurationNotFound:
		return "Configuration not found"
	case CodeRequiredClaimsFailed:
		return "Required claims validation failed"
	case CodeKeysUnavailable:
		return "Failed to get JWKS"
	case CodePermissionDenied:
		return "Permission denied"
	}
	return ""
}

package server

import (
	"encoding/json"
	"net/http"
)

// problem is an admin API error: RFC 9457 problem details, with the
// stable code a client branches on and, for a refused integration, one
// entry per field at fault, named as the configuration file names it.
type problem struct {
	Type   string         `json:"type"`
	Title  string         `json:"title"`
	Status int            `json:"status"`
	Code   string         `json:"code"`
	Detail string         `json:"detail,omitempty"`
	Errors []fieldProblem `json:"errors,omitempty"`
}

// fieldProblem is one field of a document the loader refused.
type fieldProblem struct {
	Field  string `json:"field"`
	Reason string `json:"reason"`
}

// problemTypes are the problem codes and their titles; each is documented
// in the OpenAPI file (TestOpenAPIProblems).
var problemTitles = map[string]string{
	"unauthorized":          "Authentication required",
	"forbidden":             "Not allowed",
	"not_found":             "Not found",
	"method_not_allowed":    "Method not allowed",
	"invalid_request":       "The request is malformed",
	"invalid_integration":   "The integration is refused",
	"conflict":              "The resource conflicts with another",
	"read_only":             "The resource is defined by the configuration file",
	"precondition_required": "If-Match is required",
	"precondition_failed":   "The resource changed since it was read",
	"secrets_key_required":  "No secrets key is configured",
	"too_many_requests":     "Too many failed attempts",
	"unavailable":           "The store is unavailable",
	"internal_error":        "Internal error",
}

// writeProblem writes a problem of a code listed in problemTitles.
func writeProblem(w http.ResponseWriter, status int, code, detail string, errs ...fieldProblem) {
	body, _ := json.Marshal(problem{
		Type: "urn:jwtgate:problem:" + code, Title: problemTitles[code], Status: status,
		Code: code, Detail: detail, Errors: errs,
	})
	h := w.Header()
	h.Set("Content-Type", "application/problem+json")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	w.Write(append(body, '\n'))
}

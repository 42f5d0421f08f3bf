package server

import "github.com/jwtgate/jwtgate/internal/jsonenc"

// The answers of the hot endpoints, /v1/authz and /v1/verify, written
// field by field: encoding/json built them by reflection (from a map, for
// /v1/authz, which it also sorted), a tenth of the handler's cost. The
// bytes are exactly json.Marshal's for the map and struct they replace
// (member order, HTML-safe escaping, U+FFFD for invalid UTF-8), which
// TestAnswersMatchMarshal and FuzzAnswers hold them to. Each ends in the
// newline writeJSON adds, with room for it, so that no copy is made.

// authzAnswer is the 200 body of /v1/authz: what json.Marshal wrote for
// map[string]string{"status": "ok", "subject": …, "integration": …}, its
// keys sorted.
func authzAnswer(subject, integration string) []byte {
	b := make([]byte, 0, 48+len(subject)+len(integration))
	b = jsonenc.String(append(b, `{"integration":`...), integration)
	b = jsonenc.String(append(b, `,"status":"ok","subject":`...), subject)
	return append(b, '}')
}

// verifyAnswer is the 200 body of /v1/verify: json.Marshal of a
// verifyResponse, whose groups are never null.
func verifyAnswer(v verifyResponse) []byte {
	n := 72 + 2*len(v.Sub) + len(v.Tenant) + len(v.Integration)
	for _, g := range v.Groups {
		n += len(g) + 3
	}
	b := make([]byte, 0, n)
	b = jsonenc.String(append(b, `{"sub":`...), v.Sub)
	b = jsonenc.String(append(b, `,"user_id":`...), v.UserID)
	b = jsonenc.String(append(b, `,"tenant":`...), v.Tenant)
	b = jsonenc.List(append(b, `,"groups":`...), v.Groups)
	b = jsonenc.String(append(b, `,"integration":`...), v.Integration)
	return append(b, '}')
}

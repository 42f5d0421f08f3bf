// Package remote calls the endpoints an integration may configure beside
// its keys: a remote validation endpoint (Okera's
// JWT_AUTHENTICATION_SERVER_URL, Okto's verify endpoint), tried before the
// keys, and a group resolver asked for the groups of a subject whose token
// carries none. Outgoing calls carry the configured system token.
package remote

import (
	"context"
	"errors"
	"net/http"
	"time"
)

// ErrRejected means the endpoint answered and refused the token (a 401 or
// 403), as opposed to failing to answer.
var ErrRejected = errors.New("remote: token rejected by the validation endpoint")

// Validator calls a remote validation endpoint: POST with the token as a
// bearer and Accept: application/json; a 200 answer is a JSON object whose
// SubjectField ("sub" or "user_id") names the subject.
type Validator struct {
	URL          string
	SubjectField string        // default "sub"
	Timeout      time.Duration // default 5s
	MaxBytes     int64         // default 64 KiB
	Client       *http.Client  // default: http.DefaultClient with Timeout
}

// Result is what a validation endpoint said of a token.
type Result struct {
	// Subject is the value of the subject field.
	Subject string
	// Claims is the whole JSON answer (it may carry groups, email, …).
	Claims map[string]any
}

// Validate asks the endpoint about token. ErrRejected (wrapped) means a
// refusal; any other error means the endpoint could not be used.
func (v *Validator) Validate(ctx context.Context, token string) (Result, error) {
	return Result{}, errors.New("remote: not implemented")
}

// GroupResolver asks an endpoint for a subject's groups: GET URL with the
// query parameter subject=…, carrying SystemToken as a bearer when set; the
// answer is {"groups": [...]} or a bare JSON array of strings.
type GroupResolver struct {
	URL         string
	SystemToken string
	Timeout     time.Duration // default 5s
	MaxBytes    int64         // default 64 KiB
	Client      *http.Client
}

// Groups returns the subject's groups.
func (g *GroupResolver) Groups(ctx context.Context, subject string) ([]string, error) {
	return nil, errors.New("remote: not implemented")
}

// Package remote calls the endpoints an integration may configure beside
// its keys: a remote validation endpoint (Okera's
// JWT_AUTHENTICATION_SERVER_URL, Okto's verify endpoint), tried before the
// keys, and a group resolver asked for the groups of a subject whose token
// carries none. The validator sends the token itself as the bearer; the
// group resolver sends the configured system token.
//
// A host hands a validator's answer to the core, which judges its claims as
// it judges a verified token's:
//
//	res, err := (&remote.Validator{URL: endpoint}).Validate(ctx, tok)
//	if err != nil { /* errors.Is(err, remote.ErrRejected): refused; else unavailable */ }
//	answer, err := json.Marshal(res.Claims)
//	d := verifier.VerifyVouched(ctx, req, core.Vouched{Subject: res.Subject, Claims: answer})
//
// Both callers bound each call by Timeout (also when given their own
// Client) and the answer by MaxBytes, never follow redirects (a 3xx is an
// error), and never put a token in an error or a log. Given a
// TracerProvider, each call is a span (remote.validate, remote.groups)
// with the configured URL and the answer's status, never the token, the
// subject or the answer.
package remote

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"

	"github.com/jwtgate/jwtgate/internal/otelspan"
)

// library names the tracer of the spans remote records.
const library = "github.com/jwtgate/jwtgate/remote"

// ErrRejected means the endpoint answered and refused the token (a 401 or
// 403), as opposed to failing to answer.
var ErrRejected = errors.New("remote: token rejected by the validation endpoint")

// Defaults of Validator and GroupResolver.
const (
	DefaultTimeout      = 5 * time.Second
	DefaultMaxBytes     = 64 << 10
	DefaultSubjectField = "sub"
)

// Validator calls a remote validation endpoint: POST with the token as a
// bearer and Accept: application/json; a 200 answer is a JSON object whose
// SubjectField ("sub" or "user_id") names the subject.
type Validator struct {
	// URL is the endpoint; required.
	URL string
	// SubjectField is the answer's field naming the subject (default "sub").
	SubjectField string
	// Timeout bounds one call, also with a Client of one's own (default 5s).
	Timeout time.Duration
	// MaxBytes bounds the answer's body (default 64 KiB).
	MaxBytes int64
	// Client makes the call (default: a client with Timeout). It is copied
	// and made to follow no redirect.
	Client *http.Client
	// TracerProvider, when set, records each call as a remote.validate
	// span. Default: none (never otel's global provider).
	TracerProvider trace.TracerProvider
}

// Result is what a validation endpoint said of a token.
type Result struct {
	// Subject is the value of the subject field: a string as it is, a
	// number as its JSON text.
	Subject string
	// Claims is the whole JSON answer (it may carry groups, email, …).
	// Numbers in it are json.Number, so that large IDs keep every digit.
	Claims map[string]any
}

// Validate asks the endpoint about token. ErrRejected (wrapped) means a
// refusal; any other error means the endpoint could not be used.
//
// The subject must be a non-empty string without control characters, or a
// JSON number; a 200 answer without one is an error, not a refusal.
func (v *Validator) Validate(ctx context.Context, token string) (Result, error) {
	ctx, span := otelspan.Start(ctx, otelspan.Tracer(v.TracerProvider, library), "remote.validate", trace.SpanKindClient,
		attribute.String("url.full", otelspan.URL(v.URL)), attribute.String("http.request.method", http.MethodPost))
	defer span.End()
	res, err := v.validate(ctx, span, token)
	switch {
	case errors.Is(err, ErrRejected):
		otelspan.Fail(span, err, "rejected")
	case err != nil:
		otelspan.Fail(span, err, "unavailable")
	}
	return res, err
}

func (v *Validator) validate(ctx context.Context, span trace.Span, token string) (Result, error) {
	if v.URL == "" {
		return Result{}, errors.New("remote: no validation URL configured")
	}
	if err := checkToken(token); err != nil {
		return Result{}, fmt.Errorf("remote: the token %v", err)
	}
	field := v.SubjectField
	if field == "" {
		field = DefaultSubjectField
	}
	req, err := http.NewRequest(http.MethodPost, v.URL, http.NoBody)
	if err != nil {
		return Result{}, fmt.Errorf("remote: validation URL: %v", err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Accept", "application/json")
	status, body, err := do(ctx, span, v.Client, v.Timeout, v.MaxBytes, req)
	if err != nil {
		return Result{}, fmt.Errorf("remote: validation endpoint: %w", err)
	}
	switch status {
	case http.StatusOK:
	case http.StatusUnauthorized, http.StatusForbidden:
		return Result{}, fmt.Errorf("%w (HTTP %d)", ErrRejected, status)
	default:
		return Result{}, fmt.Errorf("remote: validation endpoint answered HTTP %d", status)
	}
	val, err := decode(body)
	if err != nil {
		return Result{}, fmt.Errorf("remote: validation endpoint: %v", err)
	}
	claims, ok := val.(map[string]any)
	if !ok {
		return Result{}, fmt.Errorf("remote: validation endpoint answered a JSON %s, not an object", kind(val))
	}
	var sub string
	switch s := claims[field].(type) {
	case string:
		sub = s
	case json.Number:
		sub = s.String()
	case nil:
		return Result{}, fmt.Errorf("remote: validation endpoint's answer has no subject field %q", field)
	default:
		return Result{}, fmt.Errorf("remote: validation endpoint's subject field %q is a JSON %s, not a string", field, kind(s))
	}
	if sub == "" {
		return Result{}, fmt.Errorf("remote: validation endpoint's subject field %q is empty", field)
	}
	if hasControl(sub) {
		return Result{}, fmt.Errorf("remote: validation endpoint's subject field %q holds control characters", field)
	}
	return Result{Subject: sub, Claims: claims}, nil
}

// GroupResolver asks an endpoint for a subject's groups: GET URL with the
// query parameter subject=…, carrying SystemToken as a bearer when set; the
// answer is {"groups": [...]} or a bare JSON array of strings.
type GroupResolver struct {
	// URL is the endpoint, without a subject parameter; required.
	URL string
	// SystemToken is jwtgate's own credential for the endpoint; sent as a
	// bearer when set, never logged.
	SystemToken string
	// Timeout bounds one call, also with a Client of one's own (default 5s).
	Timeout time.Duration
	// MaxBytes bounds the answer's body (default 64 KiB).
	MaxBytes int64
	// Client makes the call (default: a client with Timeout). It is copied
	// and made to follow no redirect.
	Client *http.Client
	// TracerProvider, when set, records each call as a remote.groups span
	// (with the URL as configured, without the subject). Default: none.
	TracerProvider trace.TracerProvider
}

// Groups returns the subject's groups. A subject without groups gets an
// empty, non-nil slice; any answer but a 200 with one of the two shapes
// (every element a string) is an error.
func (g *GroupResolver) Groups(ctx context.Context, subject string) ([]string, error) {
	ctx, span := otelspan.Start(ctx, otelspan.Tracer(g.TracerProvider, library), "remote.groups", trace.SpanKindClient,
		attribute.String("url.full", otelspan.URL(g.URL)), attribute.String("http.request.method", http.MethodGet))
	defer span.End()
	groups, err := g.groups(ctx, span, subject)
	if err != nil {
		otelspan.Fail(span, err, "unavailable")
		return nil, err
	}
	span.SetAttributes(attribute.Int("jwtgate.groups.count", len(groups)))
	return groups, nil
}

func (g *GroupResolver) groups(ctx context.Context, span trace.Span, subject string) ([]string, error) {
	if g.URL == "" {
		return nil, errors.New("remote: no group resolver URL configured")
	}
	if subject == "" {
		return nil, errors.New("remote: group resolver: empty subject")
	}
	u, err := url.Parse(g.URL)
	if err != nil {
		return nil, fmt.Errorf("remote: group resolver URL: %v", err)
	}
	q := "subject=" + url.QueryEscape(subject)
	switch {
	case u.RawQuery == "":
		u.RawQuery = q
	case strings.HasSuffix(u.RawQuery, "&"):
		u.RawQuery += q
	default:
		u.RawQuery += "&" + q
	}
	u.ForceQuery = false
	u.Fragment, u.RawFragment = "", ""
	req, err := http.NewRequest(http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, fmt.Errorf("remote: group resolver URL: %v", err)
	}
	if g.SystemToken != "" {
		if err := checkToken(g.SystemToken); err != nil {
			return nil, fmt.Errorf("remote: the system token %v", err)
		}
		req.Header.Set("Authorization", "Bearer "+g.SystemToken)
	}
	req.Header.Set("Accept", "application/json")
	status, body, err := do(ctx, span, g.Client, g.Timeout, g.MaxBytes, req)
	if err != nil {
		return nil, fmt.Errorf("remote: group resolver: %w", err)
	}
	if status != http.StatusOK {
		return nil, fmt.Errorf("remote: group resolver answered HTTP %d", status)
	}
	val, err := decode(body)
	if err != nil {
		return nil, fmt.Errorf("remote: group resolver: %v", err)
	}
	list := val
	if obj, ok := val.(map[string]any); ok {
		l, ok := obj["groups"]
		if !ok {
			return nil, errors.New(`remote: group resolver's answer has no "groups"`)
		}
		list = l
	}
	arr, ok := list.([]any)
	if !ok {
		return nil, fmt.Errorf("remote: group resolver answered a JSON %s, not an array of groups", kind(list))
	}
	groups := make([]string, 0, len(arr))
	for i, el := range arr {
		s, ok := el.(string)
		if !ok {
			return nil, fmt.Errorf("remote: group resolver's group %d is a JSON %s, not a string", i, kind(el))
		}
		groups = append(groups, s)
	}
	return groups, nil
}

// do sends req with the limits and returns the status and the body of the
// answer, the status also to span. A redirect is not followed: its status
// is returned.
func do(ctx context.Context, span trace.Span, client *http.Client, timeout time.Duration, maxBytes int64, req *http.Request) (int, []byte, error) {
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	if maxBytes <= 0 {
		maxBytes = DefaultMaxBytes
	}
	var c http.Client
	if client != nil {
		c = *client
	} else {
		c.Timeout = timeout
	}
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	resp, err := c.Do(req.WithContext(ctx))
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	span.SetAttributes(attribute.Int("http.response.status_code", resp.StatusCode))
	if resp.StatusCode/100 == 3 {
		return 0, nil, fmt.Errorf("answered HTTP %d, a redirect, which is not followed", resp.StatusCode)
	}
	if resp.StatusCode != http.StatusOK {
		return resp.StatusCode, nil, nil
	}
	if resp.ContentLength > maxBytes {
		return 0, nil, fmt.Errorf("answer of %d bytes is over the limit of %d", resp.ContentLength, maxBytes)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxBytes+1))
	if err != nil {
		return 0, nil, fmt.Errorf("reading the answer: %w", err)
	}
	if int64(len(body)) > maxBytes {
		return 0, nil, fmt.Errorf("answer is over the limit of %d bytes", maxBytes)
	}
	return resp.StatusCode, body, nil
}

// decode parses one JSON value, numbers as json.Number, and nothing after
// it.
func decode(body []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, errors.New("the answer is not JSON")
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("the answer holds more than one JSON value")
	}
	return v, nil
}

// kind names the JSON type of a decoded value.
func kind(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case bool:
		return "boolean"
	case json.Number, float64:
		return "number"
	case string:
		return "string"
	case []any:
		return "array"
	case map[string]any:
		return "object"
	}
	return fmt.Sprintf("%T", v)
}

// checkToken refuses a token that cannot be sent as a bearer (RFC 6750
// allows visible ASCII without spaces). The message never quotes it.
func checkToken(tok string) error {
	if tok == "" {
		return errors.New("is empty")
	}
	for i := 0; i < len(tok); i++ {
		if c := tok[i]; c <= ' ' || c >= 0x7f {
			return fmt.Errorf("holds a byte at %d that cannot be sent in a header", i)
		}
	}
	return nil
}

func hasControl(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] == 0x7f {
			return true
		}
	}
	return false
}

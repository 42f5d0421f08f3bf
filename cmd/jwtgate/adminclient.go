package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	neturl "net/url"
	"strings"
	"time"
)

// Bounds of the admin client: an answer larger than maxAnswerBytes is
// refused (a document is at most 256 KiB; a list of thousands of
// integrations fits), and each request gives up after adminTimeout.
const (
	maxAnswerBytes = 16 << 20
	adminTimeout   = 30 * time.Second
)

// adminClient calls jwtgate serve's admin API (/v1/admin/…) with one
// credential.
type adminClient struct {
	base  string // the server's URL, without a trailing slash
	token string
	http  *http.Client
}

// newAdminClient returns a client of the server at base. Redirects are
// not followed: the admin API never answers with one, and following it
// would send the request elsewhere.
func newAdminClient(base, token string) *adminClient {
	return &adminClient{
		base: strings.TrimSuffix(base, "/"), token: token,
		http: &http.Client{
			Timeout:       adminTimeout,
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		},
	}
}

// answer is one admin API response.
type answer struct {
	status int
	etag   string
	body   []byte
}

// adminPath joins path segments, each escaped: /v1/admin/tenants/{t}/….
func adminPath(segments ...string) string {
	var b strings.Builder
	b.WriteString("/v1/admin")
	for _, s := range segments {
		b.WriteByte('/')
		b.WriteString(neturl.PathEscape(s))
	}
	return b.String()
}

// do sends one request (body as JSON when not nil; headers in pairs) and
// returns the answer of any status. An error is the transport's, or an
// answer too large.
func (c *adminClient) do(ctx context.Context, method, path string, body any, headers ...string) (answer, error) {
	var rd io.Reader
	if body != nil {
		raw, err := json.Marshal(body)
		if err != nil {
			return answer{}, err
		}
		rd = bytes.NewReader(raw)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, rd)
	if err != nil {
		return answer{}, err
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	req.Header.Set("Accept", "application/json")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return answer{}, &transportError{method: method, url: c.base + path, err: err}
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxAnswerBytes+1))
	if err != nil {
		return answer{}, &transportError{method: method, url: c.base + path, err: err}
	}
	if len(raw) > maxAnswerBytes {
		return answer{}, &transportError{method: method, url: c.base + path, err: errAnswerTooLarge}
	}
	return answer{status: resp.StatusCode, etag: resp.Header.Get("ETag"), body: raw}, nil
}

// call is do for a request that must succeed with one of the want
// statuses: any other answer is a *problemError. The body, when out is
// not nil, is decoded into it.
func (c *adminClient) call(ctx context.Context, method, path string, body, out any, want ...int) (answer, error) {
	a, err := c.do(ctx, method, path, body)
	if err != nil {
		return a, err
	}
	return a, a.decode(out, want...)
}

// decode checks the answer's status against want and decodes its body
// into out (when not nil); another status is a *problemError.
func (a answer) decode(out any, want ...int) error {
	for _, s := range want {
		if a.status == s {
			if out == nil || len(a.body) == 0 {
				return nil
			}
			if err := json.Unmarshal(a.body, out); err != nil {
				return fmt.Errorf("the server's answer (HTTP %d) is not the JSON expected: %w", a.status, err)
			}
			return nil
		}
	}
	return a.problem()
}

// errAnswerTooLarge is a transportError's cause for an answer over
// maxAnswerBytes.
var errAnswerTooLarge = errors.New("the answer is larger than 16 MiB")

// transportError is a request that got no answer.
type transportError struct {
	method, url string
	err         error
}

func (e *transportError) Error() string {
	return fmt.Sprintf("%s %s: %v", e.method, e.url, e.err)
}

func (e *transportError) Unwrap() error { return e.err }

// problemError is an admin API refusal: its status and, when the body is
// RFC 9457 problem details, what they say.
type problemError struct {
	Status int            `json:"status"`
	Code   string         `json:"code"`
	Title  string         `json:"title"`
	Detail string         `json:"detail"`
	Errors []fieldProblem `json:"errors"`
}

// fieldProblem is one entry of a problem's errors: a field at fault.
type fieldProblem struct {
	Field  string `json:"field"`
	Reason string `json:"reason"`
}

// problem reads the answer as problem details; a body that is not one
// (a proxy's error page) leaves the status alone to speak.
func (a answer) problem() *problemError {
	p := &problemError{}
	if json.Unmarshal(a.body, p) != nil {
		p = &problemError{}
	}
	p.Status = a.status
	if p.Title == "" {
		p.Title = http.StatusText(a.status)
	}
	return p
}

// Error is the first line of the problem: "TITLE: DETAIL (HTTP N)".
func (e *problemError) Error() string {
	s := e.Title
	if e.Detail != "" {
		s += ": " + e.Detail
	}
	return fmt.Sprintf("%s (HTTP %d)", s, e.Status)
}

// lines are the problem's first line and one "FIELD: reason" per field.
func (e *problemError) lines() []string {
	out := []string{e.Error()}
	for _, f := range e.Errors {
		field := f.Field
		if field == "" {
			field = "(document)"
		}
		out = append(out, "  "+field+": "+f.Reason)
	}
	return out
}

// exitCodeOf is the exit status of a failed admin call: 2 when the
// request itself was refused as wrong (a malformed or refused document,
// by the convention that a bad configuration is a usage error), else 1.
func exitCodeOf(err error) int {
	var p *problemError
	if errors.As(err, &p) && (p.Status == http.StatusBadRequest || p.Status == http.StatusUnprocessableEntity) {
		return exitUsage
	}
	return exitRejected
}

// reportError prints a failed call on stderr, prefixed (the command, and
// the integration when there is one), and returns its exit status.
func reportError(stderr io.Writer, prefix string, err error) int {
	var p *problemError
	if errors.As(err, &p) {
		ls := p.lines()
		fmt.Fprintf(stderr, "%s: %s\n", prefix, ls[0])
		for _, l := range ls[1:] {
			fmt.Fprintln(stderr, l)
		}
	} else {
		fmt.Fprintf(stderr, "%s: %v\n", prefix, err)
	}
	return exitCodeOf(err)
}

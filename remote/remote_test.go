package remote

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const token = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJlLXNlY3JldA"

var ctx = context.Background()

// recorder is an endpoint answering a fixed status and body at /, a
// redirect at /redirect, and recording the requests.
type recorder struct {
	*httptest.Server
	mu     sync.Mutex
	reqs   []*http.Request
	paths  map[string]int
	status int
	body   string
	delay  time.Duration
}

func newRecorder(t *testing.T, status int, body string) *recorder {
	t.Helper()
	r := &recorder{status: status, body: body, paths: map[string]int{}}
	r.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		r.mu.Lock()
		r.reqs = append(r.reqs, req.Clone(context.Background()))
		r.paths[req.URL.Path]++
		status, body, delay := r.status, r.body, r.delay
		r.mu.Unlock()
		if delay > 0 {
			select {
			case <-time.After(delay):
			case <-req.Context().Done():
				return
			}
		}
		switch req.URL.Path {
		case "/redirect":
			http.Redirect(w, req, "/", http.StatusFound)
			return
		case "/redirect307":
			http.Redirect(w, req, "/", http.StatusTemporaryRedirect)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_, _ = w.Write([]byte(body))
	}))
	t.Cleanup(r.Close)
	return r
}

func (r *recorder) last(t *testing.T) *http.Request {
	t.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	require.NotEmpty(t, r.reqs)
	return r.reqs[len(r.reqs)-1]
}

func (r *recorder) setDelay(d time.Duration) {
	r.mu.Lock()
	r.delay = d
	r.mu.Unlock()
}

func (r *recorder) count(path string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.paths[path]
}

// noToken asserts that an error does not reveal the token.
func noToken(t *testing.T, err error) {
	t.Helper()
	require.Error(t, err)
	assert.NotContains(t, err.Error(), token)
	assert.NotContains(t, err.Error(), "c2lnbmF0dXJl")
}

func TestValidateSendsTheTokenAndReadsTheSubject(t *testing.T) {
	r := newRecorder(t, 200, `{"sub":"alice","email":"a@example.com","groups":["eng"],"n":12345678901234567890}`)
	v := &Validator{URL: r.URL + "/verify"}
	res, err := v.Validate(ctx, token)
	require.NoError(t, err)
	assert.Equal(t, "alice", res.Subject)
	assert.Equal(t, "a@example.com", res.Claims["email"])
	assert.Equal(t, []any{"eng"}, res.Claims["groups"])
	assert.Equal(t, json.Number("12345678901234567890"), res.Claims["n"])

	req := r.last(t)
	assert.Equal(t, http.MethodPost, req.Method)
	assert.Equal(t, "/verify", req.URL.Path)
	assert.Equal(t, "Bearer "+token, req.Header.Get("Authorization"))
	assert.Equal(t, "application/json", req.Header.Get("Accept"))
}

func TestValidateSubjectField(t *testing.T) {
	for _, tc := range []struct {
		field, body, want string
	}{
		{"user_id", `{"user_id":"u-1","sub":"ignored"}`, "u-1"},
		{"user_id", `{"user_id":12345678901234567890}`, "12345678901234567890"},
		{"user_id", `{"user_id":42}`, "42"},
		{"", `{"sub":"s"}`, "s"},
		{"", `{"sub":1.5e3}`, "1.5e3"},
	} {
		r := newRecorder(t, 200, tc.body)
		v := &Validator{URL: r.URL, SubjectField: tc.field}
		res, err := v.Validate(ctx, token)
		require.NoError(t, err, tc.body)
		assert.Equal(t, tc.want, res.Subject, tc.body)
	}
}

func TestValidateRejected(t *testing.T) {
	for _, status := range []int{401, 403} {
		r := newRecorder(t, status, `{"error":"bad token `+token+`"}`)
		_, err := (&Validator{URL: r.URL}).Validate(ctx, token)
		require.ErrorIs(t, err, ErrRejected)
		assert.ErrorContains(t, err, strconv.Itoa(status))
		noToken(t, err)
	}
}

func TestValidateEndpointUnusable(t *testing.T) {
	for _, tc := range []struct {
		name   string
		status int
		body   string
		field  string
		want   string
	}{
		{"500", 500, `{"sub":"a"}`, "", "HTTP 500"},
		{"404", 404, ``, "", "HTTP 404"},
		{"400", 400, `{}`, "", "HTTP 400"},
		{"204", 204, ``, "", "HTTP 204"},
		{"not JSON", 200, `<html>` + token + `</html>`, "", "not JSON"},
		{"empty body", 200, ``, "", "not JSON"},
		{"array", 200, `["a"]`, "", "not an object"},
		{"string", 200, `"` + token + `"`, "", "not an object"},
		{"trailing data", 200, `{"sub":"a"} {"sub":"b"}`, "", "more than one"},
		{"missing subject", 200, `{"email":"a@b"}`, "", `no subject field "sub"`},
		{"other field only", 200, `{"sub":"a"}`, "user_id", `no subject field "user_id"`},
		{"null subject", 200, `{"sub":null}`, "", "no subject field"},
		{"empty subject", 200, `{"sub":""}`, "", "empty"},
		{"boolean subject", 200, `{"sub":true}`, "", "boolean"},
		{"object subject", 200, `{"sub":{"id":"a"}}`, "", "object"},
		{"control characters", 200, `{"sub":"a\nb"}`, "", "control"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := newRecorder(t, tc.status, tc.body)
			_, err := (&Validator{URL: r.URL, SubjectField: tc.field}).Validate(ctx, token)
			require.Error(t, err)
			assert.NotErrorIs(t, err, ErrRejected)
			assert.ErrorContains(t, err, tc.want)
			noToken(t, err)
		})
	}
}

func TestValidateTimeout(t *testing.T) {
	r := newRecorder(t, 200, `{"sub":"a"}`)
	r.setDelay(30 * time.Second)
	for name, client := range map[string]*http.Client{"default client": nil, "given client": {}} {
		t.Run(name, func(t *testing.T) {
			start := time.Now()
			_, err := (&Validator{URL: r.URL, Timeout: 200 * time.Millisecond, Client: client}).Validate(ctx, token)
			assert.ErrorIs(t, err, context.DeadlineExceeded)
			assert.NotErrorIs(t, err, ErrRejected)
			noToken(t, err)
			assert.Less(t, time.Since(start), 10*time.Second)
		})
	}
}

func TestValidateCallerContext(t *testing.T) {
	r := newRecorder(t, 200, `{"sub":"a"}`)
	r.setDelay(30 * time.Second)
	c, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
	defer cancel()
	_, err := (&Validator{URL: r.URL}).Validate(c, token)
	assert.ErrorIs(t, err, context.DeadlineExceeded)
}

func TestDefaults(t *testing.T) {
	assert.Equal(t, 5*time.Second, DefaultTimeout)
	assert.Equal(t, 64<<10, DefaultMaxBytes)
	assert.Equal(t, "sub", DefaultSubjectField)
}

// paddedJSON returns {"sub":"a","pad":"…"} of exactly n bytes.
func paddedJSON(n int) string {
	head, tail := `{"sub":"a","pad":"`, `"}`
	return head + strings.Repeat("x", n-len(head)-len(tail)) + tail
}

func TestValidateSizeLimit(t *testing.T) {
	r := newRecorder(t, 200, paddedJSON(64<<10))
	_, err := (&Validator{URL: r.URL}).Validate(ctx, token)
	require.NoError(t, err, "exactly 64 KiB is accepted by default")

	r = newRecorder(t, 200, paddedJSON(64<<10+1))
	_, err = (&Validator{URL: r.URL}).Validate(ctx, token)
	require.ErrorContains(t, err, "limit of 65536")
	noToken(t, err)

	r = newRecorder(t, 200, paddedJSON(101))
	_, err = (&Validator{URL: r.URL, MaxBytes: 100}).Validate(ctx, token)
	require.ErrorContains(t, err, "limit of 100")
}

// hugeServer streams 20 MB, with or without a Content-Length, and reports
// how much it could write.
func hugeServer(t *testing.T, declare bool) (string, <-chan int64) {
	const size = 20 << 20
	written := make(chan int64, 1)
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if declare {
			w.Header().Set("Content-Length", strconv.Itoa(size))
		}
		w.WriteHeader(200)
		chunk := bytes.Repeat([]byte(" "), 32<<10)
		var n int64
		for n < size {
			m, err := w.Write(chunk)
			n += int64(m)
			if err != nil {
				break
			}
			w.(http.Flusher).Flush()
		}
		written <- n
	}))
	t.Cleanup(s.Close)
	return s.URL, written
}

func TestHugeAnswersRefused(t *testing.T) {
	for _, declare := range []bool{false, true} {
		t.Run("content-length="+strconv.FormatBool(declare), func(t *testing.T) {
			// The server stops writing soon after the client hangs up.
			stopped := func(written <-chan int64) {
				select {
				case n := <-written:
					assert.Less(t, n, int64(20<<20))
				case <-time.After(20 * time.Second):
					require.FailNow(t, "the server is still writing")
				}
			}
			url, written := hugeServer(t, declare)
			_, err := (&Validator{URL: url}).Validate(ctx, token)
			require.ErrorContains(t, err, "limit")
			stopped(written)

			url, written = hugeServer(t, declare)
			_, err = (&GroupResolver{URL: url}).Groups(ctx, "alice")
			require.ErrorContains(t, err, "limit")
			stopped(written)
		})
	}
}

func TestValidateRedirectRefused(t *testing.T) {
	r := newRecorder(t, 200, `{"sub":"a"}`)
	for _, path := range []string{"/redirect", "/redirect307"} {
		for name, client := range map[string]*http.Client{"default client": nil, "given client": {}} {
			_, err := (&Validator{URL: r.URL + path, Client: client}).Validate(ctx, token)
			require.ErrorContains(t, err, "redirect", "%s %s", path, name)
			assert.NotErrorIs(t, err, ErrRejected)
			noToken(t, err)
		}
	}
	assert.Zero(t, r.count("/"), "the redirect target was never asked")
}

func TestValidateUnsendableToken(t *testing.T) {
	r := newRecorder(t, 200, `{"sub":"a"}`)
	for _, tok := range []string{"", "abc\r\nX-Evil: 1", "tok en", "caf\xc3\xa9"} {
		_, err := (&Validator{URL: r.URL}).Validate(ctx, tok)
		require.Error(t, err)
		if tok != "" {
			assert.NotContains(t, err.Error(), tok)
		}
	}
	assert.Zero(t, r.count("/"))
	_, err := (&Validator{}).Validate(ctx, token)
	assert.Error(t, err)
}

func TestValidateConnectionRefused(t *testing.T) {
	r := newRecorder(t, 200, `{"sub":"a"}`)
	url := r.URL
	r.Close()
	_, err := (&Validator{URL: url}).Validate(ctx, token)
	require.Error(t, err)
	assert.NotErrorIs(t, err, ErrRejected)
	noToken(t, err)
}

func TestGroups(t *testing.T) {
	for _, tc := range []struct {
		body string
		want []string
	}{
		{`{"groups":["eng","ops"]}`, []string{"eng", "ops"}},
		{`{"groups":["eng"],"other":1}`, []string{"eng"}},
		{`["eng","ops"]`, []string{"eng", "ops"}},
		{` [ ] `, []string{}},
		{`{"groups":[]}`, []string{}},
	} {
		r := newRecorder(t, 200, tc.body)
		got, err := (&GroupResolver{URL: r.URL + "/groups"}).Groups(ctx, "alice")
		require.NoError(t, err, tc.body)
		assert.NotNil(t, got, "an empty list is not nil: it replaces stored groups")
		assert.Equal(t, tc.want, got, tc.body)
		req := r.last(t)
		assert.Equal(t, http.MethodGet, req.Method)
		assert.Equal(t, "/groups", req.URL.Path)
		assert.Equal(t, "alice", req.URL.Query().Get("subject"))
		assert.Equal(t, "application/json", req.Header.Get("Accept"))
		assert.Empty(t, req.Header.Values("Authorization"), "no system token, no Authorization")
	}
}

func TestGroupsSendsTheSystemToken(t *testing.T) {
	r := newRecorder(t, 200, `["g"]`)
	_, err := (&GroupResolver{URL: r.URL, SystemToken: "sys-secret"}).Groups(ctx, "alice")
	require.NoError(t, err)
	assert.Equal(t, "Bearer sys-secret", r.last(t).Header.Get("Authorization"))

	_, err = (&GroupResolver{URL: r.URL, SystemToken: "sys\nsecret"}).Groups(ctx, "alice")
	require.Error(t, err)
	assert.NotContains(t, err.Error(), "secret")
}

func TestGroupsQuery(t *testing.T) {
	r := newRecorder(t, 200, `["g"]`)
	for _, tc := range []struct {
		suffix, subject, wantRaw string
	}{
		{"/g", "a b&c=d", "subject=a+b%26c%3Dd"},
		{"/g?tenant=t1&x=%2F", "a b&c=d", "tenant=t1&x=%2F&subject=a+b%26c%3Dd"},
		{"/g?tenant=t1&", "bob", "tenant=t1&subject=bob"},
		{"/g?", "bob", "subject=bob"},
		{"/g#frag", "bob", "subject=bob"},
		{"/g", "ü/?#+%", "subject=%C3%BC%2F%3F%23%2B%25"},
	} {
		_, err := (&GroupResolver{URL: r.URL + tc.suffix}).Groups(ctx, tc.subject)
		require.NoError(t, err, tc.suffix)
		req := r.last(t)
		assert.Equal(t, "/g", req.URL.Path)
		assert.Equal(t, tc.wantRaw, req.URL.RawQuery, tc.suffix)
		assert.Equal(t, tc.subject, req.URL.Query().Get("subject"))
	}
	_, err := (&GroupResolver{URL: r.URL}).Groups(ctx, "")
	assert.Error(t, err)
	_, err = (&GroupResolver{}).Groups(ctx, "a")
	assert.Error(t, err)
}

func TestGroupsBadAnswers(t *testing.T) {
	for _, tc := range []struct {
		status int
		body   string
	}{
		{401, `["g"]`},
		{403, `["g"]`},
		{404, `["g"]`},
		{500, `["g"]`},
		{200, `not json`},
		{200, ``},
		{200, `{"groups":"eng"}`},
		{200, `{"groups":null}`},
		{200, `{"groups":[1]}`},
		{200, `{"groups":[null]}`},
		{200, `["eng",2]`},
		{200, `{"other":["eng"]}`},
		{200, `"eng"`},
		{200, `null`},
		{200, `["a"] ["b"]`},
	} {
		r := newRecorder(t, tc.status, tc.body)
		got, err := (&GroupResolver{URL: r.URL, SystemToken: "sys-secret"}).Groups(ctx, "alice")
		assert.Error(t, err, "%d %s", tc.status, tc.body)
		assert.Nil(t, got)
		if err != nil {
			assert.NotContains(t, err.Error(), "sys-secret")
			assert.False(t, errors.Is(err, ErrRejected))
		}
	}
}

func TestGroupsLimits(t *testing.T) {
	r := newRecorder(t, 200, `["g"]`)
	r.setDelay(30 * time.Second)
	start := time.Now()
	_, err := (&GroupResolver{URL: r.URL, Timeout: 200 * time.Millisecond}).Groups(ctx, "alice")
	assert.ErrorIs(t, err, context.DeadlineExceeded)
	assert.Less(t, time.Since(start), 10*time.Second)

	big := `["` + strings.Repeat("g", 64<<10) + `"]`
	r = newRecorder(t, 200, big)
	_, err = (&GroupResolver{URL: r.URL}).Groups(ctx, "alice")
	assert.ErrorContains(t, err, "limit of 65536")
	_, err = (&GroupResolver{URL: r.URL, MaxBytes: int64(len(big))}).Groups(ctx, "alice")
	assert.NoError(t, err)
}

func TestGroupsRedirectRefused(t *testing.T) {
	r := newRecorder(t, 200, `["g"]`)
	for name, client := range map[string]*http.Client{"default client": nil, "given client": {}} {
		_, err := (&GroupResolver{URL: r.URL + "/redirect", Client: client, SystemToken: "sys-secret"}).Groups(ctx, "alice")
		require.ErrorContains(t, err, "redirect", name)
	}
	assert.Zero(t, r.count("/"))
}

package jwks

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/jwtgate/jwtgate/core"
)

// clock is a fake clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// jwks returns a JWK set document with one fresh P-256 key per kid.
func jwks(t testing.TB, kids ...string) string {
	t.Helper()
	var keys []map[string]string
	for _, kid := range kids {
		k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		require.NoError(t, err)
		pub, err := k.PublicKey.ECDH()
		require.NoError(t, err)
		b := pub.Bytes() // 0x04 || X || Y
		keys = append(keys, map[string]string{
			"kty": "EC", "crv": "P-256", "alg": "ES256", "use": "sig", "kid": kid,
			"x": base64.RawURLEncoding.EncodeToString(b[1:33]),
			"y": base64.RawURLEncoding.EncodeToString(b[33:]),
		})
	}
	doc, err := json.Marshal(map[string]any{"keys": keys})
	require.NoError(t, err)
	return string(doc)
}

// server publishes a configurable answer at /jwks.json and counts requests
// per path.
type server struct {
	*httptest.Server
	mu           sync.Mutex
	body         string
	status       int
	cacheControl string
	delay        time.Duration
	hits         map[string]int
	failFirst    int // answer 500 to this many first /flaky requests
}

func newServer(t *testing.T, body string) *server {
	s := &server{body: body, hits: map[string]int{}}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		s.hits[r.URL.Path]++
		n := s.hits[r.URL.Path]
		body, status, cc, delay := s.body, s.status, s.cacheControl, s.delay
		failFirst := s.failFirst
		s.mu.Unlock()
		if delay > 0 {
			select {
			case <-time.After(delay):
			case <-r.Context().Done():
				return
			}
		}
		switch r.URL.Path {
		case "/jwks.json":
		case "/flaky":
			if n <= failFirst {
				http.Error(w, "down", http.StatusInternalServerError)
				return
			}
		case "/redirect":
			http.Redirect(w, r, "/jwks.json", http.StatusFound)
			return
		default:
			http.NotFound(w, r)
			return
		}
		if cc != "" {
			w.Header().Set("Cache-Control", cc)
		}
		w.Header().Set("Content-Type", "application/json")
		if status != 0 {
			w.WriteHeader(status)
		}
		_, _ = w.Write([]byte(body))
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *server) set(f func(s *server)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f(s)
}

func (s *server) count(path string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.hits[path]
}

// fetchLog records OnFetch calls.
type fetchLog struct {
	mu   sync.Mutex
	errs []error
}

func (l *fetchLog) OnFetch(_ string, err error) {
	l.mu.Lock()
	l.errs = append(l.errs, err)
	l.mu.Unlock()
}

func (l *fetchLog) all() []error {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]error(nil), l.errs...)
}

var ctx = context.Background()

func TestCachesUntilMaxAge(t *testing.T) {
	s := newServer(t, jwks(t, "a"))
	s.set(func(s *server) { s.cacheControl = "public, max-age=120" })
	clk := newClock()
	var log fetchLog
	url := s.URL + "/jwks.json"
	f := New(Options{URLs: []string{url}, Now: clk.Now, OnFetch: log.OnFetch})
	assert.Contains(t, []Status{StatusLoading, StatusFailing}, f.Status(url))

	for range 5 {
		set, err := f.KeySet(ctx, url, "")
		require.NoError(t, err)
		assert.Equal(t, 1, set.Len())
	}
	assert.Equal(t, 1, s.count("/jwks.json"))
	assert.Contains(t, []Status{StatusOK, StatusStale}, f.Status(url))

	clk.Advance(119 * time.Second)
	_, err := f.KeySet(ctx, url, "a")
	require.NoError(t, err)
	assert.Equal(t, 1, s.count("/jwks.json"), "still fresh")

	clk.Advance(time.Second)
	_, err = f.KeySet(ctx, url, "a")
	require.NoError(t, err)
	assert.Equal(t, 2, s.count("/jwks.json"), "expired after max-age")
	assert.Equal(t, []error{nil, nil}, log.all())
}

func TestTTLFromCacheControl(t *testing.T) {
	f := New(Options{})
	for _, tc := range []struct {
		header []string
		want   time.Duration
	}{
		{nil, time.Hour},
		{[]string{"max-age=300"}, 300 * time.Second},
		{[]string{"public, max-age=300, must-revalidate"}, 300 * time.Second},
		{[]string{"MAX-AGE=300"}, 300 * time.Second},
		{[]string{`max-age="300"`}, 300 * time.Second},
		{[]string{"max-age=5"}, time.Minute},
		{[]string{"max-age=0"}, time.Minute},
		{[]string{"max-age=86400"}, time.Hour},
		{[]string{"max-age=99999999999999999999999"}, time.Hour},
		{[]string{"max-age=-5"}, time.Hour},
		{[]string{"max-age=abc"}, time.Hour},
		{[]string{"no-cache"}, time.Minute},
		{[]string{"no-store, max-age=300"}, time.Minute},
		{[]string{"public", "max-age=600"}, 600 * time.Second},
	} {
		h := http.Header{}
		for _, v := range tc.header {
			h.Add("Cache-Control", v)
		}
		assert.Equal(t, tc.want, f.ttl(h), "%q", tc.header)
	}

	g := New(Options{MinTTL: 10 * time.Second, MaxTTL: 20 * time.Second})
	assert.Equal(t, 10*time.Second, g.ttl(http.Header{"Cache-Control": {"max-age=1"}}))
	assert.Equal(t, 15*time.Second, g.ttl(http.Header{"Cache-Control": {"max-age=15"}}))
	assert.Equal(t, 20*time.Second, g.ttl(http.Header{"Cache-Control": {"max-age=30"}}))
	assert.Equal(t, 20*time.Second, g.ttl(http.Header{}))
	h := New(Options{MinTTL: time.Hour, MaxTTL: time.Minute})
	assert.Equal(t, time.Hour, h.ttl(http.Header{}), "MaxTTL below MinTTL is raised")
}

func TestMaxAgeHonouredAndClamped(t *testing.T) {
	for _, tc := range []struct {
		cc  string
		ttl time.Duration
	}{
		{"max-age=300", 300 * time.Second},
		{"max-age=1", time.Minute},    // clamped up to MinTTL
		{"max-age=999999", time.Hour}, // clamped down to MaxTTL
		{"", time.Hour},               // no max-age: MaxTTL
		{"no-store", time.Minute},     // MinTTL
		{"private, max-age=90", 90 * time.Second},
	} {
		t.Run(tc.cc, func(t *testing.T) {
			s := newServer(t, jwks(t, "a"))
			s.set(func(s *server) { s.cacheControl = tc.cc })
			clk := newClock()
			url := s.URL + "/jwks.json"
			f := New(Options{URLs: []string{url}, Now: clk.Now})
			_, err := f.KeySet(ctx, url, "")
			require.NoError(t, err)
			clk.Advance(tc.ttl - time.Second)
			_, err = f.KeySet(ctx, url, "")
			require.NoError(t, err)
			assert.Equal(t, 1, s.count("/jwks.json"))
			clk.Advance(time.Second)
			_, err = f.KeySet(ctx, url, "")
			require.NoError(t, err)
			assert.Equal(t, 2, s.count("/jwks.json"))
		})
	}
}

func TestRotationUnknownKid(t *testing.T) {
	s := newServer(t, jwks(t, "old"))
	clk := newClock()
	url := s.URL + "/jwks.json"
	f := New(Options{URLs: []string{url}, Now: clk.Now})

	set, err := f.KeySet(ctx, url, "old")
	require.NoError(t, err)
	assert.Equal(t, 1, set.Len())
	assert.Equal(t, 1, s.count("/jwks.json"))

	// The issuer rotates: a token with the new kid causes one refetch.
	s.set(func(s *server) { s.body = jwks(t, "old", "new") })
	_, err = f.KeySet(ctx, url, "old")
	require.NoError(t, err)
	assert.Equal(t, 1, s.count("/jwks.json"), "a known kid fetches nothing")
	set, err = f.KeySet(ctx, url, "new")
	require.NoError(t, err)
	assert.Equal(t, 2, set.Len())
	assert.Equal(t, 2, s.count("/jwks.json"))
	_, err = f.KeySet(ctx, url, "new")
	require.NoError(t, err)
	assert.Equal(t, 2, s.count("/jwks.json"), "the new kid is cached now")

	// Another unknown kid within the interval fetches nothing.
	clk.Advance(29 * time.Second)
	set, err = f.KeySet(ctx, url, "bogus")
	require.NoError(t, err)
	assert.Equal(t, 2, set.Len(), "the cached set is returned")
	assert.Equal(t, 2, s.count("/jwks.json"))
	// Once the interval has passed, it may fetch again.
	clk.Advance(time.Second)
	_, err = f.KeySet(ctx, url, "bogus")
	require.NoError(t, err)
	assert.Equal(t, 3, s.count("/jwks.json"))
	_, err = f.KeySet(ctx, url, "bogus")
	require.NoError(t, err)
	assert.Equal(t, 3, s.count("/jwks.json"))
}

func TestUnknownKidConcurrentCallersShareOneFetch(t *testing.T) {
	s := newServer(t, jwks(t, "a"))
	clk := newClock()
	url := s.URL + "/jwks.json"
	var log fetchLog
	f := New(Options{URLs: []string{url}, Now: clk.Now, UnknownKidInterval: 10 * time.Second, OnFetch: log.OnFetch})
	_, err := f.KeySet(ctx, url, "a")
	require.NoError(t, err)
	// A slow answer makes the callers overlap.
	s.set(func(s *server) { s.delay = 100 * time.Millisecond })

	for round := 1; round <= 3; round++ {
		var wg sync.WaitGroup
		var bad atomic.Int32
		for range 100 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				set, err := f.KeySet(ctx, url, "unknown")
				if err != nil || set == nil || set.Len() != 1 {
					bad.Add(1)
				}
			}()
		}
		wg.Wait()
		assert.Zero(t, bad.Load())
		assert.Equal(t, 1+round, s.count("/jwks.json"), "round %d: one fetch per interval", round)
		clk.Advance(10 * time.Second)
	}
	assert.Len(t, log.all(), 4)
}

func TestConcurrentColdCallersShareOneFetch(t *testing.T) {
	s := newServer(t, jwks(t, "a"))
	s.set(func(s *server) { s.delay = 100 * time.Millisecond })
	url := s.URL + "/jwks.json"
	f := New(Options{URLs: []string{url}})
	var wg sync.WaitGroup
	var bad atomic.Int32
	for range 50 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if set, err := f.KeySet(ctx, url, "a"); err != nil || set.Len() != 1 {
				bad.Add(1)
			}
		}()
	}
	wg.Wait()
	assert.Zero(t, bad.Load())
	assert.Equal(t, 1, s.count("/jwks.json"))
}

func TestCallerGivingUpDoesNotCancelTheFetch(t *testing.T) {
	s := newServer(t, jwks(t, "a"))
	s.set(func(s *server) { s.delay = 300 * time.Millisecond })
	url := s.URL + "/jwks.json"
	done := make(chan struct{})
	f := New(Options{URLs: []string{url}, OnFetch: func(string, error) { close(done) }})
	short, cancel := context.WithTimeout(ctx, 20*time.Millisecond)
	defer cancel()
	_, err := f.KeySet(short, url, "")
	require.ErrorIs(t, err, context.DeadlineExceeded)
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		require.FailNow(t, "the fetch did not complete")
	}
	set, err := f.KeySet(ctx, url, "")
	require.NoError(t, err)
	assert.Equal(t, 1, set.Len())
	assert.Equal(t, 1, s.count("/jwks.json"))
}

func TestServerDownKeepsLastGoodSet(t *testing.T) {
	s := newServer(t, jwks(t, "a"))
	s.set(func(s *server) { s.cacheControl = "max-age=60" })
	clk := newClock()
	url := s.URL + "/jwks.json"
	var logs bytes.Buffer
	var log fetchLog
	f := New(Options{
		URLs: []string{url}, Now: clk.Now, OnFetch: log.OnFetch,
		Logger: slog.New(slog.NewTextHandler(&syncWriter{w: &logs}, nil)),
	})
	assert.Equal(t, StatusLoading, f.Status(url))
	assert.Equal(t, StatusUnknown, f.Status(url+"?other"))
	good, err := f.KeySet(ctx, url, "")
	require.NoError(t, err)
	assert.Equal(t, StatusOK, f.Status(url))

	s.set(func(s *server) { s.status = http.StatusServiceUnavailable })
	clk.Advance(61 * time.Second)
	set, err := f.KeySet(ctx, url, "")
	require.NoError(t, err, "the last good set is kept")
	assert.Same(t, good, set)
	assert.Equal(t, 2, s.count("/jwks.json"))
	assert.Contains(t, []Status{StatusOK, StatusStale}, f.Status(url))
	assert.Equal(t, StatusStale, f.Status(url))
	errs := log.all()
	require.Len(t, errs, 2)
	assert.NoError(t, errs[0])
	assert.ErrorContains(t, errs[1], "503")
	assert.Contains(t, logs.String(), "jwks fetch failed")
	assert.Contains(t, logs.String(), "503")

	// Backoff: 1s, then 2s, then 4s between attempts while it fails.
	for _, wait := range []time.Duration{time.Second, 2 * time.Second, 4 * time.Second} {
		before := s.count("/jwks.json")
		clk.Advance(wait - time.Millisecond)
		set, err = f.KeySet(ctx, url, "")
		require.NoError(t, err)
		assert.Same(t, good, set)
		assert.Equal(t, before, s.count("/jwks.json"), "no request within the backoff")
		clk.Advance(time.Millisecond)
		set, err = f.KeySet(ctx, url, "")
		require.NoError(t, err)
		assert.Same(t, good, set)
		assert.Equal(t, before+1, s.count("/jwks.json"))
	}

	// The server comes back.
	s.set(func(s *server) { s.status = 0 })
	clk.Advance(8 * time.Second)
	set, err = f.KeySet(ctx, url, "")
	require.NoError(t, err)
	assert.NotSame(t, good, set)
	assert.Equal(t, StatusOK, f.Status(url))
}

func TestServerDownKeepsLastGoodSetOnUnknownKid(t *testing.T) {
	s := newServer(t, jwks(t, "a"))
	url := s.URL + "/jwks.json"
	clk := newClock()
	f := New(Options{URLs: []string{url}, Now: clk.Now})
	good, err := f.KeySet(ctx, url, "a")
	require.NoError(t, err)
	s.Close()
	set, err := f.KeySet(ctx, url, "b")
	require.NoError(t, err)
	assert.Same(t, good, set)
}

func TestNeverGoodIsAnError(t *testing.T) {
	s := newServer(t, jwks(t, "a"))
	s.set(func(s *server) { s.status = http.StatusInternalServerError })
	clk := newClock()
	url := s.URL + "/jwks.json"
	var log fetchLog
	f := New(Options{URLs: []string{url}, Now: clk.Now, OnFetch: log.OnFetch})
	set, err := f.KeySet(ctx, url, "a")
	assert.Nil(t, set)
	require.ErrorContains(t, err, "500")
	assert.Contains(t, []Status{StatusLoading, StatusFailing}, f.Status(url))
	assert.Equal(t, StatusFailing, f.Status(url))
	// Within the backoff the last error is answered without a request.
	set, err = f.KeySet(ctx, url, "a")
	assert.Nil(t, set)
	require.ErrorContains(t, err, "500")
	assert.Equal(t, 1, s.count("/jwks.json"))
	assert.Len(t, log.all(), 1)

	// Nothing listening at all.
	s.Close()
	clk.Advance(time.Second)
	set, err = f.KeySet(ctx, url, "a")
	assert.Nil(t, set)
	require.Error(t, err)
	assert.NotContains(t, err.Error(), "500")
	assert.Contains(t, []Status{StatusLoading, StatusFailing}, f.Status(url))
}

func TestSlowServerTimesOut(t *testing.T) {
	s := newServer(t, jwks(t, "a"))
	s.set(func(s *server) { s.delay = 30 * time.Second })
	url := s.URL + "/jwks.json"
	f := New(Options{URLs: []string{url}, Timeout: 200 * time.Millisecond})
	start := time.Now()
	set, err := f.KeySet(ctx, url, "")
	assert.Nil(t, set)
	require.Error(t, err)
	assert.ErrorIs(t, err, context.DeadlineExceeded)
	assert.Less(t, time.Since(start), 10*time.Second)
}

func TestDefaultTimeoutIsFiveSeconds(t *testing.T) {
	f := New(Options{})
	assert.Equal(t, 5*time.Second, f.o.Timeout)
	assert.Equal(t, 5*time.Second, f.client.Timeout)
	assert.Equal(t, int64(1<<20), f.o.MaxBytes)
	assert.Equal(t, time.Minute, f.o.MinTTL)
	assert.Equal(t, time.Hour, f.o.MaxTTL)
	assert.Equal(t, 30*time.Second, f.o.UnknownKidInterval)
}

func TestRefusedBodies(t *testing.T) {
	for name, body := range map[string]string{
		"garbage":       "<html>hello</html>",
		"empty":         "",
		"not an object": `[1,2,3]`,
		"bad key":       `{"keys":[{"kty":"EC","crv":"P-256","x":"AA","y":"AA"}]}`,
	} {
		t.Run(name, func(t *testing.T) {
			s := newServer(t, body)
			url := s.URL + "/jwks.json"
			f := New(Options{URLs: []string{url}})
			set, err := f.KeySet(ctx, url, "")
			assert.Nil(t, set)
			assert.Error(t, err)
			assert.Contains(t, []Status{StatusLoading, StatusFailing}, f.Status(url))
		})
	}
}

func TestBodyLimit(t *testing.T) {
	doc := jwks(t, "a")
	limit := int64(len(doc) + 10)
	s := newServer(t, doc+strings.Repeat(" ", 10))
	url := s.URL + "/jwks.json"
	f := New(Options{URLs: []string{url}, MaxBytes: limit})
	_, err := f.KeySet(ctx, url, "")
	require.NoError(t, err, "a body of exactly MaxBytes is accepted")

	s2 := newServer(t, doc+strings.Repeat(" ", 11))
	url2 := s2.URL + "/jwks.json"
	f2 := New(Options{URLs: []string{url2}, MaxBytes: limit})
	_, err = f2.KeySet(ctx, url2, "")
	require.ErrorContains(t, err, "limit")
	assert.Equal(t, StatusFailing, f2.Status(url2), "nothing cached")
}

// hugeServer answers 20 MB, with or without a Content-Length, and reports
// how much it could write.
func hugeServer(t *testing.T, declareLength bool) (string, <-chan int64) {
	const size = 20 << 20
	written := make(chan int64, 1)
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if declareLength {
			w.Header().Set("Content-Length", strconv.Itoa(size))
		}
		w.WriteHeader(http.StatusOK)
		chunk := bytes.Repeat([]byte(" "), 32<<10)
		var n int64
		for n < size {
			m, err := w.Write(chunk)
			n += int64(m)
			if err != nil {
				break
			}
			if f, ok := w.(http.Flusher); ok {
				f.Flush()
			}
		}
		written <- n
	}))
	t.Cleanup(s.Close)
	return s.URL + "/jwks.json", written
}

func TestHugeBodyRefusedWithoutReadingIt(t *testing.T) {
	for _, declare := range []bool{false, true} {
		t.Run("content-length="+strconv.FormatBool(declare), func(t *testing.T) {
			url, written := hugeServer(t, declare)
			var log fetchLog
			f := New(Options{URLs: []string{url}, OnFetch: log.OnFetch}) // default limit, 1 MiB
			set, err := f.KeySet(ctx, url, "")
			assert.Nil(t, set)
			require.ErrorContains(t, err, "limit of 1048576")
			assert.Contains(t, []Status{StatusLoading, StatusFailing}, f.Status(url))
			select {
			case n := <-written:
				assert.Less(t, n, int64(20<<20), "the client stopped reading")
			case <-time.After(20 * time.Second):
				require.FailNow(t, "the server is still writing")
			}
			require.Len(t, log.all(), 1)
		})
	}
}

func TestRedirectNotFollowed(t *testing.T) {
	s := newServer(t, jwks(t, "a"))
	for name, client := range map[string]*http.Client{"default client": nil, "given client": {}} {
		t.Run(name, func(t *testing.T) {
			url := s.URL + "/redirect"
			f := New(Options{URLs: []string{url}, Client: client})
			set, err := f.KeySet(ctx, url, "")
			assert.Nil(t, set)
			require.ErrorContains(t, err, "302")
			assert.ErrorContains(t, err, "not followed")
		})
	}
	assert.Zero(t, s.count("/jwks.json"))
	assert.Equal(t, 2, s.count("/redirect"))
}

func TestUnconfiguredURLNotFetched(t *testing.T) {
	s := newServer(t, jwks(t, "a"))
	var log fetchLog
	f := New(Options{URLs: []string{s.URL + "/jwks.json"}, OnFetch: log.OnFetch})
	for _, u := range []string{s.URL + "/other", s.URL + "/jwks.json?x=1", s.URL + "/jwks.json/", ""} {
		set, err := f.KeySet(ctx, u, "a")
		assert.Nil(t, set)
		assert.ErrorIs(t, err, ErrUnknownURL)
	}
	assert.Zero(t, s.count("/other"))
	assert.Zero(t, s.count("/jwks.json"))
	assert.Empty(t, log.all())
}

func TestSchedule(t *testing.T) {
	clk := newClock()
	f := New(Options{Now: clk.Now})
	e := &entry{}
	assert.Zero(t, e.nextRefresh(clk.Now()), "no set yet: at once")
	e.set, e.fetchedAt, e.ttl = &core.KeySet{}, clk.Now(), 100*time.Second
	assert.Equal(t, 80*time.Second, e.nextRefresh(clk.Now()), "at 80% of the TTL")
	clk.Advance(90 * time.Second)
	assert.Equal(t, -10*time.Second, e.nextRefresh(clk.Now()))

	var got []time.Duration
	for n := 1; n <= 9; n++ {
		got = append(got, f.backoff(n))
	}
	assert.Equal(t, []time.Duration{1e9, 2e9, 4e9, 8e9, 16e9, 32e9, 60e9, 60e9, 60e9}, got, "1s doubling up to MinTTL")
	e.failures, e.retryAt = 2, clk.Now().Add(2*time.Second)
	assert.Equal(t, 2*time.Second, e.nextRefresh(clk.Now()))

	small := New(Options{MinTTL: 300 * time.Millisecond})
	assert.Equal(t, 300*time.Millisecond, small.backoff(1))
	assert.Equal(t, 300*time.Millisecond, small.backoff(5))
}

// nap is one wait of Run's, held until the test wakes it.
type nap struct {
	url  string
	d    time.Duration
	wake chan struct{}
}

// napper replaces Run's timer: every wait is handed to the test, which
// moves the clock and wakes it, so Run is driven without real time.
func napper(f *Fetcher) <-chan nap {
	naps := make(chan nap)
	f.sleep = func(ctx context.Context, url string, d time.Duration) bool {
		n := nap{url: url, d: d, wake: make(chan struct{})}
		select {
		case naps <- n:
		case <-ctx.Done():
			return false
		}
		select {
		case <-n.wake:
			return true
		case <-ctx.Done():
			return false
		}
	}
	return naps
}

// nextNaps receives the next wait of each of urls.
func nextNaps(t *testing.T, naps <-chan nap, urls ...string) map[string]nap {
	t.Helper()
	got := map[string]nap{}
	for len(got) < len(urls) {
		select {
		case n := <-naps:
			require.NotContains(t, got, n.url, "one wait per URL at a time")
			got[n.url] = n
		case <-time.After(10 * time.Second):
			require.FailNow(t, "Run did not wait", "have %v of %v", got, urls)
		}
	}
	return got
}

// TestRun drives Run on a fake clock: each URL is fetched at once, then
// again at 80% of its TTL and not before; a failure is retried after the
// backoff; nothing is fetched after Run stops.
func TestRun(t *testing.T) {
	s := newServer(t, jwks(t, "a"))
	s.set(func(s *server) { s.failFirst = 1 })
	good, flaky := s.URL+"/jwks.json", s.URL+"/flaky"
	var log fetchLog
	clk := newClock()
	const ttl = 2500 * time.Millisecond
	f := New(Options{URLs: []string{good, flaky}, MinTTL: ttl, MaxTTL: ttl, OnFetch: log.OnFetch, Now: clk.Now})
	naps := napper(f)
	assert.Contains(t, []Status{StatusLoading, StatusFailing}, f.Status(good))

	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		f.Run(runCtx)
	}()

	// Both fetched at once; the flaky URL failed and waits out the backoff.
	w := nextNaps(t, naps, good, flaky)
	assert.Equal(t, 2*time.Second, w[good].d, "refresh at 80% of the TTL")
	assert.Equal(t, time.Second, w[flaky].d, "the first backoff")
	assert.Equal(t, StatusOK, f.Status(good))
	assert.Equal(t, StatusFailing, f.Status(flaky))
	assert.Equal(t, 1, s.count("/jwks.json"))
	assert.Equal(t, 1, s.count("/flaky"))

	// A second on: the flaky URL is retried and works; the good one is
	// woken early and waits the rest of its time without fetching.
	clk.Advance(time.Second)
	close(w[flaky].wake)
	close(w[good].wake)
	w = nextNaps(t, naps, good, flaky)
	assert.Equal(t, time.Second, w[good].d, "the rest of the good URL's wait")
	assert.Equal(t, 2*time.Second, w[flaky].d)
	assert.Equal(t, StatusOK, f.Status(flaky))
	assert.Equal(t, 2, s.count("/flaky"))
	assert.Equal(t, 1, s.count("/jwks.json"), "not refreshed before its time")

	// At 80% of the TTL the good URL is refreshed.
	clk.Advance(time.Second)
	close(w[good].wake)
	w2 := nextNaps(t, naps, good)
	assert.Equal(t, 2*time.Second, w2[good].d)
	assert.Equal(t, 2, s.count("/jwks.json"))

	// Callers are served from the cache: Run keeps it fresh.
	_, err := f.KeySet(ctx, good, "a")
	require.NoError(t, err)
	assert.Equal(t, 2, s.count("/jwks.json"))

	cancel()
	select {
	case <-stopped:
	case <-time.After(10 * time.Second):
		require.FailNow(t, "Run did not stop")
	}
	// Run fetches only between waits, so none is under way: nothing more.
	clk.Advance(time.Hour)
	assert.Equal(t, 2, s.count("/jwks.json"))
	assert.Equal(t, 2, s.count("/flaky"))
	failures := 0
	for _, err := range log.all() {
		if err != nil {
			failures++
		}
	}
	assert.Equal(t, 1, failures, "only the flaky URL's first fetch failed")
}

// syncWriter serialises writes to a buffer.
type syncWriter struct {
	mu sync.Mutex
	w  *bytes.Buffer
}

func (s *syncWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(p)
}

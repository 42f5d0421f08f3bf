// Package jwks fetches, caches and refreshes the JWK sets published at
// the policy's jwks_url addresses and named by its issuers' discovery
// documents, and hands them to the core as its core.KeySource. Only
// configured URLs are ever fetched, and the jwks_uri of a checked
// discovery document.
//
//	keys := jwks.New(jwks.Options{URLs: policy.JWKSURLs(), Discoveries: policy.Discoveries()})
//	go keys.Run(ctx) // refresh each set before it expires, until ctx ends
//	v, err := core.NewVerifier(policy, core.Config{Keys: keys})
//
// Behaviour, per configured URL:
//
//   - A fetch is a GET with Accept: application/json, bounded by Timeout
//     and MaxBytes. Redirects are never followed: a 3xx answer is a failed
//     fetch, like any status but 200, a body over MaxBytes (refused from its
//     Content-Length when it declares one, else as soon as MaxBytes+1 bytes
//     arrive) or a body core.ParseKeySet refuses. A failed fetch caches
//     nothing.
//   - A good set is cached for the max-age of the answer's Cache-Control,
//     clamped to [MinTTL, MaxTTL]. An answer without max-age (or with an
//     unreadable one) is cached for MaxTTL; one marked no-cache or no-store
//     for MinTTL. Expires and other headers are ignored.
//   - After a failed fetch the last good set is kept and served, even past
//     its expiry, and the next fetch of that URL waits a backoff: 1s
//     after the first failure, doubling with each further one, at most
//     MinTTL.
//     Until then a stale set is served as it is, and a URL that never had a
//     good set answers the last error without a request.
//   - Concurrent callers needing a fetch of one URL share a single request.
//
// A discovery entry (Options.Discoveries, a policy's {discovery: true}) is
// served by its document's URL. Its fetch first reads the issuer's OpenID
// Connect discovery document, by the rules above (its own Timeout,
// MaxBytes, no redirects, cached for its own Cache-Control), unless the
// last good one is still fresh; the document must name the integration's
// issuer exactly and a jwks_uri on the issuer's host or one of the entry's
// jwks_hosts (https, or http only for an http issuer). The set at that
// jwks_uri is then fetched, cached and refreshed as above. A document that
// fails to refresh keeps the last good one's jwks_uri; with none, the
// error says which step failed.
package jwks

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"

	"github.com/jwtgate/jwtgate/core"
	"github.com/jwtgate/jwtgate/internal/otelspan"
)

// ErrUnknownURL is returned for a URL that is not configured.
var ErrUnknownURL = errors.New("jwks: URL is not configured")

// Defaults of Options.
const (
	DefaultTimeout            = 5 * time.Second
	DefaultMaxBytes           = 1 << 20
	DefaultMinTTL             = time.Minute
	DefaultMaxTTL             = time.Hour
	DefaultUnknownKidInterval = 30 * time.Second
)

// Refresh schedule: Run refreshes a good set once refreshFraction of its
// TTL has passed; after a failure the next fetch of a URL waits retryMin,
// doubling with each further failure, never more than MinTTL. Fixed, not
// options: they are the package's promise, written in the package doc.
const (
	refreshFraction = 0.8
	retryMin        = time.Second
)

// Options configures a Fetcher. Zero values take the defaults noted.
type Options struct {
	// URLs are the only addresses ever fetched, with the discovery
	// documents of Discoveries and the jwks_uri each names.
	URLs []string
	// Discoveries are the policy's discovery entries
	// (core.Policy.Discoveries): each one's set is served by its document's
	// URL, fetched from the jwks_uri the document names once its issuer
	// and the jwks_uri's host pass (discovery.go). The document is cached
	// and refreshed by the rules of a set.
	Discoveries []core.Discovery
	// Client makes the requests (default: a client with Timeout and no
	// redirects followed). A given client is copied and its CheckRedirect
	// replaced, so that redirects are never followed either.
	Client *http.Client
	// Timeout bounds one fetch (default 5s).
	Timeout time.Duration
	// MaxBytes bounds a response body (default 1 MiB).
	MaxBytes int64
	// MinTTL and MaxTTL clamp the Cache-Control max-age of a response
	// (defaults 1 minute and 1 hour; without max-age, MaxTTL; with no-cache
	// or no-store, MinTTL). A MaxTTL below MinTTL is raised to MinTTL.
	MinTTL, MaxTTL time.Duration
	// UnknownKidInterval is the least time between two fetches of one URL
	// caused by a kid the cached set lacks (default 30s).
	UnknownKidInterval time.Duration
	// Now is the clock (default time.Now).
	Now func() time.Time
	// Logger receives fetch failures (default: discard).
	Logger *slog.Logger
	// OnFetch, when set, is called after every fetch attempt (for metrics).
	OnFetch func(url string, err error)
	// TracerProvider, when set, records a span for each key set fetch
	// (jwks.fetch) and discovery document fetch (jwks.discovery), with the
	// URL and the answer's status. Default: none (never otel's global
	// provider).
	TracerProvider trace.TracerProvider
}

// Fetcher is a core.KeySource backed by HTTP. Safe for concurrent use.
type Fetcher struct {
	o       Options
	client  *http.Client
	tracer  trace.Tracer      // nil: no spans
	entries map[string]*entry // fixed by New
	order   []*entry
	// gen grows whenever a served set changes or goes stale (Generation).
	gen atomic.Uint64
	// staleAt is when the first held set stops being fresh, in Unix
	// nanoseconds; 0 once Generation has signalled it, or with no set.
	staleAt atomic.Int64
	// sleep, when set, replaces Run's timer (tests drive Run with it):
	// it returns after d has passed for url, false when ctx ended first.
	sleep func(ctx context.Context, url string, d time.Duration) bool
}

// entry is the state of one URL.
type entry struct {
	url  string
	disc *core.Discovery // a discovery entry's rules; nil for a jwks_url

	mu           sync.Mutex
	set          *core.KeySet  // last good set, nil while there was none
	sum          [32]byte      // SHA-256 of set's document, to see a change
	fetchedAt    time.Time     // when set was fetched
	ttl          time.Duration // how long set is fresh
	lastKidFetch time.Time     // start of the last fetch caused by an unknown kid
	failures     int           // consecutive failed fetches
	retryAt      time.Time     // no fetch before this after a failure
	lastErr      error         // the last failure
	inflight     *call         // the fetch under way, if any
	doc          *docState     // a discovery entry's last good document
}

// call is one fetch that several callers may wait for.
type call struct {
	done chan struct{}
}

var _ core.KeySource = (*Fetcher)(nil)

// New returns a Fetcher. It fetches nothing until asked or Run.
func New(o Options) *Fetcher {
	if o.Timeout <= 0 {
		o.Timeout = DefaultTimeout
	}
	if o.MaxBytes <= 0 {
		o.MaxBytes = DefaultMaxBytes
	}
	if o.MinTTL <= 0 {
		o.MinTTL = DefaultMinTTL
	}
	if o.MaxTTL <= 0 {
		o.MaxTTL = DefaultMaxTTL
	}
	if o.MaxTTL < o.MinTTL {
		o.MaxTTL = o.MinTTL
	}
	if o.UnknownKidInterval <= 0 {
		o.UnknownKidInterval = DefaultUnknownKidInterval
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	var client http.Client
	if o.Client != nil {
		client = *o.Client
	} else {
		client.Timeout = o.Timeout
	}
	client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	f := &Fetcher{o: o, client: &client, tracer: otelspan.Tracer(o.TracerProvider, "github.com/jwtgate/jwtgate/jwks"), entries: make(map[string]*entry, len(o.URLs)+len(o.Discoveries))}
	for _, u := range o.URLs {
		f.add(&entry{url: u})
	}
	for _, d := range o.Discoveries {
		d.JWKSHosts = append([]string(nil), d.JWKSHosts...)
		f.add(&entry{url: d.URL, disc: &d})
	}
	return f
}

// add adds e unless its URL is already one of f's.
func (f *Fetcher) add(e *entry) {
	if _, dup := f.entries[e.url]; dup {
		return
	}
	f.entries[e.url] = e
	f.order = append(f.order, e)
}

// KeySet returns the current set for url: the cached one while fresh; else
// it fetches; a kid missing from the cached set triggers a fetch at most
// once per UnknownKidInterval. When a fetch fails the last good set is
// kept and returned; with no good set ever, an error.
func (f *Fetcher) KeySet(ctx context.Context, url, kid string) (*core.KeySet, error) {
	e := f.entries[url]
	if e == nil {
		return nil, fmt.Errorf("%w: %q", ErrUnknownURL, url)
	}
	e.mu.Lock()
	now := f.o.Now()
	fresh := e.set != nil && now.Before(e.fetchedAt.Add(e.ttl))
	unknownKid := kid != "" && e.set != nil && !e.set.HasKeyID(kid)
	var c *call
	switch {
	case e.inflight != nil && (!fresh || unknownKid):
		// A fetch under way may bring what is missing: wait for it.
		c = e.inflight
	case !fresh:
		if now.Before(e.retryAt) {
			set, err := e.result()
			e.mu.Unlock()
			return set, err
		}
		c = f.start(ctx, e)
	case unknownKid && (e.lastKidFetch.IsZero() || now.Sub(e.lastKidFetch) >= f.o.UnknownKidInterval):
		e.lastKidFetch = now
		c = f.start(ctx, e)
	default:
		set := e.set
		e.mu.Unlock()
		return set, nil
	}
	e.mu.Unlock()
	return f.wait(ctx, e, c)
}

// Generation grows whenever a set the fetcher serves changes: a URL's
// first good set, or one whose document differs from the last (a key
// added, rotated or removed); and when a held set passes its TTL, since
// the next KeySet fetches it again and may get other keys. A failed fetch
// changes nothing: the last good set is still served. A decision cache
// takes it as its core.CacheOptions.KeyGeneration, to drop what the old
// keys verified, so that it never answers from a set a verification
// without it would no longer use; it is cheap enough to call per request.
func (f *Fetcher) Generation() uint64 {
	if at := f.staleAt.Load(); at != 0 && f.o.Now().UnixNano() >= at && f.staleAt.CompareAndSwap(at, 0) {
		f.gen.Add(1)
	}
	return f.gen.Load()
}

// noteFreshness records when the first held set goes stale, for
// Generation. It takes each entry's lock in turn, never two at once.
func (f *Fetcher) noteFreshness() {
	var first int64
	for _, e := range f.order {
		e.mu.Lock()
		if e.set != nil {
			if at := e.fetchedAt.Add(e.ttl).UnixNano(); first == 0 || at < first {
				first = at
			}
		}
		e.mu.Unlock()
	}
	f.staleAt.Store(first)
}

// result returns the last good set, or the reason there is none. e.mu is
// held.
func (e *entry) result() (*core.KeySet, error) {
	if e.set != nil {
		return e.set, nil
	}
	if e.lastErr != nil {
		return nil, e.lastErr
	}
	return nil, fmt.Errorf("jwks: no key set fetched yet from %s", e.url)
}

// wait waits for c and returns e's result, or the last good set (else an
// error) when ctx ends first.
func (f *Fetcher) wait(ctx context.Context, e *entry, c *call) (*core.KeySet, error) {
	select {
	case <-c.done:
	case <-ctx.Done():
		e.mu.Lock()
		defer e.mu.Unlock()
		if e.set != nil {
			return e.set, nil
		}
		return nil, fmt.Errorf("jwks: waiting for %s: %w", e.url, ctx.Err())
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.result()
}

// start begins a fetch of e in its own goroutine, so that a caller giving
// up does not cancel it for the others. e.mu is held.
func (f *Fetcher) start(ctx context.Context, e *entry) *call {
	c := &call{done: make(chan struct{})}
	e.inflight = c
	ctx = context.WithoutCancel(ctx)
	go func() {
		defer close(c.done)
		body, set, ttl, err := f.fetchSet(ctx, e)
		e.mu.Lock()
		now := f.o.Now()
		e.inflight = nil
		if err == nil {
			sum := sha256.Sum256(body)
			changed := e.set == nil || sum != e.sum
			e.set, e.sum, e.fetchedAt, e.ttl = set, sum, now, ttl
			e.failures, e.retryAt, e.lastErr = 0, time.Time{}, nil
			if changed {
				// After the new set is in place: whoever sees the new
				// generation gets the new set.
				f.gen.Add(1)
			}
		} else {
			e.failures++
			e.retryAt = now.Add(f.backoff(e.failures))
			e.lastErr = err
		}
		kept := e.set != nil
		e.mu.Unlock()
		if err == nil {
			f.noteFreshness()
		}
		if err != nil {
			f.o.Logger.Warn("jwks fetch failed", "url", e.url, "error", err.Error(), "keeping_last_good_set", kept)
		}
		if f.o.OnFetch != nil {
			f.o.OnFetch(e.url, err)
		}
	}()
	return c
}

// backoff is the wait after the n-th consecutive failure: retryMin doubling
// with each failure, never more than MinTTL.
func (f *Fetcher) backoff(n int) time.Duration {
	d := min(retryMin, f.o.MinTTL)
	for i := 1; i < n && d < f.o.MinTTL; i++ {
		d *= 2
	}
	return min(d, f.o.MinTTL)
}

// fetch GETs url and returns its body and how long to cache it; span
// (the fetch's, jwks.fetch or jwks.discovery) gets the answer's status.
func (f *Fetcher) fetch(ctx context.Context, span trace.Span, url string) ([]byte, time.Duration, error) {
	ctx, cancel := context.WithTimeout(ctx, f.o.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, 0, fmt.Errorf("jwks: %s: %v", url, err)
	}
	req.Header.Set("Accept", "application/json")
	resp, err := f.client.Do(req)
	if err != nil {
		return nil, 0, fmt.Errorf("jwks: %w", err)
	}
	defer resp.Body.Close()
	span.SetAttributes(attribute.Int("http.response.status_code", resp.StatusCode))
	if resp.StatusCode != http.StatusOK {
		if loc := resp.Header.Get("Location"); resp.StatusCode/100 == 3 && loc != "" {
			return nil, 0, fmt.Errorf("jwks: GET %s: %s (redirect to %q not followed)", url, resp.Status, loc)
		}
		return nil, 0, fmt.Errorf("jwks: GET %s: %s", url, resp.Status)
	}
	if resp.ContentLength > f.o.MaxBytes {
		return nil, 0, fmt.Errorf("jwks: GET %s: body of %d bytes is over the limit of %d", url, resp.ContentLength, f.o.MaxBytes)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, f.o.MaxBytes+1))
	if err != nil {
		return nil, 0, fmt.Errorf("jwks: GET %s: %v", url, err)
	}
	if int64(len(body)) > f.o.MaxBytes {
		return nil, 0, fmt.Errorf("jwks: GET %s: body is over the limit of %d bytes", url, f.o.MaxBytes)
	}
	return body, f.ttl(resp.Header), nil
}

// ttl reads how long an answer may be cached from its Cache-Control.
func (f *Fetcher) ttl(h http.Header) time.Duration {
	maxAge := int64(-1)
	for _, line := range h.Values("Cache-Control") {
		for _, d := range strings.Split(line, ",") {
			name, val, _ := strings.Cut(strings.TrimSpace(d), "=")
			switch strings.ToLower(strings.TrimSpace(name)) {
			case "no-cache", "no-store":
				return f.o.MinTTL
			case "max-age":
				n, err := strconv.ParseInt(strings.Trim(strings.TrimSpace(val), `"`), 10, 64)
				if err != nil || n < 0 {
					continue
				}
				if maxAge < 0 {
					maxAge = n
				}
			}
		}
	}
	if maxAge < 0 {
		return f.o.MaxTTL
	}
	if maxAge > int64(f.o.MaxTTL/time.Second) {
		return f.o.MaxTTL
	}
	return min(max(time.Duration(maxAge)*time.Second, f.o.MinTTL), f.o.MaxTTL)
}

// Run refreshes every URL in the background before its set expires, until
// ctx is done. A URL without a set is fetched at once; a good set is
// refetched once 80% (refreshFraction) of its TTL has passed; a failed fetch is
// retried after the backoff. Run returns once ctx is done and its own
// fetches have been given up on (a fetch already started completes in the
// background, within Timeout).
func (f *Fetcher) Run(ctx context.Context) {
	var wg sync.WaitGroup
	for _, e := range f.order {
		wg.Add(1)
		go func() {
			defer wg.Done()
			f.runOne(ctx, e)
		}()
	}
	wg.Wait()
}

func (f *Fetcher) runOne(ctx context.Context, e *entry) {
	timer := time.NewTimer(0)
	defer timer.Stop()
	for {
		e.mu.Lock()
		c := e.inflight
		var d time.Duration
		if c == nil {
			d = e.nextRefresh(f.o.Now())
			if d <= 0 {
				c = f.start(ctx, e)
			}
		}
		e.mu.Unlock()
		if c != nil {
			select {
			case <-c.done:
				continue
			case <-ctx.Done():
				return
			}
		}
		if f.sleep != nil {
			if !f.sleep(ctx, e.url, d) {
				return
			}
			continue
		}
		timer.Reset(d)
		select {
		case <-timer.C:
		case <-ctx.Done():
			return
		}
	}
}

// nextRefresh returns how long until e should be fetched again. e.mu is
// held.
func (e *entry) nextRefresh(now time.Time) time.Duration {
	switch {
	case e.failures > 0:
		return e.retryAt.Sub(now)
	case e.set == nil:
		return 0
	}
	return e.fetchedAt.Add(time.Duration(float64(e.ttl) * refreshFraction)).Sub(now)
}

// Status is the state of one URL's key set.
type Status string

const (
	// StatusOK: a good set is held and its last fetch worked.
	StatusOK Status = "ok"
	// StatusLoading: no set yet, and no fetch has failed.
	StatusLoading Status = "loading"
	// StatusStale: a good set is held, but the fetches since have failed.
	StatusStale Status = "stale"
	// StatusFailing: no set, and fetching it fails.
	StatusFailing Status = "failing"
	// StatusUnknown: the URL is not one of the Fetcher's.
	StatusUnknown Status = "unknown"
)

// Status reports the state of url's key set.
func (f *Fetcher) Status(url string) Status {
	e := f.entries[url]
	if e == nil {
		return StatusUnknown
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	switch {
	case e.set != nil && e.failures == 0:
		return StatusOK
	case e.set != nil:
		return StatusStale
	case e.failures == 0:
		return StatusLoading
	}
	return StatusFailing
}

// Command wasm is jwtgate's core built for the browser (GOOS=js
// GOARCH=wasm). It is loaded by ../jwtgate.js, which wraps the small API
// that main_js.go hands to JavaScript; see docs/browser.md.
//
// This file is the part that does not depend on syscall/js, so that it is
// built and tested natively too (engine_test.go).
package main

import (
	"context"
	"errors"
	"fmt"
	"math"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jwtgate/jwtgate/core"
)

// KeyProvider returns the JWK set document published at url, as the
// JavaScript side fetched and cached it. kid is the key ID the token asks
// for ("" when it names none). It must not block on the network: the
// JavaScript side resolves every URL before it calls verify.
type KeyProvider func(url, kid string) (string, error)

// engine holds the policies loaded into one instance of the module, each
// under a handle.
type engine struct {
	mu    sync.Mutex
	next  int
	gates map[int]*gate
}

// gate is one loaded policy.
type gate struct {
	policy *core.Policy
	engine core.Engine // the verifier, behind the decision cache when on
	// keyEpoch is the page's count of key set changes, as the last
	// verification was told it (verifyArgs.KeyEpoch): the cache drops
	// every entry when it grows, since a hit never asks for the keys.
	keyEpoch atomic.Uint64
}

// pageCache is the decision cache of one policy in a page: smaller than a
// server's, as a page verifies its own few tokens.
var pageCache = core.CacheOptions{MaxEntries: 1000, MaxBytes: 1 << 20, TTL: core.DefaultCacheTTL}

// LoadResult describes a loaded policy to JavaScript.
type LoadResult struct {
	Handle       int      `json:"handle"`
	Integrations []string `json:"integrations"`
	JWKSURLs     []string `json:"jwks_urls"`
	OneTimeUse   bool     `json:"one_time_use"`
}

// errNoWebCrypto is why the site's module loads no policy without
// WebCrypto: it links no public-key arithmetic of its own.
const errNoWebCrypto = "jwtgate: this module checks signatures with WebCrypto only, and was given no signature check (the page needs crypto.subtle: a secure context, https or localhost)"

// usageError is a call that breaks the API's rules: JavaScript throws it as
// a TypeError or RangeError, never as a decision.
type usageError struct {
	kind string // "TypeError" or "RangeError" or "Error"
	msg  string
}

func (e *usageError) Error() string { return e.msg }

func usage(kind, format string, args ...any) error {
	return &usageError{kind: kind, msg: fmt.Sprintf(format, args...)}
}

func newEngine() *engine { return &engine{next: 1, gates: map[int]*gate{}} }

// loadOptions are the rules of a policy shipped to a page. Keys must be
// inline: without ReadFile or LookupEnv the core refuses jwks_file,
// pem_file, secret_file and secret_env with a message that says so. And
// they must be public keys: anyone who loads the page can read the policy,
// so a shared secret or a decryption key in it would let them mint tokens.
var loadOptions = core.LoadOptions{PublicKeysOnly: true}

// load parses a policy with loadOptions: JSON (a bundle from jwtgate
// policy build, or the same by hand), read without a YAML parser, which
// the module does not link. provider supplies
// the key sets of jwks_url entries; nil answers keys_unavailable for them.
// checker, when not nil, checks the signatures (the page's WebCrypto);
// nil checks them in the module, except in the build the site ships
// (moduleChecksSignatures), which refuses to load without one. cache puts a decision cache (pageCache)
// in front of the verifier, dropped whenever a fetched key set changes
// (the page says so with each verification: verifyArgs.KeyEpoch).
func (e *engine) load(name, text string, provider KeyProvider, checker core.SignatureChecker, cache bool) (*LoadResult, error) {
	if checker == nil && !moduleChecksSignatures {
		return nil, usage("Error", "%s", errNoWebCrypto)
	}
	p, err := core.ParseBundle(name, []byte(text), loadOptions)
	if err != nil {
		return nil, err
	}
	cfg := core.Config{Keys: &keySource{provide: provider, parsed: map[string]parsedSet{}}, Signatures: checker}
	if p.OneTimeUse() {
		// Like the native default: one-time IDs are remembered for the
		// life of this policy handle (of this page).
		cfg.Replay = core.NewMemoryReplayStore(0)
	}
	v, err := core.NewVerifier(p, cfg)
	if err != nil {
		return nil, err
	}
	g := &gate{policy: p, engine: v}
	if cache {
		o := pageCache
		o.KeyGeneration = g.keyEpoch.Load
		if g.engine, err = core.NewCache(v, p, o); err != nil {
			return nil, err
		}
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	h := e.next
	e.next++
	e.gates[h] = g
	urls := p.JWKSURLs()
	if urls == nil {
		urls = []string{}
	}
	return &LoadResult{Handle: h, Integrations: p.Integrations(), JWKSURLs: urls, OneTimeUse: p.OneTimeUse()}, nil
}

func (e *engine) gate(h int) (*gate, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	g := e.gates[h]
	if g == nil {
		return nil, usage("Error", "jwtgate: policy handle %d is not loaded (closed?)", h)
	}
	return g, nil
}

// close forgets a policy. Closing twice is harmless.
func (e *engine) close(h int) {
	e.mu.Lock()
	defer e.mu.Unlock()
	delete(e.gates, h)
}

// verifyArgs are the arguments of one verification.
type verifyArgs struct {
	KeyEpoch    uint64 // how many times the page's key sets changed so far
	Token       string
	Now         time.Time
	Explain     bool
	Redirect    string
	Integration string
}

// verify returns the decision JSON exactly as core.Decision.JSON() gives it
// natively. A bad token is a decision, never an error.
func (e *engine) verify(h int, a verifyArgs) ([]byte, error) {
	g, err := e.gate(h)
	if err != nil {
		return nil, err
	}
	g.keyEpoch.Store(a.KeyEpoch)
	d := g.engine.Verify(context.Background(), core.Request{
		Token: a.Token, Now: a.Now, Explain: a.Explain,
		RedirectParam: a.Redirect, Integration: a.Integration,
	})
	return d.JSON(), nil
}

// maxNowSeconds bounds "now" so that converting it is exact enough and
// cannot overflow: about the year 318857, either side of 1970.
const maxNowSeconds = 1e13

// zeroTimeSeconds is Go's zero time.Time in Unix seconds. Passing it as
// "now" gives the core's own "no current time was given" decision, as
// natively.
const zeroTimeSeconds = -62135596800

// nowFromSeconds converts Unix seconds (possibly fractional, as from
// Date.now()/1000) to a time in UTC, rounded to the microsecond: a float64
// holds present-day times to about a quarter of a microsecond, so rounding
// gives back exactly the milliseconds of Date.now().
func nowFromSeconds(f float64) (time.Time, error) {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return time.Time{}, usage("RangeError", "jwtgate: now must be a finite number of Unix seconds, found %v", f)
	}
	if math.Abs(f) > maxNowSeconds {
		return time.Time{}, usage("RangeError", "jwtgate: now %v is out of range (Unix seconds, at most %g either way)", f, float64(maxNowSeconds))
	}
	sec := math.Floor(f)
	usec := math.Round((f - sec) * 1e6)
	if usec >= 1e6 {
		sec++
		usec -= 1e6
	}
	return time.Unix(int64(sec), int64(usec)*1e3).UTC(), nil
}

// keySource implements core.KeySource over the JavaScript side's cache.
// The parsed set is kept while the published text is unchanged, so that a
// page verifying many tokens parses each set once.
type keySource struct {
	provide KeyProvider
	mu      sync.Mutex
	parsed  map[string]parsedSet
}

type parsedSet struct {
	text string
	set  *core.KeySet
}

// KeySet implements core.KeySource.
func (k *keySource) KeySet(_ context.Context, url, kid string) (*core.KeySet, error) {
	if k.provide == nil {
		return nil, errors.New("no key provider")
	}
	text, err := k.provide(url, kid)
	if err != nil {
		return nil, err
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	if p, ok := k.parsed[url]; ok && p.text == text {
		return p.set, nil
	}
	set, err := core.ParseKeySet([]byte(text))
	if err != nil {
		return nil, fmt.Errorf("the published key set does not parse: %v", err)
	}
	k.parsed[url] = parsedSet{text: text, set: set}
	return set, nil
}

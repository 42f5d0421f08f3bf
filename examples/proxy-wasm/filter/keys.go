package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"sort"
	"time"

	"github.com/jwtgate/jwtgate/core"
	pw "github.com/jwtgate/jwtgate/examples/proxy-wasm/internal/proxywasm"
)

// maxJWKSBytes bounds a fetched key set document.
const maxJWKSBytes = 1 << 20

// jwksEntry is what the filter keeps in the host's shared data for one
// jwks_url, under "<prefix>:jwks:<url>", so that every worker VM uses the
// same keys and only one fetches them at a time. Times are Unix
// milliseconds.
type jwksEntry struct {
	// Doc is the last good key set document; it is kept when a refresh fails.
	Doc json.RawMessage `json:"doc,omitempty"`
	// Fetched is when Doc was fetched.
	Fetched int64 `json:"fetched,omitempty"`
	// Lease, while in the future, says a VM is fetching: others wait.
	Lease int64 `json:"lease,omitempty"`
	// Error and ErrorAt describe the last failed fetch.
	Error   string `json:"error,omitempty"`
	ErrorAt int64  `json:"error_at,omitempty"`
}

// localSet is a VM's parsed copy of a shared entry; cas says which version
// of the entry it is, so that an unchanged entry is not parsed again.
type localSet struct {
	cas   uint32
	entry jwksEntry
	set   *core.KeySet
}

// keyCache is the core.KeySource of the filter: key sets fetched with
// proxy_http_call, shared through shared data, refreshed on ticks.
type keyCache struct {
	p        *plugin
	urls     []string
	local    map[string]*localSet
	inflight map[string]bool // fetches of this VM
	// gen grows whenever a VM's copy of a set is replaced by another
	// parse: the decision cache's KeyGeneration.
	gen uint64
}

// generation is the decision cache's core.CacheOptions.KeyGeneration. A VM
// runs one callback at a time, so a plain field will do.
func (k *keyCache) generation() uint64 { return k.gen }

func newKeyCache(p *plugin) *keyCache {
	k := &keyCache{p: p, local: map[string]*localSet{}, inflight: map[string]bool{}}
	for u := range p.s.jwksClusters {
		k.urls = append(k.urls, u)
	}
	sort.Strings(k.urls)
	return k
}

func (k *keyCache) key(u string) string { return k.p.s.prefix + ":jwks:" + u }

// KeySet implements core.KeySource from the VM's copy, reading shared
// data only when the VM has no set yet (ticks keep the copy current). A
// kid the set lacks starts a fetch, at most once per unknown_kid_refetch_duration
// per URL (as jwtgate's native key fetcher does); the request then waits
// for it like one that arrived before any keys.
func (k *keyCache) KeySet(_ context.Context, u, kid string) (*core.KeySet, error) {
	ls := k.local[u]
	if ls == nil || ls.set == nil {
		ls = k.load(u)
	}
	if ls != nil && ls.set != nil && kid != "" && !ls.has(kid) {
		k.load(u) // another VM may have it already
		if ls = k.local[u]; !ls.has(kid) && k.refetchForKid(u) {
			k.p.refetching = true
		}
	}
	if ls == nil || ls.set == nil {
		k.p.missing = true
		msg := "the key set has not been fetched yet"
		if ls != nil && ls.entry.Error != "" {
			msg += "; the last fetch failed: " + ls.entry.Error
		}
		return nil, errors.New(msg)
	}
	return ls.set, nil
}

// load refreshes the VM's copy of u's entry from shared data.
func (k *keyCache) load(u string) *localSet {
	data, cas, err := pw.GetSharedData(k.key(u))
	if err != nil {
		return k.local[u]
	}
	ls := k.local[u]
	if ls != nil && ls.cas == cas {
		return ls
	}
	var e jwksEntry
	if err := json.Unmarshal(data, &e); err != nil {
		pw.LogWarnf("jwtgate: shared key set entry of %s is unreadable: %v", u, err)
		return ls
	}
	next := &localSet{cas: cas, entry: e}
	switch {
	case len(e.Doc) == 0:
	case ls != nil && ls.set != nil && ls.entry.Fetched == e.Fetched:
		next.set = ls.set // only the lease or the error changed
	default:
		set, err := core.ParseKeySet(e.Doc)
		if err != nil {
			pw.LogWarnf("jwtgate: shared key set of %s is unreadable: %v", u, err)
		} else {
			next.set = set
		}
	}
	if next.set == nil && ls != nil {
		next.set = ls.set
	}
	if ls == nil || next.set != ls.set {
		k.gen++
	}
	k.local[u] = next
	return next
}

// has reports whether the set holds a key with this kid.
func (l *localSet) has(kid string) bool { return l != nil && l.set != nil && l.set.HasKeyID(kid) }

// refetchForKid starts a fetch of u for an unknown kid unless one is under
// way or the set is younger than unknown_kid_refetch_duration. It reports
// whether a fetch is under way, one the request can wait for.
func (k *keyCache) refetchForKid(u string) bool {
	ms := wallNow().UnixMilli()
	ls := k.local[u]
	if k.inflight[u] || ls.entry.Lease > ms {
		return true
	}
	if ms < ls.entry.Fetched+k.p.s.unknownKid.Milliseconds() || (ls.entry.ErrorAt > ls.entry.Fetched && ms < ls.entry.ErrorAt+k.p.s.retry.Milliseconds()) {
		return false
	}
	k.fetch(u, ms)
	return k.inflight[u]
}

// tick refreshes the VM's copies and starts the fetches that are due and
// that no VM has leased.
func (k *keyCache) tick(now time.Time) {
	ms := now.UnixMilli()
	for _, u := range k.urls {
		ls := k.load(u)
		var e jwksEntry
		if ls != nil {
			e = ls.entry
		}
		due := false
		switch {
		case k.inflight[u], e.Lease > ms:
		case e.ErrorAt > e.Fetched && ms < e.ErrorAt+k.p.s.retry.Milliseconds():
		case len(e.Doc) == 0:
			due = true
		default:
			due = ms >= e.Fetched+k.p.s.refresh.Milliseconds()
		}
		if due {
			k.fetch(u, ms)
		}
	}
}

// fetch leases u's entry (a compare-and-swap on it, so that of the VMs
// seeing the fetch due, one fetches) and dispatches the call.
func (k *keyCache) fetch(u string, ms int64) {
	ok := k.update(u, func(e *jwksEntry) bool {
		if e.Lease > ms {
			return false
		}
		e.Lease = ms + k.p.s.fetchTimeout.Milliseconds() + 1000
		return true
	})
	if !ok {
		return
	}
	pu, _ := url.Parse(u)
	headers := [][2]string{
		{":method", "GET"}, {":path", pu.RequestURI()}, {":authority", pu.Host}, {":scheme", pu.Scheme},
		{"accept", "application/jwk-set+json, application/json"}, {"user-agent", "jwtgate-proxy-wasm"},
	}
	cluster := k.p.s.jwksClusters[u]
	// The call belongs to the plugin's context, not to a stream that may
	// end before the answer; then back to the stream being decided, if any.
	pw.SetEffectiveContext(k.p.id)
	_, err := pw.DispatchHttpCall(cluster, headers, nil, nil, uint32(k.p.s.fetchTimeout.Milliseconds()), func(numHeaders, bodySize, _ int) {
		delete(k.inflight, u)
		k.done(u, numHeaders, bodySize)
	})
	if k.p.current != k.p.id {
		pw.SetEffectiveContext(k.p.current)
	}
	if err != nil {
		// Not the answer of an upstream (the cluster may not be up yet
		// while the proxy starts): try again at the next tick.
		k.failed(u, fmt.Sprintf("dispatching the call to cluster %q: %v", cluster, err), false)
		return
	}
	k.inflight[u] = true
	pw.LogDebugf("jwtgate: fetching the key set %s through cluster %s", u, cluster)
}

// done handles the answer to a key set fetch.
func (k *keyCache) done(u string, numHeaders, bodySize int) {
	if numHeaders == 0 {
		k.failed(u, "the call failed or timed out", true)
		return
	}
	hs, err := pw.GetHttpCallResponseHeaders()
	if err != nil {
		k.failed(u, fmt.Sprintf("reading the response headers: %v", err), true)
		return
	}
	status := ""
	for _, h := range hs {
		if h[0] == ":status" {
			status = h[1]
		}
	}
	if status != "200" {
		k.failed(u, "HTTP status "+status, true)
		return
	}
	if bodySize > maxJWKSBytes {
		k.failed(u, fmt.Sprintf("the key set is %d bytes, the limit is %d", bodySize, maxJWKSBytes), true)
		return
	}
	body, err := pw.GetHttpCallResponseBody(0, bodySize)
	if err != nil {
		k.failed(u, fmt.Sprintf("reading the response body: %v", err), true)
		return
	}
	set, err := core.ParseKeySet(body)
	if err == nil && set.Len() == 0 {
		err = errors.New("the set has no keys")
	}
	if err == nil && !json.Valid(body) {
		err = errors.New("not JSON")
	}
	if err != nil {
		k.failed(u, err.Error(), true)
		return
	}
	now := wallNow().UnixMilli()
	k.update(u, func(e *jwksEntry) bool {
		e.Doc, e.Fetched, e.Lease, e.Error, e.ErrorAt = body, now, 0, "", 0
		return true
	})
	k.load(u)
	pw.LogInfof("jwtgate: fetched the key set %s: %d keys", u, set.Len())
	k.p.resumeWaiting()
}

// failed records a failed fetch; with backoff, the next waits
// failed_refetch_duration.
func (k *keyCache) failed(u, msg string, backoff bool) {
	now := wallNow().UnixMilli()
	k.update(u, func(e *jwksEntry) bool {
		e.Lease, e.Error = 0, msg
		if backoff {
			e.ErrorAt = now
		}
		return true
	})
	k.load(u)
	pw.LogWarnf("jwtgate: fetching the key set %s: %s", u, msg)
	k.p.resumeWaiting()
}

// update applies change to u's shared entry with compare-and-swap,
// retrying on conflict; change returns false to give up. It reports
// whether the change was written.
func (k *keyCache) update(u string, change func(*jwksEntry) bool) bool {
	key := k.key(u)
	for range 16 {
		data, cas, err := pw.GetSharedData(key)
		var e jwksEntry
		switch {
		case errors.Is(err, pw.ErrorStatusNotFound):
			cas = 0 // created: the ABI has no create-if-absent; a double fetch is harmless
		case err != nil:
			pw.LogWarnf("jwtgate: reading shared data %s: %v", key, err)
			return false
		default:
			if err := json.Unmarshal(data, &e); err != nil {
				e = jwksEntry{}
			}
		}
		if !change(&e) {
			return false
		}
		b, err := json.Marshal(&e)
		if err != nil {
			return false
		}
		err = pw.SetSharedData(key, b, cas)
		if errors.Is(err, pw.ErrorStatusCasMismatch) {
			continue
		}
		if err != nil {
			pw.LogWarnf("jwtgate: writing shared data %s: %v", key, err)
			return false
		}
		return true
	}
	return false
}

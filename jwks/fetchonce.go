package jwks

import (
	"context"
	"errors"
	"time"

	"github.com/jwtgate/jwtgate/core"
)

// Fetch GETs one of the fetcher's URLs once, exactly as KeySet would
// (timeout, size limit, no redirects), without caching: for diagnostics
// such as jwtgate jwks check. It returns the document, the set the core
// parsed from it, and how long KeySet would cache it. For a discovery
// entry's URL the document is fetched and checked first, and the set is
// the one at its jwks_uri.
func (f *Fetcher) Fetch(ctx context.Context, url string) ([]byte, *core.KeySet, time.Duration, error) {
	e, ok := f.entries[url]
	if !ok {
		return nil, nil, 0, errors.New("jwks: " + url + " is not one of the fetcher's URLs")
	}
	// A copy: its document is fetched afresh and cached nowhere.
	return f.fetchSet(ctx, &entry{url: e.url, disc: e.disc})
}

// Discover fetches and checks the document of one of the fetcher's
// discovery entries once, as KeySet would, without caching, and returns
// the jwks_uri it names and how long the document would be cached: for
// diagnostics such as jwtgate jwks check --discovery.
func (f *Fetcher) Discover(ctx context.Context, url string) (string, time.Duration, error) {
	e, ok := f.entries[url]
	if !ok || e.disc == nil {
		return "", 0, errors.New("jwks: " + url + " is not one of the fetcher's discovery documents")
	}
	return f.resolve(ctx, e.disc)
}

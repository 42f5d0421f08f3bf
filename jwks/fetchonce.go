package jwks

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jwtgate/jwtgate/core"
)

// Fetch GETs one of the fetcher's URLs once, exactly as KeySet would
// (timeout, size limit, no redirects), without caching: for diagnostics
// such as jwtgate jwks check. It returns the document, the set the core
// parsed from it, and how long KeySet would cache it.
func (f *Fetcher) Fetch(ctx context.Context, url string) ([]byte, *core.KeySet, time.Duration, error) {
	if _, ok := f.entries[url]; !ok {
		return nil, nil, 0, errors.New("jwks: " + url + " is not one of the fetcher's URLs")
	}
	body, ttl, err := f.fetch(ctx, url)
	if err != nil {
		return nil, nil, 0, err
	}
	set, err := core.ParseKeySet(body)
	if err != nil {
		return body, nil, ttl, fmt.Errorf("jwks: GET %s: %v", url, err)
	}
	return body, set, ttl, nil
}

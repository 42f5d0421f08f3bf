package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"sync"
	"time"

	"github.com/jwtgate/jwtgate/core"
)

// Limits of the simple jwks_url key source.
const (
	jwksFetchTimeout = 5 * time.Second
	jwksMaxBytes     = 1 << 20
	jwksCacheTTL     = 5 * time.Minute
)

// httpKeySource is a minimal core.KeySource: it fetches the key sets named
// by the policy's jwks_url entries with a plain GET and keeps each for
// jwksCacheTTL. Failures are not cached. Only the policy's own URLs are
// fetched, whatever a caller asks for.
type httpKeySource struct {
	client  *http.Client
	allowed map[string]bool
	ttl     time.Duration
	now     func() time.Time

	mu    sync.Mutex
	cache map[string]cachedKeySet
}

type cachedKeySet struct {
	set     *core.KeySet
	fetched time.Time
}

var _ core.KeySource = (*httpKeySource)(nil)

func newHTTPKeySource(urls []string) *httpKeySource {
	allowed := make(map[string]bool, len(urls))
	for _, u := range urls {
		allowed[u] = true
	}
	return &httpKeySource{
		client: &http.Client{
			Timeout: jwksFetchTimeout,
			// Only the policy's own URLs are fetched: a redirect elsewhere fails.
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		},
		allowed: allowed,
		ttl:     jwksCacheTTL,
		now:     time.Now,
		cache:   map[string]cachedKeySet{},
	}
}

// KeySet implements core.KeySource.
func (s *httpKeySource) KeySet(ctx context.Context, url, _ string) (*core.KeySet, error) {
	if !s.allowed[url] {
		return nil, fmt.Errorf("%s is not a jwks_url of the policy", url)
	}
	s.mu.Lock()
	c, ok := s.cache[url]
	s.mu.Unlock()
	if ok && s.now().Sub(c.fetched) < s.ttl {
		return c.set, nil
	}
	set, err := s.fetch(ctx, url)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	s.cache[url] = cachedKeySet{set: set, fetched: s.now()}
	s.mu.Unlock()
	return set, nil
}

func (s *httpKeySource) fetch(ctx context.Context, url string) (*core.KeySet, error) {
	ctx, cancel := context.WithTimeout(ctx, jwksFetchTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", "application/json")
	resp, err := s.client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, jwksMaxBytes+1))
	if err != nil {
		return nil, fmt.Errorf("GET %s: %v", url, err)
	}
	if len(body) > jwksMaxBytes {
		return nil, fmt.Errorf("GET %s: key set is larger than %d bytes", url, jwksMaxBytes)
	}
	set, err := core.ParseKeySet(body)
	if err != nil {
		return nil, fmt.Errorf("GET %s: %v", url, err)
	}
	return set, nil
}

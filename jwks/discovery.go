package jwks

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"

	"github.com/jwtgate/jwtgate/core"
	"github.com/jwtgate/jwtgate/internal/otelspan"
	"github.com/jwtgate/jwtgate/internal/redirect"
)

// docState is the last good discovery document of an entry. Only the
// entry's one fetch under way reads or writes it, under e.mu.
type docState struct {
	jwksURI   string
	fetchedAt time.Time
	ttl       time.Duration
}

// discoveryDoc is what jwtgate reads of an OpenID Provider's metadata.
type discoveryDoc struct {
	Issuer  *string `json:"issuer"`
	JWKSURI *string `json:"jwks_uri"`
}

// jwksURI returns the key set URL of e's discovery document: the cached
// one while the document is fresh, else the one a fetch finds. A failed
// fetch keeps the last good document, as a failed set fetch keeps the
// last good set; with none, its error says which step failed.
func (f *Fetcher) jwksURI(ctx context.Context, e *entry) (string, error) {
	e.mu.Lock()
	last := e.doc
	e.mu.Unlock()
	if last != nil && f.o.Now().Before(last.fetchedAt.Add(last.ttl)) {
		return last.jwksURI, nil
	}
	uri, ttl, err := f.resolve(ctx, e.disc)
	if err != nil {
		if last == nil {
			return "", err
		}
		f.o.Logger.Warn("discovery document fetch failed", "url", e.url, "error", err.Error(), "keeping_jwks_uri", last.jwksURI)
		return last.jwksURI, nil
	}
	e.mu.Lock()
	e.doc = &docState{jwksURI: uri, fetchedAt: f.o.Now(), ttl: ttl}
	e.mu.Unlock()
	return uri, nil
}

// resolve fetches d's document (the Fetcher's timeout, size limit and no
// redirects) and returns its jwks_uri and how long to cache the document.
func (f *Fetcher) resolve(ctx context.Context, d *core.Discovery) (string, time.Duration, error) {
	ctx, span := otelspan.Start(ctx, f.tracer, "jwks.discovery", trace.SpanKindClient,
		attribute.String("url.full", otelspan.URL(d.URL)), attribute.String("http.request.method", http.MethodGet))
	defer span.End()
	body, ttl, err := f.fetch(ctx, span, d.URL)
	if err != nil {
		otelspan.Fail(span, err, "unreachable")
		return "", 0, fmt.Errorf("jwks: discovery document unreachable: %s", strings.TrimPrefix(err.Error(), "jwks: "))
	}
	uri, err := readDiscovery(body, d)
	if err != nil {
		otelspan.Fail(span, err, "invalid_document")
		return "", 0, fmt.Errorf("jwks: discovery document %s: %w", d.URL, err)
	}
	return uri, ttl, nil
}

// readDiscovery checks a discovery document against d and returns its
// jwks_uri: the issuer exactly d's (OpenID Connect Discovery §4.3, no
// normalisation), the jwks_uri on one of d's hosts, https unless the
// issuer itself is http.
func readDiscovery(body []byte, d *core.Discovery) (string, error) {
	var doc discoveryDoc
	if err := json.Unmarshal(body, &doc); err != nil {
		return "", fmt.Errorf("not a JSON object of provider metadata: %v", err)
	}
	switch {
	case doc.Issuer == nil:
		return "", errors.New("no issuer")
	case *doc.Issuer != d.Issuer:
		return "", fmt.Errorf("issuer mismatch: expected %q, found %q", d.Issuer, clip(*doc.Issuer))
	case doc.JWKSURI == nil || *doc.JWKSURI == "":
		return "", errors.New("no jwks_uri")
	}
	uri := *doc.JWKSURI
	opts := redirect.Options{AllowedDomains: d.JWKSHosts, AllowHTTP: strings.HasPrefix(d.Issuer, "http://")}
	if _, err := redirect.Check(uri, opts); err != nil || uri[0] == '/' {
		reason := "not an absolute URL"
		var re *redirect.Error
		if errors.As(err, &re) {
			reason = re.Reason
		}
		return "", fmt.Errorf("jwks_uri %q refused: %s (the issuer's host and jwks_hosts are allowed: %s)", clip(uri), reason, strings.Join(d.JWKSHosts, ", "))
	}
	return uri, nil
}

// fetchSet fetches and parses e's set: at its URL, or, for a discovery
// entry, at the jwks_uri of its issuer's document.
//
// Its span, jwks.fetch, covers the whole of it: the discovery document's
// fetch, when one is due, is its child.
func (f *Fetcher) fetchSet(ctx context.Context, e *entry) ([]byte, *core.KeySet, time.Duration, error) {
	ctx, span := otelspan.Start(ctx, f.tracer, "jwks.fetch", trace.SpanKindClient,
		attribute.Bool("jwtgate.jwks.discovery", e.disc != nil), attribute.String("http.request.method", http.MethodGet))
	defer span.End()
	url, what := e.url, "GET "+e.url
	if e.disc != nil {
		var err error
		if url, err = f.jwksURI(ctx, e); err != nil {
			otelspan.Fail(span, err, "discovery_failed")
			return nil, nil, 0, err
		}
		what = "key set " + url + " (the discovery document's jwks_uri)"
	}
	span.SetAttributes(attribute.String("url.full", otelspan.URL(url)))
	body, ttl, err := f.fetch(ctx, span, url)
	if err != nil {
		otelspan.Fail(span, err, "unreachable")
		if e.disc != nil {
			err = fmt.Errorf("jwks: key set unreachable: %s (the discovery document's jwks_uri)", strings.TrimPrefix(err.Error(), "jwks: "))
		}
		return nil, nil, 0, err
	}
	set, err := core.ParseKeySet(body)
	if err != nil {
		otelspan.Fail(span, err, "invalid_key_set")
		return body, nil, ttl, fmt.Errorf("jwks: %s: %v", what, err)
	}
	span.SetAttributes(attribute.Int("jwtgate.jwks.keys", set.Len()))
	return body, set, ttl, nil
}

// clip shortens a value of a fetched document for a message.
func clip(s string) string {
	const limit = 256
	if len(s) > limit {
		return s[:limit] + "…"
	}
	return s
}

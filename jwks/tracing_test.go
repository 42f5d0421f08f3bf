package jwks

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/jwtgate/jwtgate/internal/otelspan/spantest"
)

func attrsOf(s sdktrace.ReadOnlySpan) map[attribute.Key]string {
	m := map[attribute.Key]string{}
	for _, kv := range s.Attributes() {
		m[kv.Key] = kv.Value.Emit()
	}
	return m
}

// A fetch a caller starts is a child of the caller's span, with the URL,
// the status and the number of keys; a failed one is marked by kind.
func TestFetchSpans(t *testing.T) {
	s := newServer(t, jwks(t, "a", "b"))
	tp, rec := spantest.Recorder(t)
	keys := New(Options{URLs: []string{s.URL + "/jwks.json", s.URL + "/flaky"}, TracerProvider: tp})
	parent, span := tp.Tracer("test").Start(context.Background(), "request")
	_, err := keys.KeySet(parent, s.URL+"/jwks.json", "")
	require.NoError(t, err)
	s.set(func(s *server) { s.failFirst = 1 })
	_, err = keys.KeySet(parent, s.URL+"/flaky", "")
	require.Error(t, err)
	span.End()

	var fetches []sdktrace.ReadOnlySpan
	for _, sp := range rec.Ended() {
		if sp.Name() == "jwks.fetch" {
			fetches = append(fetches, sp)
		}
	}
	require.Len(t, fetches, 2)
	ok, failed := fetches[0], fetches[1]
	assert.Equal(t, span.SpanContext().SpanID(), ok.Parent().SpanID(), "a child of the caller's span")
	assert.Equal(t, map[attribute.Key]string{
		"url.full": s.URL + "/jwks.json", "http.request.method": "GET", "http.response.status_code": "200",
		"jwtgate.jwks.discovery": "false", "jwtgate.jwks.keys": "2",
	}, attrsOf(ok))
	assert.Equal(t, codes.Error, failed.Status().Code)
	assert.Equal(t, "unreachable", failed.Status().Description, "a kind, not the error's text")
	assert.Equal(t, "500", attrsOf(failed)["http.response.status_code"])
	assert.Empty(t, failed.Events(), "no error event quoting the error")
}

// A discovery entry's document fetch is the child of its set's fetch.
func TestDiscoverySpans(t *testing.T) {
	p := newIDP(t, publicSet(t, ecJWK))
	policy, d := discoveryOf(t, p.URL, "{discovery: true}")
	tp, rec := spantest.Recorder(t)
	keys := New(Options{Discoveries: policy.Discoveries(), TracerProvider: tp})
	_, err := keys.KeySet(context.Background(), d.URL, "")
	require.NoError(t, err)
	ended := rec.Ended()
	require.Len(t, ended, 2)
	doc, set := ended[0], ended[1]
	assert.Equal(t, "jwks.discovery", doc.Name())
	assert.Equal(t, "jwks.fetch", set.Name())
	assert.Equal(t, set.SpanContext().SpanID(), doc.Parent().SpanID())
	assert.Equal(t, p.URL+docPath, attrsOf(doc)["url.full"])
	assert.Equal(t, p.URL+"/jwks.json", attrsOf(set)["url.full"], "the jwks_uri the document named")
	assert.Equal(t, "true", attrsOf(set)["jwtgate.jwks.discovery"])
}

// Without a provider nothing is recorded, and the caller's own span is
// left alone (never otel's global provider, never the caller's span).
func TestNoProviderNoSpans(t *testing.T) {
	s := newServer(t, jwks(t, "a"))
	tp, rec := spantest.Recorder(t)
	keys := New(Options{URLs: []string{s.URL + "/jwks.json"}})
	parent, span := tp.Tracer("test").Start(context.Background(), "request")
	_, err := keys.KeySet(parent, s.URL+"/jwks.json", "")
	require.NoError(t, err)
	span.End()
	require.Len(t, rec.Ended(), 1)
	assert.Empty(t, rec.Ended()[0].Attributes(), "the caller's span is not written on")
}

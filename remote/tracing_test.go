package remote

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/jwtgate/jwtgate/internal/otelspan/spantest"
)

// everything is every name, attribute, event and status text of the spans.
func everything(spans []sdktrace.ReadOnlySpan) string {
	var b strings.Builder
	for _, s := range spans {
		b.WriteString(s.Name() + " " + s.Status().Description + " ")
		for _, kv := range s.Attributes() {
			b.WriteString(string(kv.Key) + "=" + kv.Value.Emit() + " ")
		}
		for _, ev := range s.Events() {
			b.WriteString(ev.Name + " ")
			for _, kv := range ev.Attributes {
				b.WriteString(kv.Value.Emit() + " ")
			}
		}
	}
	return b.String()
}

// The group resolver's span records the configured URL, not the subject
// jwtgate adds to it, and a failure by kind: the error itself quotes the
// URL, subject included.
func TestGroupsSpanHasNoSubject(t *testing.T) {
	const subject = "alice@example.com"
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte(`{"groups":["a","b","c"]}`))
	}))
	defer ts.Close()
	tp, rec := spantest.Recorder(t)
	g := &GroupResolver{URL: ts.URL + "/groups?tenant=t1", SystemToken: "system-secret", TracerProvider: tp}
	groups, err := g.Groups(context.Background(), subject)
	require.NoError(t, err)
	require.Len(t, groups, 3)

	ts.Close()
	_, err = g.Groups(context.Background(), subject)
	require.Error(t, err)
	require.Contains(t, err.Error(), "alice%40example.com", "the error quotes the URL: it must not reach a span")

	spans := rec.Ended()
	require.Len(t, spans, 2)
	ok, failed := spans[0], spans[1]
	assert.Equal(t, "remote.groups", ok.Name())
	assert.Contains(t, ok.Attributes(), attribute.String("url.full", ts.URL+"/groups"), "no query: neither the configured one nor the subject")
	assert.Contains(t, ok.Attributes(), attribute.Int("http.response.status_code", 200))
	assert.Contains(t, ok.Attributes(), attribute.Int("jwtgate.groups.count", 3))
	assert.Equal(t, codes.Error, failed.Status().Code)
	assert.Equal(t, "unavailable", failed.Status().Description)
	text := everything(spans)
	for _, secret := range []string{"alice", "system-secret", "tenant=t1"} {
		assert.NotContains(t, text, secret)
	}
}

// A refusal is error.type=rejected; the token is nowhere.
func TestValidateSpan(t *testing.T) {
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusUnauthorized)
	}))
	defer ts.Close()
	tp, rec := spantest.Recorder(t)
	const token = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJib2IifQ.c2lnbmF0dXJl"
	_, err := (&Validator{URL: ts.URL + "/validate", TracerProvider: tp}).Validate(context.Background(), token)
	require.ErrorIs(t, err, ErrRejected)
	spans := rec.Ended()
	require.Len(t, spans, 1)
	assert.Equal(t, "remote.validate", spans[0].Name())
	assert.Contains(t, spans[0].Attributes(), attribute.String("error.type", "rejected"))
	assert.Contains(t, spans[0].Attributes(), attribute.Int("http.response.status_code", 401))
	for _, part := range strings.Split(token, ".") {
		assert.NotContains(t, everything(spans), part)
	}
}

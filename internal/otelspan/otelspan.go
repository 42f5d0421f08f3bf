// Package otelspan is what jwtgate's libraries (jwks, remote, ldapgroups)
// share to record OpenTelemetry spans: a tracer that is nothing at all
// unless the host hands one in, addresses made safe to record, and failures
// recorded by kind, never by message.
//
// A library never falls back to otel's global provider: a program that
// imports jwks for its key cache gets no spans it did not ask for, and
// jwtgate serve passes the provider its own configuration chose.
package otelspan

import (
	"context"
	"errors"
	"net"
	"net/url"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/noop"
)

// Tracer is tp's tracer for the named library, or nil when tp is nil or
// otel's no-op provider: Start then costs nothing, not even the context
// the no-op tracer allocates for each span.
func Tracer(tp trace.TracerProvider, library string) trace.Tracer {
	switch tp.(type) {
	case nil, noop.TracerProvider, *noop.TracerProvider:
		return nil
	}
	return tp.Tracer(library)
}

// Start starts a span with t, or, with a nil t, returns ctx as it is and a
// span that records nothing (never the span ctx already holds, which is
// not the library's to write on).
func Start(ctx context.Context, t trace.Tracer, name string, kind trace.SpanKind, attrs ...attribute.KeyValue) (context.Context, trace.Span) {
	if t == nil {
		return ctx, noSpan
	}
	return t.Start(ctx, name, trace.WithSpanKind(kind), trace.WithAttributes(attrs...))
}

// noSpan records nothing: the span of a context that holds none.
var noSpan = trace.SpanFromContext(context.Background())

// URL is what a span may record of a configured address: scheme, host and
// path, without user info, query or fragment, which may hold credentials
// (and, for a group resolver, the subject jwtgate adds). An address that
// does not parse is recorded as "invalid".
func URL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return "invalid"
	}
	clean := url.URL{Scheme: u.Scheme, Host: u.Host, Path: u.Path, RawPath: u.RawPath}
	return clean.String()
}

// Fail marks span failed. What it records is a kind — "timeout",
// "canceled", else the caller's — as the error.type attribute and the
// status description, never err's text: an error may quote an address with
// a subject in its query, or what a directory answered about a user.
func Fail(span trace.Span, err error, kind string) {
	if !span.IsRecording() {
		return
	}
	kind = Kind(err, kind)
	span.SetAttributes(attribute.String("error.type", kind))
	span.SetStatus(codes.Error, kind)
}

// Kind classifies err: "timeout" for a deadline (the context's or the
// network's), "canceled" for a cancelled context, else fallback.
func Kind(err error, fallback string) string {
	var ne net.Error
	switch {
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &ne) && ne.Timeout():
		return "timeout"
	case errors.Is(err, context.Canceled):
		return "canceled"
	}
	return fallback
}

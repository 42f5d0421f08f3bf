package server

import (
	"context"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"

	"github.com/jwtgate/jwtgate/internal/otelspan"
)

// storeSpanNames are the span names of the store's operations, built once:
// naming a span must not cost an allocation per call.
var storeSpanNames = func() map[string]string {
	names := make(map[string]string, len(storeOps))
	for _, op := range storeOps {
		names[op] = "store." + op
	}
	return names
}()

// storeSpan starts the span of a store call, recording the operation's
// name only (never a jti, a subject or a session). Only within a traced
// request: the readiness probe's pings and a reload's sync would each be
// a trace of one span. end takes the call's error.
func (b *boundedStore) storeSpan(ctx context.Context, op string) (context.Context, func(error)) {
	if b.tracer == nil || !trace.SpanFromContext(ctx).IsRecording() {
		return ctx, func(error) {}
	}
	name, ok := storeSpanNames[op]
	if !ok {
		name = "store." + op // an operation added without its metrics label
	}
	ctx, span := b.tracer.Start(ctx, name, trace.WithSpanKind(trace.SpanKindClient),
		trace.WithAttributes(attribute.String("db.operation.name", op)))
	return ctx, func(err error) {
		if err != nil {
			otelspan.Fail(span, err, "store_error")
		}
		span.End()
	}
}

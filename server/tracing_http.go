package server

import (
	"context"
	"net/http"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"
)

// tracedRoutes are the endpoints whose requests are server spans, each
// with the route it is recorded under: those that verify a credential.
// Health checks, metrics and the JWKS document would be noise.
var tracedRoutes = map[string]string{
	"verify":   "/v1/verify",
	"authz":    "/v1/authz",
	"signin":   "/auth/jwt",
	"callback": "/auth/callback/{integration}",
	"token":    "/oauth2/token",
}

// traced wraps an endpoint's handler in its server span, a child of the
// caller's traceparent when it sent one. The span records the method (one
// of HTTP's, else _OTHER), the route, the endpoint and the status; the
// decision adds the integration and the code (Server.decision). Never the
// path, the query (a sign-in's token or redirect), a header or the token.
func (t *tracing) traced(endpoint string, h http.HandlerFunc) http.HandlerFunc {
	route, ok := tracedRoutes[endpoint]
	if t == nil || !ok {
		return h
	}
	return func(w http.ResponseWriter, r *http.Request) {
		ctx := t.prop.Extract(r.Context(), propagation.HeaderCarrier(r.Header))
		method := spanMethod(r.Method)
		name := method + " " + route
		if method == "_OTHER" {
			name = "HTTP " + route
		}
		ctx, span := t.tracer.Start(ctx, name, trace.WithSpanKind(trace.SpanKindServer), trace.WithAttributes(
			attribute.String("http.request.method", method), attribute.String("http.route", route),
			attribute.String("jwtgate.endpoint", endpoint)))
		sw := &statusWriter{ResponseWriter: w}
		defer func() {
			p := recover()
			status := sw.code
			switch {
			case p != nil:
				status = http.StatusInternalServerError // as the endpoint's guard answers
			case status == 0:
				status = http.StatusOK // nothing written
			}
			span.SetAttributes(attribute.Int("http.response.status_code", status))
			if status >= 500 {
				span.SetStatus(codes.Error, http.StatusText(status))
			}
			span.End()
			if p != nil {
				panic(p) // on to the endpoint's guard, the span ended
			}
		}()
		h(sw, r.WithContext(ctx))
	}
}

// spanMethod is the method as a span may record it: a client picks any
// token it likes, so only HTTP's own methods are recorded as sent.
func spanMethod(m string) string {
	switch m {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch,
		http.MethodDelete, http.MethodConnect, http.MethodOptions, http.MethodTrace:
		return m
	}
	return "_OTHER"
}

// decision counts a decision (metrics.decision) and records it on the
// request's server span: the integration and the code as the metrics
// label them, so that a name a client made up is "unknown" there too.
func (s *Server) decision(ctx context.Context, endpoint, integration, code string) {
	integration, code = s.metrics.decision(endpoint, integration, code)
	if s.tracing == nil {
		return
	}
	if span := trace.SpanFromContext(ctx); span.IsRecording() {
		span.SetAttributes(attribute.String("jwtgate.integration", integration), attribute.String("jwtgate.decision.code", code))
	}
}

// statusWriter keeps the status a handler answered, for the span.
type statusWriter struct {
	http.ResponseWriter
	code int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.code == 0 {
		w.code = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.code == 0 {
		w.code = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the connection's writer.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync/atomic"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
)

// tracing is the server's OpenTelemetry tracing, nil when it is off: then
// no exporter, no goroutine, and every seam is one nil check. It is fixed
// at New (a reload does not change it): the provider's exporter and
// batching goroutine live as long as the server.
type tracing struct {
	tp     *sdktrace.TracerProvider
	tracer trace.Tracer
	// prop reads W3C traceparent/tracestate only: the proxy in front
	// (Envoy, Istio, nginx) started the trace, and jwtgate's spans join it.
	prop propagation.TraceContext
}

// tracerName is the instrumentation scope of the server's own spans.
const tracerName = "github.com/jwtgate/jwtgate/server"

// defaultServiceName is service.name unless OTEL_SERVICE_NAME or
// OTEL_RESOURCE_ATTRIBUTES says otherwise.
const defaultServiceName = "jwtgate"

// tracingConfig is service.tracing.
type tracingConfig struct {
	Enabled bool `yaml:"enabled"`
}

// newTracing starts tracing when the configuration or the environment asks
// for it (tracingWanted), exporting by OTLP/HTTP to where the standard
// OTEL_EXPORTER_OTLP_* variables say; the SDK reads those, and
// OTEL_TRACES_SAMPLER, itself. nil, nil: tracing is off.
func newTracing(ctx context.Context, inFile bool, env func(string) (string, bool), log *slog.Logger) (*tracing, error) {
	on, err := tracingWanted(inFile, env)
	if !on || err != nil {
		return nil, err
	}
	res, err := resource.New(ctx,
		resource.WithAttributes(attribute.String("service.name", defaultServiceName)),
		resource.WithFromEnv(), // OTEL_RESOURCE_ATTRIBUTES, then OTEL_SERVICE_NAME, over the default
		resource.WithTelemetrySDK())
	if err != nil {
		return nil, fmt.Errorf("tracing: %w", err)
	}
	exp, err := otlptracehttp.New(ctx)
	if err != nil {
		return nil, fmt.Errorf("tracing: the OTLP exporter: %w", err)
	}
	tp := sdktrace.NewTracerProvider(sdktrace.WithBatcher(&loggedExporter{SpanExporter: exp, log: log}), sdktrace.WithResource(res))
	return &tracing{tp: tp, tracer: tp.Tracer(tracerName)}, nil
}

// tracingWanted decides the switch. OTEL_SDK_DISABLED=true always turns
// tracing off; else OTEL_TRACES_EXPORTER=otlp turns it on, =none off, and
// unset leaves it to service.tracing.enabled. An exporter or an OTLP
// protocol jwtgate does not have is refused, at start, rather than
// exporting nothing silently.
func tracingWanted(inFile bool, env func(string) (string, bool)) (bool, error) {
	if v, _ := env("OTEL_SDK_DISABLED"); strings.EqualFold(strings.TrimSpace(v), "true") {
		return false, nil
	}
	on := inFile
	if v, _ := env("OTEL_TRACES_EXPORTER"); strings.TrimSpace(v) != "" {
		on = false
		for _, name := range strings.Split(v, ",") {
			switch strings.ToLower(strings.TrimSpace(name)) {
			case "otlp":
				on = true
			case "none":
			default:
				return false, fmt.Errorf("tracing: OTEL_TRACES_EXPORTER=%s: jwtgate exports traces by OTLP only; set otlp or none", v)
			}
		}
	}
	if !on {
		return false, nil
	}
	for _, name := range []string{"OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "OTEL_EXPORTER_OTLP_PROTOCOL"} {
		v, ok := env(name)
		if !ok || strings.TrimSpace(v) == "" {
			continue
		}
		if strings.TrimSpace(v) != "http/protobuf" {
			return false, fmt.Errorf("tracing: %s=%s: jwtgate's OTLP exporter speaks http/protobuf only (port 4318); set http/protobuf or unset it", name, v)
		}
		break // the traces-specific variable wins over the general one
	}
	return true, nil
}

// provider is what the libraries (jwks, remote, ldapgroups) record their
// spans with: a nil interface when tracing is off, so that they record
// none at no cost.
func (t *tracing) provider() trace.TracerProvider {
	if t == nil {
		return nil
	}
	return t.tp
}

// shutdown flushes the spans not yet exported and stops the exporter,
// within timeout.
func (t *tracing) shutdown(timeout time.Duration) error {
	if t == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	if err := t.tp.Shutdown(ctx); err != nil && !errors.Is(err, context.Canceled) {
		return fmt.Errorf("tracing: flushing the last spans: %w", err)
	}
	return nil
}

// storeTracer records the store calls' spans; nil when tracing is off.
func (t *tracing) storeTracer() trace.Tracer {
	if t == nil {
		return nil
	}
	return t.tracer
}

// loggedExporter logs a failed export to the server's log, once when
// exports start failing and once when they work again, and drops the
// batch: the SDK would print each failure, every few seconds while the
// collector is down, to the process's stderr through otel's global error
// handler, outside the JSON log.
type loggedExporter struct {
	sdktrace.SpanExporter
	log     *slog.Logger
	failing atomic.Bool
}

func (e *loggedExporter) ExportSpans(ctx context.Context, spans []sdktrace.ReadOnlySpan) error {
	err := e.SpanExporter.ExportSpans(ctx, spans)
	switch {
	case err != nil && !e.failing.Swap(true):
		e.log.Warn("tracing: exporting spans failed; dropping them until the collector answers", "error", err.Error(), "spans", len(spans))
	case err == nil && e.failing.Swap(false):
		e.log.Info("tracing: exporting spans again")
	}
	return nil
}

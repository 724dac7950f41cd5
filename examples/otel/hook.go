package main

import (
	"context"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	oteltrace "go.opentelemetry.io/otel/trace"

	"github.com/noetl/noetldb/storage/trace"
)

// Hook is a trace.Hook over an OpenTelemetry tracer: one span per
// repository call (named by its operation, such as "messages.post") and one
// child span per statement, timed as the statement ran. It is the whole
// adapter; copy it into a service that uses OpenTelemetry.
type Hook struct {
	Tracer oteltrace.Tracer
	// System is the db.system.name attribute: "postgresql" or "sqlite".
	System string
}

// OnCall starts the call's span; the returned ctx carries it, so the
// call's statements become its children.
func (h Hook) OnCall(ctx context.Context, op string) (context.Context, func(error)) {
	ctx, span := h.Tracer.Start(ctx, op, oteltrace.WithSpanKind(oteltrace.SpanKindClient),
		oteltrace.WithAttributes(attribute.String("db.system.name", h.System), attribute.String("db.operation.name", op)))
	return ctx, func(err error) {
		if err != nil {
			span.RecordError(err)
			span.SetStatus(codes.Error, err.Error())
		}
		span.End()
	}
}

// OnStatement records a finished statement as a child span of the call,
// with its real start and end.
func (h Hook) OnStatement(ctx context.Context, s trace.Statement) {
	_, span := h.Tracer.Start(ctx, "sql", oteltrace.WithTimestamp(s.Start), oteltrace.WithSpanKind(oteltrace.SpanKindClient),
		oteltrace.WithAttributes(
			attribute.String("db.system.name", h.System),
			attribute.String("db.query.text", s.SQL),
			attribute.Int64("db.response.returned_rows", s.Rows)))
	if s.Err != nil {
		span.RecordError(s.Err)
		span.SetStatus(codes.Error, s.Err.Error())
	}
	span.End(oteltrace.WithTimestamp(s.Start.Add(s.Duration)))
}

// OnRetry adds an event to the call's span.
func (h Hook) OnRetry(ctx context.Context, r trace.Retry) {
	attrs := []attribute.KeyValue{attribute.Int("attempt", r.Attempt)}
	if r.Err != nil {
		attrs = append(attrs, attribute.String("error", r.Err.Error()))
	}
	oteltrace.SpanFromContext(ctx).AddEvent("retry", oteltrace.WithAttributes(attrs...))
}

var _ trace.Hook = Hook{}

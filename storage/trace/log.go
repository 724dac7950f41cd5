package trace

import (
	"context"
	"log/slog"
	"time"
)

// DefaultSlowThreshold is the duration past which NewLogHook reports a
// statement at Warn when no threshold is given.
const DefaultSlowThreshold = 200 * time.Millisecond

// NewLogHook returns a Hook that writes to l:
//
//   - at Debug, one record per statement ("noetl statement") with the
//     attributes op, sql, duration, rows and, when it failed, error;
//   - at Warn, instead, a statement that took slow or longer ("noetl slow
//     statement", same attributes); slow 0 means DefaultSlowThreshold and a
//     negative slow turns the slow report off;
//   - at Warn, each retry the store makes ("noetl retry": op, attempt,
//     error).
//
// Repository calls themselves are not logged. A nil l returns nil.
func NewLogHook(l *slog.Logger, slow time.Duration) Hook {
	if l == nil {
		return nil
	}
	if slow == 0 {
		slow = DefaultSlowThreshold
	}
	return logHook{l: l, slow: slow}
}

type logHook struct {
	l    *slog.Logger
	slow time.Duration
}

func (h logHook) OnCall(ctx context.Context, op string) (context.Context, func(error)) {
	return ctx, noEnd
}

func (h logHook) OnStatement(ctx context.Context, s Statement) {
	level, msg := slog.LevelDebug, "noetl statement"
	if h.slow > 0 && s.Duration >= h.slow {
		level, msg = slog.LevelWarn, "noetl slow statement"
	}
	if !h.l.Enabled(ctx, level) {
		return
	}
	attrs := []slog.Attr{
		slog.String("op", s.Op),
		slog.String("sql", s.SQL),
		slog.Duration("duration", s.Duration),
		slog.Int64("rows", s.Rows),
	}
	if s.Err != nil {
		attrs = append(attrs, slog.String("error", s.Err.Error()))
	}
	h.l.LogAttrs(ctx, level, msg, attrs...)
}

func (h logHook) OnRetry(ctx context.Context, r Retry) {
	attrs := []slog.Attr{slog.String("op", r.Op), slog.Int("attempt", r.Attempt)}
	if r.Err != nil {
		attrs = append(attrs, slog.String("error", r.Err.Error()))
	}
	h.l.LogAttrs(ctx, slog.LevelWarn, "noetl retry", attrs...)
}

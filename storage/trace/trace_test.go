package trace_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/noetl/noetldb/storage/trace"
)

func TestOpTravelsInContext(t *testing.T) {
	ctx := context.Background()
	require.Equal(t, "", trace.Op(ctx))
	require.Equal(t, "messages.post", trace.Op(trace.WithOp(ctx, "messages.post")))
}

func TestMultiNestsCallsAndEndsInReverse(t *testing.T) {
	var seen []string
	type key struct{}
	mk := func(name string) trace.Hook {
		return trace.Funcs{
			Call: func(ctx context.Context, op string) (context.Context, func(error)) {
				prev, _ := ctx.Value(key{}).(string)
				seen = append(seen, name+" call "+op+" after "+prev)
				return context.WithValue(ctx, key{}, name), func(err error) { seen = append(seen, name+" end "+err.Error()) }
			},
			Statement: func(_ context.Context, s trace.Statement) { seen = append(seen, name+" stmt "+s.SQL) },
			Retry:     func(_ context.Context, r trace.Retry) { seen = append(seen, name+" retry") },
		}
	}
	require.Nil(t, trace.Multi(nil, nil))
	trace.Multi(nil, mk("a")).OnRetry(context.Background(), trace.Retry{})
	require.Equal(t, []string{"a retry"}, seen)
	seen = nil
	h := trace.Multi(mk("a"), nil, mk("b"))
	_, end := h.OnCall(context.Background(), "op")
	h.OnStatement(context.Background(), trace.Statement{SQL: "SELECT 1"})
	h.OnRetry(context.Background(), trace.Retry{Attempt: 2})
	end(errors.New("x"))
	require.Equal(t, []string{"a call op after ", "b call op after a", "a stmt SELECT 1", "b stmt SELECT 1",
		"a retry", "b retry", "b end x", "a end x"}, seen)
}

func TestZeroFuncsDoesNothing(t *testing.T) {
	var f trace.Funcs
	ctx := context.Background()
	got, end := f.OnCall(ctx, "op")
	require.Equal(t, ctx, got)
	end(nil)
	f.OnStatement(ctx, trace.Statement{})
	f.OnRetry(ctx, trace.Retry{})
}

func TestLogHook(t *testing.T) {
	require.Nil(t, trace.NewLogHook(nil, 0))
	var buf bytes.Buffer
	h := trace.NewLogHook(slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug})), 0)
	ctx := context.Background()
	h.OnStatement(ctx, trace.Statement{Op: "labels.get", SQL: "SELECT 1", Duration: time.Millisecond, Rows: 1})
	h.OnStatement(ctx, trace.Statement{Op: "labels.get", SQL: "SELECT 2", Duration: trace.DefaultSlowThreshold, Err: errors.New("bad")})
	h.OnRetry(ctx, trace.Retry{Op: "labels.ensure_path", Attempt: 2, Err: errors.New("vanished")})
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	require.Len(t, lines, 3)
	require.Contains(t, lines[0], `level=DEBUG msg="noetl statement" op=labels.get sql="SELECT 1" duration=1ms rows=1`)
	require.NotContains(t, lines[0], "error=")
	require.Contains(t, lines[1], `level=WARN msg="noetl slow statement" op=labels.get sql="SELECT 2" duration=200ms rows=0 error=bad`)
	require.Contains(t, lines[2], `level=WARN msg="noetl retry" op=labels.ensure_path attempt=2 error=vanished`)

	buf.Reset()
	quiet := trace.NewLogHook(slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelWarn})), -1)
	quiet.OnStatement(ctx, trace.Statement{SQL: "SELECT 3", Duration: time.Hour})
	require.Empty(t, buf.String(), "a negative threshold turns the slow report off")
}

package storagetest

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/noetl/noetldb/noetl"
	"github.com/noetl/noetldb/storage/trace"
)

func init() {
	register("observe", testObserve)
}

// recCall is one repository call a recorder saw.
type recCall struct {
	op     string
	span   string // this call's span name
	parent string // span of the enclosing call, "" at the top
	ended  int    // times end was called
	err    error
}

// recStmt is one statement and the span it ran beneath.
type recStmt struct {
	trace.Statement
	span string
}

type spanKey struct{}

// recorder is a trace.Hook that keeps a span tree the way a tracer would:
// OnCall starts a span under the one ctx carries and puts it in the ctx it
// returns.
type recorder struct {
	mu      sync.Mutex
	calls   []*recCall
	stmts   []recStmt
	retries []trace.Retry
}

func (r *recorder) OnCall(ctx context.Context, op string) (context.Context, func(error)) {
	r.mu.Lock()
	defer r.mu.Unlock()
	parent, _ := ctx.Value(spanKey{}).(string)
	c := &recCall{op: op, span: fmt.Sprintf("%s#%d", op, len(r.calls)), parent: parent}
	r.calls = append(r.calls, c)
	return context.WithValue(ctx, spanKey{}, c.span), func(err error) {
		r.mu.Lock()
		defer r.mu.Unlock()
		c.ended++
		c.err = err
	}
}

func (r *recorder) OnStatement(ctx context.Context, s trace.Statement) {
	r.mu.Lock()
	defer r.mu.Unlock()
	span, _ := ctx.Value(spanKey{}).(string)
	r.stmts = append(r.stmts, recStmt{s, span})
}

func (r *recorder) OnRetry(ctx context.Context, rt trace.Retry) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.retries = append(r.retries, rt)
}

// take returns what was recorded since the last take.
func (r *recorder) take() ([]*recCall, []recStmt) {
	r.mu.Lock()
	defer r.mu.Unlock()
	c, s := r.calls, r.stmts
	r.calls, r.stmts = nil, nil
	return c, s
}

// beneath returns the statements that ran in span.
func beneath(stmts []recStmt, span string) []recStmt {
	var out []recStmt
	for _, s := range stmts {
		if s.span == span {
			out = append(out, s)
		}
	}
	return out
}

// logged is one slog record, flattened.
type logged struct {
	level slog.Level
	msg   string
	attrs map[string]any
}

// logSink is a slog.Handler that keeps records at or above its level.
type logSink struct {
	level slog.Level
	mu    *sync.Mutex
	recs  *[]logged
}

func newLogSink(level slog.Level) logSink {
	return logSink{level: level, mu: &sync.Mutex{}, recs: &[]logged{}}
}

func (h logSink) Enabled(_ context.Context, l slog.Level) bool { return l >= h.level }

func (h logSink) Handle(_ context.Context, r slog.Record) error {
	rec := logged{level: r.Level, msg: r.Message, attrs: map[string]any{}}
	r.Attrs(func(a slog.Attr) bool {
		rec.attrs[a.Key] = a.Value.Any()
		return true
	})
	h.mu.Lock()
	defer h.mu.Unlock()
	*h.recs = append(*h.recs, rec)
	return nil
}

func (h logSink) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h logSink) WithGroup(string) slog.Handler      { return h }

func (h logSink) take() []logged {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := *h.recs
	*h.recs = nil
	return out
}

func testObserve(t *testing.T, h Harness) {
	hooked := func(t *testing.T) (noetl.Store, *recorder) {
		rec := &recorder{}
		return newWith(t, h, StoreOptions{Hook: rec}), rec
	}

	t.Run("hook/a repository call is one span with its statements beneath", func(t *testing.T) {
		s, rec := hooked(t)
		_, err := s.Profiles().Create(ctx(t), noetl.NewProfile{Username: "ann", Type: noetl.ProfileUser})
		require.NoError(t, err)
		calls, stmts := rec.take()
		require.Len(t, calls, 1)
		c := calls[0]
		require.Equal(t, "profiles.create", c.op)
		require.Equal(t, "", c.parent)
		require.Equal(t, 1, c.ended)
		require.NoError(t, c.err)
		require.NotEmpty(t, stmts)
		require.Equal(t, stmts, beneath(stmts, c.span), "every statement runs beneath the call's span")
		inserted := false
		for _, st := range stmts {
			require.Equal(t, "profiles.create", st.Op)
			require.NoError(t, st.Err)
			require.False(t, st.Start.IsZero())
			require.GreaterOrEqual(t, st.Duration, time.Duration(0))
			if strings.HasPrefix(strings.TrimSpace(strings.ToUpper(st.SQL)), "INSERT") {
				inserted = true
				require.EqualValues(t, 1, st.Rows, st.SQL)
			}
		}
		require.True(t, inserted, "the INSERT is reported: %v", stmts)
	})

	t.Run("hook/a refused call ends its span with the sentinel", func(t *testing.T) {
		s, rec := hooked(t)
		newProfile(t, s, "ann")
		rec.take()
		err := unchanged(t, s, noetl.ErrConflict, func() error {
			_, err := s.Profiles().Create(ctx(t), noetl.NewProfile{Username: "ann", Type: noetl.ProfileUser})
			return err
		})
		require.ErrorIs(t, err, noetl.ErrConflict)
		calls, _ := rec.take()
		var create []*recCall // unchanged also lists, to compare before and after
		for _, c := range calls {
			if c.op == "profiles.create" {
				create = append(create, c)
			}
		}
		require.Len(t, create, 1)
		require.Equal(t, 1, create[0].ended)
		require.ErrorIs(t, create[0].err, noetl.ErrConflict)
	})

	t.Run("hook/bad input is refused before any statement", func(t *testing.T) {
		s, rec := hooked(t)
		_, err := s.Profiles().Create(ctx(t), noetl.NewProfile{Username: "", Type: noetl.ProfileUser})
		require.ErrorIs(t, err, noetl.ErrInvalid)
		calls, stmts := rec.take()
		require.Len(t, calls, 1)
		require.ErrorIs(t, calls[0].err, noetl.ErrInvalid)
		require.Empty(t, stmts)
		require.Zero(t, countProfiles(t, s))
	})

	t.Run("hook/not found fails the call, not the statement", func(t *testing.T) {
		s, rec := hooked(t)
		_, err := s.Profiles().Get(ctx(t), 12345)
		require.ErrorIs(t, err, noetl.ErrNotFound)
		calls, stmts := rec.take()
		require.Len(t, calls, 1)
		require.ErrorIs(t, calls[0].err, noetl.ErrNotFound)
		require.Len(t, stmts, 1)
		require.NoError(t, stmts[0].Err)
		require.Zero(t, stmts[0].Rows)
	})

	t.Run("hook/a query reports the rows it returned", func(t *testing.T) {
		s, rec := hooked(t)
		for _, n := range []string{"a", "b", "c"} {
			newProfile(t, s, n)
		}
		rec.take()
		p, err := s.Profiles().List(ctx(t), noetl.ProfileQuery{})
		require.NoError(t, err)
		require.Len(t, p.Items, 3)
		calls, stmts := rec.take()
		require.Len(t, calls, 1)
		require.Equal(t, "profiles.list", calls[0].op)
		require.Len(t, stmts, 1)
		require.EqualValues(t, 3, stmts[0].Rows)
		require.Equal(t, calls[0].span, stmts[0].span)
	})

	t.Run("hook/InTx is one span over its calls and its BEGIN and COMMIT", func(t *testing.T) {
		s, rec := hooked(t)
		err := s.InTx(ctx(t), func(c context.Context, tx noetl.Store) error {
			if _, err := tx.Profiles().Create(c, noetl.NewProfile{Username: "ann", Type: noetl.ProfileUser}); err != nil {
				return err
			}
			_, err := tx.Labels().Create(c, noetl.NewLabel{Name: "acme"})
			return err
		})
		require.NoError(t, err)
		calls, stmts := rec.take()
		require.Len(t, calls, 3)
		root := calls[0]
		require.Equal(t, "store.in_tx", root.op)
		require.Equal(t, "", root.parent)
		require.NoError(t, root.err)
		require.Equal(t, 1, root.ended)
		require.Equal(t, "profiles.create", calls[1].op)
		require.Equal(t, "labels.create", calls[2].op)
		for _, c := range calls[1:] {
			require.Equal(t, root.span, c.parent, "%s runs beneath the transaction's span", c.op)
			require.NotEmpty(t, beneath(stmts, c.span), "%s reports its statements", c.op)
		}
		var control []string
		for _, st := range beneath(stmts, root.span) {
			require.Equal(t, "store.in_tx", st.Op)
			control = append(control, st.SQL)
		}
		require.Equal(t, []string{"BEGIN", "COMMIT"}, control)
	})

	t.Run("hook/a failed InTx reports its ROLLBACK and error", func(t *testing.T) {
		s, rec := hooked(t)
		boom := fmt.Errorf("boom")
		err := s.InTx(ctx(t), func(c context.Context, tx noetl.Store) error {
			if _, err := tx.Labels().Create(c, noetl.NewLabel{Name: "acme"}); err != nil {
				return err
			}
			return boom
		})
		require.ErrorIs(t, err, boom)
		calls, stmts := rec.take()
		require.Equal(t, "store.in_tx", calls[0].op)
		require.ErrorIs(t, calls[0].err, boom)
		var control []string
		for _, st := range beneath(stmts, calls[0].span) {
			control = append(control, st.SQL)
		}
		require.Equal(t, []string{"BEGIN", "ROLLBACK"}, control)
		p, err := s.Labels().Children(ctx(t), nil, noetl.LabelQuery{})
		require.NoError(t, err)
		require.Empty(t, p.Items)
	})

	t.Run("hook/a refused call inside InTx leaves the transaction usable", func(t *testing.T) {
		s, _ := hooked(t)
		newProfile(t, s, "ann")
		err := s.InTx(ctx(t), func(c context.Context, tx noetl.Store) error {
			_, err := tx.Profiles().Create(c, noetl.NewProfile{Username: "ann", Type: noetl.ProfileUser})
			require.ErrorIs(t, err, noetl.ErrConflict)
			_, err = tx.Labels().Create(c, noetl.NewLabel{Name: "acme"})
			return err
		})
		require.NoError(t, err, "the instrumented transaction keeps the engine's guard")
		_, err = s.Labels().Resolve(ctx(t), "/acme")
		require.NoError(t, err)
		require.Equal(t, 1, countProfiles(t, s))
	})

	t.Run("hook/a batch reports every statement beneath its call", func(t *testing.T) {
		s, rec := hooked(t)
		exec := newWorkload(t, s)
		evs := make([]noetl.Event, 100)
		for i := range evs {
			evs[i] = noetl.Event{ExecutionID: exec, Timestamp: execAt(i)}
		}
		rec.take()
		require.NoError(t, s.Events().AppendBatch(ctx(t), evs))
		calls, stmts := rec.take()
		require.Len(t, calls, 1)
		require.Equal(t, "events.append_batch", calls[0].op)
		require.NotEmpty(t, stmts)
		require.Equal(t, stmts, beneath(stmts, calls[0].span))
		p, err := s.Events().List(ctx(t), exec, noetl.EventQuery{Limit: noetl.MaxLimit})
		require.NoError(t, err)
		require.Len(t, p.Items, 100)
	})

	t.Run("hook/a batch's values never reach the statements reported", func(t *testing.T) {
		s, rec := hooked(t)
		exec := newWorkload(t, s)
		const marker = "do-not-log-7f3a"
		evs := make([]noetl.Event, 100)
		for i := range evs {
			evs[i] = noetl.Event{ExecutionID: exec, Error: ptr(marker), InputContext: json.RawMessage(`{"k":"` + marker + `"}`)}
		}
		c := newConvo(t, s)
		msgs := batchOf(c.chat.ID, 100, c.ann)
		for i := range msgs {
			msgs[i].Content = marker
		}
		rec.take()
		require.NoError(t, s.Events().AppendBatch(ctx(t), evs))
		_, err := s.Messages().PostBatch(ctx(t), msgs)
		require.NoError(t, err)
		_, stmts := rec.take()
		require.NotEmpty(t, stmts)
		for _, st := range stmts {
			require.NotContains(t, st.SQL, marker)
		}
	})

	t.Run("logger/debug writes one record per statement", func(t *testing.T) {
		sink := newLogSink(slog.LevelDebug)
		rec := &recorder{}
		s := newWith(t, h, StoreOptions{Hook: rec, Logger: slog.New(sink), SlowThreshold: -1})
		_, err := s.Profiles().Create(ctx(t), noetl.NewProfile{Username: "ann", Type: noetl.ProfileUser})
		require.NoError(t, err)
		_, stmts := rec.take()
		logs := sink.take()
		require.Len(t, logs, len(stmts))
		for i, l := range logs {
			require.Equal(t, slog.LevelDebug, l.level)
			require.Equal(t, "noetl statement", l.msg)
			require.Equal(t, "profiles.create", l.attrs["op"])
			require.Equal(t, stmts[i].SQL, l.attrs["sql"])
			require.Equal(t, stmts[i].Rows, l.attrs["rows"])
			require.IsType(t, time.Duration(0), l.attrs["duration"])
			require.NotContains(t, l.attrs, "error")
		}
	})

	t.Run("logger/a failed statement carries its error", func(t *testing.T) {
		sink := newLogSink(slog.LevelDebug)
		s := newWith(t, h, StoreOptions{Logger: slog.New(sink), SlowThreshold: -1})
		newProfile(t, s, "ann")
		sink.take()
		_, err := s.Profiles().Create(ctx(t), noetl.NewProfile{Username: "ann", Type: noetl.ProfileUser})
		require.ErrorIs(t, err, noetl.ErrConflict)
		failed := 0
		for _, l := range sink.take() {
			if _, ok := l.attrs["error"]; ok {
				failed++
				require.Equal(t, "profiles.create", l.attrs["op"])
			}
		}
		require.Positive(t, failed, "the refused INSERT is logged with its error")
	})

	t.Run("logger/slow statements are warnings", func(t *testing.T) {
		sink := newLogSink(slog.LevelWarn)
		s := newWith(t, h, StoreOptions{Logger: slog.New(sink), SlowThreshold: time.Nanosecond})
		_, err := s.Labels().Create(ctx(t), noetl.NewLabel{Name: "acme"})
		require.NoError(t, err)
		logs := sink.take()
		require.NotEmpty(t, logs)
		for _, l := range logs {
			require.Equal(t, slog.LevelWarn, l.level)
			require.Equal(t, "noetl slow statement", l.msg)
			require.Equal(t, "labels.create", l.attrs["op"])
		}
	})

	t.Run("logger/nothing below the threshold at Warn", func(t *testing.T) {
		sink := newLogSink(slog.LevelWarn)
		s := newWith(t, h, StoreOptions{Logger: slog.New(sink), SlowThreshold: time.Hour})
		_, err := s.Labels().Create(ctx(t), noetl.NewLabel{Name: "acme"})
		require.NoError(t, err)
		require.Empty(t, sink.take())
	})
}

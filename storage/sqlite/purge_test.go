package sqlite_test

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/noetl/noetldb/noetl"
	"github.com/noetl/noetldb/snowflake"
	"github.com/noetl/noetldb/storage"
	"github.com/noetl/noetldb/storage/trace"
)

// purgeOp is the operation name a PurgeBefore's statements carry.
const purgeOp = "executions.purge_before"

// purgeDeletes is a hook that hands each DELETE statement of a purge to
// each.
func purgeDeletes(each func(trace.Statement)) trace.Hook {
	return trace.Funcs{Statement: func(_ context.Context, s trace.Statement) {
		if s.Op == purgeOp && s.Err == nil && strings.HasPrefix(s.SQL, "DELETE") {
			each(s)
		}
	}}
}

// openPurgeStore opens a store on a fresh file, through db (so the raw
// driver can run beside it), with hook.
func openPurgeStore(t testing.TB, hook trace.Hook) (noetl.Store, *sql.DB) {
	t.Helper()
	return benchDB(t, storage.WithHook(hook))
}

// seedOldExecution stores an execution issued an hour before now with n
// events, written by the raw driver in one transaction (64 rows a
// statement), and returns its id and a purge time after it and before
// every id the store issues from now on.
func seedOldExecution(t testing.TB, s noetl.Store, db *sql.DB, n int) (snowflake.ID, time.Time) {
	t.Helper()
	ctx := context.Background()
	now := time.Now()
	exec, err := snowflake.Compose(now.Add(-time.Hour), 9, 0)
	require.NoError(t, err)
	_, err = s.Workloads().Put(ctx, noetl.NewWorkload{ExecutionID: exec})
	require.NoError(t, err)
	tx, err := db.BeginTx(ctx, nil)
	require.NoError(t, err)
	multi, err := tx.PrepareContext(ctx, rawEventInsertMulti)
	require.NoError(t, err)
	one, err := tx.PrepareContext(ctx, rawEventInsert)
	require.NoError(t, err)
	const block = 1 << 17
	var first snowflake.ID
	args := make([]any, 0, 64*len(rawEventCols))
	for i := 0; i < n; {
		if i%block == 0 {
			first, err = s.IDs().Block(block)
			require.NoError(t, err)
		}
		k := 1
		if n-i >= 64 && i%block <= block-64 {
			k = 64
		}
		args = args[:0]
		for j := i; j < i+k; j++ {
			e := typicalEvent(exec, j)
			e.EventID, e.Timestamp = first+snowflake.ID(j%block), now
			args = append(args, rawEventArgs(&e, int64(j+1))...)
		}
		st := one
		if k == 64 {
			st = multi
		}
		_, err = st.ExecContext(ctx, args...)
		require.NoError(t, err)
		i += k
	}
	require.NoError(t, multi.Close())
	require.NoError(t, one.Close())
	require.NoError(t, tx.Commit())
	return exec, now.Add(-30 * time.Minute)
}

// A purge of a large execution releases the write lock between its
// batches: a writer that starts once the purge has deleted its first batch
// of events gets through, and the purge is still deleting the execution's
// events after the writer's append has committed.
func TestPurgeBeforeLetsAWriterThrough(t *testing.T) {
	ctx := context.Background()
	var (
		deletes       atomic.Int64 // DELETE statements the purge ran
		afterWriter   atomic.Int64 // of those, the ones of event_log that ended after the writer's append
		writerDone    atomic.Bool
		startWriter   = make(chan struct{})
		writerStarted = make(chan struct{})
		startOnce     sync.Once
		writerErr     = make(chan error, 1)
		writerFinish  atomic.Int64 // order in which the writer and the purge finished
		purgeFinish   atomic.Int64
		finishedOrder atomic.Int64
	)
	s, db := openPurgeStore(t, purgeDeletes(func(st trace.Statement) {
		deletes.Add(1)
		if writerDone.Load() && strings.Contains(st.SQL, "event_log") {
			afterWriter.Add(1)
		}
		startOnce.Do(func() {
			// The first batch is deleted: let the writer go, and go on
			// once it is on its way to the write lock.
			close(startWriter)
			<-writerStarted
		})
	}))
	const events = 50_000
	old, before := seedOldExecution(t, s, db, events)
	kept, err := s.Workloads().Put(ctx, noetl.NewWorkload{})
	require.NoError(t, err)
	go func() {
		<-startWriter
		close(writerStarted)
		_, err := s.Events().Append(ctx, noetl.Event{ExecutionID: kept.ExecutionID, Status: execPtr("written during the purge")})
		writerDone.Store(true)
		writerFinish.Store(finishedOrder.Add(1))
		writerErr <- err
	}()
	n, err := s.Executions().PurgeBefore(ctx, before)
	purgeFinish.Store(finishedOrder.Add(1))
	require.NoError(t, err)
	require.NoError(t, <-writerErr)
	require.EqualValues(t, events, n.EventLog)
	require.EqualValues(t, 1, n.Workload)
	require.Less(t, writerFinish.Load(), purgeFinish.Load(), "the writer's append commits before the purge returns")
	require.Greater(t, afterWriter.Load(), int64(0), "the purge was still deleting events after the writer got through (%d deletes in all)", deletes.Load())
	_, err = s.Workloads().Get(ctx, old)
	require.ErrorIs(t, err, noetl.ErrNotFound)
	p, err := s.Events().List(ctx, kept.ExecutionID, noetl.EventQuery{})
	require.NoError(t, err)
	require.Len(t, p.Items, 1)
}

// BenchmarkPurgeBefore1M purges one execution of 1,000,000 events while a
// writer appends events to another execution, in a loop, as fast as it
// can. Besides the time per purge it reports
//
//   - max-delete-ms, the longest single DELETE statement of the purge: its
//     longest hold of the write lock (plus, at most, the wait for one of
//     the writer's appends to finish);
//   - writer-p99-ms and writer-max-ms, the latency of the writer's appends
//     during the purge, against idle-p99-ms, the same appends before it;
//   - deletes, the DELETE statements of one purge.
//
// The raw driver deletes the same rows in one statement per table, which
// holds the write lock from start to end. Run it with -benchtime=1x (each
// iteration seeds a million rows first, outside the timer).
func BenchmarkPurgeBefore1M(b *testing.B) {
	const events = 1_000_000
	var (
		mu    sync.Mutex
		holds []time.Duration
	)
	hook := purgeDeletes(func(s trace.Statement) {
		mu.Lock()
		holds = append(holds, s.Duration)
		mu.Unlock()
	})
	run := func(b *testing.B, purge func(ctx context.Context, s noetl.Store, db *sql.DB, before time.Time) error) {
		ctx := context.Background()
		var idle, busy []time.Duration
		var failed atomic.Int64 // appends refused (SQLite's busy timeout)
		mu.Lock()
		holds = holds[:0]
		mu.Unlock()
		b.ReportAllocs()
		for b.Loop() {
			b.StopTimer()
			s, db := openPurgeStore(b, hook)
			_, before := seedOldExecution(b, s, db, events)
			kept, err := s.Workloads().Put(ctx, noetl.NewWorkload{})
			require.NoError(b, err)
			appendOne := func(i int) time.Duration {
				t0 := time.Now()
				if _, err := s.Events().Append(ctx, typicalEvent(kept.ExecutionID, i)); err != nil {
					failed.Add(1)
				}
				return time.Since(t0)
			}
			for i := range 500 {
				idle = append(idle, appendOne(i))
			}
			done := make(chan struct{})
			wrote := make(chan []time.Duration)
			go func() {
				var lat []time.Duration
				for i := 0; ; i++ {
					select {
					case <-done:
						wrote <- lat
						return
					default:
					}
					lat = append(lat, appendOne(i))
				}
			}()
			b.StartTimer()
			err = purge(ctx, s, db, before)
			b.StopTimer()
			close(done)
			busy = append(busy, <-wrote...)
			require.NoError(b, err)
			b.StartTimer()
		}
		ms := func(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
		b.ReportMetric(ms(quantile(idle, 0.99)), "idle-p99-ms")
		b.ReportMetric(ms(quantile(busy, 0.99)), "writer-p99-ms")
		b.ReportMetric(ms(quantile(busy, 1)), "writer-max-ms")
		b.ReportMetric(float64(len(busy))/float64(b.N), "appends/op")
		b.ReportMetric(float64(failed.Load())/float64(b.N), "failed-appends/op")
		mu.Lock()
		defer mu.Unlock()
		if len(holds) > 0 {
			b.ReportMetric(ms(quantile(holds, 1)), "max-delete-ms")
			b.ReportMetric(ms(quantile(holds, 0.5)), "p50-delete-ms")
			b.ReportMetric(float64(len(holds))/float64(b.N), "deletes")
		}
	}
	b.Run("store", func(b *testing.B) {
		run(b, func(ctx context.Context, s noetl.Store, _ *sql.DB, before time.Time) error {
			n, err := s.Executions().PurgeBefore(ctx, before)
			if err == nil && n.EventLog != events {
				err = fmt.Errorf("purged %d events, not %d", n.EventLog, events)
			}
			return err
		})
	})
	b.Run("raw", func(b *testing.B) {
		run(b, func(ctx context.Context, _ noetl.Store, db *sql.DB, before time.Time) error {
			bound, err := snowflake.Compose(before, 0, 0)
			if err != nil {
				return err
			}
			for _, table := range []string{"event_log", "transition", "workflow", "workbook", "error_log", "workload"} {
				t0 := time.Now()
				r, err := db.ExecContext(ctx, "DELETE FROM "+table+" WHERE execution_id < ?", int64(bound))
				if err != nil {
					return err
				}
				mu.Lock()
				holds = append(holds, time.Since(t0))
				mu.Unlock()
				if n, _ := r.RowsAffected(); table == "event_log" && n != events {
					return fmt.Errorf("deleted %d events, not %d", n, events)
				}
			}
			return nil
		})
	})
}

// quantile returns the q-quantile of ds (1: the largest).
func quantile(ds []time.Duration, q float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	i := int(q * float64(len(s)-1))
	return s[i]
}

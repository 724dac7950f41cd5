package sqlite_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/noetl/noetldb/internal/benchcpu"
	"github.com/noetl/noetldb/internal/sqlitelit"
	"github.com/noetl/noetldb/noetl"
	"github.com/noetl/noetldb/snowflake"
)

// The execution benchmarks run the store and the raw driver (database/sql
// on modernc, the same SQL) over one database file, in the same run.

var rawEventCols = []string{
	"execution_id", "event_id", "parent_event_id", "parent_execution_id", "timestamp",
	"event_type", "node_id", "node_name", "node_type", "status", "duration",
	"input_context", "output_result", "metadata", "error", "loop_id", "loop_name",
	"iterator", "items", "current_index", "current_item", "worker_id",
	"distributed_state", "context_key", "context_value", "trace_component", "stack_trace", "seq",
}

var (
	rawEventInsert = "INSERT INTO event_log (" + strings.Join(rawEventCols, ", ") + ") VALUES (" +
		strings.Repeat("?, ", len(rawEventCols)-1) + "?)"
	rawEventInsertMulti = "INSERT INTO event_log (" + strings.Join(rawEventCols, ", ") + ") VALUES " +
		strings.Repeat("("+strings.Repeat("?, ", len(rawEventCols)-1)+"?), ", 63) +
		"(" + strings.Repeat("?, ", len(rawEventCols)-1) + "?)"
	rawEventList = "SELECT " + strings.Join(rawEventCols, ", ") +
		" FROM event_log WHERE execution_id = ? AND seq > ? ORDER BY seq LIMIT ?"
)

// typicalEvent is a typical event: a step finishing, with small JSON.
func typicalEvent(exec snowflake.ID, i int) noetl.Event {
	return noetl.Event{
		ExecutionID: exec, EventType: execPtr("step_completed"), NodeID: execPtr("fetch_cities"),
		NodeName: execPtr("Fetch cities"), NodeType: execPtr("http"), Status: execPtr("COMPLETED"), Duration: execPtr(0.125),
		InputContext: json.RawMessage(`{"url":"https://example.com/cities","page":3}`),
		Metadata:     json.RawMessage(`{"attempt":1}`), LoopID: execPtr("cities"), CurrentIndex: execPtr(i), WorkerID: execPtr("worker-1"),
	}
}

// rawEventArgs are typicalEvent's parameters as the raw driver binds them,
// with seq, its position in the execution's log, last.
func rawEventArgs(e *noetl.Event, seq int64) []any {
	return []any{int64(e.ExecutionID), int64(e.EventID), nil, nil, e.Timestamp.UnixMicro(),
		*e.EventType, *e.NodeID, *e.NodeName, *e.NodeType, *e.Status, *e.Duration,
		string(e.InputContext), nil, string(e.Metadata), nil, *e.LoopID, nil,
		nil, nil, *e.CurrentIndex, nil, *e.WorkerID, nil, nil, nil, nil, nil, seq}
}

// rawSeq numbers the raw driver's events, so each is a new position.
var rawSeq int64 = 1 << 40

func newBenchExec(b *testing.B, s noetl.Store) snowflake.ID {
	b.Helper()
	w, err := s.Workloads().Put(context.Background(), noetl.NewWorkload{})
	require.NoError(b, err)
	return w.ExecutionID
}

func BenchmarkEventAppend(b *testing.B) {
	ctx := context.Background()
	s, db := benchDB(b)
	exec := newBenchExec(b, s)
	b.Run("store", func(b *testing.B) {
		b.ReportAllocs()
		defer benchcpu.Start(b).Report()
		for i := 0; b.Loop(); i++ {
			if _, err := s.Events().Append(ctx, typicalEvent(exec, i)); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("raw", func(b *testing.B) {
		st, err := db.PrepareContext(ctx, rawEventInsert)
		require.NoError(b, err)
		defer st.Close()
		b.ReportAllocs()
		defer benchcpu.Start(b).Report()
		for i := 0; b.Loop(); i++ {
			e := typicalEvent(exec, i)
			e.EventID = s.IDs().MustNext()
			e.Timestamp = time.Now()
			rawSeq++
			if _, err := st.ExecContext(ctx, rawEventArgs(&e, rawSeq)...); err != nil {
				b.Fatal(err)
			}
		}
	})
}

const eventBatchSize = 10_000

func BenchmarkEventBatch10k(b *testing.B) {
	ctx := context.Background()
	s, db := benchDB(b)
	exec := newBenchExec(b, s)
	batch := make([]noetl.Event, eventBatchSize)
	fresh := func() {
		for i := range batch {
			batch[i] = typicalEvent(exec, i)
		}
	}
	// stamp gives the batch ids and a time as the store would, for the
	// raw cases.
	stamp := func(b *testing.B) {
		first, err := s.IDs().Block(eventBatchSize)
		require.NoError(b, err)
		now := time.Now()
		for i := range batch {
			batch[i].EventID, batch[i].Timestamp = first+snowflake.ID(i), now
		}
	}
	b.Run("store", func(b *testing.B) {
		b.ReportAllocs()
		cpu := benchcpu.Start(b)
		defer cpu.Report()
		for b.Loop() {
			cpu.Stop()
			fresh()
			cpu.Resume()
			if err := s.Events().AppendBatch(ctx, batch); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(b.N*eventBatchSize)/b.Elapsed().Seconds(), "events/s")
	})
	b.Run("raw", func(b *testing.B) {
		b.ReportAllocs()
		cpu := benchcpu.Start(b)
		defer cpu.Report()
		for b.Loop() {
			cpu.Stop()
			fresh()
			cpu.Resume()
			stamp(b)
			// database/sql's usual batch: 64 rows per prepared statement,
			// then one row per statement for the rest. (The store writes
			// literals instead; raw-literals runs its statements.)
			tx, err := db.BeginTx(ctx, nil)
			require.NoError(b, err)
			multi, err := tx.PrepareContext(ctx, rawEventInsertMulti)
			require.NoError(b, err)
			rest := batch
			args := make([]any, 0, 64*len(rawEventCols))
			for ; len(rest) >= 64; rest = rest[64:] {
				args = args[:0]
				for i := range 64 {
					rawSeq++
					args = append(args, rawEventArgs(&rest[i], rawSeq)...)
				}
				if _, err := multi.ExecContext(ctx, args...); err != nil {
					b.Fatal(err)
				}
			}
			require.NoError(b, multi.Close())
			st, err := tx.PrepareContext(ctx, rawEventInsert)
			require.NoError(b, err)
			for i := range rest {
				rawSeq++
				if _, err := st.ExecContext(ctx, rawEventArgs(&rest[i], rawSeq)...); err != nil {
					b.Fatal(err)
				}
			}
			require.NoError(b, st.Close())
			require.NoError(b, tx.Commit())
		}
		b.ReportMetric(float64(b.N*eventBatchSize)/b.Elapsed().Seconds(), "events/s")
	})
	b.Run("raw-literals", func(b *testing.B) {
		b.ReportAllocs()
		cpu := benchcpu.Start(b)
		defer cpu.Report()
		head := "INSERT INTO event_log (" + strings.Join(rawEventCols, ", ") + ") VALUES "
		for b.Loop() {
			cpu.Stop()
			fresh()
			cpu.Resume()
			stamp(b)
			// The store's statements: 500 rows of literals each, run
			// unprepared, typicalEvent's columns written as rawEventArgs
			// binds them.
			tx, err := db.BeginTx(ctx, nil)
			require.NoError(b, err)
			w := sqlitelit.New(head, 256<<10)
			for rest := batch; len(rest) > 0; {
				n := min(500, len(rest))
				w.Reset()
				for i := range n {
					e := &rest[i]
					rawSeq++
					w.Row()
					w.Int(int64(e.ExecutionID))
					w.Int(int64(e.EventID))
					w.Null()
					w.Null()
					w.Int(e.Timestamp.UnixMicro())
					for _, v := range []*string{e.EventType, e.NodeID, e.NodeName, e.NodeType, e.Status} {
						w.Text(*v)
					}
					w.Float(*e.Duration)
					w.TextBytes(e.InputContext)
					w.Null()
					w.TextBytes(e.Metadata)
					w.Null()
					w.Text(*e.LoopID)
					w.Null()
					w.Null()
					w.Null()
					w.Int(int64(*e.CurrentIndex))
					w.Null()
					w.Text(*e.WorkerID)
					for range 5 {
						w.Null()
					}
					w.Int(rawSeq)
				}
				if _, err := tx.ExecContext(ctx, w.SQL("")); err != nil {
					b.Fatal(err)
				}
				rest = rest[n:]
			}
			require.NoError(b, tx.Commit())
		}
		b.ReportMetric(float64(b.N*eventBatchSize)/b.Elapsed().Seconds(), "events/s")
	})
	b.Run("store-singles", func(b *testing.B) {
		b.ReportAllocs()
		cpu := benchcpu.Start(b)
		defer cpu.Report()
		for b.Loop() {
			cpu.Stop()
			fresh()
			cpu.Resume()
			for i := range batch {
				if _, err := s.Events().Append(ctx, batch[i]); err != nil {
					b.Fatal(err)
				}
			}
		}
		b.ReportMetric(float64(b.N*eventBatchSize)/b.Elapsed().Seconds(), "events/s")
	})
}

// BenchmarkEventList1M lists a 100-event page from the middle of a
// 1,000,000-event execution, seeded in one prepared transaction.
func BenchmarkEventList1M(b *testing.B) { benchEventList(b, 1_000_000) }

// BenchmarkEventList10k is BenchmarkEventList1M on a 10,000-event
// execution: the same page, quick to seed.
func BenchmarkEventList10k(b *testing.B) { benchEventList(b, 10_000) }

// benchEventList lists a 100-event page from the middle of an execution of
// total events (a multiple of 4), seeded in one prepared transaction.
func benchEventList(b *testing.B, total int) {
	ctx := context.Background()
	s, db := benchDB(b)
	exec := newBenchExec(b, s)
	first, err := s.IDs().Block(total / 4)
	require.NoError(b, err)
	tx, err := db.BeginTx(ctx, nil)
	require.NoError(b, err)
	st, err := tx.PrepareContext(ctx, rawEventInsert)
	require.NoError(b, err)
	now := time.Now()
	var mid snowflake.ID
	for i := range total {
		if i > 0 && i%(total/4) == 0 {
			first, err = s.IDs().Block(total / 4)
			require.NoError(b, err)
		}
		e := typicalEvent(exec, i)
		e.EventID, e.Timestamp = first+snowflake.ID(i%(total/4)), now
		if i == total/2 {
			mid = e.EventID
		}
		_, err := st.ExecContext(ctx, rawEventArgs(&e, int64(i+1))...)
		require.NoError(b, err)
	}
	require.NoError(b, st.Close())
	require.NoError(b, tx.Commit())
	// The cursor of the page after mid, as the store's previous page would
	// hand it out.
	after := eventCursorAt(b, s, exec, mid)
	b.Run("store", func(b *testing.B) {
		b.ReportAllocs()
		defer benchcpu.Start(b).Report()
		for b.Loop() {
			p, err := s.Events().List(ctx, exec, noetl.EventQuery{Limit: 100, After: after})
			if err != nil || len(p.Items) != 100 {
				b.Fatal(err, len(p.Items))
			}
		}
	})
	b.Run("raw", func(b *testing.B) {
		st, err := db.PrepareContext(ctx, rawEventList)
		require.NoError(b, err)
		defer st.Close()
		b.ReportAllocs()
		defer benchcpu.Start(b).Report()
		for b.Loop() {
			rows, err := st.QueryContext(ctx, int64(exec), int64(total/2+1), 101)
			require.NoError(b, err)
			n := 0
			for rows.Next() {
				var e noetl.Event
				var ts int64
				var in, out, meta, trace *string
				var seq int64
				if err := rows.Scan(&e.ExecutionID, &e.EventID, &e.ParentEventID, &e.ParentExecutionID, &ts,
					&e.EventType, &e.NodeID, &e.NodeName, &e.NodeType, &e.Status, &e.Duration,
					&in, &out, &meta, &e.Error, &e.LoopID, &e.LoopName,
					&e.Iterator, &e.Items, &e.CurrentIndex, &e.CurrentItem, &e.WorkerID,
					&e.DistributedState, &e.ContextKey, &e.ContextValue, &trace, &e.StackTrace, &seq); err != nil {
					b.Fatal(err)
				}
				n++
			}
			rows.Close()
			if n != 101 {
				b.Fatal(n)
			}
		}
	})
}

// eventCursorAt returns the store's cursor for the page after event id, by
// listing the one-event page that ends at it.
func eventCursorAt(b *testing.B, s noetl.Store, exec, id snowflake.ID) string {
	b.Helper()
	ctx := context.Background()
	// Walk forward by pages of MaxLimit until the page holding id, then
	// take the cursor right after it.
	q := noetl.EventQuery{Limit: noetl.MaxLimit}
	for {
		p, err := s.Events().List(ctx, exec, q)
		require.NoError(b, err)
		for i, e := range p.Items {
			if e.EventID == id {
				one, err := s.Events().List(ctx, exec, noetl.EventQuery{Limit: i + 1, After: q.After})
				require.NoError(b, err)
				return one.Next
			}
		}
		require.NotEmpty(b, p.Next, "event %s not found", id)
		q.After = p.Next
	}
}

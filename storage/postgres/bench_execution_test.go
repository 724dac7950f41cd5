package postgres_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"

	"github.com/noetl/noetldb/internal/benchcpu"
	"github.com/noetl/noetldb/internal/pgtest"
	"github.com/noetl/noetldb/noetl"
	"github.com/noetl/noetldb/snowflake"
	"github.com/noetl/noetldb/storage"
	"github.com/noetl/noetldb/storage/postgres"
	"github.com/noetl/noetldb/storage/trace"
)

// The execution benchmarks run the store and the raw pgx pool (the same
// SQL, or the same COPY) over one database, in the same run.

var rawEventCols = []string{
	"execution_id", "event_id", "parent_event_id", "parent_execution_id", "timestamp",
	"event_type", "node_id", "node_name", "node_type", "status", "duration",
	"input_context", "output_result", "metadata", "error", "loop_id", "loop_name",
	"iterator", "items", "current_index", "current_item", "worker_id",
	"distributed_state", "context_key", "context_value", "trace_component", "stack_trace", "seq",
}

func rawEventSQL(name string) (insert, list string) {
	cols := strings.Join(rawEventCols, ", ")
	ph := make([]string, len(rawEventCols))
	for i := range ph {
		ph[i] = fmt.Sprintf("$%d", i+1)
	}
	insert = "INSERT INTO " + name + ".event_log (" + cols + ") VALUES (" + strings.Join(ph, ", ") + ")"
	list = "SELECT " + cols + " FROM " + name + ".event_log WHERE execution_id = $1 AND seq > $2 ORDER BY seq LIMIT $3"
	return insert, list
}

// openEventBench opens a store in its own schema of a fresh database, and
// the pool under it.
func openEventBench(b *testing.B) (noetl.Store, *pgxpool.Pool, string) {
	b.Helper()
	ctx := context.Background()
	pool, err := pgxpool.New(ctx, pgtest.NewDatabase(b))
	require.NoError(b, err)
	b.Cleanup(pool.Close)
	name := fmt.Sprintf("b%d", schemas.Add(1))
	s, err := postgres.Open(ctx, "", postgres.WithPool(pool), postgres.WithSchema(name), storage.WithShard(3))
	require.NoError(b, err)
	b.Cleanup(func() { s.Close() })
	return s, pool, name
}

// typicalEvent is a typical event: a step finishing, with small JSON.
func typicalEvent(exec snowflake.ID, i int) noetl.Event {
	return noetl.Event{
		ExecutionID: exec, EventType: execPtr("step_completed"), NodeID: execPtr("fetch_cities"),
		NodeName: execPtr("Fetch cities"), NodeType: execPtr("http"), Status: execPtr("COMPLETED"), Duration: execPtr(0.125),
		InputContext: json.RawMessage(`{"url":"https://example.com/cities","page":3}`),
		Metadata:     json.RawMessage(`{"attempt":1}`), LoopID: execPtr("cities"), CurrentIndex: execPtr(i), WorkerID: execPtr("worker-1"),
	}
}

// rawEventArgs are typicalEvent's parameters as the raw pool binds them,
// with seq, its position in the execution's log, last.
func rawEventArgs(e *noetl.Event, seq int64) []any {
	return []any{int64(e.ExecutionID), int64(e.EventID), nil, nil, e.Timestamp,
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
	s, pool, name := openEventBench(b)
	exec := newBenchExec(b, s)
	insert, _ := rawEventSQL(name)
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
		b.ReportAllocs()
		defer benchcpu.Start(b).Report()
		for i := 0; b.Loop(); i++ {
			e := typicalEvent(exec, i)
			e.EventID = s.IDs().MustNext()
			e.Timestamp = time.Now()
			rawSeq++
			if _, err := pool.Exec(ctx, insert, rawEventArgs(&e, rawSeq)...); err != nil {
				b.Fatal(err)
			}
		}
	})
	// raw-same runs the store's own statement (the execution's lock, the
	// follow notification and the seq drawn on the server) through pgx,
	// so that store ÷ raw-same is the cost of the Go layer alone.
	same := appendStatement(b, pool, name, exec)
	lock := int32(uint32(exec) ^ uint32(uint64(exec)>>32)) // the statement's lock key
	b.Run("raw-same", func(b *testing.B) {
		b.ReportAllocs()
		defer benchcpu.Start(b).Report()
		for i := 0; b.Loop(); i++ {
			e := typicalEvent(exec, i)
			e.EventID = s.IDs().MustNext()
			e.Timestamp = time.Now()
			args := rawEventArgs(&e, 0)
			args[len(args)-1] = lock
			if _, err := pool.Exec(ctx, same, args...); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// sqlHook keeps the text of the statements a store runs.
type sqlHook struct{ sql []string }

func (h *sqlHook) OnCall(ctx context.Context, op string) (context.Context, func(error)) {
	return ctx, func(error) {}
}
func (h *sqlHook) OnStatement(_ context.Context, st trace.Statement) { h.sql = append(h.sql, st.SQL) }
func (h *sqlHook) OnRetry(context.Context, trace.Retry)              {}

// appendStatement returns the statement the store runs for Events().Append,
// read from a second store on the same schema.
func appendStatement(b *testing.B, pool *pgxpool.Pool, name string, exec snowflake.ID) string {
	b.Helper()
	h := &sqlHook{}
	s, err := postgres.Open(context.Background(), "", postgres.WithPool(pool), postgres.WithSchema(name), storage.WithShard(4), storage.WithHook(h))
	require.NoError(b, err)
	defer s.Close()
	_, err = s.Events().Append(context.Background(), typicalEvent(exec, 0))
	require.NoError(b, err)
	require.Len(b, h.sql, 1, "one statement per append")
	return h.sql[0]
}

const eventBatchSize = 10_000

func BenchmarkEventBatch10k(b *testing.B) {
	ctx := context.Background()
	s, pool, name := openEventBench(b)
	exec := newBenchExec(b, s)
	batch := make([]noetl.Event, eventBatchSize)
	fresh := func() {
		for i := range batch {
			batch[i] = typicalEvent(exec, i)
		}
	}
	b.Run("store-copy", func(b *testing.B) {
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
	b.Run("raw-copy", func(b *testing.B) {
		b.ReportAllocs()
		cpu := benchcpu.Start(b)
		defer cpu.Report()
		for b.Loop() {
			cpu.Stop()
			fresh()
			cpu.Resume()
			first, err := s.IDs().Block(eventBatchSize)
			require.NoError(b, err)
			now := time.Now()
			rows := make([][]any, len(batch))
			for i := range batch {
				batch[i].EventID, batch[i].Timestamp = first+snowflake.ID(i), now
				rawSeq++
				rows[i] = rawEventArgs(&batch[i], rawSeq)
			}
			tx, err := pool.Begin(ctx)
			require.NoError(b, err)
			if _, err := tx.CopyFrom(ctx, pgx.Identifier{name, "event_log"}, rawEventCols, pgx.CopyFromRows(rows)); err != nil {
				b.Fatal(err)
			}
			require.NoError(b, tx.Commit(ctx))
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
// 1,000,000-event execution, seeded by COPY.
func BenchmarkEventList1M(b *testing.B) { benchEventList(b, 1_000_000) }

// BenchmarkEventList10k is BenchmarkEventList1M on a 10,000-event
// execution: the same page, quick to seed.
func BenchmarkEventList10k(b *testing.B) { benchEventList(b, 10_000) }

// benchEventList lists a 100-event page from the middle of an execution of
// total events, seeded by COPY.
func benchEventList(b *testing.B, total int) {
	ctx := context.Background()
	s, pool, name := openEventBench(b)
	exec := newBenchExec(b, s)
	_, list := rawEventSQL(name)
	chunk := min(total, 250_000)
	now := time.Now()
	var mid snowflake.ID
	for c := 0; c < total; c += chunk {
		first, err := s.IDs().Block(chunk)
		require.NoError(b, err)
		rows := make([][]any, chunk)
		for i := range rows {
			e := typicalEvent(exec, c+i)
			e.EventID, e.Timestamp = first+snowflake.ID(i), now
			if c+i == total/2 {
				mid = e.EventID
			}
			rows[i] = rawEventArgs(&e, int64(c+i+1))
		}
		_, err = pool.CopyFrom(ctx, pgx.Identifier{name, "event_log"}, rawEventCols, pgx.CopyFromRows(rows))
		require.NoError(b, err)
	}
	_, err := pool.Exec(ctx, "ANALYZE "+name+".event_log")
	require.NoError(b, err)
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
		b.ReportAllocs()
		defer benchcpu.Start(b).Report()
		for b.Loop() {
			rows, err := pool.Query(ctx, list, int64(exec), int64(total/2+1), 101)
			require.NoError(b, err)
			n := 0
			for rows.Next() {
				var e noetl.Event
				var in, out, meta, trace []byte
				var seq int64
				if err := rows.Scan(&e.ExecutionID, &e.EventID, &e.ParentEventID, &e.ParentExecutionID, &e.Timestamp,
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
				b.Fatal(n, rows.Err())
			}
		}
	})
}

// eventCursorAt returns the store's cursor for the page after event id, walking
// the execution's pages up to it.
func eventCursorAt(b *testing.B, s noetl.Store, exec, id snowflake.ID) string {
	b.Helper()
	ctx := context.Background()
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

package postgres_test

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/stretchr/testify/require"

	"github.com/noetl/noetldb/internal/pgtest"
	"github.com/noetl/noetldb/noetl"
	"github.com/noetl/noetldb/schema"
	"github.com/noetl/noetldb/snowflake"
	"github.com/noetl/noetldb/storage"
	"github.com/noetl/noetldb/storage/postgres"
)

// The scale benchmarks measure retention and paging on a large event log:
// a month of 1,000,000 events purged by dropping its partition or by
// deleting its rows, and a 100-event page out of 10,000,000 events in ten
// monthly partitions or in one table, before and after a month is purged.
// Loading the fixtures takes minutes, so they run only with
// NOETL_BENCH_SCALE=1:
//
//	NOETL_BENCH_SCALE=1 go test ./storage/postgres -run '^$' -bench 'Scale' -benchmem -benchtime 1x -count 3
//
// Rows are loaded by COPY straight into the tables, as AppendBatch writes
// them: one workload per execution, and each execution's events numbered
// by one event_log_seq value (v*2^20 + position), then ANALYZE.

// scaleEnv turns the scale benchmarks on.
const scaleEnv = "NOETL_BENCH_SCALE"

func needScale(b *testing.B) {
	b.Helper()
	if os.Getenv(scaleEnv) != "1" {
		b.Skipf("loads millions of rows for minutes; set %s=1 to run", scaleEnv)
	}
}

// Fixture sizes.
const (
	purgeExecs   = 1_000 // executions in the purged month
	purgePerExec = 1_000 // events per execution: 1,000,000 in all
	pageMonths   = 10    // monthly partitions holding events
	pageExecs    = 100   // executions per month
	pagePerExec  = 10_000
	pageDeep     = 9_000 // position of the deep page's cursor
	pageLimit    = 100
)

// scaleMonth returns the start of the month i months after the current
// one (UTC).
func scaleMonth(i int) time.Time {
	return monthStart(time.Now()).AddDate(0, i, 0)
}

// scaleExecs returns n execution ids spread over the month starting at m.
func scaleExecs(b *testing.B, m time.Time, n int) []snowflake.ID {
	b.Helper()
	span := m.AddDate(0, 1, 0).Sub(m)
	ids := make([]snowflake.ID, n)
	for i := range ids {
		id, err := snowflake.Compose(m.Add(time.Hour+span*time.Duration(i)/time.Duration(n+1)), 3, 0)
		require.NoError(b, err)
		ids[i] = id
	}
	return ids
}

// scaleLoad copies one workload per execution and perExec events of each
// into schema name, in one transaction.
func scaleLoad(b *testing.B, pool *pgxpool.Pool, name string, execs []snowflake.ID, perExec int) {
	b.Helper()
	ctx := context.Background()
	tx, err := pool.Begin(ctx)
	require.NoError(b, err)
	defer tx.Rollback(ctx)
	_, err = tx.CopyFrom(ctx, pgx.Identifier{name, "workload"}, []string{"execution_id", "timestamp"},
		pgx.CopyFromSlice(len(execs), func(i int) ([]any, error) {
			return []any{int64(execs[i]), execs[i].Time()}, nil
		}))
	require.NoError(b, err)
	// One event_log_seq value per execution, as AppendBatch reserves it
	// for a run of up to 2^20 events.
	rows, err := tx.Query(ctx, "SELECT nextval($1::regclass) FROM generate_series(1, $2)", name+".event_log_seq", len(execs))
	require.NoError(b, err)
	runs, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	require.NoError(b, err)
	e := typicalEvent(0, 0)
	vals := make([]any, len(rawEventCols))
	x, i := 0, -1
	_, err = tx.CopyFrom(ctx, pgx.Identifier{name, "event_log"}, rawEventCols, pgx.CopyFromFunc(func() ([]any, error) {
		if i++; i == perExec {
			x, i = x+1, 0
		}
		if x == len(execs) {
			return nil, nil
		}
		exec := execs[x]
		vals = append(vals[:0], int64(exec), int64(exec)+int64(i)+1, nil, nil, exec.Time().Add(time.Duration(i)*time.Millisecond),
			*e.EventType, *e.NodeID, *e.NodeName, *e.NodeType, *e.Status, *e.Duration,
			string(e.InputContext), nil, string(e.Metadata), nil, *e.LoopID, nil,
			nil, nil, int64(i), nil, *e.WorkerID, nil, nil, nil, nil, nil, runs[x]<<20+int64(i))
		return vals, nil
	}))
	require.NoError(b, err)
	require.NoError(b, tx.Commit(ctx))
}

// analyze runs ANALYZE on the schema's execution tables.
func analyze(b *testing.B, pool *pgxpool.Pool, name string) {
	b.Helper()
	for _, t := range []string{"workload", "event_log"} {
		_, err := pool.Exec(context.Background(), "ANALYZE "+name+"."+t)
		require.NoError(b, err)
	}
}

// unpartitioned migrates schema name to version 3, before event_log is
// partitioned, and opens a store on it without migrating.
func unpartitioned(b *testing.B, pool *pgxpool.Pool, name string) noetl.Store {
	b.Helper()
	db := stdlib.OpenDBFromPool(pool)
	defer db.Close()
	m, err := schema.NewMigrator(db, schema.Postgres, schema.WithSchemaName(name))
	require.NoError(b, err)
	_, err = m.UpTo(context.Background(), 3)
	require.NoError(b, err)
	return scaleStore(b, pool, name, storage.WithoutMigrate())
}

// partitioned migrates schema name and returns a store whose clock is at
// the start of month `at` months ahead, after partitioning every month up
// to it (and three more) and dropping the empty partition of the ids
// before the current month.
func partitioned(b *testing.B, pool *pgxpool.Pool, name string, at int) noetl.Store {
	b.Helper()
	ctx := context.Background()
	scaleStore(b, pool, name).Close()
	var s noetl.Store
	// Maintain creates the clock's month and three more: step four months
	// at a time so every month gets a partition of its own.
	for m := 4; ; m += 4 {
		m = min(m, at)
		when := scaleMonth(m).Add(time.Hour)
		s = scaleStore(b, pool, name, storage.WithClock(func() time.Time { return when }))
		if m == at {
			break
		}
		s.Close()
	}
	n, err := s.Executions().PurgeBefore(ctx, scaleMonth(0))
	require.NoError(b, err)
	require.Equal(b, int64(1), n.Partitions, "the empty partition before the current month")
	return s
}

func scaleStore(b *testing.B, pool *pgxpool.Pool, name string, more ...storage.Option) noetl.Store {
	b.Helper()
	opts := append([]storage.Option{postgres.WithPool(pool), postgres.WithSchema(name), storage.WithShard(3)}, more...)
	s, err := postgres.Open(context.Background(), "", opts...)
	require.NoError(b, err)
	return s
}

// countRows returns how many rows schema name's table holds.
func countRows(b *testing.B, pool *pgxpool.Pool, name, table string) int64 {
	b.Helper()
	var n int64
	require.NoError(b, pool.QueryRow(context.Background(), "SELECT count(*) FROM "+name+"."+table).Scan(&n))
	return n
}

// BenchmarkScalePurge purges one month of 1,000 executions of 1,000 events
// each: by dropping the month's partition ("partition-drop": PurgeBefore
// the month's end on the partitioned schema) and by deleting its rows in
// batches ("delete": the same rows in the unpartitioned schema of
// migration 3). One purge per iteration, on a fresh fixture; run it with
// -benchtime 1x.
func BenchmarkScalePurge(b *testing.B) {
	needScale(b)
	ctx := context.Background()
	pool, err := pgxpool.New(ctx, pgtest.NewDatabase(b))
	require.NoError(b, err)
	b.Cleanup(pool.Close)
	const total = purgeExecs * purgePerExec
	for _, c := range []struct {
		name string
		open func(b *testing.B, name string) noetl.Store
		want func(b *testing.B, n noetl.PurgeCounts)
	}{
		{"partition-drop", func(b *testing.B, name string) noetl.Store { return partitioned(b, pool, name, 4) },
			func(b *testing.B, n noetl.PurgeCounts) {
				require.Equal(b, noetl.PurgeCounts{Partitions: 1, Workload: purgeExecs}, n)
			}},
		{"delete", func(b *testing.B, name string) noetl.Store { return unpartitioned(b, pool, name) },
			func(b *testing.B, n noetl.PurgeCounts) {
				require.Equal(b, noetl.PurgeCounts{EventLog: total, Workload: purgeExecs}, n)
			}},
	} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			var spent time.Duration
			for range b.N {
				b.StopTimer()
				name := fmt.Sprintf("b%d", schemas.Add(1))
				s := c.open(b, name)
				scaleLoad(b, pool, name, scaleExecs(b, scaleMonth(0), purgeExecs), purgePerExec)
				analyze(b, pool, name)
				t0 := time.Now()
				b.StartTimer()
				n, err := s.Executions().PurgeBefore(ctx, scaleMonth(1))
				b.StopTimer()
				spent += time.Since(t0)
				require.NoError(b, err)
				c.want(b, n)
				require.Zero(b, countRows(b, pool, name, "event_log"))
				require.NoError(b, s.Close())
				_, err = pool.Exec(ctx, "DROP SCHEMA "+name+" CASCADE")
				require.NoError(b, err)
				b.StartTimer()
			}
			b.ReportMetric(float64(b.N*total)/spent.Seconds(), "rows/s")
		})
	}
}

// pageFixture is a schema holding pageMonths months of pageExecs
// executions of pagePerExec events each, and a store on it.
type pageFixture struct {
	pool  *pgxpool.Pool
	kind  string // partitioned or unpartitioned
	name  string
	store noetl.Store
	exec  snowflake.ID // a large execution, in a month no purge reaches
	deep  string       // the store's cursor after pageDeep events of exec
	seq   int64        // the seq that cursor stands at
}

// The page fixtures live in a database of their own that outlives each
// benchmark (the server is removed when the test binary ends), so that
// -count runs and the benchmarks after BenchmarkScalePage load them once.
var (
	pageMu       sync.Mutex
	pageFixtures = map[string]*pageFixture{}
	pageDB       string
)

// scalePage returns the fixture of kind "partitioned" or "unpartitioned",
// loading it on first use.
func scalePage(b *testing.B, kind string) *pageFixture {
	b.Helper()
	pageMu.Lock()
	defer pageMu.Unlock()
	if f := pageFixtures[kind]; f != nil {
		return f
	}
	ctx := context.Background()
	if pageDB == "" {
		dsn := pgtest.NewDatabase(b)
		admin, err := pgx.Connect(ctx, dsn)
		require.NoError(b, err)
		_, err = admin.Exec(ctx, "CREATE DATABASE noetl_scale")
		require.NoError(b, err)
		require.NoError(b, admin.Close(ctx))
		u, err := url.Parse(dsn)
		require.NoError(b, err)
		u.Path = "/noetl_scale"
		pageDB = u.String()
	}
	pool, err := pgxpool.New(ctx, pageDB)
	require.NoError(b, err)
	f := &pageFixture{pool: pool, kind: kind, name: "page_" + kind}
	t0 := time.Now()
	if kind == "partitioned" {
		f.store = partitioned(b, pool, f.name, pageMonths)
	} else {
		f.store = unpartitioned(b, pool, f.name)
	}
	for m := range pageMonths {
		execs := scaleExecs(b, scaleMonth(m), pageExecs)
		scaleLoad(b, pool, f.name, execs, pagePerExec)
		if m == pageMonths/2 {
			f.exec = execs[pageExecs/2]
		}
	}
	analyze(b, pool, f.name)
	require.Equal(b, int64(pageMonths*pageExecs*pagePerExec), countRows(b, pool, f.name, "event_log"))
	q := noetl.EventQuery{Limit: noetl.MaxLimit}
	for range pageDeep / noetl.MaxLimit {
		p, err := f.store.Events().List(ctx, f.exec, q)
		require.NoError(b, err)
		require.Len(b, p.Items, noetl.MaxLimit)
		q.After = p.Next
	}
	f.deep = q.After
	require.NoError(b, pool.QueryRow(ctx, "SELECT seq FROM "+f.name+".event_log WHERE execution_id = $1 ORDER BY seq OFFSET $2 LIMIT 1",
		int64(f.exec), pageDeep-1).Scan(&f.seq))
	b.Logf("%s: %d events loaded in %v", kind, pageMonths*pageExecs*pagePerExec, time.Since(t0).Round(time.Second))
	pageFixtures[kind] = f
	return f
}

// benchPages runs, for the first page and the page after a cursor deep
// in the large execution, the store's and the raw driver's read of each
// fixture, so the figures compared are taken one after the other.
func benchPages(b *testing.B, fs ...*pageFixture) {
	ctx := context.Background()
	for _, deep := range []bool{false, true} {
		page := map[bool]string{false: "first", true: "deep"}[deep]
		for _, f := range fs {
			after, seq := "", int64(0)
			if deep {
				after, seq = f.deep, f.seq
			}
			_, list := rawEventSQL(f.name)
			b.Run(page+"/"+f.kind+"/store", func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					p, err := f.store.Events().List(ctx, f.exec, noetl.EventQuery{Limit: pageLimit, After: after})
					if err != nil || len(p.Items) != pageLimit || p.Next == "" {
						b.Fatal(err, len(p.Items))
					}
				}
			})
			b.Run(page+"/"+f.kind+"/raw", func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					if n := rawEventPage(b, f.pool, list, f.exec, seq, pageLimit+1); n != pageLimit+1 {
						b.Fatal(n)
					}
				}
			})
		}
	}
}

// rawEventPage runs list, the store's event page statement written by
// hand, and scans every row as the store does; it returns the row count.
func rawEventPage(b *testing.B, pool *pgxpool.Pool, list string, exec snowflake.ID, after int64, limit int) int {
	rows, err := pool.Query(context.Background(), list, int64(exec), after, limit)
	if err != nil {
		b.Fatal(err)
	}
	defer rows.Close()
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
	if err := rows.Err(); err != nil {
		b.Fatal(err)
	}
	return n
}

// BenchmarkScalePage reads a 100-event page of a 10,000-event execution
// among 10,000,000 events: the first page and the page after a cursor
// 9,000 events in, through the store and through raw pgx, on ten monthly
// partitions and on one unpartitioned table.
func BenchmarkScalePage(b *testing.B) {
	needScale(b)
	p, u := scalePage(b, "partitioned"), scalePage(b, "unpartitioned")
	require.Nil(b, purgedOnce[p], "BenchmarkScalePage runs before BenchmarkScalePageAfterPurge")
	benchPages(b, p, u)
}

// purgedOnce holds the purge of the partitioned page fixture, done once.
var purgedOnce = map[*pageFixture]*noetl.PurgeCounts{}

// BenchmarkScalePageAfterPurge is BenchmarkScalePage's partitioned pages
// after the oldest month (1,000,000 events) is purged, leaving 9,000,000
// events in nine partitions.
func BenchmarkScalePageAfterPurge(b *testing.B) {
	needScale(b)
	f := scalePage(b, "partitioned")
	pageMu.Lock()
	if purgedOnce[f] == nil {
		t0 := time.Now()
		n, err := f.store.Executions().PurgeBefore(context.Background(), scaleMonth(1))
		require.NoError(b, err)
		require.Equal(b, noetl.PurgeCounts{Partitions: 1, Workload: pageExecs}, n)
		b.Logf("purged one month: %+v in %v", n, time.Since(t0).Round(time.Millisecond))
		analyze(b, f.pool, f.name)
		purgedOnce[f] = &n
	}
	pageMu.Unlock()
	require.Equal(b, int64((pageMonths-1)*pageExecs*pagePerExec), countRows(b, f.pool, f.name, "event_log"))
	benchPages(b, f)
}

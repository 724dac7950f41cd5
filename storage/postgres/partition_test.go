package postgres_test

import (
	"context"
	"fmt"
	"log/slog"
	"math"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/noetl/noetldb/noetl"
	"github.com/noetl/noetldb/schema"
	"github.com/noetl/noetldb/snowflake"
	"github.com/noetl/noetldb/storage"
	"github.com/noetl/noetldb/storage/postgres"
)

// part is one event_log partition as the catalog states it.
type part struct {
	name   string
	lo, hi int64 // math.MinInt64 for MINVALUE
}

// partitions returns the schema's event_log partitions in id order, and
// fails the test on a default partition or a bound it cannot read.
func partitions(t *testing.T, pool *pgxpool.Pool, name string) []part {
	t.Helper()
	rows, err := pool.Query(context.Background(), "SELECT c.relname::text, pg_get_expr(c.relpartbound, c.oid)"+
		" FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = to_regclass($1)", name+".event_log")
	require.NoError(t, err)
	defer rows.Close()
	var out []part
	for rows.Next() {
		var p part
		var bound string
		require.NoError(t, rows.Scan(&p.name, &bound))
		require.NotEqual(t, "DEFAULT", bound, "no default partition")
		var lo, hi string
		_, err := fmt.Sscanf(bound, "FOR VALUES FROM (%s TO (%s", &lo, &hi)
		require.NoError(t, err, bound)
		p.lo, p.hi = parseSide(t, lo), parseSide(t, hi)
		out = append(out, p)
	}
	require.NoError(t, rows.Err())
	for i := 1; i < len(out); i++ { // sort by lo (few rows)
		for j := i; j > 0 && out[j].lo < out[j-1].lo; j-- {
			out[j], out[j-1] = out[j-1], out[j]
		}
	}
	return out
}

func parseSide(t *testing.T, s string) int64 {
	s = strings.Trim(strings.TrimSuffix(s, ")"), "'")
	if s == "MINVALUE" {
		return math.MinInt64
	}
	n, err := strconv.ParseInt(s, 10, 64)
	require.NoError(t, err, s)
	return n
}

// contiguous asserts the partitions cover one range without gap or
// overlap and returns its end.
func contiguous(t *testing.T, ps []part) int64 {
	t.Helper()
	require.NotEmpty(t, ps)
	for i := 1; i < len(ps); i++ {
		require.Equal(t, ps[i-1].hi, ps[i].lo, "partition %s follows %s without a gap", ps[i].name, ps[i-1].name)
	}
	return ps[len(ps)-1].hi
}

// bound is the smallest id of t's millisecond.
func bound(t *testing.T, at time.Time) int64 {
	id, err := snowflake.Compose(at, 0, 0)
	require.NoError(t, err)
	return int64(id)
}

func monthStart(t time.Time) time.Time {
	t = t.UTC()
	return time.Date(t.Year(), t.Month(), 1, 0, 0, 0, 0, time.UTC)
}

// execAt puts a workload whose id lies at time at, and n events of it.
func execAt(t *testing.T, s noetl.Store, at time.Time, n int) snowflake.ID {
	t.Helper()
	id, err := snowflake.Compose(at, 9, int(time.Now().UnixNano()%1000))
	require.NoError(t, err)
	ctx := context.Background()
	_, err = s.Workloads().Put(ctx, noetl.NewWorkload{ExecutionID: id})
	require.NoError(t, err)
	if n > 0 {
		evs := make([]noetl.Event, n)
		for i := range evs {
			evs[i] = noetl.Event{ExecutionID: id, Status: execPtr("RUNNING"), NodeID: execPtr("n" + strconv.Itoa(i%3))}
		}
		require.NoError(t, s.Events().AppendBatch(ctx, evs))
	}
	return id
}

func countEvents(t *testing.T, pool *pgxpool.Pool, name string, exec snowflake.ID) int64 {
	t.Helper()
	var n int64
	require.NoError(t, pool.QueryRow(context.Background(), "SELECT count(*) FROM "+name+".event_log WHERE execution_id = $1",
		int64(exec)).Scan(&n))
	return n
}

// A new database's event_log is partitioned by execution: everything
// before the current month in one partition, then one per month for the
// current and three more, with no default partition.
func TestPartitionsOfANewDatabase(t *testing.T) {
	pool := sharedPool(t)
	name := fmt.Sprintf("t%d", schemas.Add(1))
	storeIn(t, pool, name)
	ps := partitions(t, pool, name)
	cur := monthStart(time.Now())
	require.Len(t, ps, 5, "%v", ps)
	assert.Equal(t, "event_log_history", ps[0].name)
	assert.Equal(t, int64(math.MinInt64), ps[0].lo)
	assert.Equal(t, bound(t, cur), ps[0].hi)
	for i, p := range ps[1:] {
		m := cur.AddDate(0, i, 0)
		assert.Equal(t, "event_log_p"+m.Format("20060102"), p.name)
		assert.Equal(t, bound(t, m), p.lo)
		assert.Equal(t, bound(t, m.AddDate(0, 1, 0)), p.hi)
	}
	contiguous(t, ps)
}

// Weekly partitions, two ahead: the rest of the month before the current
// week is one partition, then one per week.
func TestWeeklyPartitions(t *testing.T) {
	pool := sharedPool(t)
	name := fmt.Sprintf("t%d", schemas.Add(1))
	storeIn(t, pool, name, postgres.WithPartitions(postgres.Weekly, 2))
	ps := partitions(t, pool, name)
	now := time.Now().UTC()
	day := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC)
	week := day.AddDate(0, 0, -((int(day.Weekday()) + 6) % 7))
	end := contiguous(t, ps)
	assert.Equal(t, bound(t, week.AddDate(0, 0, 21)), end, "the current week and two more")
	var weeks int
	for _, p := range ps {
		if p.lo >= bound(t, week) {
			weeks++
			assert.Equal(t, time.Monday, time.UnixMilli(p.lo>>23+snowflake.EpochMillis).UTC().Weekday(), p.name)
			assert.Equal(t, bound(t, time.UnixMilli(p.lo>>23+snowflake.EpochMillis).AddDate(0, 0, 7)), p.hi, p.name)
		}
	}
	assert.Equal(t, 3, weeks)
}

func TestWithPartitionsRefusesBadValues(t *testing.T) {
	pool := sharedPool(t)
	for _, o := range []storage.Option{postgres.WithPartitions(postgres.Period(7), 3), postgres.WithPartitions(postgres.Monthly, 0)} {
		_, err := postgres.Open(context.Background(), "", postgres.WithPool(pool), postgres.WithSchema("bad"),
			storage.WithShard(3), o)
		require.ErrorIs(t, err, noetl.ErrInvalid)
	}
	_, err := postgres.FromTx(nil, postgres.WithPartitions(postgres.Monthly, 3))
	require.ErrorIs(t, err, noetl.ErrInvalid)
}

// Stores opening at once with a clock months ahead create each missing
// partition once, without gap or overlap; Maintain again changes nothing.
func TestMaintainConcurrently(t *testing.T) {
	pool := sharedPool(t)
	name := fmt.Sprintf("t%d", schemas.Add(1))
	storeIn(t, pool, name)
	later := time.Now().AddDate(0, 8, 0)
	clock := func() time.Time { return later }
	stores := make([]noetl.Store, 6)
	errs := make([]error, len(stores))
	var wg sync.WaitGroup
	for i := range stores {
		wg.Add(1)
		go func() {
			defer wg.Done()
			stores[i], errs[i] = postgres.Open(context.Background(), "", postgres.WithPool(pool), postgres.WithSchema(name),
				storage.WithShard(10+i), storage.WithClock(clock))
		}()
	}
	wg.Wait()
	for i, s := range stores {
		require.NoError(t, errs[i])
		t.Cleanup(func() { s.Close() })
	}
	ps := partitions(t, pool, name)
	assert.Equal(t, bound(t, monthStart(later).AddDate(0, 4, 0)), contiguous(t, ps))
	// The months between the first store's partitions and the clock's
	// month are one partition.
	assert.Len(t, ps, 1+4+1+4, "history, the first store's four months, the skipped months, the clock's month and three ahead: %v", ps)
	assert.Equal(t, bound(t, monthStart(later)), ps[5].hi)
	for _, s := range stores {
		require.NoError(t, s.Maintain(context.Background()))
	}
	assert.Equal(t, ps, partitions(t, pool, name))
}

// An event of an execution past every partition is refused with
// ErrInvalid, naming the cause, and nothing is written; once Maintain
// has run with a clock in that period, it is taken.
func TestEventPastThePartitionsIsRefused(t *testing.T) {
	pool := sharedPool(t)
	name := fmt.Sprintf("t%d", schemas.Add(1))
	s := storeIn(t, pool, name)
	far := time.Now().AddDate(2, 0, 0)
	exec := execAt(t, s, far, 0)
	ctx := context.Background()
	_, err := s.Events().Append(ctx, noetl.Event{ExecutionID: exec, Status: execPtr("RUNNING")})
	require.ErrorIs(t, err, noetl.ErrInvalid)
	assert.Contains(t, err.Error(), "no event_log partition")
	err = s.Events().AppendBatch(ctx, []noetl.Event{{ExecutionID: exec}, {ExecutionID: exec}})
	require.ErrorIs(t, err, noetl.ErrInvalid)
	assert.Contains(t, err.Error(), "no event_log partition")
	assert.Zero(t, countEvents(t, pool, name, exec))

	later := storeIn(t, pool, name, storage.WithShard(4), storage.WithClock(func() time.Time { return far }))
	require.NoError(t, later.Maintain(ctx))
	_, err = s.Events().Append(ctx, noetl.Event{ExecutionID: exec, Status: execPtr("RUNNING")})
	require.NoError(t, err)
	require.NoError(t, s.Events().AppendBatch(ctx, []noetl.Event{{ExecutionID: exec}, {ExecutionID: exec}}))
	assert.Equal(t, int64(3), countEvents(t, pool, name, exec))
}

// A database migrated before event_log was partitioned keeps its events:
// Open attaches the old table as the partition of every id before the
// month after its newest execution, and everything reads as before.
func TestMigratingAnUnpartitionedEventLog(t *testing.T) {
	pool := sharedPool(t)
	name := fmt.Sprintf("t%d", schemas.Add(1))
	ctx := context.Background()
	db := stdlib.OpenDBFromPool(pool)
	t.Cleanup(func() { db.Close() })
	m, err := schema.NewMigrator(db, schema.Postgres, schema.WithSchemaName(name))
	require.NoError(t, err)
	applied, err := m.UpTo(ctx, 3)
	require.NoError(t, err)
	require.Equal(t, []int{1, 2, 3}, applied)

	old := storeIn(t, pool, name, storage.WithoutMigrate())
	require.NoError(t, old.Maintain(ctx), "Maintain leaves a plain event_log alone")
	older := execAt(t, old, time.Now().AddDate(0, -9, 0), 30)
	recent := execAt(t, old, time.Now(), 2500)
	before, err := old.Events().List(ctx, recent, noetl.EventQuery{Limit: 100})
	require.NoError(t, err)
	sumBefore, err := old.Executions().Summary(ctx, older)
	require.NoError(t, err)
	var relkind string
	require.NoError(t, pool.QueryRow(ctx, "SELECT relkind::text FROM pg_class WHERE oid = to_regclass($1)", name+".event_log").Scan(&relkind))
	require.Equal(t, "r", relkind)

	s := storeIn(t, pool, name, storage.WithShard(5))
	require.NoError(t, pool.QueryRow(ctx, "SELECT relkind::text FROM pg_class WHERE oid = to_regclass($1)", name+".event_log").Scan(&relkind))
	require.Equal(t, "p", relkind)
	ps := partitions(t, pool, name)
	require.Equal(t, "event_log_history", ps[0].name)
	assert.Equal(t, bound(t, monthStart(time.Now()).AddDate(0, 1, 0)), ps[0].hi, "the month after the newest execution's")
	assert.Equal(t, bound(t, monthStart(time.Now()).AddDate(0, 4, 0)), contiguous(t, ps))
	var inHistory int64
	require.NoError(t, pool.QueryRow(ctx, "SELECT count(*) FROM "+name+".event_log_history").Scan(&inHistory))
	assert.Equal(t, int64(2530), inHistory, "the old rows stay in place")

	after, err := s.Events().List(ctx, recent, noetl.EventQuery{Limit: 100})
	require.NoError(t, err)
	assert.Equal(t, before, after)
	sumAfter, err := s.Executions().Summary(ctx, older)
	require.NoError(t, err)
	assert.Equal(t, sumBefore, sumAfter)
	_, err = s.Events().Append(ctx, noetl.Event{ExecutionID: older, Status: execPtr("COMPLETED")})
	require.NoError(t, err)
	fresh := execAt(t, s, time.Now().AddDate(0, 2, 0), 10)
	assert.Equal(t, int64(10), countEvents(t, pool, name, fresh))
	st, err := m.Status(ctx)
	require.NoError(t, err)
	assert.True(t, st[len(st)-1].Applied)
	// Purge by partition reaches the history partition too, once its
	// months are past: here, for a store whose clock is two months on.
	later := storeIn(t, pool, name, storage.WithShard(6),
		storage.WithClock(func() time.Time { return time.Now().AddDate(0, 2, 0) }))
	n, err := later.Executions().PurgeBefore(ctx, monthStart(time.Now()).AddDate(0, 1, 0))
	require.NoError(t, err)
	assert.Equal(t, int64(1), n.Partitions)
	assert.Equal(t, int64(2), n.Workload)
	assert.Zero(t, countEvents(t, pool, name, recent))
	assert.Equal(t, int64(10), countEvents(t, pool, name, fresh))
}

// PurgeBefore drops the partitions that lie wholly before t without
// counting their rows, deletes the executions before t in the partition t
// falls in, keeps everything from t on, and leaves the current and coming
// periods partitioned.
func TestPurgeBeforeDropsWholePartitions(t *testing.T) {
	pool := sharedPool(t)
	name := fmt.Sprintf("t%d", schemas.Add(1))
	s := storeIn(t, pool, name)
	ctx := context.Background()
	cur := monthStart(time.Now())
	hist := execAt(t, s, cur.AddDate(0, -3, 0), 50)
	early := execAt(t, s, cur.AddDate(0, 1, 2), 40)
	late := execAt(t, s, cur.AddDate(0, 1, 20), 30)
	next := execAt(t, s, cur.AddDate(0, 2, 1), 20)
	_, err := s.Errors().Record(ctx, noetl.NewErrorLog{ErrorType: "x", ErrorMessage: "y", ExecutionID: &early})
	require.NoError(t, err)
	now := execAt(t, s, time.Now(), 10)

	n, err := s.Executions().PurgeBefore(ctx, cur.AddDate(0, 1, 10))
	require.NoError(t, err)
	assert.Equal(t, int64(1), n.Partitions, "history; the current month's partition is kept for its writers")
	assert.Equal(t, int64(10+40), n.EventLog, "the current month's execution and the next month's early one, row by row")
	assert.Equal(t, int64(1), n.ErrorLog)
	assert.Equal(t, int64(3), n.Workload)
	for _, gone := range []snowflake.ID{hist, early, now} {
		_, err := s.Workloads().Get(ctx, gone)
		require.ErrorIs(t, err, noetl.ErrNotFound)
		assert.Zero(t, countEvents(t, pool, name, gone))
	}
	assert.Equal(t, int64(30), countEvents(t, pool, name, late))
	assert.Equal(t, int64(20), countEvents(t, pool, name, next))

	ps := partitions(t, pool, name)
	assert.Equal(t, bound(t, cur), ps[0].lo, "the current month's partition stays")
	assert.Equal(t, bound(t, cur.AddDate(0, 4, 0)), contiguous(t, ps))
	for _, p := range ps {
		assert.NotEqual(t, "event_log_history", p.name)
	}
	// Writes to the current period still work.
	again := execAt(t, s, time.Now(), 5)
	assert.Equal(t, int64(5), countEvents(t, pool, name, again))

	// Nothing left to drop or delete: a second purge, even to a time
	// ahead, drops no partition (the current one stays) and deletes only
	// what was written since.
	n, err = s.Executions().PurgeBefore(ctx, cur.AddDate(0, 1, 10))
	require.NoError(t, err)
	assert.Equal(t, noetl.PurgeCounts{Workload: 1, EventLog: 5}, n)
	n, err = s.Executions().PurgeBefore(ctx, cur.AddDate(0, 1, 10))
	require.NoError(t, err)
	assert.Equal(t, noetl.PurgeCounts{}, n)
	assert.Equal(t, ps, partitions(t, pool, name))
}

// Inside a transaction PurgeBefore drops no partition: it deletes row by
// row, and a rollback keeps everything.
func TestPurgeBeforeInATransactionDropsNoPartition(t *testing.T) {
	pool := sharedPool(t)
	name := fmt.Sprintf("t%d", schemas.Add(1))
	s := storeIn(t, pool, name)
	ctx := context.Background()
	old := execAt(t, s, monthStart(time.Now()).AddDate(0, -2, 0), 25)
	before := partitions(t, pool, name)
	errRollback := fmt.Errorf("roll back")
	err := s.InTx(ctx, func(ctx context.Context, tx noetl.Store) error {
		n, err := tx.Executions().PurgeBefore(ctx, monthStart(time.Now()))
		require.NoError(t, err)
		assert.Zero(t, n.Partitions)
		assert.Equal(t, int64(25), n.EventLog)
		return errRollback
	})
	require.ErrorIs(t, err, errRollback)
	assert.Equal(t, before, partitions(t, pool, name))
	assert.Equal(t, int64(25), countEvents(t, pool, name, old))
}

// While a transaction that wrote a workload stays open, attaching a
// partition cannot add its foreign key: Open still succeeds, logging the
// failure, when a partition holds the current time's ids, and fails with
// ErrTransient when none does.
func TestOpenWhileMaintainIsBlocked(t *testing.T) {
	pool := sharedPool(t)
	name := fmt.Sprintf("t%d", schemas.Add(1))
	s := storeIn(t, pool, name)
	ctx := context.Background()
	tx, err := pool.Begin(ctx)
	require.NoError(t, err)
	defer tx.Rollback(ctx)
	_, err = tx.Exec(ctx, "INSERT INTO "+name+".workload (execution_id) VALUES ($1)", int64(s.IDs().MustNext()))
	require.NoError(t, err)

	var logged strings.Builder
	log := slog.New(slog.NewTextHandler(&syncWriter{w: &logged}, nil))
	// Two months on, the current month has a partition; the one three
	// months after it does not yet.
	soon := time.Now().AddDate(0, 2, 0)
	s2, err := postgres.Open(ctx, "", postgres.WithPool(pool), postgres.WithSchema(name), storage.WithShard(4),
		storage.WithClock(func() time.Time { return soon }), storage.WithLogger(log))
	require.NoError(t, err)
	require.NoError(t, s2.Close())
	assert.Contains(t, logged.String(), "noetl maintain")
	assert.Contains(t, logged.String(), "lock timeout")

	far := time.Now().AddDate(1, 0, 0)
	_, err = postgres.Open(ctx, "", postgres.WithPool(pool), postgres.WithSchema(name), storage.WithShard(4),
		storage.WithClock(func() time.Time { return far }))
	require.ErrorIs(t, err, noetl.ErrTransient)

	require.NoError(t, tx.Rollback(ctx))
	s3, err := postgres.Open(ctx, "", postgres.WithPool(pool), postgres.WithSchema(name), storage.WithShard(4),
		storage.WithClock(func() time.Time { return far }))
	require.NoError(t, err, "once the writer is gone")
	require.NoError(t, s3.Close())
}

// syncWriter serialises writes to w.
type syncWriter struct {
	mu sync.Mutex
	w  *strings.Builder
}

func (s *syncWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(p)
}

// A partition PurgeBefore detached but could not drop (the drop failed
// here; a crash between the two does the same) is a plain table no call
// reads. The next PurgeBefore drops it and counts it.
func TestPurgeBeforeDropsAPartitionLeftDetached(t *testing.T) {
	pool := sharedPool(t)
	name := fmt.Sprintf("t%d", schemas.Add(1))
	s := storeIn(t, pool, name)
	ctx := context.Background()
	cur := monthStart(time.Now())
	old := execAt(t, s, cur.AddDate(0, -2, 0), 25)
	ps := partitions(t, pool, name)
	require.Less(t, ps[0].lo, bound(t, cur))
	history := name + "." + ps[0].name

	// The drop fails, as if the process had stopped after the detach: an
	// event trigger refuses to drop tables of this schema.
	fn := name + ".refuse_drop"
	_, err := pool.Exec(ctx, "CREATE FUNCTION "+fn+"() RETURNS event_trigger LANGUAGE plpgsql AS $$"+
		" BEGIN IF EXISTS (SELECT FROM pg_event_trigger_dropped_objects() WHERE schema_name = '"+name+"' AND object_type = 'table')"+
		" THEN RAISE EXCEPTION 'refused by the test'; END IF; END $$")
	require.NoError(t, err)
	trigger := name + "_refuse_drop"
	_, err = pool.Exec(ctx, "CREATE EVENT TRIGGER "+trigger+" ON sql_drop EXECUTE FUNCTION "+fn+"()")
	require.NoError(t, err)
	t.Cleanup(func() { _, _ = pool.Exec(context.Background(), "DROP EVENT TRIGGER IF EXISTS "+trigger) })
	_, err = s.Executions().PurgeBefore(ctx, cur)
	require.ErrorContains(t, err, "refused by the test")
	_, err = pool.Exec(ctx, "DROP EVENT TRIGGER "+trigger)
	require.NoError(t, err)
	var regclass *string
	require.NoError(t, pool.QueryRow(ctx, "SELECT to_regclass($1)::text", history).Scan(&regclass))
	require.NotNil(t, regclass, "the detached partition is left as a table")
	assert.NotEqual(t, ps[0].name, partitions(t, pool, name)[0].name, "and is no longer a partition")

	n, err := s.Executions().PurgeBefore(ctx, cur)
	require.NoError(t, err)
	assert.Equal(t, int64(1), n.Partitions, "the table left detached is dropped")
	require.NoError(t, pool.QueryRow(ctx, "SELECT to_regclass($1)::text", history).Scan(&regclass))
	assert.Nil(t, regclass)
	_, err = s.Workloads().Get(ctx, old)
	require.ErrorIs(t, err, noetl.ErrNotFound)

	// A table of the schema that PurgeBefore did not detach is not its
	// to drop, whatever its name.
	_, err = pool.Exec(ctx, "CREATE TABLE "+history+" (id bigint)")
	require.NoError(t, err)
	n, err = s.Executions().PurgeBefore(ctx, cur)
	require.NoError(t, err)
	assert.Zero(t, n.Partitions)
	require.NoError(t, pool.QueryRow(ctx, "SELECT to_regclass($1)::text", history).Scan(&regclass))
	assert.NotNil(t, regclass)
}

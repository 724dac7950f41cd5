package postgres

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/noetl/noetldb/noetl"
	"github.com/noetl/noetldb/snowflake"
)

// Period is the span of time whose executions one event_log partition
// holds (see WithPartitions). Periods are in UTC.
type Period int

const (
	// Monthly partitions start on the first of a month; the default.
	Monthly Period = iota
	// Weekly partitions start on a Monday.
	Weekly
	// Daily partitions start at midnight.
	Daily
)

// String names the period.
func (p Period) String() string {
	switch p {
	case Monthly:
		return "monthly"
	case Weekly:
		return "weekly"
	case Daily:
		return "daily"
	}
	return "Period(" + strconv.Itoa(int(p)) + ")"
}

// start returns the start of the period that holds t.
func (p Period) start(t time.Time) time.Time {
	t = t.UTC()
	switch p {
	case Weekly:
		d := time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
		return d.AddDate(0, 0, -((int(d.Weekday()) + 6) % 7))
	case Daily:
		return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
	}
	return time.Date(t.Year(), t.Month(), 1, 0, 0, 0, 0, time.UTC)
}

// next returns the start of the period after the one starting at t.
func (p Period) next(t time.Time) time.Time {
	switch p {
	case Weekly:
		return t.AddDate(0, 0, 7)
	case Daily:
		return t.AddDate(0, 0, 1)
	}
	return t.AddDate(0, 1, 0)
}

// Partition defaults (WithPartitions).
const (
	defaultAhead = 3
	maxAhead     = 1000
	// maintainEvery is how often an open store runs Maintain by itself.
	maintainEvery = time.Hour
	// maintainLockTimeout bounds how long creating a partition waits for
	// the locks it needs (see Maintain) before giving up.
	maintainLockTimeout = "5s"
	// partitionLockClass is the first key of the advisory lock that
	// serialises Maintain across processes ("nlpt").
	partitionLockClass = 0x6e6c7074
)

// idAt returns the smallest snowflake id of t's millisecond, as an int64
// that may lie outside the id layout (before Epoch it is negative).
func idAt(t time.Time) int64 {
	return (t.UnixMilli() - snowflake.EpochMillis) << 23
}

// timeOf returns the millisecond an id bound stands for.
func timeOf(id int64) time.Time {
	return time.UnixMilli(id>>23 + snowflake.EpochMillis).UTC()
}

// partition is one partition of event_log: the ids from lo up to, not
// including, hi. lo is math.MinInt64 for MINVALUE, hi math.MaxInt64 for
// MAXVALUE.
type partition struct {
	name    string
	lo, hi  int64
	pending bool // a DETACH ... CONCURRENTLY that did not finish
}

// partitioner implements sqlstore.Partitioner on a pool: event_log
// partitions of one schema, created ahead and dropped whole.
type partitioner struct {
	pool   *pgxpool.Pool
	schema string
	period Period
	ahead  int
	now    func() time.Time

	stop chan struct{} // closes the background loop
	done sync.WaitGroup
}

// newPartitioner returns the partitioner of the schema's event_log.
func newPartitioner(pool *pgxpool.Pool, schema string, period Period, ahead int, now func() time.Time) *partitioner {
	if now == nil {
		now = time.Now
	}
	return &partitioner{pool: pool, schema: schema, period: period, ahead: ahead, now: now, stop: make(chan struct{})}
}

// run calls Maintain every maintainEvery until close, logging failures.
func (p *partitioner) run(log *slog.Logger) {
	p.done.Add(1)
	go func() {
		defer p.done.Done()
		t := time.NewTicker(maintainEvery)
		defer t.Stop()
		for {
			select {
			case <-p.stop:
				return
			case <-t.C:
			}
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			err := p.Maintain(ctx)
			cancel()
			if err != nil && log != nil {
				log.Warn("noetl maintain", "error", err)
			}
		}
	}()
}

// close stops the background loop.
func (p *partitioner) close() {
	close(p.stop)
	p.done.Wait()
}

// boundRE reads pg_get_expr of a range partition's bound.
var boundRE = regexp.MustCompile(`^FOR VALUES FROM \((MINVALUE|'?-?\d+'?)\) TO \((MAXVALUE|'?-?\d+'?)\)$`)

// parseBound reads one side of a range bound.
func parseBound(s string) (int64, error) {
	switch s {
	case "MINVALUE":
		return math.MinInt64, nil
	case "MAXVALUE":
		return math.MaxInt64, nil
	}
	return strconv.ParseInt(strings.Trim(s, "'"), 10, 64)
}

// errNotPartitioned marks an event_log that is a plain table: a database
// opened WithoutMigrate before migration 0004, or another schema's.
var errNotPartitioned = errors.New("event_log is not partitioned")

// list returns event_log's partitions in id order.
func (p *partitioner) list(ctx context.Context, q interface {
	Query(context.Context, string, ...any) (pgx.Rows, error)
	QueryRow(context.Context, string, ...any) pgx.Row
}) ([]partition, error) {
	var kind *string
	if err := q.QueryRow(ctx, "SELECT relkind::text FROM pg_class WHERE oid = to_regclass($1)",
		p.schema+".event_log").Scan(&kind); err != nil && !errors.Is(err, pgx.ErrNoRows) {
		return nil, err
	}
	if kind == nil || *kind != "p" {
		return nil, errNotPartitioned
	}
	rows, err := q.Query(ctx, "SELECT c.relname::text, pg_get_expr(c.relpartbound, c.oid), i.inhdetachpending"+
		" FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = to_regclass($1)",
		p.schema+".event_log")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []partition
	for rows.Next() {
		var (
			v     partition
			bound string
		)
		if err := rows.Scan(&v.name, &bound, &v.pending); err != nil {
			return nil, err
		}
		m := boundRE.FindStringSubmatch(bound)
		if m == nil {
			return nil, fmt.Errorf("event_log partition %s has a bound noetldb does not manage (%s): "+
				"a default partition would trap rows and block new partitions", v.name, bound)
		}
		if v.lo, err = parseBound(m[1]); err == nil {
			v.hi, err = parseBound(m[2])
		}
		if err != nil {
			return nil, fmt.Errorf("event_log partition %s: bound %s: %w", v.name, bound, err)
		}
		out = append(out, v)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	sort.Slice(out, func(i, j int) bool { return out[i].lo < out[j].lo })
	return out, nil
}

// piece is a partition to create.
type piece struct {
	name   string
	lo, hi int64
}

// missing returns the partitions to create so that event_log covers every
// id from the lowest it covers (or from the current period, when that is
// lower or nothing is covered) to the end of the ahead-th period after the
// current one, each piece within one period.
func (p *partitioner) missing(parts []partition) []piece {
	cur := p.period.start(p.now())
	end := cur
	for i := 0; i <= p.ahead; i++ {
		end = p.period.next(end)
	}
	curID, to := idAt(cur), idAt(end)
	from := curID
	if len(parts) > 0 && parts[0].lo < from {
		from = parts[0].lo
	}
	taken := map[string]bool{}
	for _, v := range parts {
		taken[v.name] = true
	}
	// name is a new partition's: event_log_pYYYYMMDD of its first id's
	// day, with the time of day when it does not start at midnight, and a
	// number when that is taken.
	name := func(t time.Time) string {
		base := "event_log_p" + t.Format("20060102")
		if t.Hour() != 0 || t.Minute() != 0 || t.Second() != 0 || t.Nanosecond() != 0 {
			base += t.Format("_150405")
		}
		n := base
		for i := 2; taken[n]; i++ {
			n = base + "_" + strconv.Itoa(i)
		}
		taken[n] = true
		return n
	}
	var out []piece
	gap := func(lo, hi int64) {
		if lo < curID {
			// Below the current period a gap is one partition, however
			// long: the store was not maintained for a while.
			out = append(out, piece{name: name(timeOf(lo)), lo: lo, hi: min(hi, curID)})
			lo = min(hi, curID)
		}
		for lo < hi {
			t := timeOf(lo)
			next := min(idAt(p.period.next(p.period.start(t))), hi)
			out = append(out, piece{name: name(t), lo: lo, hi: next})
			lo = next
		}
	}
	at := from
	for _, v := range parts {
		if at >= to {
			break
		}
		if v.lo > at {
			gap(at, min(v.lo, to))
		}
		at = max(at, v.hi)
	}
	if at < to {
		gap(at, to)
	}
	return out
}

// Maintain implements sqlstore.Partitioner: it creates the partitions of
// the current period and the ahead periods after it, and fills any gap
// below them down to the lowest partition. When nothing is missing it only
// reads the catalog. Otherwise, in one transaction holding an advisory lock
// (so concurrent calls queue, and the later ones find nothing to do), each
// partition is made as a table of its own and attached, which locks
// event_log only against other schema changes, not against reads and
// writes; attaching adds the foreign key to workload, which waits for
// transactions writing workloads to end (at most maintainLockTimeout).
func (p *partitioner) Maintain(ctx context.Context) error {
	parts, err := p.list(ctx, p.pool)
	if errors.Is(err, errNotPartitioned) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("maintain event_log partitions: %w", err)
	}
	if len(p.missing(parts)) == 0 {
		return nil
	}
	err = pgx.BeginFunc(ctx, p.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, "SET LOCAL lock_timeout = '"+maintainLockTimeout+"'"); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock($1, hashtext($2))", partitionLockClass, p.schema); err != nil {
			return err
		}
		parts, err := p.list(ctx, tx)
		if err != nil {
			return err
		}
		parent := p.schema + ".event_log"
		for _, v := range p.missing(parts) {
			table := p.schema + "." + v.name
			if _, err := tx.Exec(ctx, "CREATE TABLE "+table+" (LIKE "+parent+
				" INCLUDING DEFAULTS INCLUDING CONSTRAINTS INCLUDING STORAGE)"); err != nil {
				return fmt.Errorf("create %s: %w", v.name, err)
			}
			if _, err := tx.Exec(ctx, fmt.Sprintf("ALTER TABLE %s ATTACH PARTITION %s FOR VALUES FROM (%d) TO (%d)",
				parent, table, v.lo, v.hi)); err != nil {
				return fmt.Errorf("attach %s: %w", v.name, err)
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("maintain event_log partitions: %w", err)
	}
	return nil
}

// open runs Maintain for Open. A failure (a lock not granted in time, say)
// fails Open only when no partition holds the current time's ids: otherwise
// it is logged and the hourly run tries again.
func (p *partitioner) open(ctx context.Context, log *slog.Logger) error {
	err := p.Maintain(ctx)
	if err == nil {
		return nil
	}
	parts, _ := p.list(ctx, p.pool) // none when it fails too: then Open fails
	now := idAt(p.now())
	for _, v := range parts {
		if v.lo <= now && now < v.hi {
			if log != nil {
				log.Warn("noetl maintain", "error", err)
			}
			return nil
		}
	}
	return err
}

// detachedNote is the comment DropBefore puts on a partition before
// detaching it. A table that bears it and is no longer a partition was
// detached by a call that could not drop it (the drop failed, or the
// process stopped between the two statements, which cannot share a
// transaction): the next call drops it.
const detachedNote = "noetl: detached from event_log by PurgeBefore; the next PurgeBefore drops it"

// DropBefore implements sqlstore.Partitioner: each partition wholly below
// bound and below the current period is detached with DETACH PARTITION ...
// CONCURRENTLY (which waits for the transactions that may still read it,
// and blocks no reader or writer of the other partitions) and dropped. A
// detach left pending by an interrupted call is finished first, and a
// table an interrupted call detached but did not drop is dropped (and
// counted). A partition another call detached or dropped meanwhile is not
// counted. The current period's partition and those ahead are never
// dropped, even for a bound in the future: writers of current executions
// always find their partition, and the rows before bound in them are left
// to the batched deletes.
func (p *partitioner) DropBefore(ctx context.Context, bound int64) (int64, error) {
	bound = min(bound, idAt(p.period.start(p.now())))
	parts, err := p.list(ctx, p.pool)
	if errors.Is(err, errNotPartitioned) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	n, err := p.dropDetached(ctx)
	if err != nil {
		return n, err
	}
	parent := p.schema + ".event_log"
	for _, v := range parts {
		if v.hi > bound {
			continue
		}
		table := p.schema + "." + pgx.Identifier{v.name}.Sanitize()
		how := " CONCURRENTLY"
		if v.pending {
			how = " FINALIZE"
		}
		if _, err := p.pool.Exec(ctx, "COMMENT ON TABLE "+table+" IS '"+detachedNote+"'"); err != nil {
			if isUndefinedTable(err) {
				continue // dropped by another call
			}
			return n, fmt.Errorf("mark %s to drop: %w", v.name, err)
		}
		if _, err := p.pool.Exec(ctx, "ALTER TABLE "+parent+" DETACH PARTITION "+table+how); err != nil {
			now, lerr := p.list(ctx, p.pool)
			if lerr == nil && !has(now, v.name) {
				continue // detached by another call
			}
			return n, fmt.Errorf("detach %s: %w", v.name, err)
		}
		dropped, err := p.drop(ctx, v.name)
		if err != nil {
			return n, err
		}
		if dropped {
			n++
		}
	}
	return n, nil
}

// dropDetached drops the tables that bear detachedNote and are no longer
// partitions, and returns how many it dropped.
func (p *partitioner) dropDetached(ctx context.Context) (int64, error) {
	rows, err := p.pool.Query(ctx, "SELECT relname::text FROM pg_class WHERE relnamespace = to_regnamespace($1)"+
		" AND relkind = 'r' AND NOT relispartition AND obj_description(oid, 'pg_class') = $2", p.schema, detachedNote)
	if err != nil {
		return 0, fmt.Errorf("find event_log partitions left detached: %w", err)
	}
	names, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return 0, fmt.Errorf("find event_log partitions left detached: %w", err)
	}
	var n int64
	for _, name := range names {
		dropped, err := p.drop(ctx, name)
		if err != nil {
			return n, err
		}
		if dropped {
			n++
		}
	}
	return n, nil
}

// drop drops a detached partition's table; false when another call
// dropped it first.
func (p *partitioner) drop(ctx context.Context, name string) (bool, error) {
	_, err := p.pool.Exec(ctx, "DROP TABLE "+p.schema+"."+pgx.Identifier{name}.Sanitize())
	if isUndefinedTable(err) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("drop %s: %w", name, err)
	}
	return true, nil
}

// isUndefinedTable reports a table that does not exist (SQLSTATE 42P01).
func isUndefinedTable(err error) bool {
	var pg *pgconn.PgError
	return errors.As(err, &pg) && pg.Code == "42P01"
}

// has reports whether parts holds a partition named name.
func has(parts []partition, name string) bool {
	for _, v := range parts {
		if v.name == name {
			return true
		}
	}
	return false
}

// checkPartitions validates WithPartitions' values.
func checkPartitions(period Period, ahead int) error {
	if period < Monthly || period > Daily {
		return noetl.Invalidf("postgres.WithPartitions: unknown period %d", int(period))
	}
	if ahead < 1 || ahead > maxAhead {
		return noetl.Invalidf("postgres.WithPartitions: ahead must be 1..%d periods, not %d", maxAhead, ahead)
	}
	return nil
}

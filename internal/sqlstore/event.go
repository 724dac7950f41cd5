package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"time"

	"github.com/noetl/noetldb/internal/pgcopy"
	"github.com/noetl/noetldb/internal/sqlitelit"
	"github.com/noetl/noetldb/noetl"
	"github.com/noetl/noetldb/snowflake"
)

// eventColumns are event_log's columns in the order every statement, scan
// and COPY of this file uses.
var eventColumns = []string{
	"execution_id", "event_id", "parent_event_id", "parent_execution_id", "timestamp",
	"event_type", "node_id", "node_name", "node_type", "status", "duration",
	"input_context", "output_result", "metadata", "error", "loop_id", "loop_name",
	"iterator", "items", "current_index", "current_item", "worker_id",
	"distributed_state", "context_key", "context_value", "trace_component", "stack_trace",
}

var eventCols = strings.Join(eventColumns, ", ")

// eventSeqColumns are eventColumns and seq, the columns a COPY writes.
var eventSeqColumns = append(eventColumns[:len(eventColumns):len(eventColumns)], "seq")

// An execution's events are listed by seq, their position in its log in
// commit order, so a follower of the log (a workflow engine tailing it)
// never meets an event committing behind one it has seen, whatever ids the
// writers chose. seq is assigned inside the writing transaction after the
// execution is locked, and the lock is held to commit:
//
//   - PostgreSQL: a transaction-level advisory lock keyed by the execution
//     (lockKey), then seq from the sequence event_log_seq, which hands out
//     increasing values outside any snapshot: every seq taken under the lock
//     exceeds those of every append to the execution that committed before.
//     A sequence value v numbers a run of up to seqRun events as
//     v*seqRun + i. Measured beside the plain insert, the lock and the
//     sequence cost ~2%; an UPDATE of a counter on the workload row cost
//     ~40% (it writes a row version per append).
//   - SQLite: its write lock, taken before the statement reads, is held to
//     commit: seq is one more than the execution's greatest, read inside the
//     write (events are deleted only with their workload, so that greatest
//     never goes back).

// seqRun is how many events one event_log_seq value numbers.
const seqRun = 1 << 20

// Advisory lock classes (the first key of pg_advisory_xact_lock(int, int)):
// events lock their execution, messages their chat. Another user of
// two-key advisory locks on the database must avoid these classes.
const (
	eventLockClass   = 0x6e6c6576 // "nlev"
	messageLockClass = 0x6e6c6d73 // "nlms"
)

// lockKey folds an id into the second key of an advisory lock. Two ids
// with one key only share a lock (their writers queue), nothing else.
func lockKey(id snowflake.ID) int32 { return int32(uint32(id) ^ uint32(uint64(id)>>32)) }

// eventSeqCols are eventCols and seq, the order of every insert.
var eventSeqCols = eventCols + ", seq"

// eventPGTypes are eventColumns' PostgreSQL types, for the typed
// parameters of an INSERT ... SELECT.
var eventPGTypes = [...]string{
	"BIGINT", "BIGINT", "BIGINT", "BIGINT", "TIMESTAMPTZ",
	"TEXT", "TEXT", "TEXT", "TEXT", "TEXT", "DOUBLE PRECISION",
	"JSONB", "JSONB", "JSONB", "TEXT", "TEXT", "TEXT",
	"TEXT", "TEXT", "INTEGER", "TEXT", "TEXT",
	"TEXT", "TEXT", "TEXT", "JSONB", "TEXT",
}

// eventAppend is Append's statement: it locks the execution, takes the
// next seq and inserts, or does nothing when the id is stored (a missing
// workload fails the foreign key). Parameters: the event's, then the lock
// key (PostgreSQL) or the execution id (SQLite).
func eventAppend(d *Dialect) string {
	if d.Postgres() {
		var b strings.Builder
		fmt.Fprintf(&b, "WITH l AS (SELECT pg_advisory_xact_lock(%d, $%d), %s)"+
			" INSERT INTO {event_log} (%s) SELECT ", eventLockClass, len(eventColumns)+1, notifySQL(KindExecution, fmt.Sprintf("CAST($%d AS INTEGER)", len(eventColumns)+1)), eventSeqCols)
		for i, t := range eventPGTypes {
			fmt.Fprintf(&b, "CAST($%d AS %s), ", i+1, t)
		}
		fmt.Fprintf(&b, "nextval('{event_log_seq}') * %d FROM l ON CONFLICT (execution_id, event_id) DO NOTHING", seqRun)
		return b.String()
	}
	// VALUES, not INSERT ... SELECT: SQLite copies an INSERT ... SELECT
	// reading its own table through a temporary table first.
	return "INSERT INTO {event_log} (" + eventSeqCols + ") VALUES (" + strings.Repeat("?, ", len(eventColumns)) +
		"coalesce((SELECT max(seq) FROM {event_log} WHERE execution_id = ?), 0) + 1) ON CONFLICT (execution_id, event_id) DO NOTHING"
}

// eventInsert is the single-row insert of an event with its seq.
func eventInsert() string {
	return "INSERT INTO {event_log} (" + eventSeqCols + ") VALUES " + In(len(eventColumns)+1)
}

func scanEvent(r Row) (noetl.Event, error) {
	var v noetl.Event
	err := scanEventInto(r, &v)
	return v, err
}

// scanEventInto reads eventColumns, and more columns into more, into v.
func scanEventInto(r Row, v *noetl.Event, more ...any) error {
	return r.Scan(append([]any{&v.ExecutionID, &v.EventID, &v.ParentEventID, &v.ParentExecutionID, TimeDest(&v.Timestamp),
		&v.EventType, &v.NodeID, &v.NodeName, &v.NodeType, &v.Status, &v.Duration,
		JSONDest(&v.InputContext), JSONDest(&v.OutputResult), JSONDest(&v.Metadata), &v.Error, &v.LoopID, &v.LoopName,
		&v.Iterator, &v.Items, &v.CurrentIndex, &v.CurrentItem, &v.WorkerID,
		&v.DistributedState, &v.ContextKey, &v.ContextValue, JSONDest(&v.TraceComponent), &v.StackTrace}, more...)...)
}

// eventRow is a staging event and the scan targets of eventColumns, and
// of seq after them when withSeq is set, chosen once per dialect (see
// messageRow) and reused for every row of a result: on PostgreSQL pgx fills
// ids, times and JSON natively instead of through sql.Scanner values, on
// SQLite database/sql calls Scanners instead of filling pointers by
// reflection, and no row builds a slice of targets of its own.
type eventRow struct {
	v                       noetl.Event
	parentEvent, parentExec *int64
	seq                     int64
	destBuf                 [28]any
	dest                    []any
	pg                      bool
}

func newEventRow(d *Dialect, withSeq bool) *eventRow {
	e := &eventRow{pg: d.Postgres()}
	v := &e.v
	text := func(p **string) any { return nullTextTarget(d, p) }
	e.dest = append(e.destBuf[:0], idTarget(d, &v.ExecutionID), idTarget(d, &v.EventID),
		nullIDTarget(d, &v.ParentEventID, &e.parentEvent), nullIDTarget(d, &v.ParentExecutionID, &e.parentExec),
		timeTarget(d, &v.Timestamp), text(&v.EventType), text(&v.NodeID), text(&v.NodeName), text(&v.NodeType),
		text(&v.Status), nullFloatTarget(d, &v.Duration), jsonTarget(d, &v.InputContext), jsonTarget(d, &v.OutputResult),
		jsonTarget(d, &v.Metadata), text(&v.Error), text(&v.LoopID), text(&v.LoopName), text(&v.Iterator), text(&v.Items),
		nullIntTarget(d, &v.CurrentIndex), text(&v.CurrentItem), text(&v.WorkerID), text(&v.DistributedState),
		text(&v.ContextKey), text(&v.ContextValue), jsonTarget(d, &v.TraceComponent), text(&v.StackTrace))
	if withSeq {
		e.dest = append(e.dest, &e.seq)
	}
	return e
}

// scan reads one row into v. Every column is written, NULLs included, so
// nothing of the previous row survives.
func (e *eventRow) scan(r Row, v *noetl.Event) error {
	if err := r.Scan(e.dest...); err != nil {
		return err
	}
	if e.pg {
		e.v.Timestamp = e.v.Timestamp.UTC()
		e.v.ParentEventID, e.v.ParentExecutionID = (*snowflake.ID)(e.parentEvent), (*snowflake.ID)(e.parentExec)
	}
	*v = e.v
	return nil
}

// eventArgs appends the parameters of e, in eventColumns order, to dst:
// values the drivers bind as they are (no pointers, no named types), so
// database/sql converts none by reflection.
func (d *Dialect) eventArgs(dst []any, e *noetl.Event) []any {
	return append(dst, int64(e.ExecutionID), int64(e.EventID), idArg(e.ParentEventID), idArg(e.ParentExecutionID),
		d.Time(e.Timestamp), strArg(e.EventType), strArg(e.NodeID), strArg(e.NodeName), strArg(e.NodeType), strArg(e.Status),
		floatArg(e.Duration), d.JSON(e.InputContext), d.JSON(e.OutputResult), d.JSON(e.Metadata), strArg(e.Error),
		strArg(e.LoopID), strArg(e.LoopName), strArg(e.Iterator), strArg(e.Items), intArg(e.CurrentIndex),
		strArg(e.CurrentItem), strArg(e.WorkerID), strArg(e.DistributedState), strArg(e.ContextKey),
		strArg(e.ContextValue), d.JSON(e.TraceComponent), strArg(e.StackTrace))
}

// writeEvent writes e's columns, in eventColumns order, and its seq: the
// one order of an event's row in both engines' batches (binary COPY on
// PostgreSQL, literals on SQLite). Validate has checked every value: text
// is UTF-8 without NUL, JSON is valid, the current index fits an INTEGER.
func writeEvent(w rowWriter, e *noetl.Event, seq int64) {
	w.Int(int64(e.ExecutionID))
	w.Int(int64(e.EventID))
	nullID(w, e.ParentEventID)
	nullID(w, e.ParentExecutionID)
	w.Time(e.Timestamp)
	nullText(w, e.EventType)
	nullText(w, e.NodeID)
	nullText(w, e.NodeName)
	nullText(w, e.NodeType)
	nullText(w, e.Status)
	if e.Duration == nil {
		w.Null()
	} else {
		w.Float(*e.Duration)
	}
	nullJSON(w, e.InputContext)
	nullJSON(w, e.OutputResult)
	nullJSON(w, e.Metadata)
	nullText(w, e.Error)
	nullText(w, e.LoopID)
	nullText(w, e.LoopName)
	nullText(w, e.Iterator)
	nullText(w, e.Items)
	if e.CurrentIndex == nil {
		w.Null()
	} else {
		w.Int4(int32(*e.CurrentIndex))
	}
	nullText(w, e.CurrentItem)
	nullText(w, e.WorkerID)
	nullText(w, e.DistributedState)
	nullText(w, e.ContextKey)
	nullText(w, e.ContextValue)
	nullJSON(w, e.TraceComponent)
	nullText(w, e.StackTrace)
	w.Int(seq)
}

// eventsCopy encodes events, each with its seq, as the binary COPY data of
// eventSeqColumns (in eventPGTypes' types, then seq's BIGINT).
func eventsCopy(events []noetl.Event, seqs []int64) []byte {
	w := pgcopy.New(len(events) * 160)
	for i := range events {
		w.Row(len(eventSeqColumns))
		writeEvent(copyRow{w}, &events[i], seqs[i])
	}
	return w.Finish()
}

// strArg is an optional text parameter: nil stays NULL.
func strArg(p *string) any {
	if p == nil {
		return nil
	}
	return *p
}

// floatArg is an optional number parameter: nil stays NULL.
func floatArg(p *float64) any {
	if p == nil {
		return nil
	}
	return *p
}

// intArg is an optional integer parameter, as int64: nil stays NULL.
func intArg(p *int) any {
	if p == nil {
		return nil
	}
	return int64(*p)
}

// Append is one statement: it locks the execution, takes its next seq and
// inserts. When it wrote nothing, a read finds out why: the event is stored
// already (the same content is a retry and returns it; other content is
// ErrConflict) or the workload is missing.
func (r eventRepo) Append(ctx context.Context, e noetl.Event) (noetl.Event, error) {
	if err := e.Validate(); err != nil {
		return noetl.Event{}, err
	}
	if e.EventID == 0 {
		id, err := r.s.newID()
		if err != nil {
			return noetl.Event{}, err
		}
		e.EventID = id
	}
	if e.Timestamp.IsZero() {
		e.Timestamp = r.s.now()
	} else {
		e.Timestamp = noetl.UTC(e.Timestamp)
	}
	d := r.s.d
	q := d.SQL("event.append.seq", func() string { return eventAppend(d) })
	var buf [29]any
	args := d.eventArgs(buf[:0], &e)
	if d.Postgres() {
		args = append(args, lockKey(e.ExecutionID))
	} else {
		args = append(args, int64(e.ExecutionID))
	}
	n, err := r.s.q.Exec(ctx, q, args...)
	if err != nil {
		if r.s.noWorkload(err) {
			return noetl.Event{}, execNotFound("append event", e.ExecutionID, err)
		}
		return noetl.Event{}, r.s.wrap(err, "append event to execution %s", e.ExecutionID)
	}
	if n == 1 {
		r.s.wrote(ctx, ExecutionKey(e.ExecutionID))
		return e, nil
	}
	stored, err := r.Get(ctx, e.ExecutionID, e.EventID)
	switch {
	case err == nil && sameEvent(stored, e):
		return stored, nil
	case err == nil:
		return noetl.Event{}, noetl.NewError(noetl.ErrConflict, "event %s of execution %s: already exists with other content", e.EventID, e.ExecutionID)
	case !isNotFound(err):
		return noetl.Event{}, err
	}
	return noetl.Event{}, execNotFound("append event", e.ExecutionID, nil)
}

// maxBlock is the most ids one snowflake Block call reserves.
const maxBlock = 1 << 18

// AppendBatch validates every event, fills in ids and timestamps, and
// writes the batch in one transaction: the executions are locked and their
// seqs reserved, then the rows go in by COPY where the querier has it
// (PostgreSQL), else by statements of literals run once (SQLite, see
// execLiterals), else a statement per row.
//
// A retry of a batch that may have committed (the same slice, ids filled
// in) is safe: when the write meets stored ids, the batch is compared with
// what is stored; events stored with the same content are skipped, the
// others written; an id stored with other content, or given twice in the
// batch, is ErrConflict and nothing is written.
func (r eventRepo) AppendBatch(ctx context.Context, events []noetl.Event) error {
	if len(events) == 0 {
		return ctx.Err()
	}
	zero := 0
	for i := range events {
		if err := events[i].Validate(); err != nil {
			return invalidAt("event", i, err)
		}
		if events[i].EventID == 0 {
			zero++
		}
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	// Ids: consecutive blocks in slice order.
	var next snowflake.ID
	left := 0
	now := r.s.now()
	for i := range events {
		e := &events[i]
		if e.EventID == 0 {
			if left == 0 {
				n := min(zero, maxBlock)
				first, err := r.s.cfg.IDs.Block(n)
				if err != nil {
					return idError("event batch: new ids", err)
				}
				next, left, zero = first, n, zero-n
			}
			e.EventID = next
			next++
			left--
		}
		if e.Timestamp.IsZero() {
			e.Timestamp = now
		} else {
			e.Timestamp = noetl.UTC(e.Timestamp)
		}
	}
	what := fmt.Sprintf("append %d events", len(events))
	err := r.s.inTx(ctx, func(ctx context.Context, ts *Store) error { return ts.appendEvents(ctx, events) })
	for attempt := 0; err != nil && attempt < 3; attempt++ {
		if kind, _ := r.s.constraint(err); kind != noetl.ErrConflict {
			break
		}
		// Some ids are stored: a retry of a batch that committed, or a
		// conflict. Compare and write what is missing.
		err = r.s.inTx(ctx, func(ctx context.Context, ts *Store) error { return ts.appendMissingEvents(ctx, events) })
	}
	if err == nil {
		return nil
	}
	var ne *noetl.Error
	if errors.As(err, &ne) {
		return err
	}
	if cerr := ctx.Err(); cerr != nil && !errors.Is(err, cerr) {
		// A cancelled COPY or statement can surface as the server's
		// "canceling statement" error; say why it was cancelled.
		return fmt.Errorf("%s: %w (%w)", what, cerr, err)
	}
	switch kind, _ := r.s.constraint(err); kind {
	case noetl.ErrConflict:
		return &noetl.Error{Kind: kind, Cause: err,
			Msg: what + ": an event id was stored by another writer meanwhile; nothing was written"}
	case noetl.ErrReferenced:
		execs := make([]snowflake.ID, len(events))
		for i := range events {
			execs[i] = events[i].ExecutionID
		}
		return r.s.execsNotFound(ctx, what, execs, err)
	}
	return r.s.wrap(err, "%s", what)
}

// appendEvents reserves the events' seqs and writes them, in ts's
// transaction.
func (ts *Store) appendEvents(ctx context.Context, events []noetl.Event) error {
	seqs, err := ts.reserveSeqs(ctx, events)
	if err != nil {
		return err
	}
	defer ts.wroteEvents(ctx, events)
	return ts.writeEvents(ctx, events, seqs)
}

// reserveSeqs locks the events' executions and returns each event's seq,
// increasing per execution in slice order. On PostgreSQL one statement
// takes the executions' advisory locks, in key order (so two batches never
// wait for each other in a cycle), then one event_log_seq value per run of
// seqRun events of an execution; a missing workload fails the foreign key
// later. On SQLite each execution's greatest seq is read; a missing
// workload is ErrNotFound.
func (ts *Store) reserveSeqs(ctx context.Context, events []noetl.Event) ([]int64, error) {
	count := map[snowflake.ID]int64{}
	for i := range events {
		count[events[i].ExecutionID]++
	}
	execs := make([]snowflake.ID, 0, len(count))
	for e := range count {
		execs = append(execs, e)
	}
	slices.Sort(execs)
	next := make(map[snowflake.ID]int64, len(execs))
	d := ts.d
	if d.Postgres() {
		keys := make([]int32, len(execs))
		runs := int64(0)
		for i, e := range execs {
			keys[i] = lockKey(e)
			runs += (count[e] + seqRun - 1) / seqRun
		}
		slices.Sort(keys)
		keys = slices.Compact(keys)
		q := d.SQL("event.reserve", func() string {
			return fmt.Sprintf("SELECT nextval('{event_log_seq}') FROM (SELECT count(pg_advisory_xact_lock(%d, k)) + count(CAST(%s AS TEXT)) AS n"+
				" FROM unnest(CAST(? AS INT[])) AS k) l, generate_series(1, CAST(? AS BIGINT))", eventLockClass, notifySQL(KindExecution, "k"))
		})
		vals, err := collect(ctx, ts.q, q, []any{keys, runs}, func(r Row) (int64, error) {
			var v int64
			return v, r.Scan(&v)
		})
		if err != nil {
			return nil, err
		}
		if int64(len(vals)) != runs {
			return nil, fmt.Errorf("event seq: %d values for %d runs", len(vals), runs)
		}
		// Each event takes the next position of its execution's current
		// run, and a new run (the next value) when that one is full.
		pos := make(map[snowflake.ID]int64, len(execs))
		seqs := make([]int64, len(events))
		for i := range events {
			e := events[i].ExecutionID
			if pos[e]%seqRun == 0 {
				next[e], vals = vals[0]*seqRun, vals[1:]
			}
			seqs[i] = next[e] + pos[e]%seqRun
			pos[e]++
		}
		return seqs, nil
	}
	q := d.SQL("event.reserve", func() string {
		return "SELECT coalesce((SELECT max(seq) FROM {event_log} WHERE execution_id = w.execution_id), 0)" +
			" FROM {workload} w WHERE w.execution_id = ?"
	})
	for _, e := range execs {
		var last int64
		err := ts.q.QueryRow(ctx, q, int64(e)).Scan(&last)
		if errors.Is(err, sql.ErrNoRows) {
			return nil, execNotFound(fmt.Sprintf("append %d events", len(events)), e, nil)
		}
		if err != nil {
			return nil, err
		}
		next[e] = last + 1
	}
	seqs := make([]int64, len(events))
	for i := range events {
		e := events[i].ExecutionID
		seqs[i] = next[e]
		next[e]++
	}
	return seqs, nil
}

// appendMissingEvents writes the events of a batch that are not stored,
// after checking that the stored ones hold the same content; an id given
// twice in the batch, or stored with other content, is ErrConflict.
func (ts *Store) appendMissingEvents(ctx context.Context, events []noetl.Event) error {
	what := fmt.Sprintf("append %d events", len(events))
	type key struct{ exec, id snowflake.ID }
	byExec := map[snowflake.ID][]snowflake.ID{}
	seen := make(map[key]bool, len(events))
	for i := range events {
		k := key{events[i].ExecutionID, events[i].EventID}
		if seen[k] {
			return noetl.NewError(noetl.ErrConflict, "%s: event %s of execution %s is twice in the batch; nothing was written", what, k.id, k.exec)
		}
		seen[k] = true
		byExec[k.exec] = append(byExec[k.exec], k.id)
	}
	stored := map[key]noetl.Event{}
	q := ts.d.SQL("event.stored", func() string {
		return "SELECT " + eventCols + " FROM {event_log} WHERE execution_id = ? AND event_id IN " + In(storedChunk)
	})
	args := make([]any, 1+storedChunk)
	for exec, ids := range byExec {
		for len(ids) > 0 {
			chunk := ids[:min(len(ids), storedChunk)]
			ids = ids[len(chunk):]
			args[0] = int64(exec)
			for i := range storedChunk {
				args[1+i] = int64(chunk[min(i, len(chunk)-1)]) // padded with the last id
			}
			found, err := collect(ctx, ts.q, q, args, scanEvent)
			if err != nil {
				return err
			}
			for _, e := range found {
				stored[key{e.ExecutionID, e.EventID}] = e
			}
		}
	}
	var missing []noetl.Event
	for i := range events {
		e := &events[i]
		st, ok := stored[key{e.ExecutionID, e.EventID}]
		switch {
		case !ok:
			missing = append(missing, *e)
		case !sameEvent(st, *e):
			return noetl.NewError(noetl.ErrConflict, "%s: event %s of execution %s is stored with other content; nothing was written", what, e.EventID, e.ExecutionID)
		}
	}
	if len(missing) == 0 {
		return nil
	}
	return ts.appendEvents(ctx, missing)
}

// storedChunk is how many ids one look-up of stored events names.
const storedChunk = 100

// sameEvent reports whether stored is what appending e would have stored;
// JSON is compared as JSON and times as instants.
func sameEvent(stored, e noetl.Event) bool {
	if !stored.Timestamp.Equal(e.Timestamp) {
		return false
	}
	for _, j := range [...][2]json.RawMessage{{stored.InputContext, e.InputContext}, {stored.OutputResult, e.OutputResult},
		{stored.Metadata, e.Metadata}, {stored.TraceComponent, e.TraceComponent}} {
		if !sameJSON(j[0], j[1]) {
			return false
		}
	}
	stored.Timestamp, e.Timestamp = time.Time{}, time.Time{}
	stored.InputContext, stored.OutputResult, stored.Metadata, stored.TraceComponent = nil, nil, nil, nil
	e.InputContext, e.OutputResult, e.Metadata, e.TraceComponent = nil, nil, nil, nil
	return reflect.DeepEqual(stored, e)
}

// writeEvents writes validated events with ids, and their seqs, on the
// transaction's querier.
func (ts *Store) writeEvents(ctx context.Context, events []noetl.Event, seqs []int64) error {
	d := ts.d
	if c, ok := ts.q.(Copier); ok {
		_, err := c.CopyBinary(ctx, "event_log", eventSeqColumns, eventsCopy(events, seqs))
		return err
	}
	if p, ok := ts.q.(Preparer); ok && !d.Postgres() {
		head := d.SQL("event.insert.literals", func() string { return "INSERT INTO {event_log} (" + eventSeqCols + ") VALUES " })
		return execLiterals(ctx, p, head, len(events), func(w *sqlitelit.Writer, i int) { writeEvent(litRow{w}, &events[i], seqs[i]) })
	}
	insert := d.SQL("event.insert", eventInsert)
	args := make([]any, 0, len(eventColumns)+1)
	for i := range events {
		if _, err := ts.q.Exec(ctx, insert, append(d.eventArgs(args[:0], &events[i]), seqs[i])...); err != nil {
			return err
		}
	}
	return nil
}

func (r eventRepo) Get(ctx context.Context, exec, id snowflake.ID) (noetl.Event, error) {
	q := r.s.d.SQL("event.get", func() string {
		return "SELECT " + eventCols + " FROM {event_log} WHERE execution_id = ? AND event_id = ?"
	})
	var v noetl.Event
	err := newEventRow(r.s.d, false).scan(r.s.q.QueryRow(ctx, q, int64(exec), int64(id)), &v)
	if err != nil {
		return noetl.Event{}, r.s.wrap(err, "event %s of execution %s", id, exec)
	}
	return v, nil
}

func (r eventRepo) List(ctx context.Context, exec snowflake.ID, q noetl.EventQuery) (noetl.Page[noetl.Event], error) {
	return r.list(ctx, exec, nil, q)
}

func (r eventRepo) Children(ctx context.Context, exec, parent snowflake.ID, q noetl.EventQuery) (noetl.Page[noetl.Event], error) {
	return r.list(ctx, exec, &parent, q)
}

// Event list filters, as bits of the statement shape's key: each of the 32
// shapes is built once.
const (
	evParent = 1 << iota
	evType
	evStatus
	evNode
	evName
)

func (r eventRepo) list(ctx context.Context, exec snowflake.ID, parent *snowflake.ID, qr noetl.EventQuery) (noetl.Page[noetl.Event], error) {
	if err := qr.Validate(); err != nil {
		return noetl.Page[noetl.Event]{}, err
	}
	limit, _ := noetl.ClampLimit(qr.Limit)
	list := "event"
	if parent != nil {
		list = "event.children"
	}
	// The position is the last event's seq.
	var after int64
	if _, err := DecodeCursor(list, qr.After, &after); err != nil {
		return noetl.Page[noetl.Event]{}, err
	}
	var args [9]any
	a := append(args[:0], int64(exec), after)
	mask := 0
	if parent != nil {
		mask |= evParent
		a = append(a, int64(*parent))
	}
	for _, f := range [...]struct {
		bit int
		v   string
	}{{evType, qr.EventType}, {evStatus, qr.Status}, {evNode, qr.NodeID}, {evName, qr.NodeName}} {
		if f.v != "" {
			mask |= f.bit
			a = append(a, f.v)
		}
	}
	a = append(a, limit+1)
	q := r.s.d.SQL(eventListKeys[mask], func() string {
		var b strings.Builder
		b.WriteString("SELECT " + eventSeqCols + " FROM {event_log} WHERE execution_id = ? AND seq > ?")
		for _, f := range [...]struct {
			bit int
			col string
		}{{evParent, "parent_event_id"}, {evType, "event_type"}, {evStatus, "status"}, {evNode, "node_id"}, {evName, "node_name"}} {
			if mask&f.bit != 0 {
				b.WriteString(" AND " + f.col + " = ?")
			}
		}
		b.WriteString(" ORDER BY seq LIMIT ?")
		return b.String()
	})
	er := newEventRow(r.s.d, true)
	items, last, err := collectSeqPage(ctx, r.s.q, q, a, limit, &er.seq, er.scan)
	if err != nil {
		return noetl.Page[noetl.Event]{}, r.s.wrap(err, "list events of execution %s", exec)
	}
	return seqPage(items, limit, last, list, true), nil
}

// eventListKeys names the 32 list shapes without formatting per call.
var eventListKeys = func() (k [32]string) {
	for i := range k {
		k[i] = fmt.Sprintf("event.list.%02x", i)
	}
	return k
}()

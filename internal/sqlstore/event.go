package sqlstore

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strings"

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

// eventInsert is the single-row insert of an event.
func eventInsert() string {
	return "INSERT INTO {event_log} (" + eventCols + ") VALUES " + In(len(eventColumns))
}

// eventsPerStmt is how many events one prepared multi-row insert writes
// (64 x 27 = 1,728 parameters, under SQLite's 32,766). Measured on SQLite
// (a WAL file) with a 10,000-event batch: one row per statement ~78,000
// events/s, 64 rows per statement ~110,000 (16 and 256 were no better).
const eventsPerStmt = 64

// eventInsertMulti inserts eventsPerStmt events.
func eventInsertMulti() string {
	row := In(len(eventColumns))
	return "INSERT INTO {event_log} (" + eventCols + ") VALUES " + strings.Repeat(row+", ", eventsPerStmt-1) + row
}

func scanEvent(r Row) (noetl.Event, error) {
	var v noetl.Event
	err := r.Scan(&v.ExecutionID, &v.EventID, &v.ParentEventID, &v.ParentExecutionID, TimeDest(&v.Timestamp),
		&v.EventType, &v.NodeID, &v.NodeName, &v.NodeType, &v.Status, &v.Duration,
		JSONDest(&v.InputContext), JSONDest(&v.OutputResult), JSONDest(&v.Metadata), &v.Error, &v.LoopID, &v.LoopName,
		&v.Iterator, &v.Items, &v.CurrentIndex, &v.CurrentItem, &v.WorkerID,
		&v.DistributedState, &v.ContextKey, &v.ContextValue, JSONDest(&v.TraceComponent), &v.StackTrace)
	return v, err
}

// eventArgs appends the parameters of e, in eventColumns order, to dst.
func (d *Dialect) eventArgs(dst []any, e *noetl.Event) []any {
	return append(dst, int64(e.ExecutionID), int64(e.EventID), idArg(e.ParentEventID), idArg(e.ParentExecutionID),
		d.Time(e.Timestamp), e.EventType, e.NodeID, e.NodeName, e.NodeType, e.Status, e.Duration,
		d.JSON(e.InputContext), d.JSON(e.OutputResult), d.JSON(e.Metadata), e.Error, e.LoopID, e.LoopName,
		e.Iterator, e.Items, e.CurrentIndex, e.CurrentItem, e.WorkerID,
		e.DistributedState, e.ContextKey, e.ContextValue, d.JSON(e.TraceComponent), e.StackTrace)
}

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
	q := r.s.d.SQL("event.append", eventInsert)
	var buf [27]any
	_, err := r.s.q.Exec(ctx, q, r.s.d.eventArgs(buf[:0], &e)...)
	if err != nil {
		switch kind, _ := r.s.constraint(err); kind {
		case noetl.ErrConflict:
			return noetl.Event{}, &noetl.Error{Kind: kind, Msg: "event " + e.EventID.String() + " of execution " + e.ExecutionID.String() + ": already exists", Cause: err}
		case noetl.ErrReferenced:
			return noetl.Event{}, execNotFound("append event", e.ExecutionID, err)
		}
		return noetl.Event{}, r.s.wrap(err, "append event to execution %s", e.ExecutionID)
	}
	return e, nil
}

// maxBlock is the most ids one snowflake Block call reserves.
const maxBlock = 1 << 18

// AppendBatch validates every event, fills in ids and timestamps, and
// writes the batch in one transaction: COPY where the querier has it
// (PostgreSQL), else one statement prepared once and run per row (SQLite),
// else a statement per row.
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
					return fmt.Errorf("event batch: new ids: %w", err)
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
	err := r.s.inTx(ctx, func(ctx context.Context, ts *Store) error { return ts.writeEvents(ctx, events) })
	if err == nil {
		return nil
	}
	if cerr := ctx.Err(); cerr != nil && !errors.Is(err, cerr) {
		// A cancelled COPY or statement can surface as the server's
		// "canceling statement" error; say why it was cancelled.
		return fmt.Errorf("append %d events: %w (%w)", len(events), cerr, err)
	}
	switch kind, _ := r.s.constraint(err); kind {
	case noetl.ErrConflict:
		return &noetl.Error{Kind: kind, Cause: err,
			Msg: fmt.Sprintf("append %d events: an event id is already used in its execution (stored before or twice in the batch); nothing was written", len(events))}
	case noetl.ErrReferenced:
		execs := make([]snowflake.ID, len(events))
		for i := range events {
			execs[i] = events[i].ExecutionID
		}
		return r.s.execsNotFound(ctx, fmt.Sprintf("append %d events", len(events)), execs, err)
	}
	return r.s.wrap(err, "append %d events", len(events))
}

// writeEvents writes validated events with ids on the transaction's
// querier.
func (ts *Store) writeEvents(ctx context.Context, events []noetl.Event) error {
	d := ts.d
	if c, ok := ts.q.(Copier); ok {
		rows := make([][]any, len(events))
		args := make([]any, 0, len(events)*len(eventColumns))
		for i := range events {
			start := len(args)
			args = d.eventArgs(args, &events[i])
			rows[i] = args[start:len(args):len(args)]
		}
		_, err := c.CopyFrom(ctx, "event_log", eventColumns, rows)
		return err
	}
	insert := d.SQL("event.append", eventInsert)
	args := make([]any, 0, eventsPerStmt*len(eventColumns))
	if p, ok := ts.q.(Preparer); ok {
		if len(events) >= eventsPerStmt {
			st, err := p.Prepare(ctx, d.SQL("event.append.multi", eventInsertMulti))
			if err != nil {
				return err
			}
			defer st.Close()
			for len(events) >= eventsPerStmt {
				args = args[:0]
				for i := range eventsPerStmt {
					args = d.eventArgs(args, &events[i])
				}
				if err := st.Exec(ctx, args...); err != nil {
					return err
				}
				events = events[eventsPerStmt:]
			}
		}
		if len(events) == 0 {
			return nil
		}
		st, err := p.Prepare(ctx, insert)
		if err != nil {
			return err
		}
		defer st.Close()
		for i := range events {
			if err := st.Exec(ctx, d.eventArgs(args[:0], &events[i])...); err != nil {
				return err
			}
		}
		return nil
	}
	for i := range events {
		if _, err := ts.q.Exec(ctx, insert, d.eventArgs(args[:0], &events[i])...); err != nil {
			return err
		}
	}
	return nil
}

func (r eventRepo) Get(ctx context.Context, exec, id snowflake.ID) (noetl.Event, error) {
	q := r.s.d.SQL("event.get", func() string {
		return "SELECT " + eventCols + " FROM {event_log} WHERE execution_id = ? AND event_id = ?"
	})
	v, err := scanEvent(r.s.q.QueryRow(ctx, q, int64(exec), int64(id)))
	return v, r.s.wrap(err, "event %s of execution %s", id, exec)
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
	after := int64(math.MinInt64)
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
		b.WriteString("SELECT " + eventCols + " FROM {event_log} WHERE execution_id = ? AND event_id > ?")
		for _, f := range [...]struct {
			bit int
			col string
		}{{evParent, "parent_event_id"}, {evType, "event_type"}, {evStatus, "status"}, {evNode, "node_id"}, {evName, "node_name"}} {
			if mask&f.bit != 0 {
				b.WriteString(" AND " + f.col + " = ?")
			}
		}
		b.WriteString(" ORDER BY event_id LIMIT ?")
		return b.String()
	})
	items, err := collect(ctx, r.s.q, q, a, scanEvent)
	if err != nil {
		return noetl.Page[noetl.Event]{}, r.s.wrap(err, "list events of execution %s", exec)
	}
	return pageOf(items, limit, list, func(v noetl.Event) any { return int64(v.EventID) }), nil
}

// eventListKeys names the 32 list shapes without formatting per call.
var eventListKeys = func() (k [32]string) {
	for i := range k {
		k[i] = fmt.Sprintf("event.list.%02x", i)
	}
	return k
}()

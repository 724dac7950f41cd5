package sqlstore

import (
	"context"
	"time"

	"github.com/noetl/noetldb/noetl"
	"github.com/noetl/noetldb/snowflake"
)

// Summary runs three reads: the workload (for ErrNotFound), one grouped
// aggregate over the execution's events, and the latest event per node by a
// window function (both engines have row_number).
func (r executionRepo) Summary(ctx context.Context, exec snowflake.ID) (noetl.ExecutionSummary, error) {
	if _, err := (workloadRepo{r.s}).Get(ctx, exec); err != nil {
		return noetl.ExecutionSummary{}, err
	}
	d := r.s.d
	sum := noetl.ExecutionSummary{ExecutionID: exec, ByStatus: map[string]int64{}}
	q := d.SQL("execution.summary.status", func() string {
		return "SELECT status, count(*), min(timestamp), max(timestamp), sum(duration) FROM {event_log}" +
			" WHERE execution_id = ? GROUP BY status"
	})
	rows, err := r.s.q.Query(ctx, q, int64(exec))
	if err != nil {
		return noetl.ExecutionSummary{}, r.s.wrap(err, "summary of execution %s", exec)
	}
	defer rows.Close()
	for rows.Next() {
		var (
			status      *string
			n           int64
			first, last *time.Time
			dur         *float64
		)
		if err := rows.Scan(&status, &n, NullTimeDest(&first), NullTimeDest(&last), &dur); err != nil {
			return noetl.ExecutionSummary{}, r.s.wrap(err, "summary of execution %s", exec)
		}
		key := ""
		if status != nil {
			key = *status
		}
		sum.ByStatus[key] += n
		sum.Events += n
		if first != nil && (sum.FirstAt == nil || first.Before(*sum.FirstAt)) {
			sum.FirstAt = first
		}
		if last != nil && (sum.LastAt == nil || last.After(*sum.LastAt)) {
			sum.LastAt = last
		}
		if dur != nil {
			sum.Duration += *dur
		}
	}
	if err := rows.Err(); err != nil {
		return noetl.ExecutionSummary{}, r.s.wrap(err, "summary of execution %s", exec)
	}
	rows.Close()
	q = d.SQL("execution.summary.nodes", func() string {
		return "SELECT " + eventCols + " FROM (SELECT " + eventCols + "," +
			" row_number() OVER (PARTITION BY node_id ORDER BY event_id DESC) AS rn" +
			" FROM {event_log} WHERE execution_id = ? AND node_id IS NOT NULL) latest" +
			" WHERE rn = 1 ORDER BY node_id" + byteOrder(d)
	})
	if sum.LatestByNode, err = collect(ctx, r.s.q, q, []any{int64(exec)}, scanEvent); err != nil {
		return noetl.ExecutionSummary{}, r.s.wrap(err, "summary of execution %s: latest events per node", exec)
	}
	return sum, nil
}

func scanExecutionInfo(r Row) (noetl.ExecutionInfo, error) {
	var v noetl.ExecutionInfo
	err := r.Scan(&v.ExecutionID, TimeDest(&v.Timestamp), &v.Status, NullTimeDest(&v.StatusAt))
	return v, err
}

// executionListSQL lists a page of workloads newest first (the
// workload_timestamp_idx index), each joined with its latest event that has
// a status: a correlated subquery walking the event_log primary key
// backwards from the highest id, the same on both engines.
func executionListSQL(where string) func() string {
	return func() string {
		return "SELECT w.execution_id, w.timestamp, e.status, e.timestamp FROM" +
			" (SELECT execution_id, timestamp FROM {workload}" + where +
			" ORDER BY timestamp DESC, execution_id DESC LIMIT ?) w" +
			" LEFT JOIN {event_log} e ON e.execution_id = w.execution_id AND e.event_id = (" +
			"SELECT x.event_id FROM {event_log} x WHERE x.execution_id = w.execution_id AND x.status IS NOT NULL" +
			" ORDER BY x.event_id DESC LIMIT 1)" +
			" ORDER BY w.timestamp DESC, w.execution_id DESC"
	}
}

func (r executionRepo) List(ctx context.Context, qr noetl.ExecutionQuery) (noetl.Page[noetl.ExecutionInfo], error) {
	limit, err := noetl.ClampLimit(qr.Limit)
	if err != nil {
		return noetl.Page[noetl.ExecutionInfo]{}, err
	}
	var cur [2]int64
	has, err := DecodeCursor("execution", qr.After, &cur)
	if err != nil {
		return noetl.Page[noetl.ExecutionInfo]{}, err
	}
	q := r.s.d.SQL("execution.list", executionListSQL(""))
	args := []any{limit + 1}
	if has {
		q = r.s.d.SQL("execution.list.after", executionListSQL(" WHERE (timestamp, execution_id) < (?, ?)"))
		args = []any{r.s.d.Time(time.UnixMicro(cur[0])), cur[1], limit + 1}
	}
	items, err := collect(ctx, r.s.q, q, args, scanExecutionInfo)
	if err != nil {
		return noetl.Page[noetl.ExecutionInfo]{}, r.s.wrap(err, "list executions")
	}
	return pageOf(items, limit, "execution", func(v noetl.ExecutionInfo) any {
		return [2]int64{v.Timestamp.UnixMicro(), int64(v.ExecutionID)}
	}), nil
}

// Purge deletes the execution's rows table by table, children first so
// each count is its own, then the workload; one transaction.
func (r executionRepo) Purge(ctx context.Context, exec snowflake.ID) (noetl.PurgeCounts, error) {
	var n noetl.PurgeCounts
	err := r.s.inTx(ctx, func(ctx context.Context, ts *Store) error {
		for _, t := range [...]struct {
			table string
			n     *int64
		}{
			{"event_log", &n.EventLog}, {"transition", &n.Transition}, {"workflow", &n.Workflow},
			{"workbook", &n.Workbook}, {"error_log", &n.ErrorLog}, {"workload", &n.Workload},
		} {
			q := ts.d.SQL("execution.purge."+t.table, func() string {
				return "DELETE FROM {" + t.table + "} WHERE execution_id = ?"
			})
			c, err := ts.q.Exec(ctx, q, int64(exec))
			if err != nil {
				return ts.wrap(err, "purge execution %s: %s", exec, t.table)
			}
			*t.n = c
		}
		if n.Workload == 0 {
			return noetl.NewError(noetl.ErrNotFound, "purge execution %s: no workload", exec)
		}
		return nil
	})
	if err != nil {
		return noetl.PurgeCounts{}, err
	}
	return n, nil
}

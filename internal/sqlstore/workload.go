package sqlstore

import (
	"context"

	"github.com/noetl/noetldb/noetl"
	"github.com/noetl/noetldb/snowflake"
)

const workloadCols = "execution_id, timestamp, data"

func scanWorkload(r Row) (noetl.Workload, error) {
	var v noetl.Workload
	err := r.Scan(&v.ExecutionID, TimeDest(&v.Timestamp), &v.Data)
	return v, err
}

func (r workloadRepo) Put(ctx context.Context, in noetl.NewWorkload) (noetl.Workload, error) {
	if err := in.Validate(); err != nil {
		return noetl.Workload{}, err
	}
	v := noetl.Workload{ExecutionID: in.ExecutionID, Timestamp: noetl.UTC(in.Timestamp), Data: in.Data}
	if v.ExecutionID == 0 {
		id, err := r.s.newID()
		if err != nil {
			return noetl.Workload{}, err
		}
		v.ExecutionID = id
	}
	if in.Timestamp.IsZero() {
		v.Timestamp = r.s.now()
	}
	q := r.s.d.SQL("workload.put", func() string {
		return "INSERT INTO {workload} (" + workloadCols + ") VALUES (?, ?, ?)"
	})
	if in.Replace {
		q = r.s.d.SQL("workload.replace", func() string {
			return "INSERT INTO {workload} (" + workloadCols + ") VALUES (?, ?, ?)" +
				" ON CONFLICT (execution_id) DO UPDATE SET timestamp = excluded.timestamp, data = excluded.data"
		})
	}
	if _, err := r.s.q.Exec(ctx, q, int64(v.ExecutionID), r.s.d.Time(v.Timestamp), v.Data); err != nil {
		if kind, _ := r.s.constraint(err); kind == noetl.ErrConflict {
			return noetl.Workload{}, &noetl.Error{Kind: kind, Msg: "workload of execution " + v.ExecutionID.String() + ": already stored (put with Replace to overwrite it)", Cause: err}
		}
		return noetl.Workload{}, r.s.wrap(err, "put workload of execution %s", v.ExecutionID)
	}
	return v, nil
}

func (r workloadRepo) Get(ctx context.Context, exec snowflake.ID) (noetl.Workload, error) {
	q := r.s.d.SQL("workload.get", func() string {
		return "SELECT " + workloadCols + " FROM {workload} WHERE execution_id = ?"
	})
	v, err := scanWorkload(r.s.q.QueryRow(ctx, q, int64(exec)))
	return v, r.s.wrap(err, "workload of execution %s", exec)
}

func (r workloadRepo) Delete(ctx context.Context, exec snowflake.ID) error {
	q := r.s.d.SQL("workload.delete", func() string { return "DELETE FROM {workload} WHERE execution_id = ?" })
	n, err := r.s.q.Exec(ctx, q, int64(exec))
	if err != nil {
		return r.s.wrap(err, "delete workload of execution %s", exec)
	}
	if n == 0 {
		return noetl.NewError(noetl.ErrNotFound, "workload of execution %s", exec)
	}
	return nil
}

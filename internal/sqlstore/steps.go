package sqlstore

import (
	"context"
	"strings"

	"github.com/noetl/noetldb/noetl"
	"github.com/noetl/noetldb/snowflake"
)

// addRows validates every row, then inserts them one statement each in one
// transaction (the caller's, when there is one): all or nothing. Steps,
// tasks and transitions come a few at a time, so a statement per row costs
// little and names the row a refusal is about. what names the kind of row,
// key names one row in errors.
func addRows[T any](ctx context.Context, s *Store, what, insert string, rows []T,
	validate func(T) error, exec func(T) snowflake.ID, key func(T) string, args func(T) []any) error {
	for i, v := range rows {
		if err := validate(v); err != nil {
			return invalidAt(what, i, err)
		}
	}
	if len(rows) == 0 {
		return ctx.Err()
	}
	return s.inTx(ctx, func(ctx context.Context, ts *Store) error {
		for _, v := range rows {
			_, err := ts.q.Exec(ctx, insert, args(v)...)
			if err == nil {
				continue
			}
			switch kind, _ := ts.constraint(err); kind {
			case noetl.ErrConflict:
				return &noetl.Error{Kind: kind, Msg: what + " " + key(v) + " of execution " + exec(v).String() + ": already exists", Cause: err}
			case noetl.ErrReferenced:
				return execNotFound(what+" "+key(v), exec(v), err)
			}
			return ts.wrap(err, "add %s %s of execution %s", what, key(v), exec(v))
		}
		return nil
	})
}

// ---- workflow -------------------------------------------------------------------

const stepCols = "execution_id, step_id, step_name, step_type, description, raw_config"

func scanStep(r Row) (noetl.WorkflowStep, error) {
	var v noetl.WorkflowStep
	err := r.Scan(&v.ExecutionID, &v.StepID, &v.StepName, &v.StepType, &v.Description, &v.RawConfig)
	return v, err
}

func (r workflowRepo) Add(ctx context.Context, steps ...noetl.WorkflowStep) error {
	q := r.s.d.SQL("workflow.add", func() string {
		return "INSERT INTO {workflow} (" + stepCols + ") VALUES (?, ?, ?, ?, ?, ?)"
	})
	return addRows(ctx, r.s, "workflow step", q, steps, noetl.WorkflowStep.Validate,
		func(v noetl.WorkflowStep) snowflake.ID { return v.ExecutionID },
		func(v noetl.WorkflowStep) string { return quote(v.StepID) },
		func(v noetl.WorkflowStep) []any {
			return []any{int64(v.ExecutionID), v.StepID, v.StepName, v.StepType, v.Description, v.RawConfig}
		})
}

func (r workflowRepo) Get(ctx context.Context, exec snowflake.ID, stepID string) (noetl.WorkflowStep, error) {
	if err := noetl.ValidateString("step id", stepID); err != nil {
		return noetl.WorkflowStep{}, err
	}
	q := r.s.d.SQL("workflow.get", func() string {
		return "SELECT " + stepCols + " FROM {workflow} WHERE execution_id = ? AND step_id = ?"
	})
	v, err := scanStep(r.s.q.QueryRow(ctx, q, int64(exec), stepID))
	return v, r.s.wrap(err, "workflow step %q of execution %s", stepID, exec)
}

func (r workflowRepo) List(ctx context.Context, exec snowflake.ID, qr noetl.StepQuery) (noetl.Page[noetl.WorkflowStep], error) {
	limit, err := noetl.ClampLimit(qr.Limit)
	if err != nil {
		return noetl.Page[noetl.WorkflowStep]{}, err
	}
	var after string
	if _, err := DecodeCursor("workflow", qr.After, &after); err != nil {
		return noetl.Page[noetl.WorkflowStep]{}, err
	}
	q := r.s.d.SQL("workflow.list", func() string {
		c := byteOrder(r.s.d)
		return "SELECT " + stepCols + " FROM {workflow} WHERE execution_id = ? AND step_id" + c + " > ? ORDER BY step_id" + c + " LIMIT ?"
	})
	items, err := collect(ctx, r.s.q, q, []any{int64(exec), after, limit + 1}, scanStep)
	if err != nil {
		return noetl.Page[noetl.WorkflowStep]{}, r.s.wrap(err, "list workflow steps of execution %s", exec)
	}
	return pageOf(items, limit, "workflow", func(v noetl.WorkflowStep) any { return v.StepID }), nil
}

// ---- workbook -------------------------------------------------------------------

const taskCols = "execution_id, task_id, task_name, task_type, raw_config"

func scanTask(r Row) (noetl.WorkbookTask, error) {
	var v noetl.WorkbookTask
	err := r.Scan(&v.ExecutionID, &v.TaskID, &v.TaskName, &v.TaskType, &v.RawConfig)
	return v, err
}

func (r workbookRepo) Add(ctx context.Context, tasks ...noetl.WorkbookTask) error {
	q := r.s.d.SQL("workbook.add", func() string {
		return "INSERT INTO {workbook} (" + taskCols + ") VALUES (?, ?, ?, ?, ?)"
	})
	return addRows(ctx, r.s, "workbook task", q, tasks, noetl.WorkbookTask.Validate,
		func(v noetl.WorkbookTask) snowflake.ID { return v.ExecutionID },
		func(v noetl.WorkbookTask) string { return quote(v.TaskID) },
		func(v noetl.WorkbookTask) []any {
			return []any{int64(v.ExecutionID), v.TaskID, v.TaskName, v.TaskType, v.RawConfig}
		})
}

func (r workbookRepo) Get(ctx context.Context, exec snowflake.ID, taskID string) (noetl.WorkbookTask, error) {
	if err := noetl.ValidateString("task id", taskID); err != nil {
		return noetl.WorkbookTask{}, err
	}
	q := r.s.d.SQL("workbook.get", func() string {
		return "SELECT " + taskCols + " FROM {workbook} WHERE execution_id = ? AND task_id = ?"
	})
	v, err := scanTask(r.s.q.QueryRow(ctx, q, int64(exec), taskID))
	return v, r.s.wrap(err, "workbook task %q of execution %s", taskID, exec)
}

func (r workbookRepo) List(ctx context.Context, exec snowflake.ID, qr noetl.TaskQuery) (noetl.Page[noetl.WorkbookTask], error) {
	limit, err := noetl.ClampLimit(qr.Limit)
	if err != nil {
		return noetl.Page[noetl.WorkbookTask]{}, err
	}
	var after string
	if _, err := DecodeCursor("workbook", qr.After, &after); err != nil {
		return noetl.Page[noetl.WorkbookTask]{}, err
	}
	q := r.s.d.SQL("workbook.list", func() string {
		c := byteOrder(r.s.d)
		return "SELECT " + taskCols + " FROM {workbook} WHERE execution_id = ? AND task_id" + c + " > ? ORDER BY task_id" + c + " LIMIT ?"
	})
	items, err := collect(ctx, r.s.q, q, []any{int64(exec), after, limit + 1}, scanTask)
	if err != nil {
		return noetl.Page[noetl.WorkbookTask]{}, r.s.wrap(err, "list workbook tasks of execution %s", exec)
	}
	return pageOf(items, limit, "workbook", func(v noetl.WorkbookTask) any { return v.TaskID }), nil
}

// ---- transition -----------------------------------------------------------------

const transitionCols = "execution_id, from_step, to_step, condition, with_params"

func scanTransition(r Row) (noetl.Transition, error) {
	var v noetl.Transition
	err := r.Scan(&v.ExecutionID, &v.FromStep, &v.ToStep, &v.Condition, &v.WithParams)
	return v, err
}

func (r transitionRepo) Add(ctx context.Context, ts ...noetl.Transition) error {
	q := r.s.d.SQL("transition.add", func() string {
		return "INSERT INTO {transition} (" + transitionCols + ") VALUES (?, ?, ?, ?, ?)"
	})
	return addRows(ctx, r.s, "transition", q, ts, noetl.Transition.Validate,
		func(v noetl.Transition) snowflake.ID { return v.ExecutionID },
		func(v noetl.Transition) string {
			k := quote(v.FromStep) + " -> " + quote(v.ToStep)
			if v.Condition != "" {
				k += " when " + quote(v.Condition)
			}
			return k
		},
		func(v noetl.Transition) []any {
			return []any{int64(v.ExecutionID), v.FromStep, v.ToStep, v.Condition, v.WithParams}
		})
}

func (r transitionRepo) Get(ctx context.Context, exec snowflake.ID, from, to, cond string) (noetl.Transition, error) {
	if err := noetl.ValidateString("transition from step", from); err != nil {
		return noetl.Transition{}, err
	}
	if err := noetl.ValidateString("transition to step", to); err != nil {
		return noetl.Transition{}, err
	}
	if err := noetl.ValidateString("transition condition", cond); err != nil {
		return noetl.Transition{}, err
	}
	q := r.s.d.SQL("transition.get", func() string {
		return "SELECT " + transitionCols + " FROM {transition} WHERE execution_id = ? AND from_step = ? AND to_step = ? AND condition = ?"
	})
	v, err := scanTransition(r.s.q.QueryRow(ctx, q, int64(exec), from, to, cond))
	return v, r.s.wrap(err, "transition %q -> %q (condition %q) of execution %s", from, to, cond, exec)
}

// transitionCursor is the keyset position of a transition list: from step,
// to step, condition.
type transitionCursor [3]string

func (r transitionRepo) List(ctx context.Context, exec snowflake.ID, qr noetl.TransitionQuery) (noetl.Page[noetl.Transition], error) {
	limit, err := noetl.ClampLimit(qr.Limit)
	if err != nil {
		return noetl.Page[noetl.Transition]{}, err
	}
	var cur transitionCursor
	has, err := DecodeCursor("transition", qr.After, &cur)
	if err != nil {
		return noetl.Page[noetl.Transition]{}, err
	}
	q := r.s.d.SQL("transition.list", func() string {
		return "SELECT " + transitionCols + " FROM {transition} WHERE execution_id = ?" +
			" ORDER BY " + transitionOrder(r.s.d, "from_step", "to_step", "condition") + " LIMIT ?"
	})
	args := []any{int64(exec), limit + 1}
	if has {
		q = r.s.d.SQL("transition.list.after", func() string {
			return "SELECT " + transitionCols + " FROM {transition} WHERE execution_id = ?" +
				" AND (" + transitionOrder(r.s.d, "from_step", "to_step", "condition") + ") > (?, ?, ?) ORDER BY " +
				transitionOrder(r.s.d, "from_step", "to_step", "condition") + " LIMIT ?"
		})
		args = []any{int64(exec), cur[0], cur[1], cur[2], limit + 1}
	}
	items, err := collect(ctx, r.s.q, q, args, scanTransition)
	if err != nil {
		return noetl.Page[noetl.Transition]{}, r.s.wrap(err, "list transitions of execution %s", exec)
	}
	return pageOf(items, limit, "transition", func(v noetl.Transition) any {
		return transitionCursor{v.FromStep, v.ToStep, v.Condition}
	}), nil
}

func (r transitionRepo) ListFrom(ctx context.Context, exec snowflake.ID, from string, qr noetl.TransitionQuery) (noetl.Page[noetl.Transition], error) {
	if err := noetl.ValidateString("transition from step", from); err != nil {
		return noetl.Page[noetl.Transition]{}, err
	}
	limit, err := noetl.ClampLimit(qr.Limit)
	if err != nil {
		return noetl.Page[noetl.Transition]{}, err
	}
	var cur [2]string
	has, err := DecodeCursor("transition.from", qr.After, &cur)
	if err != nil {
		return noetl.Page[noetl.Transition]{}, err
	}
	q := r.s.d.SQL("transition.from", func() string {
		return "SELECT " + transitionCols + " FROM {transition} WHERE execution_id = ? AND from_step = ?" +
			" ORDER BY " + transitionOrder(r.s.d, "to_step", "condition") + " LIMIT ?"
	})
	args := []any{int64(exec), from, limit + 1}
	if has {
		q = r.s.d.SQL("transition.from.after", func() string {
			return "SELECT " + transitionCols + " FROM {transition} WHERE execution_id = ? AND from_step = ?" +
				" AND (" + transitionOrder(r.s.d, "to_step", "condition") + ") > (?, ?) ORDER BY " +
				transitionOrder(r.s.d, "to_step", "condition") + " LIMIT ?"
		})
		args = []any{int64(exec), from, cur[0], cur[1], limit + 1}
	}
	items, err := collect(ctx, r.s.q, q, args, scanTransition)
	if err != nil {
		return noetl.Page[noetl.Transition]{}, r.s.wrap(err, "list transitions from %q of execution %s", from, exec)
	}
	return pageOf(items, limit, "transition.from", func(v noetl.Transition) any { return [2]string{v.ToStep, v.Condition} }), nil
}

// transitionOrder lists text columns for ORDER BY and row comparisons in
// byte order, the same on both engines whatever the database's collation.
func transitionOrder(d *Dialect, cols ...string) string {
	out := make([]string, len(cols))
	for i, c := range cols {
		out[i] = c + byteOrder(d)
	}
	return strings.Join(out, ", ")
}

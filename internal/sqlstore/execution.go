package sqlstore

import (
	"context"
	"slices"
	"strconv"
	"strings"

	"github.com/noetl/noetldb/noetl"
	"github.com/noetl/noetldb/snowflake"
)

// The execution tables: workload (workload.go), workflow, workbook and
// transition (steps.go), event_log (event.go), error_log (errorlog.go), and
// what acts on whole executions (executions.go). Every row of the other five
// belongs to a workload; a write naming an execution without one fails the
// foreign key, which these repositories report as ErrNotFound (the
// execution is not found) rather than the general ErrReferenced.

type workloadRepo struct{ s *Store }
type workflowRepo struct{ s *Store }
type workbookRepo struct{ s *Store }
type transitionRepo struct{ s *Store }
type eventRepo struct{ s *Store }
type errorLogRepo struct{ s *Store }
type executionRepo struct{ s *Store }

// noWorkload reports whether err is a foreign key violation, which on the
// execution tables means the execution has no workload.
func (s *Store) noWorkload(err error) bool {
	kind, _ := s.constraint(err)
	return kind == noetl.ErrReferenced
}

// execNotFound is the ErrNotFound of a write naming an execution without a
// workload.
func execNotFound(what string, exec snowflake.ID, cause error) error {
	return &noetl.Error{Kind: noetl.ErrNotFound, Msg: what + ": execution " + exec.String() + " has no workload", Cause: cause}
}

// execsNotFound reports which of execs have no workload after a batch
// naming them failed its foreign key. Outside a transaction it looks them
// up; inside one (which may be aborted, on PostgreSQL) it names them all.
func (s *Store) execsNotFound(ctx context.Context, what string, execs []snowflake.ID, cause error) error {
	slices.Sort(execs)
	execs = slices.Compact(execs)
	if len(execs) == 1 {
		return execNotFound(what, execs[0], cause)
	}
	if s.tx == nil && len(execs) <= 1000 {
		args := make([]any, len(execs))
		for i, e := range execs {
			args[i] = int64(e)
		}
		q := s.d.Rebind(s.d.tables("SELECT execution_id FROM {workload} WHERE execution_id IN " + In(len(execs))))
		found, err := collect(ctx, s.q, q, args, func(r Row) (snowflake.ID, error) {
			var id snowflake.ID
			return id, r.Scan(&id)
		})
		if err == nil {
			missing := slices.DeleteFunc(slices.Clone(execs), func(id snowflake.ID) bool { return slices.Contains(found, id) })
			if len(missing) == 1 {
				return execNotFound(what, missing[0], cause)
			}
			if len(missing) > 1 {
				execs = missing
			}
		}
	}
	names := make([]string, 0, min(len(execs), 10))
	for _, e := range execs[:min(len(execs), 10)] {
		names = append(names, e.String())
	}
	more := ""
	if len(execs) > 10 {
		more = ", ..."
	}
	return &noetl.Error{Kind: noetl.ErrNotFound, Cause: cause,
		Msg: what + ": an execution among " + strings.Join(names, ", ") + more + " has no workload"}
}

// idArg is an optional id parameter: nil stays NULL.
func idArg(p *snowflake.ID) any {
	if p == nil {
		return nil
	}
	return int64(*p)
}

// invalidAt re-labels a validation error with the position of the row it
// is about.
func invalidAt(what string, i int, err error) error {
	msg := err.Error()
	if ne, ok := err.(*noetl.Error); ok {
		msg = ne.Msg
	}
	return &noetl.Error{Kind: noetl.ErrInvalid, Msg: what + " " + strconv.Itoa(i) + ": " + msg}
}

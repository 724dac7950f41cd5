package sqlstore

import (
	"context"
	"time"

	sq "github.com/Masterminds/squirrel"

	"github.com/noetl/noetldb/noetl"
	"github.com/noetl/noetldb/snowflake"
)

const errorLogCols = "error_id, timestamp, error_type, error_message, execution_id, step_id, step_name," +
	" template_string, context_data, stack_trace, input_data, output_data, severity, resolved," +
	" resolution_notes, resolution_timestamp"

func scanErrorLog(r Row) (noetl.ErrorLog, error) {
	var v noetl.ErrorLog
	err := r.Scan(&v.ErrorID, TimeDest(&v.Timestamp), &v.ErrorType, &v.ErrorMessage, &v.ExecutionID,
		&v.StepID, &v.StepName, &v.TemplateString, JSONDest(&v.ContextData), &v.StackTrace,
		JSONDest(&v.InputData), JSONDest(&v.OutputData), &v.Severity, BoolDest(&v.Resolved),
		&v.ResolutionNotes, NullTimeDest(&v.ResolutionTimestamp))
	return v, err
}

func (r errorLogRepo) Record(ctx context.Context, in noetl.NewErrorLog) (noetl.ErrorLog, error) {
	if err := in.Validate(); err != nil {
		return noetl.ErrorLog{}, err
	}
	id, err := r.s.newID()
	if err != nil {
		return noetl.ErrorLog{}, err
	}
	v := noetl.ErrorLog{
		ErrorID: id, Timestamp: noetl.UTC(in.Timestamp), ErrorType: in.ErrorType, ErrorMessage: in.ErrorMessage,
		ExecutionID: in.ExecutionID, StepID: in.StepID, StepName: in.StepName, TemplateString: in.TemplateString,
		ContextData: in.ContextData, StackTrace: in.StackTrace, InputData: in.InputData, OutputData: in.OutputData,
		Severity: in.Severity,
	}
	if in.Timestamp.IsZero() {
		v.Timestamp = r.s.now()
	}
	if v.Severity == "" {
		v.Severity = noetl.SeverityError
	}
	q := r.s.d.SQL("errorlog.record", func() string {
		return "INSERT INTO {error_log} (" + errorLogCols + ") VALUES " + In(16)
	})
	d := r.s.d
	_, err = r.s.q.Exec(ctx, q, int64(v.ErrorID), d.Time(v.Timestamp), v.ErrorType, v.ErrorMessage, idArg(v.ExecutionID),
		v.StepID, v.StepName, v.TemplateString, d.JSON(v.ContextData), v.StackTrace, d.JSON(v.InputData),
		d.JSON(v.OutputData), string(v.Severity), d.Bool(false), nil, nil)
	if err != nil {
		if r.s.noWorkload(err) && v.ExecutionID != nil {
			return noetl.ErrorLog{}, execNotFound("record error "+quote(v.ErrorType), *v.ExecutionID, err)
		}
		return noetl.ErrorLog{}, r.s.wrap(err, "record error %q", v.ErrorType)
	}
	return v, nil
}

func (r errorLogRepo) Get(ctx context.Context, id snowflake.ID) (noetl.ErrorLog, error) {
	q := r.s.d.SQL("errorlog.get", func() string { return "SELECT " + errorLogCols + " FROM {error_log} WHERE error_id = ?" })
	v, err := scanErrorLog(r.s.q.QueryRow(ctx, q, int64(id)))
	return v, r.s.wrap(err, "error %s", id)
}

// List builds its statement per call with squirrel: six optional filters
// make 64 shapes, and the error log is read by people, not in hot loops.
func (r errorLogRepo) List(ctx context.Context, qr noetl.ErrorLogQuery) (noetl.Page[noetl.ErrorLog], error) {
	if err := qr.Validate(); err != nil {
		return noetl.Page[noetl.ErrorLog]{}, err
	}
	limit, _ := noetl.ClampLimit(qr.Limit)
	var cur [2]int64
	has, err := DecodeCursor("errorlog", qr.After, &cur)
	if err != nil {
		return noetl.Page[noetl.ErrorLog]{}, err
	}
	d := r.s.d
	b := d.Builder().Select(errorLogCols).From(d.T("error_log")).
		OrderBy("timestamp DESC", "error_id DESC").Limit(uint64(limit + 1))
	if has {
		b = b.Where("(timestamp, error_id) < (?, ?)", d.Time(time.UnixMicro(cur[0])), cur[1])
	}
	if qr.ExecutionID != nil {
		b = b.Where(sq.Eq{"execution_id": int64(*qr.ExecutionID)})
	}
	if qr.ErrorType != "" {
		b = b.Where(sq.Eq{"error_type": qr.ErrorType})
	}
	if qr.Severity != "" {
		b = b.Where(sq.Eq{"severity": string(qr.Severity)})
	}
	if qr.Resolved != nil {
		b = b.Where(sq.Eq{"resolved": d.Bool(*qr.Resolved)})
	}
	if !qr.Since.IsZero() {
		b = b.Where(sq.GtOrEq{"timestamp": d.Time(qr.Since)})
	}
	if !qr.Until.IsZero() {
		b = b.Where(sq.Lt{"timestamp": d.Time(qr.Until)})
	}
	q, args, err := b.ToSql()
	if err != nil {
		return noetl.Page[noetl.ErrorLog]{}, err
	}
	items, err := collect(ctx, r.s.q, q, args, scanErrorLog)
	if err != nil {
		return noetl.Page[noetl.ErrorLog]{}, r.s.wrap(err, "list errors")
	}
	return pageOf(items, limit, "errorlog", func(v noetl.ErrorLog) any {
		return [2]int64{v.Timestamp.UnixMicro(), int64(v.ErrorID)}
	}), nil
}

func (r errorLogRepo) Resolve(ctx context.Context, id snowflake.ID, notes string) (noetl.ErrorLog, error) {
	if err := noetl.ValidateText("resolution notes", &notes); err != nil {
		return noetl.ErrorLog{}, err
	}
	d := r.s.d
	q := d.SQL("errorlog.resolve", func() string {
		return "UPDATE {error_log} SET resolved = ?, resolution_notes = ?, resolution_timestamp = ?" +
			" WHERE error_id = ? AND resolved = ? RETURNING " + errorLogCols
	})
	v, err := scanErrorLog(r.s.q.QueryRow(ctx, q, d.Bool(true), nullString(notes), d.Time(r.s.now()), int64(id), d.Bool(false)))
	if err == nil {
		return v, nil
	}
	if err = r.s.wrap(err, "resolve error %s", id); !isNotFound(err) {
		return noetl.ErrorLog{}, err
	}
	if _, gerr := r.Get(ctx, id); gerr != nil {
		return noetl.ErrorLog{}, gerr
	}
	return noetl.ErrorLog{}, noetl.NewError(noetl.ErrConflict, "resolve error %s: already resolved", id)
}

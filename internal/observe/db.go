// Package observe instruments a store for a trace.Hook: Store wraps every
// repository of a noetl.Store so each call is reported and names the
// operation its statements belong to, and DB/Tx wrap the backend's
// statement seam so each statement is reported. With a nil hook both return
// what they are given, so an uninstrumented store pays nothing.
package observe

//go:generate go run ./gen -out store_gen.go

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"time"

	"github.com/noetl/noetldb/internal/sqlstore"
	"github.com/noetl/noetldb/storage/trace"
)

// DB returns db reporting every statement to h (and those of the
// transactions it begins), with db's Copier and Preparer capabilities; db
// itself when h is nil.
func DB(db sqlstore.DB, h trace.Hook) sqlstore.DB {
	if h == nil || db == nil {
		return db
	}
	w := dbW{base{q: db, h: h}, db}
	_, c := db.(sqlstore.Copier)
	_, p := db.(sqlstore.Preparer)
	switch {
	case c && p:
		return dbCP{w}
	case c:
		return dbC{w}
	case p:
		return dbP{w}
	}
	return w
}

// Tx returns tx reporting every statement to h, with tx's Copier, Preparer
// and Guarder capabilities (a guarded view is reported too); tx itself when
// h is nil.
func Tx(tx sqlstore.Tx, h trace.Hook) sqlstore.Tx {
	if h == nil || tx == nil {
		return tx
	}
	w := txW{base{q: tx, h: h}, tx}
	_, c := tx.(sqlstore.Copier)
	_, p := tx.(sqlstore.Preparer)
	_, g := tx.(sqlstore.Guarder)
	switch {
	case c && p && g:
		return txCPG{txCP{w}}
	case c && p:
		return txCP{w}
	case c && g:
		return txCG{txC{w}}
	case c:
		return txC{w}
	case p && g:
		return txPG{txP{w}}
	case p:
		return txP{w}
	case g:
		return txG{w}
	}
	return w
}

// base reports the statements of q.
type base struct {
	q sqlstore.Querier
	h trace.Hook
}

func (b base) report(ctx context.Context, sql string, start time.Time, rows int64, err error) {
	b.h.OnStatement(ctx, trace.Statement{Op: trace.Op(ctx), SQL: sql, Start: start,
		Duration: time.Since(start), Rows: rows, Err: err})
}

func (b base) Exec(ctx context.Context, sql string, args ...any) (int64, error) {
	start := time.Now()
	n, err := b.q.Exec(ctx, sql, args...)
	b.report(ctx, sql, start, n, err)
	return n, err
}

func (b base) Query(ctx context.Context, sql string, args ...any) (sqlstore.Rows, error) {
	start := time.Now()
	r, err := b.q.Query(ctx, sql, args...)
	if err != nil {
		b.report(ctx, sql, start, 0, err)
		return nil, err
	}
	return &rows{Rows: r, b: b, ctx: ctx, sql: sql, start: start}, nil
}

func (b base) QueryRow(ctx context.Context, sql string, args ...any) sqlstore.Row {
	start := time.Now()
	return row{r: b.q.QueryRow(ctx, sql, args...), b: b, ctx: ctx, sql: sql, start: start}
}

func (b base) copyBinary(ctx context.Context, table string, columns []string, data []byte) (int64, error) {
	start := time.Now()
	n, err := b.q.(sqlstore.Copier).CopyBinary(ctx, table, columns, data)
	b.report(ctx, "COPY "+table+" ("+strings.Join(columns, ", ")+") FROM STDIN (FORMAT binary)", start, n, err)
	return n, err
}

func (b base) prepare(ctx context.Context, sql string) (sqlstore.Stmt, error) {
	st, err := b.q.(sqlstore.Preparer).Prepare(ctx, sql)
	if err != nil {
		return nil, err
	}
	return stmt{st: st, b: b, sql: sql}, nil
}

// execOnce reports a statement whose text carries its values by its shape.
func (b base) execOnce(ctx context.Context, shape, sql string) (int64, error) {
	start := time.Now()
	n, err := b.q.(sqlstore.Preparer).ExecOnce(ctx, shape, sql)
	b.report(ctx, shape, start, n, err)
	return n, err
}

// Retried implements sqlstore.RetryReporter.
func (b base) Retried(ctx context.Context, attempt int, err error) {
	b.h.OnRetry(ctx, trace.Retry{Op: trace.Op(ctx), Attempt: attempt, Err: err})
}

// control reports a transaction-control step (BEGIN, COMMIT, ROLLBACK).
func (b base) control(ctx context.Context, sql string, f func(context.Context) error) error {
	start := time.Now()
	err := f(ctx)
	b.report(ctx, sql, start, 0, err)
	return err
}

// rows counts the rows a query returns and reports the statement when
// closed.
type rows struct {
	sqlstore.Rows
	b     base
	ctx   context.Context
	sql   string
	start time.Time
	n     int64
	done  bool
}

func (r *rows) Next() bool {
	if r.Rows.Next() {
		r.n++
		return true
	}
	return false
}

func (r *rows) Close() {
	r.Rows.Close()
	if !r.done {
		r.done = true
		r.b.report(r.ctx, r.sql, r.start, r.n, r.Rows.Err())
	}
}

// row reports a single-row query when scanned.
type row struct {
	r     sqlstore.Row
	b     base
	ctx   context.Context
	sql   string
	start time.Time
}

func (r row) Scan(dest ...any) error {
	err := r.r.Scan(dest...)
	switch {
	case err == nil:
		r.b.report(r.ctx, r.sql, r.start, 1, nil)
	case errors.Is(err, sql.ErrNoRows):
		r.b.report(r.ctx, r.sql, r.start, 0, nil)
	default:
		r.b.report(r.ctx, r.sql, r.start, 0, err)
	}
	return err
}

// stmt reports each run of a prepared statement.
type stmt struct {
	st  sqlstore.Stmt
	b   base
	sql string
}

func (s stmt) Exec(ctx context.Context, args ...any) error {
	start := time.Now()
	err := s.st.Exec(ctx, args...)
	s.b.report(ctx, s.sql, start, -1, err)
	return err
}

func (s stmt) Close() error { return s.st.Close() }

type dbW struct {
	base
	db sqlstore.DB
}

func (d dbW) Begin(ctx context.Context) (sqlstore.Tx, error) {
	start := time.Now()
	tx, err := d.db.Begin(ctx)
	d.report(ctx, "BEGIN", start, 0, err)
	if err != nil {
		return nil, err
	}
	return Tx(tx, d.h), nil
}

type dbC struct{ dbW }

func (d dbC) CopyBinary(ctx context.Context, table string, columns []string, data []byte) (int64, error) {
	return d.copyBinary(ctx, table, columns, data)
}

type dbP struct{ dbW }

func (d dbP) Prepare(ctx context.Context, sql string) (sqlstore.Stmt, error) {
	return d.prepare(ctx, sql)
}

func (d dbP) ExecOnce(ctx context.Context, shape, sql string) (int64, error) {
	return d.execOnce(ctx, shape, sql)
}

type dbCP struct{ dbW }

func (d dbCP) CopyBinary(ctx context.Context, table string, columns []string, data []byte) (int64, error) {
	return d.copyBinary(ctx, table, columns, data)
}

func (d dbCP) Prepare(ctx context.Context, sql string) (sqlstore.Stmt, error) {
	return d.prepare(ctx, sql)
}

func (d dbCP) ExecOnce(ctx context.Context, shape, sql string) (int64, error) {
	return d.execOnce(ctx, shape, sql)
}

type txW struct {
	base
	tx sqlstore.Tx
}

func (t txW) Commit(ctx context.Context) error { return t.control(ctx, "COMMIT", t.tx.Commit) }

func (t txW) Rollback(ctx context.Context) error { return t.control(ctx, "ROLLBACK", t.tx.Rollback) }

type txC struct{ txW }

func (t txC) CopyBinary(ctx context.Context, table string, columns []string, data []byte) (int64, error) {
	return t.copyBinary(ctx, table, columns, data)
}

type txP struct{ txW }

func (t txP) Prepare(ctx context.Context, sql string) (sqlstore.Stmt, error) {
	return t.prepare(ctx, sql)
}

func (t txP) ExecOnce(ctx context.Context, shape, sql string) (int64, error) {
	return t.execOnce(ctx, shape, sql)
}

type txCP struct{ txW }

func (t txCP) CopyBinary(ctx context.Context, table string, columns []string, data []byte) (int64, error) {
	return t.copyBinary(ctx, table, columns, data)
}

func (t txCP) Prepare(ctx context.Context, sql string) (sqlstore.Stmt, error) {
	return t.prepare(ctx, sql)
}

func (t txCP) ExecOnce(ctx context.Context, shape, sql string) (int64, error) {
	return t.execOnce(ctx, shape, sql)
}

// guarded returns the reporting view of the transaction's guarded view.
func (t txW) guarded() sqlstore.Tx { return Tx(t.tx.(sqlstore.Guarder).Guarded(), t.h) }

type txG struct{ txW }

func (t txG) Guarded() sqlstore.Tx { return t.guarded() }

type txCG struct{ txC }

func (t txCG) Guarded() sqlstore.Tx { return t.guarded() }

type txPG struct{ txP }

func (t txPG) Guarded() sqlstore.Tx { return t.guarded() }

type txCPG struct{ txCP }

func (t txCPG) Guarded() sqlstore.Tx { return t.guarded() }

var (
	_ sqlstore.Guarder       = txG{}
	_ sqlstore.Guarder       = txCG{}
	_ sqlstore.Copier        = txCG{}
	_ sqlstore.Guarder       = txPG{}
	_ sqlstore.Preparer      = txPG{}
	_ sqlstore.Guarder       = txCPG{}
	_ sqlstore.Copier        = txCPG{}
	_ sqlstore.Preparer      = txCPG{}
	_ sqlstore.DB            = dbW{}
	_ sqlstore.RetryReporter = dbW{}
	_ sqlstore.RetryReporter = txW{}
	_ sqlstore.Copier        = dbC{}
	_ sqlstore.Preparer      = dbP{}
	_ sqlstore.Copier        = dbCP{}
	_ sqlstore.Preparer      = dbCP{}
	_ sqlstore.Tx            = txW{}
	_ sqlstore.Copier        = txC{}
	_ sqlstore.Preparer      = txP{}
	_ sqlstore.Copier        = txCP{}
	_ sqlstore.Preparer      = txCP{}
)

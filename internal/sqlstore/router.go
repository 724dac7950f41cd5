package sqlstore

import (
	"context"
	"errors"
	"sync/atomic"

	"github.com/noetl/noetldb/noetl"
)

// router is the Querier of a store outside a transaction. A statement whose
// ctx carries one of this database's transactions (the ctx InTx hands its
// function) runs in that transaction; any other runs on the DB. So the outer
// store used inside InTx joins the transaction instead of waiting for the
// write lock (SQLite) or writing outside it (PostgreSQL).
type router struct {
	db     DB
	cfg    *Config
	closed *atomic.Bool
}

// newRouter returns the router over cfg.DB, with Copier or Preparer when the
// DB has them, so a repository's type assertion finds the same capabilities.
func newRouter(cfg *Config, closed *atomic.Bool) Querier {
	r := router{db: cfg.DB, cfg: cfg, closed: closed}
	switch cfg.DB.(type) {
	case Copier:
		return copyRouter{r}
	case Preparer:
		return prepareRouter{r}
	}
	return r
}

// on returns the querier a statement under ctx runs on.
func (r router) on(ctx context.Context) Querier {
	if r.closed.Load() {
		return closedQuerier{}
	}
	if ts, ok := ctx.Value(txKey{r.cfg}).(*Store); ok {
		return ts.q
	}
	return r.db
}

// errClosed is what every statement of a closed store returns.
var errClosed = &noetl.Error{Kind: noetl.ErrClosed, Msg: "the store is closed"}

// closedQuerier refuses every statement of a closed store, also when the
// backend left the caller's pool or *sql.DB open.
type closedQuerier struct{}

// A closed store's querier has every capability a DB may have, so the
// routers refuse with errClosed rather than errNoCapability.
var (
	_ Copier   = closedQuerier{}
	_ Preparer = closedQuerier{}
)

func (closedQuerier) Exec(context.Context, string, ...any) (int64, error) { return 0, errClosed }

func (closedQuerier) Query(context.Context, string, ...any) (Rows, error) { return nil, errClosed }

func (closedQuerier) QueryRow(context.Context, string, ...any) Row { return errRow{errClosed} }

func (closedQuerier) CopyBinary(context.Context, string, []string, []byte) (int64, error) {
	return 0, errClosed
}

func (closedQuerier) Prepare(context.Context, string) (Stmt, error) { return nil, errClosed }

func (closedQuerier) ExecOnce(context.Context, string, string) (int64, error) { return 0, errClosed }

// errRow is a Row whose Scan returns err.
type errRow struct{ err error }

func (r errRow) Scan(...any) error { return r.err }

func (r router) Exec(ctx context.Context, sql string, args ...any) (int64, error) {
	return r.on(ctx).Exec(ctx, sql, args...)
}

func (r router) Query(ctx context.Context, sql string, args ...any) (Rows, error) {
	return r.on(ctx).Query(ctx, sql, args...)
}

func (r router) QueryRow(ctx context.Context, sql string, args ...any) Row {
	return r.on(ctx).QueryRow(ctx, sql, args...)
}

// errNoCapability is returned when a routed statement's querier lacks the
// capability the DB has; adapters give a DB and its transactions the same.
var errNoCapability = errors.New("sqlstore: the transaction's querier lacks the DB's bulk capability")

type copyRouter struct{ router }

// CopyBinary implements Copier.
func (r copyRouter) CopyBinary(ctx context.Context, table string, columns []string, data []byte) (int64, error) {
	c, ok := r.on(ctx).(Copier)
	if !ok {
		return 0, errNoCapability
	}
	return c.CopyBinary(ctx, table, columns, data)
}

type prepareRouter struct{ router }

// Prepare implements Preparer.
func (r prepareRouter) Prepare(ctx context.Context, sql string) (Stmt, error) {
	p, ok := r.on(ctx).(Preparer)
	if !ok {
		return nil, errNoCapability
	}
	return p.Prepare(ctx, sql)
}

// ExecOnce implements Preparer.
func (r prepareRouter) ExecOnce(ctx context.Context, shape, sql string) (int64, error) {
	p, ok := r.on(ctx).(Preparer)
	if !ok {
		return 0, errNoCapability
	}
	return p.ExecOnce(ctx, shape, sql)
}

var (
	_ Querier  = router{}
	_ Copier   = copyRouter{}
	_ Preparer = prepareRouter{}
)

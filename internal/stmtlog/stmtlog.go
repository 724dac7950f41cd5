// Package stmtlog records the statements a store sends through sqlstore's
// seam, inside transactions too. Tests use it to count statements (a label
// subtree must be one query) and benchmarks to run exactly the SQL and
// arguments the store used on the raw driver beside it.
package stmtlog

import (
	"context"
	"slices"
	"sync"

	"github.com/noetl/noetldb/internal/sqlstore"
)

// Statement is one recorded statement: its text and a copy of its arguments.
type Statement struct {
	SQL  string
	Args []any
}

// Recorder wraps a sqlstore.DB and records every statement sent through it
// or through the transactions it begins. It is safe for concurrent use.
type Recorder struct {
	sqlstore.DB
	mu    sync.Mutex
	stmts []Statement
}

// New returns a Recorder over db.
func New(db sqlstore.DB) *Recorder { return &Recorder{DB: db} }

func (r *Recorder) add(q string, args []any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.stmts = append(r.stmts, Statement{q, slices.Clone(args)})
}

// Take returns the statements recorded since the last Take.
func (r *Recorder) Take() []Statement {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := r.stmts
	r.stmts = nil
	return out
}

// Exec records and runs a statement.
func (r *Recorder) Exec(ctx context.Context, q string, args ...any) (int64, error) {
	r.add(q, args)
	return r.DB.Exec(ctx, q, args...)
}

// Query records and runs a query.
func (r *Recorder) Query(ctx context.Context, q string, args ...any) (sqlstore.Rows, error) {
	r.add(q, args)
	return r.DB.Query(ctx, q, args...)
}

// QueryRow records and runs a single-row query.
func (r *Recorder) QueryRow(ctx context.Context, q string, args ...any) sqlstore.Row {
	r.add(q, args)
	return r.DB.QueryRow(ctx, q, args...)
}

// Begin starts a transaction whose statements are recorded too.
func (r *Recorder) Begin(ctx context.Context) (sqlstore.Tx, error) {
	tx, err := r.DB.Begin(ctx)
	if err != nil {
		return nil, err
	}
	return recTx{Tx: tx, r: r}, nil
}

type recTx struct {
	sqlstore.Tx
	r *Recorder
}

func (t recTx) Exec(ctx context.Context, q string, args ...any) (int64, error) {
	t.r.add(q, args)
	return t.Tx.Exec(ctx, q, args...)
}

func (t recTx) Query(ctx context.Context, q string, args ...any) (sqlstore.Rows, error) {
	t.r.add(q, args)
	return t.Tx.Query(ctx, q, args...)
}

func (t recTx) QueryRow(ctx context.Context, q string, args ...any) sqlstore.Row {
	t.r.add(q, args)
	return t.Tx.QueryRow(ctx, q, args...)
}

package postgres

import (
	"context"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/noetl/noetldb/internal/sqlstore"
)

// pgxQuerier is what the pool and a transaction have in common.
type pgxQuerier interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
	CopyFrom(ctx context.Context, table pgx.Identifier, columns []string, src pgx.CopyFromSource) (int64, error)
}

// conn adapts pgx to sqlstore's seam; pgx prepares and caches statements by
// their text on each connection.
type conn struct {
	q      pgxQuerier
	schema string
}

func (c conn) Exec(ctx context.Context, sql string, args ...any) (int64, error) {
	tag, err := c.q.Exec(ctx, sql, args...)
	if err != nil {
		return 0, err
	}
	return tag.RowsAffected(), nil
}

func (c conn) Query(ctx context.Context, sql string, args ...any) (sqlstore.Rows, error) {
	return c.q.Query(ctx, sql, args...)
}

func (c conn) QueryRow(ctx context.Context, sql string, args ...any) sqlstore.Row {
	return c.q.QueryRow(ctx, sql, args...)
}

// CopyFrom implements sqlstore.Copier with PostgreSQL COPY.
func (c conn) CopyFrom(ctx context.Context, table string, columns []string, rows [][]any) (int64, error) {
	return c.q.CopyFrom(ctx, pgx.Identifier{c.schema, table}, columns, pgx.CopyFromRows(rows))
}

// poolQ runs on the pool and begins transactions.
type poolQ struct {
	q      pgxQuerier
	pool   *pgxpool.Pool
	schema string
}

func (p poolQ) conn() conn { return conn{q: p.q, schema: p.schema} }

func (p poolQ) Exec(ctx context.Context, sql string, args ...any) (int64, error) {
	return p.conn().Exec(ctx, sql, args...)
}

func (p poolQ) Query(ctx context.Context, sql string, args ...any) (sqlstore.Rows, error) {
	return p.conn().Query(ctx, sql, args...)
}

func (p poolQ) QueryRow(ctx context.Context, sql string, args ...any) sqlstore.Row {
	return p.conn().QueryRow(ctx, sql, args...)
}

// CopyFrom implements sqlstore.Copier.
func (p poolQ) CopyFrom(ctx context.Context, table string, columns []string, rows [][]any) (int64, error) {
	return p.conn().CopyFrom(ctx, table, columns, rows)
}

func (p poolQ) Begin(ctx context.Context) (sqlstore.Tx, error) {
	tx, err := p.pool.Begin(ctx)
	if err != nil {
		return nil, err
	}
	return txQ{conn: conn{q: tx, schema: p.schema}, tx: tx}, nil
}

type txQ struct {
	conn
	tx pgx.Tx
}

func (t txQ) Commit(ctx context.Context) error   { return t.tx.Commit(ctx) }
func (t txQ) Rollback(ctx context.Context) error { return t.tx.Rollback(ctx) }

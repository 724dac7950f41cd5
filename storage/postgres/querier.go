package postgres

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

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

// CopyBinary implements sqlstore.Copier: COPY ... FROM STDIN in binary
// format, the data sent as it is on the connection underneath.
func (c conn) CopyBinary(ctx context.Context, table string, columns []string, data []byte) (int64, error) {
	var b strings.Builder
	b.WriteString("COPY " + c.schema + "." + table + " (")
	for i, col := range columns {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(`"` + col + `"`)
	}
	b.WriteString(") FROM STDIN (FORMAT binary)")
	var pc *pgconn.PgConn
	switch q := c.q.(type) {
	case pgx.Tx:
		pc = q.Conn().PgConn()
	case *pgxpool.Pool:
		held, err := q.Acquire(ctx)
		if err != nil {
			return 0, err
		}
		defer held.Release()
		pc = held.Conn().PgConn()
	default:
		return 0, fmt.Errorf("postgres: binary COPY on a %T", c.q)
	}
	tag, err := pc.CopyFrom(ctx, bytes.NewReader(data), b.String())
	return tag.RowsAffected(), err
}

// poolQ runs on the pool and begins transactions. With replicas, the
// queries of a call that tolerates lag run on a replica (see replica.go).
type poolQ struct {
	q        pgxQuerier
	pool     *pgxpool.Pool
	schema   string
	replicas *replicaSet
}

func (p poolQ) conn() conn { return conn{q: p.q, schema: p.schema} }

func (p poolQ) Exec(ctx context.Context, sql string, args ...any) (int64, error) {
	return p.conn().Exec(ctx, sql, args...)
}

func (p poolQ) Query(ctx context.Context, sql string, args ...any) (sqlstore.Rows, error) {
	if r := p.replicas.route(ctx, sql); r != nil {
		return p.replicas.replicaQuery(ctx, r, p.q, sql, args)
	}
	return p.conn().Query(ctx, sql, args...)
}

func (p poolQ) QueryRow(ctx context.Context, sql string, args ...any) sqlstore.Row {
	if r := p.replicas.route(ctx, sql); r != nil {
		return p.replicas.replicaQueryRow(ctx, r, p.q, sql, args)
	}
	return p.conn().QueryRow(ctx, sql, args...)
}

// CopyBinary implements sqlstore.Copier.
func (p poolQ) CopyBinary(ctx context.Context, table string, columns []string, data []byte) (int64, error) {
	return p.conn().CopyBinary(ctx, table, columns, data)
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

// Guarded implements sqlstore.Guarder.
func (t txQ) Guarded() sqlstore.Tx { return guardedTx{t} }

// Statement savepoint: PostgreSQL refuses every statement of a transaction
// after one fails (SQLSTATE 25P02), where SQLite undoes only the failed
// statement. guardedTx runs each statement under a savepoint of its own,
// sent in one pipeline with the statement and its release, so the success
// path costs no extra round trip; a failed statement is rolled back to the
// savepoint and the transaction goes on, as on SQLite.
const (
	stmtSavepoint = "SAVEPOINT noetl_stmt"
	stmtRelease   = "RELEASE SAVEPOINT noetl_stmt"
	stmtUndo      = "ROLLBACK TO SAVEPOINT noetl_stmt; RELEASE SAVEPOINT noetl_stmt"
)

// guardedTx is a transaction whose every statement is guarded by a
// savepoint; the caller's transactions (InTx, FromTx) run on one.
type guardedTx struct{ txQ }

// batch queues sql between the savepoint and its release and sends the
// three in one round trip; the caller reads the statement's result, then
// calls finish.
func (g guardedTx) batch(ctx context.Context, sql string, args []any) pgx.BatchResults {
	b := &pgx.Batch{QueuedQueries: make([]*pgx.QueuedQuery, 0, 3)}
	b.Queue(stmtSavepoint)
	b.Queue(sql, args...)
	b.Queue(stmtRelease)
	br := g.tx.SendBatch(ctx, b)
	return br
}

// finish reads the release and closes br. When the statement failed
// (failed is its error), the transaction is rolled back to the savepoint so
// it stays usable; the statement's error is returned as it is.
func (g guardedTx) finish(ctx context.Context, br pgx.BatchResults, failed error) error {
	if failed == nil {
		_, failed = br.Exec()
		if cerr := br.Close(); failed == nil {
			failed = cerr
		}
		if failed == nil {
			return nil
		}
	} else {
		_ = br.Close()
	}
	if g.tx.Conn().IsClosed() {
		return failed
	}
	c, cancel := context.WithTimeout(context.WithoutCancel(ctx), undoTimeout)
	defer cancel()
	if _, err := g.tx.Exec(c, stmtUndo); err != nil {
		return errors.Join(failed, err)
	}
	return failed
}

func (g guardedTx) Exec(ctx context.Context, sql string, args ...any) (int64, error) {
	br := g.batch(ctx, sql, args)
	if _, err := br.Exec(); err != nil {
		return 0, g.finish(ctx, br, err)
	}
	tag, err := br.Exec()
	if err := g.finish(ctx, br, err); err != nil {
		return 0, err
	}
	return tag.RowsAffected(), nil
}

func (g guardedTx) Query(ctx context.Context, sql string, args ...any) (sqlstore.Rows, error) {
	br := g.batch(ctx, sql, args)
	if _, err := br.Exec(); err != nil {
		return nil, g.finish(ctx, br, err)
	}
	rows, err := br.Query()
	if err != nil {
		rows.Close()
		return nil, g.finish(ctx, br, err)
	}
	return &guardedRows{Rows: rows, g: g, ctx: ctx, br: br}, nil
}

func (g guardedTx) QueryRow(ctx context.Context, sql string, args ...any) sqlstore.Row {
	br := g.batch(ctx, sql, args)
	if _, err := br.Exec(); err != nil {
		return errRow{g.finish(ctx, br, err)}
	}
	return guardedRow{row: br.QueryRow(), g: g, ctx: ctx, br: br}
}

// CopyBinary implements sqlstore.Copier: COPY cannot be pipelined with a
// savepoint, so it pays the two extra round trips (a bulk write amortises
// them).
func (g guardedTx) CopyBinary(ctx context.Context, table string, columns []string, data []byte) (int64, error) {
	if _, err := g.tx.Exec(ctx, stmtSavepoint); err != nil {
		return 0, err
	}
	n, err := g.txQ.CopyBinary(ctx, table, columns, data)
	if err == nil {
		_, err = g.tx.Exec(ctx, stmtRelease)
	}
	if err != nil {
		c, cancel := context.WithTimeout(context.WithoutCancel(ctx), undoTimeout)
		defer cancel()
		if _, uerr := g.tx.Exec(c, stmtUndo); uerr != nil {
			err = errors.Join(err, uerr)
		}
		return 0, err
	}
	return n, nil
}

// undoTimeout bounds the rollback to a statement's savepoint after the
// statement failed, also when the caller's context has ended.
const undoTimeout = 2 * time.Second

// guardedRows finishes the statement's batch when the rows are closed.
type guardedRows struct {
	pgx.Rows
	g    guardedTx
	ctx  context.Context
	br   pgx.BatchResults
	err  error
	done bool
}

func (r *guardedRows) Close() {
	if r.done {
		return
	}
	r.done = true
	r.Rows.Close()
	r.err = r.g.finish(r.ctx, r.br, r.Rows.Err())
}

func (r *guardedRows) Err() error {
	if r.done {
		return r.err
	}
	return r.Rows.Err()
}

// guardedRow finishes the statement's batch when it is scanned.
type guardedRow struct {
	row pgx.Row
	g   guardedTx
	ctx context.Context
	br  pgx.BatchResults
}

func (r guardedRow) Scan(dest ...any) error {
	err := r.row.Scan(dest...)
	failed := err
	if errors.Is(err, pgx.ErrNoRows) {
		failed = nil // no row is not a failed statement
	}
	if ferr := r.g.finish(r.ctx, r.br, failed); ferr != nil {
		return ferr
	}
	return err
}

type errRow struct{ err error }

func (r errRow) Scan(...any) error { return r.err }

var (
	_ sqlstore.Tx      = guardedTx{}
	_ sqlstore.Copier  = guardedTx{}
	_ sqlstore.Guarder = txQ{}
	_ sqlstore.DB      = poolQ{}
	_ sqlstore.Copier  = poolQ{}
)

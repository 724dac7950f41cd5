package sqlstore

import "context"

// Querier runs SQL. The pgx pool, a pgx transaction, a *sql.DB and a *sql.Tx
// each sit behind one through the backends' adapters.
type Querier interface {
	// Exec runs a statement and returns the number of rows it affected.
	Exec(ctx context.Context, sql string, args ...any) (int64, error)
	// Query runs a statement that returns rows.
	Query(ctx context.Context, sql string, args ...any) (Rows, error)
	// QueryRow runs a statement that returns at most one row; its Scan
	// returns an error wrapping sql.ErrNoRows when there is none.
	QueryRow(ctx context.Context, sql string, args ...any) Row
}

// Rows is the cursor of a Query.
type Rows interface {
	// Next advances to the next row; false at the end or on error.
	Next() bool
	// Scan reads the current row's columns into dest.
	Scan(dest ...any) error
	// Err is the error that ended the iteration, if any.
	Err() error
	// Close releases the rows; it is safe to call more than once.
	Close()
}

// Row is the result of a QueryRow.
type Row interface {
	// Scan reads the row's columns into dest.
	Scan(dest ...any) error
}

// DB is a Querier that begins transactions.
type DB interface {
	Querier
	// Begin starts a transaction. On SQLite it takes the write lock up front.
	Begin(ctx context.Context) (Tx, error)
}

// Tx is a transaction.
type Tx interface {
	Querier
	// Commit makes the transaction's writes visible.
	Commit(ctx context.Context) error
	// Rollback discards the transaction's writes.
	Rollback(ctx context.Context) error
}

// Copier is the optional bulk path of a Querier (PostgreSQL COPY). A
// repository uses it when the Querier has it and falls back to prepared
// single-row inserts otherwise.
type Copier interface {
	// CopyBinary writes rows already in PostgreSQL's binary COPY format
	// (package pgcopy) into table's columns and returns how many it wrote.
	// table is the bare table name; the adapter qualifies it.
	CopyBinary(ctx context.Context, table string, columns []string, data []byte) (int64, error)
}

// Preparer is the optional control over preparing of a Querier
// (database/sql on SQLite, where a statement run without preparing is
// parsed again on every call, and a Querier's Exec prepares and caches each
// text it meets):
//
//   - Prepare, for a statement a repository runs many times in a row, such
//     as a message batch's multi-row insert. Measured with a 10,000-event
//     batch on a SQLite file: ~40,000 events/s unprepared inside the
//     transaction, ~110,000 prepared (64 rows per statement).
//   - ExecOnce, for a statement run once whose text carries its values as
//     literals (package sqlitelit), such as an event batch's inserts:
//     preparing or caching a text never seen again costs without return.
type Preparer interface {
	// Prepare prepares sql on the querier's connection (the transaction's,
	// inside one).
	Prepare(ctx context.Context, sql string) (Stmt, error)
	// ExecOnce runs sql once, neither prepared nor cached, and returns the
	// rows it affected. sql carries its values, so it is never reported or
	// logged: trace hooks see shape, the statement with its values elided.
	ExecOnce(ctx context.Context, shape, sql string) (int64, error)
}

// Stmt is a statement prepared by a Preparer. Close it when done.
type Stmt interface {
	// Exec runs the statement with args.
	Exec(ctx context.Context, args ...any) error
	// Close releases the statement.
	Close() error
}

// Guarder is the optional capability of a Tx on an engine that refuses every
// statement of a transaction after one has failed (PostgreSQL): Guarded
// returns a view of the transaction that runs each statement under a
// savepoint of its own, so a refused statement undoes only itself and the
// transaction goes on, as on SQLite. The stores of a caller's transaction
// (InTx, FromTx) run on it; a transaction a single repository call opens for
// itself does not need it.
type Guarder interface {
	// Guarded returns the guarded view of the transaction; committing and
	// rolling back stay with the transaction itself.
	Guarded() Tx
}

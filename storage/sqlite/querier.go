package sqlite

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/noetl/noetldb/internal/sqlstore"
	"github.com/noetl/noetldb/snowflake"
)

// maxCachedStmts bounds each prepared-statement cache; statements past it run
// unprepared. Fixed statement shapes number in the tens.
const maxCachedStmts = 512

// cleanupTimeout bounds a ROLLBACK run after the caller's context ended.
// SQLite rolls back locally without waiting for any lock, so it is short.
const cleanupTimeout = 2 * time.Second

// querier adapts database/sql to sqlstore's seam. A store has two sides:
//
//   - readers run on the pool (db), through prepared statements cached by
//     their text (preparing costs more than running a small statement);
//   - writers run one at a time on the write connection (w), behind the
//     store's write lock (gate): every transaction, from BEGIN IMMEDIATE to
//     COMMIT or ROLLBACK, and every write statement outside one.
//
// The querier of a caller's transaction (FromTx) has neither: its
// statements run on that transaction, prepared on it.
type querier struct {
	db    *sql.DB // the read pool; nil for a caller's transaction
	mu    sync.Mutex
	stmts map[string]*sql.Stmt // prepared on db, or on the caller's transaction

	gate *gate
	w    *writer
	// readsOnWriter sends reads through the write lock to the write
	// connection: the pool has a single connection, which the writer holds.
	readsOnWriter bool
	// commitWaits is set when a COMMIT may wait for another process's
	// readers (a rollback-journal file); otherwise (WAL, or an in-memory
	// database, whose readers in this process the gate keeps out) COMMIT
	// never waits for a lock.
	commitWaits bool
}

// newQuerier returns a querier over the pool db, with no writer yet (see
// openWriter); newQuerier(nil) is the querier of a caller's transaction.
func newQuerier(db *sql.DB) *querier {
	return &querier{db: db, stmts: map[string]*sql.Stmt{}}
}

// openWriter pins the write connection and picks how readers and writers
// share the database: with WAL, readers never wait for the writer; without
// it (the in-memory database, a rollback-journal file) they take the
// shared side of the gate, as SQLite's own locks would make them wait.
func (q *querier) openWriter(ctx context.Context) error {
	q.readsOnWriter = q.db.Stats().MaxOpenConnections == 1
	q.w = &writer{db: q.db, stmts: map[string]*sql.Stmt{}}
	c, err := q.w.connection(ctx)
	if err != nil {
		return err
	}
	var mode string
	if err := c.QueryRowContext(ctx, "PRAGMA journal_mode").Scan(&mode); err != nil {
		q.w.close()
		return fmt.Errorf("sqlite: read journal_mode: %w", err)
	}
	var seq int
	var name, file string
	if err := c.QueryRowContext(ctx, "SELECT seq, name, file FROM pragma_database_list WHERE name = 'main'").Scan(&seq, &name, &file); err != nil {
		q.w.close()
		return fmt.Errorf("sqlite: read database_list: %w", err)
	}
	wal := strings.EqualFold(mode, "wal")
	q.commitWaits = !wal && file != ""
	q.gate = newGate(!wal && !q.readsOnWriter)
	if wal {
		var ms int64
		if err := c.QueryRowContext(ctx, "PRAGMA busy_timeout").Scan(&ms); err != nil {
			q.w.close()
			return fmt.Errorf("sqlite: read busy_timeout: %w", err)
		}
		q.w.budget = time.Duration(ms) * time.Millisecond
		q.w.poll = true
		if _, err := c.ExecContext(ctx, "PRAGMA busy_timeout = 0"); err != nil {
			q.w.close()
			return fmt.Errorf("sqlite: set busy_timeout: %w", err)
		}
	}
	return nil
}

// stmt returns the pool's prepared statement for query, or nil when the
// cache is full.
func (q *querier) stmt(ctx context.Context, query string) (*sql.Stmt, error) {
	q.mu.Lock()
	st, ok := q.stmts[query]
	full := len(q.stmts) >= maxCachedStmts
	q.mu.Unlock()
	if ok || full {
		return st, nil
	}
	st, err := q.db.PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	if old, ok := q.stmts[query]; ok {
		st.Close()
		return old, nil
	}
	q.stmts[query] = st
	return st, nil
}

// close closes the statements and the write connection. Writers still
// running are waited for.
func (q *querier) close() error {
	q.mu.Lock()
	var err error
	for k, st := range q.stmts {
		err = errors.Join(err, st.Close())
		delete(q.stmts, k)
	}
	q.mu.Unlock()
	if q.w != nil {
		if lerr := q.gate.lock(context.Background()); lerr == nil {
			err = errors.Join(err, q.w.close())
			q.w.closed = true // a late writer gets sql.ErrConnDone, not a new connection
			q.gate.unlock()
		}
	}
	return err
}

// lockWrite takes the write lock for a write outside a transaction.
func (q *querier) lockWrite(ctx context.Context) error {
	if err := q.gate.lock(ctx); err != nil {
		return fmt.Errorf("sqlite: wait for the write lock: %w", err)
	}
	return nil
}

// isRead reports whether query only reads: a SELECT, or a WITH that has no
// INSERT, UPDATE, DELETE or REPLACE. Anything else takes the writer's path.
func isRead(query string) bool {
	s := strings.TrimLeft(query, " \t\r\n(")
	if len(s) < 6 {
		return false
	}
	switch {
	case strings.EqualFold(s[:6], "SELECT"):
		return true
	case strings.EqualFold(s[:4], "WITH"):
		u := strings.ToUpper(s)
		for _, w := range []string{"INSERT", "UPDATE", "DELETE", "REPLACE"} {
			if strings.Contains(u, w) {
				return false
			}
		}
		return true
	}
	return false
}

// native rewrites, in place, the arguments database/sql would convert by
// reflection or through driver.Valuer (modernc's driver has no
// NamedValueChecker) into the values it binds as they are: ids and other
// integers as int64, optional values as their value or nil. A value that
// is already native costs one type switch; any other is left to
// database/sql.
func native(args []any) {
	for i, a := range args {
		switch v := a.(type) {
		case nil, int64, string, float64, bool, []byte, time.Time:
		case snowflake.ID:
			args[i] = int64(v)
		case int:
			args[i] = int64(v)
		case int32:
			args[i] = int64(v)
		case *snowflake.ID:
			args[i] = nil
			if v != nil {
				args[i] = int64(*v)
			}
		case *string:
			args[i] = nil
			if v != nil {
				args[i] = *v
			}
		case *int64:
			args[i] = nil
			if v != nil {
				args[i] = *v
			}
		case *int:
			args[i] = nil
			if v != nil {
				args[i] = int64(*v)
			}
		case *float64:
			args[i] = nil
			if v != nil {
				args[i] = *v
			}
		}
	}
}

// withCtx makes err wrap ctx's error when ctx ended while the statement ran
// (SQLite reports an interrupted statement with its own code).
func withCtx(ctx context.Context, err error) error {
	if err == nil {
		return nil
	}
	if cerr := ctx.Err(); cerr != nil && !errors.Is(err, cerr) {
		return fmt.Errorf("%w: %w", cerr, err)
	}
	return err
}

// writer is the write connection with its own prepared statements. Only the
// holder of the write lock touches it.
//
// With WAL, the write connection has no busy handler: a statement refused
// because another process holds the database's write lock is retried here,
// after a short randomised pause (50 µs doubling to 1 ms), for as long as
// the busy timeout the database was opened with. SQLite's own handler
// sleeps up to 100 ms between attempts, so a process whose writers follow
// each other back to back (as this lock makes them) leaves another
// process's writer only the rare attempt that lands between two of its
// transactions: measured with two processes of 8 writers each on one
// file for 5 s, the second made 6% of the calls and waited up to 3.4 s;
// retrying here, over 60 s, each made half (117 and 121 calls/s, none
// failed, longest wait 1.5 s, on 2 cores under a load of 8). Only BEGIN
// IMMEDIATE and write statements outside a transaction are retried; once a
// transaction holds the write lock nothing else waits for it.
type writer struct {
	db    *sql.DB
	conn  *sql.Conn // nil until needed again after a broken connection
	stmts map[string]*sql.Stmt
	gen   uint64 // counts connections, so a transaction notices it lost its own

	poll   bool          // retry statements refused as busy (WAL)
	budget time.Duration // how long to retry: the busy timeout
	closed bool          // the store closed
}

// isBusy reports whether err is SQLITE_BUSY (any extended code).
func isBusy(err error) bool {
	var coded interface{ Code() int }
	return err != nil && errors.As(err, &coded) && coded.Code()&0xff == 5
}

// retry runs op again while another process holds the write lock (see
// writer), giving up with ctx.
func (w *writer) retry(ctx context.Context, op func() error) error {
	err := op()
	if !w.poll || !isBusy(err) {
		return err
	}
	deadline := time.Now().Add(w.budget)
	pause := 50 * time.Microsecond
	for isBusy(err) && time.Now().Before(deadline) {
		t := time.NewTimer(pause/2 + rand.N(pause))
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return withCtx(ctx, err)
		}
		pause = min(2*pause, time.Millisecond)
		err = op()
	}
	return err
}

func (w *writer) connection(ctx context.Context) (*sql.Conn, error) {
	if w.conn != nil {
		return w.conn, nil
	}
	if w.closed {
		return nil, sql.ErrConnDone
	}
	c, err := w.db.Conn(ctx)
	if err != nil {
		return nil, fmt.Errorf("sqlite: open the write connection: %w", err)
	}
	if w.poll {
		if _, err := c.ExecContext(ctx, "PRAGMA busy_timeout = 0"); err != nil {
			c.Close()
			return nil, fmt.Errorf("sqlite: open the write connection: %w", err)
		}
	}
	w.conn = c
	w.gen++
	return c, nil
}

// close closes the write connection and its statements.
func (w *writer) close() error {
	var err error
	for k, st := range w.stmts {
		err = errors.Join(err, st.Close())
		delete(w.stmts, k)
	}
	if w.conn != nil {
		err = errors.Join(err, w.conn.Close())
		w.conn = nil
	}
	return err
}

// discard drops the write connection, which may be left inside a
// transaction, so it never returns to the pool; the next writer opens
// another.
func (w *writer) discard() {
	if w.conn != nil {
		_ = w.conn.Raw(func(any) error { return driver.ErrBadConn })
	}
	_ = w.close()
}

// check drops the connection when database/sql reports it unusable.
func (w *writer) check(err error) error {
	if errors.Is(err, driver.ErrBadConn) || errors.Is(err, sql.ErrConnDone) {
		w.discard()
	}
	return err
}

// prepared returns the write connection's statement for query, or nil when
// the cache is full.
func (w *writer) prepared(ctx context.Context, query string) (*sql.Stmt, *sql.Conn, error) {
	c, err := w.connection(ctx)
	if err != nil {
		return nil, nil, err
	}
	if st, ok := w.stmts[query]; ok {
		return st, c, nil
	}
	if len(w.stmts) >= maxCachedStmts {
		return nil, c, nil
	}
	st, err := c.PrepareContext(ctx, query)
	if err != nil {
		return nil, nil, w.check(err)
	}
	w.stmts[query] = st
	return st, c, nil
}

func (w *writer) exec(ctx context.Context, query string, args ...any) (int64, error) {
	native(args)
	st, c, err := w.prepared(ctx, query)
	if err != nil {
		return 0, withCtx(ctx, err)
	}
	var res sql.Result
	if st != nil {
		res, err = st.ExecContext(ctx, args...)
	} else {
		res, err = c.ExecContext(ctx, query, args...)
	}
	if err != nil {
		return 0, withCtx(ctx, w.check(err))
	}
	return res.RowsAffected()
}

// execOnce runs query, which has no parameters, unprepared: it is never
// cached.
func (w *writer) execOnce(ctx context.Context, query string) (int64, error) {
	c, err := w.connection(ctx)
	if err != nil {
		return 0, withCtx(ctx, err)
	}
	res, err := c.ExecContext(ctx, query)
	if err != nil {
		return 0, withCtx(ctx, w.check(err))
	}
	return res.RowsAffected()
}

func (w *writer) query(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	native(args)
	st, c, err := w.prepared(ctx, query)
	if err != nil {
		return nil, withCtx(ctx, err)
	}
	var rs *sql.Rows
	if st != nil {
		rs, err = st.QueryContext(ctx, args...)
	} else {
		rs, err = c.QueryContext(ctx, query, args...)
	}
	if err != nil {
		return nil, withCtx(ctx, w.check(err))
	}
	return rs, nil
}

func (w *writer) queryRow(ctx context.Context, query string, args ...any) sqlstore.Row {
	native(args)
	st, c, err := w.prepared(ctx, query)
	if err != nil {
		return errRow{withCtx(ctx, err)}
	}
	if st != nil {
		return ctxRow{st.QueryRowContext(ctx, args...), ctx}
	}
	return ctxRow{c.QueryRowContext(ctx, query, args...), ctx}
}

// rollback ends the write connection's transaction, if any. It runs without
// the caller's context, which may have ended: SQLite rolls back locally
// without waiting for a lock. A connection that cannot roll back is
// discarded rather than handed to the next writer inside a transaction.
func (w *writer) rollback() {
	ctx, cancel := context.WithTimeout(context.Background(), cleanupTimeout)
	defer cancel()
	_, err := w.exec(ctx, "ROLLBACK")
	if err != nil && !strings.Contains(err.Error(), "no transaction is active") {
		w.discard()
	}
}

// rows is a cursor that releases what it holds (the write lock, the shared
// side of the gate) when closed.
type rows struct {
	*sql.Rows
	release func()
	once    sync.Once
}

func (r *rows) Close() {
	_ = r.Rows.Close()
	if r.release != nil {
		r.once.Do(r.release)
	}
}

type errRow struct{ err error }

func (r errRow) Scan(...any) error { return r.err }

// ctxRow makes a Scan error wrap the context's error when it ended.
type ctxRow struct {
	row *sql.Row
	ctx context.Context
}

func (r ctxRow) Scan(dest ...any) error { return withCtx(r.ctx, r.row.Scan(dest...)) }

// releasingRow releases what it holds once scanned.
type releasingRow struct {
	row     sqlstore.Row
	release func()
}

func (r releasingRow) Scan(dest ...any) error {
	defer r.release()
	return r.row.Scan(dest...)
}

// conn runs on the store's two sides (tx nil) or, when tx is set, inside a
// caller's transaction (FromTx).
type conn struct {
	q  *querier
	tx *sql.Tx
}

// txStmt returns the caller's transaction's prepared statement for query,
// or nil when the cache is full. These statements end with the transaction.
func (c conn) txStmt(ctx context.Context, query string) (*sql.Stmt, error) {
	c.q.mu.Lock()
	st, ok := c.q.stmts[query]
	full := len(c.q.stmts) >= maxCachedStmts
	c.q.mu.Unlock()
	if ok || full {
		return st, nil
	}
	st, err := c.tx.PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	c.q.mu.Lock()
	c.q.stmts[query] = st
	c.q.mu.Unlock()
	return st, nil
}

// read reports whether query runs on the read pool, taking the shared side
// of the gate when the database needs it; release undoes that.
func (c conn) read(ctx context.Context, query string) (ok bool, release func(), err error) {
	q := c.q
	if q.readsOnWriter || !isRead(query) {
		return false, nil, nil
	}
	if !q.gate.shared {
		return true, func() {}, nil
	}
	if err := q.gate.rlock(ctx); err != nil {
		return false, nil, fmt.Errorf("sqlite: wait for the writer to finish: %w", err)
	}
	return true, q.gate.runlock, nil
}

func (c conn) Exec(ctx context.Context, query string, args ...any) (int64, error) {
	if c.tx != nil {
		native(args)
		st, err := c.txStmt(ctx, query)
		if err != nil {
			return 0, err
		}
		var res sql.Result
		if st != nil {
			res, err = st.ExecContext(ctx, args...)
		} else {
			res, err = c.tx.ExecContext(ctx, query, args...)
		}
		if err != nil {
			return 0, err
		}
		return res.RowsAffected()
	}
	return c.write(ctx, func() (int64, error) { return c.q.w.exec(ctx, query, args...) })
}

// write runs exec on the write connection under the write lock, retrying
// it while another process holds SQLite's, and returns the rows it
// changed.
func (c conn) write(ctx context.Context, exec func() (int64, error)) (int64, error) {
	if err := c.q.lockWrite(ctx); err != nil {
		return 0, err
	}
	defer c.q.gate.unlock()
	var n int64
	err := c.q.w.retry(ctx, func() (err error) {
		n, err = exec()
		return err
	})
	return n, err
}

func (c conn) Query(ctx context.Context, query string, args ...any) (sqlstore.Rows, error) {
	native(args)
	if c.tx != nil {
		st, err := c.txStmt(ctx, query)
		if err != nil {
			return nil, err
		}
		var rs *sql.Rows
		if st != nil {
			rs, err = st.QueryContext(ctx, args...)
		} else {
			rs, err = c.tx.QueryContext(ctx, query, args...)
		}
		if err != nil {
			return nil, err
		}
		return &rows{Rows: rs}, nil
	}
	ok, release, err := c.read(ctx, query)
	if err != nil {
		return nil, err
	}
	if ok {
		st, err := c.q.stmt(ctx, query)
		var rs *sql.Rows
		if err == nil {
			if st != nil {
				rs, err = st.QueryContext(ctx, args...)
			} else {
				rs, err = c.q.db.QueryContext(ctx, query, args...)
			}
		}
		if err != nil {
			release()
			return nil, withCtx(ctx, err)
		}
		return &rows{Rows: rs, release: release}, nil
	}
	if err := c.q.lockWrite(ctx); err != nil {
		return nil, err
	}
	rs, err := c.q.w.query(ctx, query, args...)
	if err != nil {
		c.q.gate.unlock()
		return nil, err
	}
	return &rows{Rows: rs, release: c.q.gate.unlock}, nil
}

func (c conn) QueryRow(ctx context.Context, query string, args ...any) sqlstore.Row {
	native(args)
	if c.tx != nil {
		st, err := c.txStmt(ctx, query)
		switch {
		case err != nil:
			return errRow{err}
		case st != nil:
			return st.QueryRowContext(ctx, args...)
		}
		return c.tx.QueryRowContext(ctx, query, args...)
	}
	ok, release, err := c.read(ctx, query)
	if err != nil {
		return errRow{err}
	}
	if ok {
		st, err := c.q.stmt(ctx, query)
		if err != nil {
			release()
			return errRow{withCtx(ctx, err)}
		}
		var row *sql.Row
		if st != nil {
			row = st.QueryRowContext(ctx, args...)
		} else {
			row = c.q.db.QueryRowContext(ctx, query, args...)
		}
		if !c.q.gate.shared {
			return row // nothing to release: spare the wrapper's allocation
		}
		return releasingRow{ctxRow{row, ctx}, release}
	}
	if err := c.q.lockWrite(ctx); err != nil {
		return errRow{err}
	}
	return writeRow{c.q, ctx, query, args}
}

// writeRow runs a write statement returning a row outside a transaction
// when scanned (retrying it while another process holds the write lock),
// then releases the write lock.
type writeRow struct {
	q     *querier
	ctx   context.Context
	query string
	args  []any
}

func (r writeRow) Scan(dest ...any) error {
	defer r.q.gate.unlock()
	return r.q.w.retry(r.ctx, func() error { return r.q.w.queryRow(r.ctx, r.query, r.args...).Scan(dest...) })
}

// Prepare implements sqlstore.Preparer: inside a caller's transaction the
// statement is prepared on it; on the store it runs each time through Exec
// (the write connection's cache).
func (c conn) Prepare(ctx context.Context, query string) (sqlstore.Stmt, error) {
	if c.tx != nil {
		st, err := c.tx.PrepareContext(ctx, query)
		if err != nil {
			return nil, err
		}
		return stmt{st}, nil
	}
	return execStmt{c, query}, nil
}

// ExecOnce implements sqlstore.Preparer: sql runs unprepared, inside a
// caller's transaction on it, on the store under the write lock.
func (c conn) ExecOnce(ctx context.Context, _, query string) (int64, error) {
	if c.tx != nil {
		res, err := c.tx.ExecContext(ctx, query)
		if err != nil {
			return 0, err
		}
		return res.RowsAffected()
	}
	return c.write(ctx, func() (int64, error) { return c.q.w.execOnce(ctx, query) })
}

// pool is the store's side outside a transaction: a conn that can begin one.
type pool struct{ conn }

// Begin takes the write lock (waiting in line, giving up with ctx) and
// begins an immediate transaction on the write connection. The lock is held
// until Commit or Rollback.
func (d pool) Begin(ctx context.Context) (sqlstore.Tx, error) {
	q := d.q
	if err := q.lockWrite(ctx); err != nil {
		return nil, err
	}
	if err := q.w.retry(ctx, func() error { _, err := q.w.exec(ctx, "BEGIN IMMEDIATE"); return err }); err != nil {
		// A BEGIN reported failed once ctx ended may have taken effect.
		q.w.rollback()
		q.gate.unlock()
		return nil, err
	}
	return &writeTx{q: q, gen: q.w.gen}, nil
}

// writeTx is a transaction of the store on its write connection. It holds
// the write lock from Begin to Commit or Rollback. It watches its context
// itself rather than through database/sql's Tx, so a deadline at COMMIT
// returns that deadline's error, and a statement interrupted by its
// context (which makes SQLite roll back the whole transaction) fails every
// later statement and the COMMIT, instead of letting them run outside any
// transaction.
type writeTx struct {
	q      *querier
	gen    uint64
	ended  atomic.Bool
	broken error
}

var (
	errTxEnded = fmt.Errorf("sqlite: %w", sql.ErrTxDone)
	errTxLost  = fmt.Errorf("sqlite: the transaction's connection was lost, so was the transaction: %w", driver.ErrBadConn)
)

// usable returns why no statement may run in t, or nil.
func (t *writeTx) usable() error {
	switch {
	case t.ended.Load():
		return errTxEnded
	case t.broken != nil:
		return t.broken
	case t.gen != t.q.w.gen || t.q.w.conn == nil:
		return errTxLost
	}
	return nil
}

// after records a failure that ended the SQLite transaction: an interrupt
// (the context ended), or an I/O, disk-full or out-of-memory error.
func (t *writeTx) after(ctx context.Context, err error) error {
	if err == nil {
		return nil
	}
	var coded interface{ Code() int }
	fatal := ctx.Err() != nil || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)
	if !fatal && errors.As(err, &coded) {
		switch coded.Code() & 0xff {
		case 7, 9, 10, 13: // SQLITE_NOMEM, SQLITE_INTERRUPT, SQLITE_IOERR, SQLITE_FULL
			fatal = true
		}
	}
	if fatal && t.broken == nil {
		t.broken = fmt.Errorf("sqlite: the transaction was rolled back after: %w", err)
	}
	return err
}

func (t *writeTx) Exec(ctx context.Context, query string, args ...any) (int64, error) {
	if err := t.usable(); err != nil {
		return 0, err
	}
	n, err := t.q.w.exec(ctx, query, args...)
	return n, t.after(ctx, err)
}

func (t *writeTx) Query(ctx context.Context, query string, args ...any) (sqlstore.Rows, error) {
	if err := t.usable(); err != nil {
		return nil, err
	}
	rs, err := t.q.w.query(ctx, query, args...)
	if err != nil {
		return nil, t.after(ctx, err)
	}
	return &rows{Rows: rs}, nil
}

func (t *writeTx) QueryRow(ctx context.Context, query string, args ...any) sqlstore.Row {
	if err := t.usable(); err != nil {
		return errRow{err}
	}
	return txRow{t.q.w.queryRow(ctx, query, args...), t, ctx}
}

// txRow records a failure of its Scan that ended the transaction.
type txRow struct {
	row sqlstore.Row
	t   *writeTx
	ctx context.Context
}

func (r txRow) Scan(dest ...any) error {
	err := r.row.Scan(dest...)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return r.t.after(r.ctx, err)
	}
	return err
}

// Prepare implements sqlstore.Preparer: the statement runs through the
// write connection's cache.
func (t *writeTx) Prepare(_ context.Context, query string) (sqlstore.Stmt, error) {
	return execStmt{t, query}, nil
}

// ExecOnce implements sqlstore.Preparer on the write connection, unprepared.
func (t *writeTx) ExecOnce(ctx context.Context, _, query string) (int64, error) {
	if err := t.usable(); err != nil {
		return 0, err
	}
	n, err := t.q.w.execOnce(ctx, query)
	return n, t.after(ctx, err)
}

// Commit commits unless ctx has ended (then it rolls back and returns ctx's
// error). A COMMIT that fails, or that ctx interrupts, is followed by a
// ROLLBACK, and its error wraps ctx's when ctx ended.
func (t *writeTx) Commit(ctx context.Context) error {
	if err := t.usable(); err != nil {
		t.end()
		return err
	}
	if err := ctx.Err(); err != nil {
		t.end()
		return err
	}
	// A COMMIT that cannot wait for a lock runs to its end, so its outcome
	// is known: an error means it did not commit. One that can wait (for
	// another process) gives up with ctx; when ctx ends just as it
	// completes, it may report ctx's error having committed.
	cctx := ctx
	if !t.q.commitWaits {
		cctx = context.WithoutCancel(ctx)
	}
	if _, err := t.q.w.exec(cctx, "COMMIT"); err != nil {
		t.end() // a COMMIT that failed (busy, interrupted) leaves the transaction open
		return err
	}
	t.ended.Store(true)
	t.q.gate.unlock()
	return nil
}

// Rollback rolls back, whatever ctx: the ROLLBACK must run for the write
// connection to serve the next writer.
func (t *writeTx) Rollback(context.Context) error {
	if t.ended.Load() {
		return errTxEnded
	}
	t.end()
	return nil
}

// end rolls back (a no-op after a COMMIT) and releases the write lock, once.
func (t *writeTx) end() {
	if t.ended.Swap(true) {
		return
	}
	if t.gen == t.q.w.gen && t.q.w.conn != nil {
		t.q.w.rollback()
	}
	t.q.gate.unlock()
}

// execStmt is a Stmt that runs its query through a Querier's Exec (whose
// statements are prepared and cached).
type execStmt struct {
	q     sqlstore.Querier
	query string
}

func (s execStmt) Exec(ctx context.Context, args ...any) error {
	_, err := s.q.Exec(ctx, s.query, args...)
	return err
}

func (s execStmt) Close() error { return nil }

// txConn is a caller's transaction (FromTx); the store never ends it, but
// Commit and Rollback complete the sqlstore.Tx it is handed as.
type txConn struct{ conn }

func (t txConn) Commit(context.Context) error   { return t.tx.Commit() }
func (t txConn) Rollback(context.Context) error { return t.tx.Rollback() }

// stmt is a statement prepared on a caller's transaction.
type stmt struct{ st *sql.Stmt }

func (s stmt) Exec(ctx context.Context, args ...any) error {
	native(args)
	_, err := s.st.ExecContext(ctx, args...)
	return err
}

func (s stmt) Close() error { return s.st.Close() }

// Every side of the store has both ways of running a batch's statements.
var (
	_ sqlstore.Preparer = pool{}
	_ sqlstore.Preparer = (*writeTx)(nil)
	_ sqlstore.Preparer = txConn{}
)

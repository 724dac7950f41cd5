// Package sqlite is the SQLite backend of noetldb, on the pure-Go
// modernc.org/sqlite driver (no cgo). It is the embedded default: a file for
// single-node services and command-line tools, and an in-memory database for
// tests.
//
// Every connection runs with foreign keys on and a busy timeout; a file
// database uses WAL. An in-memory store is one database shared by every
// pooled connection, private to the store, and gone when the store closes.
//
// Writers in one process wait for each other instead of failing: a store
// runs every transaction (BEGIN IMMEDIATE to COMMIT) and every write
// statement outside one on a single write connection behind a lock, taken
// first come, first served, and given up with the caller's context (the
// error wraps the context's). Readers run on a pool of their own and, with
// WAL, never wait for the writer; without WAL (the in-memory database, a
// file in rollback-journal mode) they wait for a write transaction to end,
// as SQLite would make them, and a writer waits for the readers already
// running. The busy timeout only matters against other processes: the
// write connection retries a statement refused because another process
// writes, every 50 µs to 1 ms, for as long as the busy timeout. Two
// processes writing one file share it; each should use its own id shard.
//
// A transaction watches its own context: a deadline that ends before or
// during COMMIT returns an error wrapping the deadline's, and (with WAL or
// in memory, where COMMIT never waits for a lock and so always runs to its
// end) such an error means nothing was committed.
//
// Times are stored as INTEGER microseconds since the Unix epoch (UTC) and
// JSON as TEXT checked by json_valid, per the schema package's mapping.
package sqlite

import (
	"context"
	"crypto/rand"
	"database/sql"
	"database/sql/driver"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"strings"

	_ "modernc.org/sqlite" // registers the "sqlite" database/sql driver

	"github.com/noetl/noetldb/internal/config"
	"github.com/noetl/noetldb/internal/observe"
	"github.com/noetl/noetldb/internal/sqlstore"
	"github.com/noetl/noetldb/noetl"
	"github.com/noetl/noetldb/schema"
)

// Memory is the DSN of a private in-memory database.
const Memory = ":memory:"

// pragmas every connection noetldb opens gets, through modernc's DSN.
var pragmas = []string{"busy_timeout(10000)", "foreign_keys(1)"}

// DSN returns the modernc DSN noetldb uses for path: a file path, a "file:"
// URI, or ":memory:" (a fresh private in-memory database). It adds the
// pragmas and the immediate transaction lock, keeping any query parameters
// already in a URI.
func DSN(path string) (string, error) {
	memory := path == Memory || path == ""
	var u *url.URL
	switch {
	case memory:
		var b [12]byte
		_, _ = rand.Read(b[:])
		u = &url.URL{Scheme: "file", Path: "/noetl-" + hex.EncodeToString(b[:])}
		u.RawQuery = "vfs=memdb"
	case strings.HasPrefix(path, "file:"):
		var err error
		if u, err = url.Parse(path); err != nil {
			return "", fmt.Errorf("sqlite: DSN %q: %w", path, err)
		}
		if u.Opaque != "" { // file:relative/path
			u.Path, u.Opaque = u.Opaque, ""
		}
	default:
		u = &url.URL{Scheme: "file", Path: path}
	}
	q := u.Query()
	for _, p := range pragmas {
		q.Add("_pragma", p)
	}
	if !memory && q.Get("mode") != "memory" && q.Get("vfs") != "memdb" {
		q.Add("_pragma", "journal_mode(WAL)")
		q.Add("_pragma", "synchronous(NORMAL)")
	}
	q.Set("_txlock", "immediate")
	u.RawQuery = q.Encode()
	s := u.String()
	if !strings.HasPrefix(s, "file://") {
		return s, nil
	}
	// url renders an absolute path as file:///p; modernc wants file:/p.
	return "file:" + strings.TrimPrefix(s, "file://"), nil
}

// Open opens (and, unless WithoutMigrate is given, migrates) a SQLite
// database and returns it as a noetl.Store. path is a file path, a "file:"
// URI or ":memory:". With WithDB the caller's *sql.DB is used instead and
// path is ignored; that database must have been opened with foreign_keys(1)
// (see DSN). The store keeps one of its connections as its write connection
// until Close; a *sql.DB limited to one connection makes the store run its
// reads on that connection too, behind the write lock. Statements the
// caller runs on the *sql.DB itself do not take the store's lock: to SQLite
// they are another writer, waited for with the busy timeout. Without
// WithShard or WithGenerator the store leases a free id shard of the
// database for its life (see package snowflake); Open fails with
// noetl.ErrConflict when every shard is leased.
func Open(ctx context.Context, path string, opts ...Option) (noetl.Store, error) {
	s, err := open(ctx, path, opts...)
	return s, sqlstore.Sentinel(err, classify)
}

func open(ctx context.Context, path string, opts ...Option) (noetl.Store, error) {
	o := config.Apply(opts)
	if err := o.Check(backend, "sqlite.Open"); err != nil {
		return nil, err
	}
	ids, err := o.Generator()
	if err != nil {
		return nil, fmt.Errorf("sqlite: %w", err)
	}
	db, owned := o.DB, false
	var keep *sql.Conn
	if db == nil {
		dsn, err := DSN(path)
		if err != nil {
			return nil, err
		}
		if db, err = sql.Open("sqlite", dsn); err != nil {
			return nil, noetl.NewError(noetl.ErrInvalid, "sqlite: open %q: %v", path, err)
		}
		owned = true
		db.SetMaxOpenConns(16)
		db.SetMaxIdleConns(16)
		db.SetConnMaxIdleTime(0)
		// An in-memory database lives as long as one connection to it.
		if keep, err = db.Conn(ctx); err != nil {
			db.Close()
			return nil, openErr(path, err)
		}
	}
	q := newQuerier(db)
	watch := newVersionWatch(q)
	var release func() error
	closeAll := func() error {
		watch.close()
		var err error
		if release != nil {
			err = release()
		}
		err = errors.Join(err, q.close())
		if keep != nil {
			err = errors.Join(err, keep.Close())
		}
		if owned {
			err = errors.Join(err, db.Close())
		}
		return err
	}
	if err := checkPragmas(ctx, db); err != nil {
		closeAll()
		return nil, err
	}
	if !o.NoMigrate {
		if err := Migrate(ctx, db); err != nil {
			closeAll()
			return nil, err
		}
	}
	var l *lease
	if ids == nil {
		if ids, l, err = leaseShard(ctx, db, &o); err != nil {
			closeAll()
			return nil, err
		}
		release = l.release
	}
	if err := q.openWriter(ctx); err != nil {
		closeAll()
		return nil, err
	}
	p := pool{conn{q: q}}
	if l != nil {
		l.start(p.Exec) // renewals queue with the store's writers
	}
	st, err := sqlstore.New(sqlstore.Config{
		Dialect:      newDialect(),
		DB:           observe.DB(p, o.TraceHook()),
		IDs:          ids,
		Now:          o.Now,
		PasswordCost: o.PasswordCost,
		Keyring:      o.Keyring,
		Close:        closeAll,
		Hub:          watch.hub,
	})
	if err != nil {
		closeAll()
		return nil, err
	}
	return observe.Store(st, o.TraceHook()), nil
}

// openErr wraps a failure to open path in its sentinel.
func openErr(path string, err error) error {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("sqlite: open %q: %w", path, err)
	}
	return &noetl.Error{Kind: classifyOr(err, noetl.ErrStorage), Msg: fmt.Sprintf("sqlite: open %q: %v", path, err), Cause: err}
}

// FromTx returns a Store whose every repository runs in tx, a transaction
// the caller began on a database already migrated (Open or Migrate) and
// opened with DSN's pragmas: a service writes its own rows and NoETL rows
// atomically. The store never commits or rolls back tx; its InTx nests
// under a savepoint and its Close does nothing. A refused call undoes only
// itself and tx stays usable. Use the store only while tx is open, from one
// goroutine at a time, as tx itself.
//
// A FromTx store leases no shard: give it the generator of a long-lived
// store (WithGenerator(store.IDs())) or a shard of its own (WithShard).
// WithDB is refused.
func FromTx(tx *sql.Tx, opts ...Option) (noetl.Store, error) {
	if tx == nil {
		return nil, noetl.Invalidf("sqlite.FromTx: needs a transaction")
	}
	o := config.Apply(opts)
	if err := o.Check(backend, "sqlite.FromTx", "sqlite.WithDB"); err != nil {
		return nil, err
	}
	ids, err := o.Generator()
	if err != nil {
		return nil, fmt.Errorf("sqlite: %w", err)
	}
	if ids == nil {
		return nil, noetl.Invalidf("sqlite.FromTx: give WithGenerator (a long-lived store's IDs()) or WithShard")
	}
	hook := o.TraceHook()
	st, err := sqlstore.Joined(sqlstore.Config{
		Dialect:      newDialect(),
		IDs:          ids,
		Now:          o.Now,
		PasswordCost: o.PasswordCost,
		Keyring:      o.Keyring,
	}, observe.Tx(txConn{conn{q: newQuerier(nil), tx: tx}}, hook))
	if err != nil {
		return nil, err
	}
	return observe.Store(st, hook), nil
}

// Migrate applies the pending SQLite migrations to db.
func Migrate(ctx context.Context, db *sql.DB) error {
	m, err := schema.NewMigrator(db, schema.SQLite)
	if err != nil {
		return err
	}
	if _, err := m.Up(ctx); err != nil {
		return fmt.Errorf("sqlite: migrate: %w", err)
	}
	return nil
}

func checkPragmas(ctx context.Context, db *sql.DB) error {
	var fk int
	if err := db.QueryRowContext(ctx, "PRAGMA foreign_keys").Scan(&fk); err != nil {
		return fmt.Errorf("sqlite: read foreign_keys pragma: %w", err)
	}
	if fk != 1 {
		return noetl.Invalidf("sqlite: foreign keys are off on this database; open it with _pragma=foreign_keys(1) (see sqlite.DSN)")
	}
	return nil
}

// newDialect returns the SQLite dialect of the shared repositories.
func newDialect() *sqlstore.Dialect {
	return &sqlstore.Dialect{Name: "sqlite", Classify: classify}
}

// SQLite result codes: extended codes of constraint violations, and the
// primary codes (the low byte of any extended code) of other failures.
const (
	codeCheck      = 275
	codeForeignKey = 787
	codeNotNull    = 1299
	codePrimaryKey = 1555
	codeUnique     = 2067
	codeConstraint = 19

	codeBusy     = 5
	codeLocked   = 6
	codeTooBig   = 18
	codeMismatch = 20
	codeRange    = 25
)

// classify maps a modernc or database/sql error to a noetl sentinel and the
// text naming the constraint ("UNIQUE constraint failed: profile.email").
func classify(err error) (error, string) {
	var coded interface{ Code() int }
	if !errors.As(err, &coded) {
		switch {
		case errors.Is(err, sql.ErrTxDone), errors.Is(err, sql.ErrConnDone),
			strings.Contains(err.Error(), "sql: database is closed"):
			return noetl.ErrClosed, ""
		case errors.Is(err, driver.ErrBadConn):
			return noetl.ErrTransient, ""
		}
		return nil, ""
	}
	switch code := coded.Code(); code {
	case codeUnique, codePrimaryKey:
		return noetl.ErrConflict, err.Error()
	case codeForeignKey:
		return noetl.ErrReferenced, err.Error()
	case codeCheck, codeNotNull, codeConstraint:
		return noetl.ErrInvalid, err.Error()
	default:
		switch code & 0xff {
		case codeBusy, codeLocked:
			return noetl.ErrTransient, ""
		case codeTooBig, codeMismatch, codeRange:
			return noetl.ErrInvalid, ""
		}
	}
	return nil, ""
}

// classifyOr is classify's sentinel, or def when it has none.
func classifyOr(err error, def error) error {
	if kind, _ := classify(err); kind != nil {
		return kind
	}
	return def
}

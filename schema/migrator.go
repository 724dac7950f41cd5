package schema

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"hash/fnv"
	"math"
	"time"
)

// Migrator applies the embedded migrations to one database.
type Migrator struct {
	db      *sql.DB
	dialect Dialect
	schema  string
	now     func() time.Time
}

// MigratorOption configures a [Migrator].
type MigratorOption func(*Migrator)

// WithSchemaName places the PostgreSQL tables in the named schema instead of
// [DefaultSchemaName]. It has no effect on SQLite.
func WithSchemaName(name string) MigratorOption {
	return func(m *Migrator) { m.schema = name }
}

// WithClock sets the clock that stamps applied_at on SQLite (tests).
func WithClock(now func() time.Time) MigratorOption {
	return func(m *Migrator) { m.now = now }
}

// NewMigrator returns a migrator for db, which must speak dialect d. For
// PostgreSQL through pgx, wrap the pool with pgx's stdlib.OpenDBFromPool.
func NewMigrator(db *sql.DB, d Dialect, opts ...MigratorOption) (*Migrator, error) {
	m := &Migrator{db: db, dialect: d, schema: DefaultSchemaName, now: time.Now}
	for _, o := range opts {
		o(m)
	}
	if db == nil {
		return nil, errors.New("schema: NewMigrator: nil *sql.DB")
	}
	if err := d.valid(); err != nil {
		return nil, err
	}
	if d == Postgres {
		if err := ValidateSchemaName(m.schema); err != nil {
			return nil, err
		}
	}
	return m, nil
}

// Status describes one migration and whether the database has it.
type Status struct {
	Version   int
	Name      string
	Applied   bool
	AppliedAt time.Time // zero when not applied
}

func (m *Migrator) table() string {
	if m.dialect == Postgres {
		return m.schema + ".schema_migrations"
	}
	return "schema_migrations"
}

func (m *Migrator) migrations() ([]Migration, error) { return Migrations(m.dialect, m.schema) }

// Up applies every pending migration, each in its own transaction, and
// returns the versions it applied (none when the database is current).
// Concurrent calls, from this process or others, are serialised; each
// migration is applied exactly once.
func (m *Migrator) Up(ctx context.Context) ([]int, error) { return m.UpTo(ctx, math.MaxInt) }

// UpTo is Up for the migrations numbered version and below: a deployment
// that stages a migration (PostgreSQL's 0004 partitions event_log) applies
// the ones before it first. A version below 1 is an error.
func (m *Migrator) UpTo(ctx context.Context, version int) ([]int, error) {
	if version < 1 {
		return nil, fmt.Errorf("schema: UpTo: version %d is below 1", version)
	}
	ms, err := m.migrations()
	if err != nil {
		return nil, err
	}
	latest := len(ms)
	for len(ms) > 0 && ms[len(ms)-1].Version > version {
		ms = ms[:len(ms)-1]
	}
	conn, err := m.db.Conn(ctx)
	if err != nil {
		return nil, fmt.Errorf("schema: connect: %w", err)
	}
	defer conn.Close()

	if m.dialect == Postgres {
		if err := m.ensureTablePostgres(ctx, conn); err != nil {
			return nil, err
		}
	} else {
		if err := sqliteBusyTimeout(ctx, conn); err != nil {
			return nil, err
		}
		if _, err := conn.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
				version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)`); err != nil {
			return nil, fmt.Errorf("schema: create schema_migrations: %w", err)
		}
	}

	var applied []int
	for _, mig := range ms {
		done, err := m.applyOne(ctx, conn, mig, latest)
		if err != nil {
			return applied, err
		}
		if done {
			applied = append(applied, mig.Version)
		}
	}
	return applied, nil
}

// applyOne applies mig unless the database has it, in one transaction that
// also re-reads the recorded versions, so a racing migrator is seen.
func (m *Migrator) applyOne(ctx context.Context, conn *sql.Conn, mig Migration, latest int) (applied bool, err error) {
	if m.dialect == SQLite {
		// BEGIN IMMEDIATE takes the write lock up front: a second migrator
		// waits here (busy timeout) instead of failing a lock upgrade.
		if _, err := conn.ExecContext(ctx, "BEGIN IMMEDIATE"); err != nil {
			return false, fmt.Errorf("schema: begin migration %d: %w", mig.Version, err)
		}
		defer func() {
			if err != nil {
				_, _ = conn.ExecContext(context.WithoutCancel(ctx), "ROLLBACK")
			}
		}()
		if applied, err = m.applyIn(ctx, conn, mig, latest); err != nil {
			return false, err
		}
		if _, err = conn.ExecContext(ctx, "COMMIT"); err != nil {
			return false, fmt.Errorf("schema: commit migration %d: %w", mig.Version, err)
		}
		return applied, nil
	}
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return false, fmt.Errorf("schema: begin migration %d: %w", mig.Version, err)
	}
	defer func() {
		if err != nil {
			_ = tx.Rollback()
		}
	}()
	if err = m.lockPostgres(ctx, tx); err != nil {
		return false, err
	}
	if applied, err = m.applyIn(ctx, tx, mig, latest); err != nil {
		return false, err
	}
	if err := tx.Commit(); err != nil {
		return false, fmt.Errorf("schema: commit migration %d: %w", mig.Version, err)
	}
	return applied, nil
}

type execQuerier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

func (m *Migrator) applyIn(ctx context.Context, q execQuerier, mig Migration, latest int) (bool, error) {
	var maxV sql.NullInt64
	if err := q.QueryRowContext(ctx, "SELECT MAX(version) FROM "+m.table()).Scan(&maxV); err != nil {
		return false, fmt.Errorf("schema: read %s: %w", m.table(), err)
	}
	if maxV.Valid && int(maxV.Int64) > latest {
		return false, fmt.Errorf("%w: database has version %d, this build knows up to %d", ErrTooNew, maxV.Int64, latest)
	}
	var n int
	if err := q.QueryRowContext(ctx, "SELECT COUNT(*) FROM "+m.table()+" WHERE version = "+fmt.Sprint(mig.Version)).Scan(&n); err != nil {
		return false, fmt.Errorf("schema: read %s: %w", m.table(), err)
	}
	if n > 0 {
		return false, nil
	}
	if _, err := q.ExecContext(ctx, mig.SQL); err != nil {
		return false, fmt.Errorf("schema: apply %s migration %s: %w", m.dialect, mig.Name, err)
	}
	var err error
	if m.dialect == Postgres {
		_, err = q.ExecContext(ctx, "INSERT INTO "+m.table()+" (version, name) VALUES ($1, $2)", mig.Version, mig.Name)
	} else {
		_, err = q.ExecContext(ctx, "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)",
			mig.Version, mig.Name, m.now().UTC().UnixMicro())
	}
	if err != nil {
		return false, fmt.Errorf("schema: record migration %s: %w", mig.Name, err)
	}
	return true, nil
}

// lockPostgres takes a transaction advisory lock keyed by the schema name,
// so migrators of one schema run one at a time and different schemas do not
// wait for each other. The lock is taken inside each transaction the
// migrator runs and goes with its commit or rollback: nothing is held by
// the session between transactions, so the migrator works the same through
// a transaction pooler (PgBouncer's pool_mode=transaction), where a session
// lock would be taken on one server connection and the next transaction
// would run on another.
func (m *Migrator) lockPostgres(ctx context.Context, tx execQuerier) error {
	h := fnv.New64a()
	_, _ = h.Write([]byte("noetldb.migrate." + m.schema))
	if _, err := tx.ExecContext(ctx, "SELECT pg_advisory_xact_lock($1)", int64(h.Sum64())); err != nil {
		return fmt.Errorf("schema: take migration lock: %w", err)
	}
	return nil
}

// ensureTablePostgres creates the schema and its version table when
// missing, in a transaction of its own under the migration lock (two
// concurrent CREATE TABLE IF NOT EXISTS can otherwise collide).
func (m *Migrator) ensureTablePostgres(ctx context.Context, conn *sql.Conn) (err error) {
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("schema: begin: %w", err)
	}
	defer func() {
		if err != nil {
			_ = tx.Rollback()
		}
	}()
	if err = m.lockPostgres(ctx, tx); err != nil {
		return err
	}
	if _, err = tx.ExecContext(ctx, fmt.Sprintf(
		`CREATE SCHEMA IF NOT EXISTS %s; CREATE TABLE IF NOT EXISTS %s (
			version INTEGER PRIMARY KEY, name TEXT NOT NULL,
			applied_at TIMESTAMPTZ NOT NULL DEFAULT now())`, m.schema, m.table())); err != nil {
		return fmt.Errorf("schema: create %s: %w", m.table(), err)
	}
	if err = tx.Commit(); err != nil {
		return fmt.Errorf("schema: create %s: %w", m.table(), err)
	}
	return nil
}

// sqliteBusyTimeout makes the pinned connection wait for a concurrent
// migrator's lock when the caller's DSN set no busy timeout.
func sqliteBusyTimeout(ctx context.Context, conn *sql.Conn) error {
	var ms int
	if err := conn.QueryRowContext(ctx, "PRAGMA busy_timeout").Scan(&ms); err != nil {
		return fmt.Errorf("schema: read busy_timeout: %w", err)
	}
	if ms == 0 {
		if _, err := conn.ExecContext(ctx, "PRAGMA busy_timeout = 5000"); err != nil {
			return fmt.Errorf("schema: set busy_timeout: %w", err)
		}
	}
	return nil
}

// Status lists every known migration and whether the database has applied
// it. It does not change the database. A database newer than this build is
// reported with [ErrTooNew] beside the statuses.
func (m *Migrator) Status(ctx context.Context) ([]Status, error) {
	ms, err := m.migrations()
	if err != nil {
		return nil, err
	}
	out := make([]Status, len(ms))
	for i, mig := range ms {
		out[i] = Status{Version: mig.Version, Name: mig.Name}
	}
	exists, err := m.versionTableExists(ctx)
	if err != nil || !exists {
		return out, err
	}
	rows, err := m.db.QueryContext(ctx, "SELECT version, applied_at FROM "+m.table()+" ORDER BY version")
	if err != nil {
		return nil, fmt.Errorf("schema: read %s: %w", m.table(), err)
	}
	defer rows.Close()
	var tooNew int
	for rows.Next() {
		var v int
		var at any
		if err := rows.Scan(&v, &at); err != nil {
			return nil, fmt.Errorf("schema: read %s: %w", m.table(), err)
		}
		if v > len(out) {
			tooNew = v
			continue
		}
		out[v-1].Applied = true
		switch t := at.(type) {
		case time.Time:
			out[v-1].AppliedAt = t.UTC()
		case int64:
			out[v-1].AppliedAt = time.UnixMicro(t).UTC()
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("schema: read %s: %w", m.table(), err)
	}
	if tooNew > 0 {
		return out, fmt.Errorf("%w: database has version %d, this build knows up to %d", ErrTooNew, tooNew, len(out))
	}
	return out, nil
}

func (m *Migrator) versionTableExists(ctx context.Context) (bool, error) {
	var n int
	var err error
	if m.dialect == Postgres {
		err = m.db.QueryRowContext(ctx,
			"SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = $1 AND table_name = 'schema_migrations'",
			m.schema).Scan(&n)
	} else {
		err = m.db.QueryRowContext(ctx,
			"SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'").Scan(&n)
	}
	if err != nil {
		return false, fmt.Errorf("schema: look for schema_migrations: %w", err)
	}
	return n > 0, nil
}

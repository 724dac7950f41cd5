// Package postgres is the PostgreSQL backend of noetldb, on pgx v5 and its
// pool (native protocol, statements prepared and cached by pgx, COPY for
// bulk writes).
//
// Its schema follows the NoETL schema specification: the schema name
// ("noetl" by default; storage.WithSchema picks another), its tables and
// columns, and a noetl.snowflake_id() function. It is not a drop-in for the
// NoETL server's own code, which differs in places (event_log context/result
// TEXT columns instead of input_context/output_result JSONB,
// schedule.interval_seconds, a 32-bit credential id, events written before
// their workload, Python ids in another bit layout); the README's section
// "Sharing a database with the NoETL server" lists each difference and what
// to do about it.
package postgres

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/noetl/noetldb/internal/config"
	"github.com/noetl/noetldb/internal/sqlstore"
	"github.com/noetl/noetldb/noetl"
	"github.com/noetl/noetldb/schema"
)

// Option configures Open. The constructors are in package storage
// (storage.WithShard, storage.WithSchema, storage.WithPool...).
type Option = config.Option

// Open connects to PostgreSQL at dsn (a postgres:// URL or key=value
// string), migrates the schema unless storage.WithoutMigrate is given, and
// returns a noetl.Store. With storage.WithPool the caller's pool is used
// (and left open on Close) and dsn is ignored.
func Open(ctx context.Context, dsn string, opts ...Option) (noetl.Store, error) {
	o := config.Apply(opts)
	ids, err := o.Generator()
	if err != nil {
		return nil, fmt.Errorf("postgres: %w", err)
	}
	name := o.Schema
	if name == "" {
		name = schema.DefaultSchemaName
	}
	if err := schema.ValidateSchemaName(name); err != nil {
		return nil, fmt.Errorf("postgres: %w", err)
	}
	pool, owned := o.Pool, false
	if pool == nil {
		if pool, err = pgxpool.New(ctx, dsn); err != nil {
			return nil, fmt.Errorf("postgres: open: %w", redactDSN(err, dsn))
		}
		owned = true
		if err := pool.Ping(ctx); err != nil {
			pool.Close()
			return nil, fmt.Errorf("postgres: connect: %w", redactDSN(err, dsn))
		}
	}
	closePool := func() error {
		if owned {
			pool.Close()
		}
		return nil
	}
	if !o.NoMigrate {
		if err := Migrate(ctx, pool, name); err != nil {
			closePool()
			return nil, err
		}
	}
	st, err := sqlstore.New(sqlstore.Config{
		Dialect:      NewDialect(name),
		DB:           poolQ{q: pool, pool: pool, schema: name},
		IDs:          ids,
		Now:          o.Now,
		PasswordCost: o.PasswordCost,
		Keyring:      o.Keyring,
		Close:        closePool,
	})
	if err != nil {
		closePool()
		return nil, err
	}
	return st, nil
}

// redactDSN keeps a password in the DSN out of an error's text.
func redactDSN(err error, dsn string) error {
	cfg, perr := pgx.ParseConfig(dsn)
	if perr != nil || cfg.Password == "" || !strings.Contains(err.Error(), cfg.Password) {
		return err
	}
	return errors.New(strings.ReplaceAll(err.Error(), cfg.Password, "xxxxx"))
}

// Migrate applies the pending PostgreSQL migrations under schema name.
func Migrate(ctx context.Context, pool *pgxpool.Pool, name string) error {
	db := stdlib.OpenDBFromPool(pool)
	defer db.Close()
	m, err := schema.NewMigrator(db, schema.Postgres, schema.WithSchemaName(name))
	if err != nil {
		return err
	}
	if _, err := m.Up(ctx); err != nil {
		return fmt.Errorf("postgres: migrate: %w", err)
	}
	return nil
}

// NewDialect returns the PostgreSQL dialect of the shared repositories for
// tables under schema name.
func NewDialect(name string) *sqlstore.Dialect {
	return &sqlstore.Dialect{Name: "postgres", Schema: name, Classify: classify}
}

// classify maps a PostgreSQL error to a noetl sentinel and the constraint
// name it reports.
func classify(err error) (error, string) {
	var pg *pgconn.PgError
	if !errors.As(err, &pg) {
		return nil, ""
	}
	switch {
	case pg.Code == "23505":
		return noetl.ErrConflict, pg.ConstraintName
	case pg.Code == "23503":
		return noetl.ErrReferenced, pg.ConstraintName
	case pg.Code == "23514", pg.Code == "23502", strings.HasPrefix(pg.Code, "22"):
		return noetl.ErrInvalid, pg.ConstraintName
	}
	return nil, ""
}

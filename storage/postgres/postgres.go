// Package postgres is the PostgreSQL backend of noetldb, on pgx v5 and its
// pool (native protocol, statements prepared and cached by pgx, COPY for
// bulk writes).
//
// Its schema follows the NoETL schema specification: the schema name
// ("noetl" by default; postgres.WithSchema picks another), its tables and
// columns, and a noetl.snowflake_id() function. It is not a drop-in for the
// NoETL server's own code, which differs in places (event_log context/result
// TEXT columns instead of input_context/output_result JSONB,
// schedule.interval_seconds, a 32-bit credential id, events written before
// their workload, Python ids in another bit layout); the README's section
// "Sharing a database with the NoETL server" lists each difference and what
// to do about it.
//
// # Behind a transaction pooler
//
// Declare PgBouncer (pool_mode=transaction) or a pooler like it with
// WithPooler(directDSN): the store then keeps nothing in a server session
// between transactions. Statements use pgx's QueryExecModeCacheDescribe
// (no named prepared statement; one round trip once a statement's
// description is cached), migrations take transaction advisory locks,
// COPY, claims (FOR UPDATE SKIP LOCKED) and the pipelined savepoints of a
// caller's transaction run inside one transaction each. The shard lease is
// a session advisory lock: it connects with directDSN, past the pooler, or
// is refused (then give WithShard). LISTEN, for a live feed, must likewise
// connect past the pooler. The conformance suite runs through a real
// PgBouncer 1.18 in CI.
//
// # Partitioned event log
//
// event_log is range-partitioned by execution_id (migration 0004): one
// partition per period (Monthly by default; WithPartitions), whose bounds
// are the smallest snowflake ids of the period's first millisecond. The
// store's Maintain creates the partitions of the current period and of the
// ahead periods after it (3), and one partition for any gap below them; Open
// runs it (unless WithoutMigrate), and the store runs it again every hour
// while open, logging failures with WithLogger. A partition is created as a
// table of its own and then attached, which takes event_log's SHARE UPDATE
// EXCLUSIVE lock (readers and writers go on) and briefly workload's, for the
// foreign key; concurrent Maintain calls queue on an advisory lock. There is
// no default partition: an event whose execution id no partition holds is
// refused with noetl.ErrInvalid. Executions().PurgeBefore detaches each
// partition that lies wholly before its time, and before the current
// period, with DETACH PARTITION ... CONCURRENTLY and drops it, then deletes
// the rows left before that time in batches (the current period's
// partition is never dropped, so its writers never miss it). A partition
// detached by a call that could not drop it is left as a table bearing a
// comment that says so, and the next PurgeBefore drops it.
//
// A database migrated before 0004 keeps its rows: the old table is
// attached, as it is, as the partition event_log_history of every id
// before the start of the month after its newest execution.
//
// # Read replicas
//
// WithReplicas gives pools on hot standbys. The calls that read and
// tolerate lag (Get, List, Count and the label tree's reads: see
// laggingReads in replica.go) run on a replica, one replica per call, round
// robin; every write, the reads a write makes for its own checks, every
// call in a transaction (InTx, a ctx carrying one, FromTx), the reads that
// decide access or reveal secrets (sessions, VerifyPassword, Reveal) and
// any call made with a PrimaryRead ctx run on the primary. A read on an
// asynchronous replica may not see a write just committed: ask for a
// primary read where that matters, or make the replica a synchronous
// standby with synchronous_commit = remote_apply on the primary, whose
// commits then wait until the replica shows them. A replica that fails is
// left out for two seconds and the read is sent to the primary, reported
// to WithHook's OnRetry and, with WithLogger, logged as "noetl retry".
package postgres

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/jackc/puddle/v2"

	"github.com/noetl/noetldb/internal/config"
	"github.com/noetl/noetldb/internal/observe"
	"github.com/noetl/noetldb/internal/sqlstore"
	"github.com/noetl/noetldb/noetl"
	"github.com/noetl/noetldb/schema"
	"github.com/noetl/noetldb/storage/trace"
)

// Open connects to PostgreSQL at dsn (a postgres:// URL or key=value
// string), migrates the schema unless WithoutMigrate is given, and returns a
// noetl.Store. With WithPool the caller's pool is used (and left open on
// Close) and dsn is ignored. Without WithShard or WithGenerator the store
// leases a free id shard for its life (see package snowflake); Open fails
// with noetl.ErrConflict when every shard is leased.
func Open(ctx context.Context, dsn string, opts ...Option) (noetl.Store, error) {
	s, err := open(ctx, dsn, opts...)
	return s, sqlstore.Sentinel(err, classify)
}

func open(ctx context.Context, dsn string, opts ...Option) (noetl.Store, error) {
	o := config.Apply(opts)
	if err := o.Check(backend, "postgres.Open"); err != nil {
		return nil, err
	}
	ids, err := o.Generator()
	if err != nil {
		return nil, fmt.Errorf("postgres: %w", err)
	}
	name, err := schemaName(&o)
	if err != nil {
		return nil, err
	}
	replicas, err := replicaPools(&o)
	if err != nil {
		return nil, err
	}
	var direct *pgx.ConnConfig // the lease's and the listener's connection behind a pooler
	if o.Pooler && o.DirectDSN != "" {
		if direct, err = pgx.ParseConfig(o.DirectDSN); err != nil {
			return nil, noetl.NewError(noetl.ErrInvalid, "postgres.Open: WithPooler: direct DSN: %v", redactDSN(err, o.DirectDSN))
		}
	}
	if o.Pooler && ids == nil {
		if o.DirectDSN == "" {
			return nil, noetl.Invalidf("postgres.Open: behind a transaction pooler a shard lease needs a " +
				"connection of its own past the pooler: give WithPooler a direct DSN, or give WithShard or WithGenerator")
		}
	}
	pool, owned := (*pgxpool.Pool)(nil), false
	if o.Pool != nil {
		if pool, _ = o.Pool.(*pgxpool.Pool); pool == nil {
			return nil, noetl.Invalidf("postgres.Open: WithPool needs a pool")
		}
		if o.Pooler && pool.Config().ConnConfig.DefaultQueryExecMode == pgx.QueryExecModeCacheStatement &&
			!namesExecMode(pool.Config().ConnString()) {
			return nil, noetl.Invalidf("postgres.Open: WithPooler: the pool prepares named statements " +
				"(default_query_exec_mode cache_statement), which a transaction pooler does not carry; " +
				"use cache_describe, exec or simple_protocol, or name cache_statement in its connection string " +
				"when the pooler carries prepared statements")
		}
	} else {
		cfg, err := pgxpool.ParseConfig(dsn)
		if err != nil {
			return nil, noetl.NewError(noetl.ErrInvalid, "postgres: open: %v", redactDSN(err, dsn))
		}
		if o.Pooler && !namesExecMode(dsn) {
			cfg.ConnConfig.DefaultQueryExecMode = pgx.QueryExecModeCacheDescribe
		}
		if pool, err = pgxpool.NewWithConfig(ctx, cfg); err != nil {
			return nil, noetl.NewError(noetl.ErrInvalid, "postgres: open: %v", redactDSN(err, dsn))
		}
		owned = true
		if err := pool.Ping(ctx); err != nil {
			pool.Close()
			return nil, classifyOpen(ctx, redactDSN(err, dsn))
		}
	}
	lc := direct
	if lc == nil {
		lc = pool.Config().ConnConfig.Copy()
	}
	if o.Pooler && direct == nil {
		lc = nil // no connection past the pooler: followers are woken every pollWithoutListener
	}
	l := newListener(lc)
	release := []func() error{func() error { l.close(); return nil }}
	closeAll := func() error {
		var err error
		for _, f := range release {
			err = errors.Join(err, f())
		}
		if owned {
			pool.Close()
		}
		return err
	}
	if !o.NoMigrate {
		if err := Migrate(ctx, pool, name); err != nil {
			closeAll()
			return nil, err
		}
	}
	period, ahead := Monthly, defaultAhead
	if o.Partitions {
		period, ahead = Period(o.PartitionPeriod), o.PartitionAhead
	}
	if err := checkPartitions(period, ahead); err != nil {
		closeAll()
		return nil, err
	}
	parts := newPartitioner(pool, name, period, ahead, o.Now)
	if !o.NoMigrate {
		if err := parts.open(ctx, o.Logger); err != nil {
			closeAll()
			return nil, err
		}
		parts.run(o.Logger)
		release = append(release, func() error { parts.close(); return nil })
	}
	if ids == nil {
		cc := direct
		if cc == nil {
			cc = pool.Config().ConnConfig.Copy()
		}
		g, free, err := leaseShard(ctx, cc, name, &o)
		if err != nil {
			closeAll()
			return nil, err
		}
		ids, release = g, append(release, free)
	}
	hook := o.TraceHook()
	var rs *replicaSet
	if len(replicas) > 0 {
		rs = newReplicaSet(replicas, hook)
	}
	st, err := sqlstore.New(sqlstore.Config{
		Dialect:      newDialect(name),
		DB:           observe.DB(poolQ{q: pool, pool: pool, schema: name, replicas: rs}, hook),
		IDs:          ids,
		Now:          o.Now,
		PasswordCost: o.PasswordCost,
		Keyring:      o.Keyring,
		Close:        closeAll,
		Hub:          l.hub,
		Partitions:   parts,
	})
	if err != nil {
		closeAll()
		return nil, err
	}
	if rs != nil {
		// The router names each call's operation, so the reads that
		// tolerate lag are sent to a replica.
		return observe.Store(st, trace.Multi(router{rs}, hook)), nil
	}
	return observe.Store(st, hook), nil
}

// replicaPools returns the pools WithReplicas gave.
func replicaPools(o *config.Options) ([]*pgxpool.Pool, error) {
	if o.Replicas == nil {
		return nil, nil
	}
	pools, _ := o.Replicas.([]*pgxpool.Pool)
	for _, p := range pools {
		if p == nil {
			return nil, noetl.Invalidf("postgres.Open: WithReplicas: a nil pool")
		}
	}
	return pools, nil
}

// namesExecMode reports whether a connection string chooses its own
// default_query_exec_mode.
func namesExecMode(connString string) bool {
	return strings.Contains(connString, "default_query_exec_mode")
}

// schemaName returns the schema the options name, "noetl" by default.
func schemaName(o *config.Options) (string, error) {
	name := o.Schema
	if name == "" {
		name = schema.DefaultSchemaName
	}
	if err := schema.ValidateSchemaName(name); err != nil {
		return "", noetl.Invalidf("postgres: %v", err)
	}
	return name, nil
}

// FromTx returns a Store whose every repository runs in tx, a transaction
// the caller began on a database already migrated (Open or Migrate): a
// service writes its own rows and NoETL rows atomically. The store never
// commits or rolls back tx; its InTx nests under a savepoint and its Close
// does nothing. Each statement runs under a savepoint of its own, pipelined
// with it, so a refused call undoes only itself and tx stays usable. Use
// the store only while tx is open, from one goroutine at a time, as tx
// itself.
//
// A FromTx store leases no shard: give it the generator of a long-lived
// store (WithGenerator(store.IDs())) or a shard of its own (WithShard).
// WithPool is refused.
func FromTx(tx pgx.Tx, opts ...Option) (noetl.Store, error) {
	if tx == nil {
		return nil, noetl.Invalidf("postgres.FromTx: needs a transaction")
	}
	o := config.Apply(opts)
	if err := o.Check(backend, "postgres.FromTx", "postgres.WithPool", "postgres.WithPooler", "postgres.WithReplicas",
		"postgres.WithPartitions"); err != nil {
		return nil, err
	}
	ids, err := o.Generator()
	if err != nil {
		return nil, fmt.Errorf("postgres: %w", err)
	}
	if ids == nil {
		return nil, noetl.Invalidf("postgres.FromTx: give WithGenerator (a long-lived store's IDs()) or WithShard")
	}
	name, err := schemaName(&o)
	if err != nil {
		return nil, err
	}
	hook := o.TraceHook()
	st, err := sqlstore.Joined(sqlstore.Config{
		Dialect:      newDialect(name),
		IDs:          ids,
		Now:          o.Now,
		PasswordCost: o.PasswordCost,
		Keyring:      o.Keyring,
	}, observe.Tx(txQ{conn: conn{q: tx, schema: name}, tx: tx}, hook))
	if err != nil {
		return nil, err
	}
	return observe.Store(st, hook), nil
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

// newDialect returns the PostgreSQL dialect of the shared repositories for
// tables under schema name.
func newDialect(name string) *sqlstore.Dialect {
	return &sqlstore.Dialect{Name: "postgres", Schema: name, Classify: classify}
}

// noPartition explains a row event_log has no partition for.
const noPartition = "no event_log partition for this execution id: past those Maintain made, or purged"

// classify maps a PostgreSQL or pgx error to a noetl sentinel and the
// constraint name it reports.
func classify(err error) (error, string) {
	var pg *pgconn.PgError
	if errors.As(err, &pg) {
		switch {
		case pg.Code == "23505":
			return noetl.ErrConflict, pg.ConstraintName
		case pg.Code == "23503":
			return noetl.ErrReferenced, pg.ConstraintName
		case pg.Code == "23514" && strings.HasPrefix(pg.Message, "no partition of relation"):
			// An execution id past the event_log partitions Maintain made.
			return noetl.ErrInvalid, noPartition
		case pg.Code == "23514", pg.Code == "23502", strings.HasPrefix(pg.Code, "22"):
			return noetl.ErrInvalid, pg.ConstraintName
		case pg.Code == "40001", pg.Code == "40P01", // serialization failure, deadlock
			strings.HasPrefix(pg.Code, "08"),                           // connection exception
			pg.Code == "57P01", pg.Code == "57P02", pg.Code == "57P03", // shutdown, crash, starting up
			pg.Code == "53300", pg.Code == "55P03": // too many connections, lock not available
			return noetl.ErrTransient, ""
		case strings.HasPrefix(pg.Code, "25"):
			// The caller's transaction was aborted by a statement of its own.
			return noetl.ErrInvalid, "the transaction is aborted by an earlier failed statement, SQLSTATE " + pg.Code + ": roll it back"
		}
		return nil, ""
	}
	switch {
	case errors.Is(err, puddle.ErrClosedPool):
		return noetl.ErrClosed, ""
	case errors.Is(err, pgx.ErrTxClosed):
		return noetl.ErrClosed, ""
	case strings.Contains(err.Error(), "failed to encode"):
		// A Go value the column's type cannot hold (pgx refuses to send it).
		return noetl.ErrInvalid, ""
	case pgconn.SafeToRetry(err), pgconn.Timeout(err), isConnError(err):
		return noetl.ErrTransient, ""
	}
	return nil, ""
}

// isConnError reports a lost or refused connection.
func isConnError(err error) bool {
	var ce *pgconn.ConnectError
	var ne net.Error
	return errors.As(err, &ce) || errors.As(err, &ne) || errors.Is(err, io.EOF) ||
		errors.Is(err, io.ErrUnexpectedEOF) || strings.Contains(err.Error(), "conn closed")
}

// classifyOpen wraps an error of connecting at Open in its sentinel: a
// server that cannot be reached or is starting is transient, a refused
// login or a missing database is not.
func classifyOpen(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return fmt.Errorf("postgres: connect: %w", ctx.Err())
	}
	kind, _ := classify(err)
	var pg *pgconn.PgError
	if errors.As(err, &pg) && (pg.Code == "28P01" || pg.Code == "28000" || pg.Code == "3D000") {
		kind = noetl.ErrInvalid // bad password, no such role or database
	}
	if kind == nil {
		kind = noetl.ErrTransient
	}
	return &noetl.Error{Kind: kind, Msg: "postgres: connect: " + err.Error(), Cause: err}
}

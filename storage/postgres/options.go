package postgres

import (
	"context"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/noetl/noetldb/internal/config"
	"github.com/noetl/noetldb/noetl"
	"github.com/noetl/noetldb/snowflake"
	"github.com/noetl/noetldb/storage/trace"
)

// Option configures Open and FromTx. The options every backend takes are
// also in package storage; the ones here that name PostgreSQL are refused
// by the SQLite backend.
type Option = config.Option

const backend = "postgres"

// WithPool makes Open use the caller's pool; the dsn is ignored and Close
// leaves the pool open. Refused by FromTx and by the SQLite backend.
func WithPool(p *pgxpool.Pool) Option {
	return config.Scoped("postgres.WithPool", backend, func(o *config.Options) { o.Pool = p })
}

// WithSchema places the NoETL tables in the named PostgreSQL schema instead
// of "noetl". Refused by the SQLite backend.
func WithSchema(name string) Option {
	return config.Scoped("postgres.WithSchema", backend, func(o *config.Options) { o.Schema = name })
}

// WithPooler declares that the store's pool reaches PostgreSQL through a
// transaction pooler such as PgBouncer in pool_mode=transaction, where each
// transaction (or statement outside one) may run on another server
// connection, so the store keeps no state in a session:
//
//   - Statements: a pool Open makes from its DSN uses pgx's
//     QueryExecModeCacheDescribe (statement descriptions cached on the
//     client, every statement sent as an unnamed one in a single round
//     trip, binary formats), unless the DSN names its own
//     default_query_exec_mode (cache_statement suits a pooler that carries
//     protocol-level prepared statements, as PgBouncer 1.21+ does with
//     max_prepared_statements). A pool given with WithPool must not use the
//     default cache_statement unless its connection string names it: Open
//     refuses it with noetl.ErrInvalid, as it cannot change a live pool.
//   - Migrations take transaction advisory locks (package schema), COPY and
//     claims are single statements, and savepoints live inside a
//     transaction: all pass through the pooler.
//   - The shard lease is a session advisory lock held for the store's life,
//     which a transaction pooler cannot keep: it is taken on a connection of
//     its own opened with directDSN, a DSN that reaches the server (or a
//     session-mode pool) without the transaction pooler. With directDSN ""
//     Open refuses to lease: give WithShard or WithGenerator instead.
//   - The live feed (MessageRepo.Follow, EventRepo.Follow) LISTENs on one
//     connection of its own, opened with directDSN too. With directDSN ""
//     there is none: followers are woken once a second to re-read instead
//     of at each commit.
//
// Refused by FromTx (a caller's transaction is pinned to its connection)
// and by the SQLite backend.
func WithPooler(directDSN string) Option {
	return config.Scoped("postgres.WithPooler", backend, func(o *config.Options) {
		o.Pooler, o.DirectDSN = true, directDSN
	})
}

// WithReplicas gives the store read replicas: pools on hot standbys that
// stream from the primary. Reads that tolerate lag (the Get and List calls,
// see the package documentation) go to a replica; every write, every read
// a write makes for its own checks, every call in a transaction (InTx, a
// ctx carrying one, FromTx) and every call made with a PrimaryRead ctx run
// on the primary. A replica that fails (stopped, unreachable, in recovery
// conflict) is skipped for a few seconds and the read is sent to the
// primary, reported to the store's hook and logger as a retry. The pools
// stay the caller's: Close leaves them open. Refused by FromTx and by the
// SQLite backend.
func WithReplicas(pools ...*pgxpool.Pool) Option {
	return config.Scoped("postgres.WithReplicas", backend, func(o *config.Options) { o.Replicas = pools })
}

// WithPartitions sets the event_log partitions Maintain creates: one per
// period (Monthly by default; Weekly, Daily), for the current period and
// ahead periods after it (3 by default, 1 to 1000). A period already
// covered keeps its partitions; changing the period affects only those
// created after. Refused by FromTx and by the SQLite backend.
func WithPartitions(period Period, ahead int) Option {
	return config.Scoped("postgres.WithPartitions", backend, func(o *config.Options) {
		o.Partitions, o.PartitionPeriod, o.PartitionAhead = true, int(period), ahead
	})
}

// PrimaryRead is storage.PrimaryRead.
func PrimaryRead(ctx context.Context) context.Context { return config.PrimaryRead(ctx) }

// WithShard is storage.WithShard.
func WithShard(shard int) Option { return config.WithShard(shard) }

// WithGenerator is storage.WithGenerator.
func WithGenerator(g *snowflake.Generator) Option { return config.WithGenerator(g) }

// WithClock is storage.WithClock.
func WithClock(now func() time.Time) Option { return config.WithClock(now) }

// WithoutMigrate is storage.WithoutMigrate.
func WithoutMigrate() Option { return config.WithoutMigrate() }

// WithPasswordCost is storage.WithPasswordCost.
func WithPasswordCost(cost int) Option { return config.WithPasswordCost(cost) }

// WithKeyring is storage.WithKeyring.
func WithKeyring(k *noetl.Keyring) Option { return config.WithKeyring(k) }

// WithLogger is storage.WithLogger.
func WithLogger(l *slog.Logger) Option { return config.WithLogger(l) }

// WithSlowThreshold is storage.WithSlowThreshold.
func WithSlowThreshold(d time.Duration) Option { return config.WithSlowThreshold(d) }

// WithHook is storage.WithHook.
func WithHook(h trace.Hook) Option { return config.WithHook(h) }

package postgres

import (
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

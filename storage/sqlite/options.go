package sqlite

import (
	"database/sql"
	"log/slog"
	"time"

	"github.com/noetl/noetldb/internal/config"
	"github.com/noetl/noetldb/noetl"
	"github.com/noetl/noetldb/snowflake"
	"github.com/noetl/noetldb/storage/trace"
)

// Option configures Open and FromTx. The options every backend takes are
// also in package storage; the ones here that name SQLite are refused by the
// PostgreSQL backend.
type Option = config.Option

const backend = "sqlite"

// WithDB makes Open use the caller's *sql.DB, opened with DSN's pragmas; the
// path is ignored and Close leaves the database open. Refused by FromTx and
// by the PostgreSQL backend.
func WithDB(db *sql.DB) Option {
	return config.Scoped("sqlite.WithDB", backend, func(o *config.Options) { o.DB = db })
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

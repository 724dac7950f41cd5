// Package storage opens a noetl.Store on the backend a DSN names, and holds
// the options every backend shares.
//
//	store, err := storage.Open(ctx, "sqlite::memory:")          // tests
//	store, err := storage.Open(ctx, "sqlite:noetl.db")           // a file
//	store, err := storage.Open(ctx, "postgres://user@host/db")   // production
//
// Open migrates the schema by default (WithoutMigrate turns that off).
package storage

import (
	"context"
	"log/slog"
	"strings"
	"time"

	"github.com/noetl/noetldb/internal/config"
	"github.com/noetl/noetldb/noetl"
	"github.com/noetl/noetldb/snowflake"
	"github.com/noetl/noetldb/storage/postgres"
	"github.com/noetl/noetldb/storage/sqlite"
	"github.com/noetl/noetldb/storage/trace"
)

// Option configures Open and the backends' Open functions. The options
// every backend takes are here (and, for programs that import one backend
// only, in that backend's package too); the options of one backend are in
// its package (postgres.WithPool, postgres.WithSchema, sqlite.WithDB) and
// are refused by the other.
type Option = config.Option

// Open returns a Store for dsn:
//
//   - postgres://… or postgresql://… : PostgreSQL (package postgres);
//   - sqlite::memory: : a private in-memory SQLite database;
//   - sqlite:PATH (relative or absolute) or sqlite:///abs/path : a SQLite file;
//   - file:… : a SQLite URI, passed on with its parameters.
//
// Any other form is an error wrapping noetl.ErrInvalid. The DSN itself never
// appears in errors (it may hold a password).
func Open(ctx context.Context, dsn string, opts ...Option) (noetl.Store, error) {
	switch {
	case strings.HasPrefix(dsn, "postgres://"), strings.HasPrefix(dsn, "postgresql://"):
		return postgres.Open(ctx, dsn, opts...)
	case strings.HasPrefix(dsn, "sqlite://"):
		// sqlite:///abs/path -> /abs/path
		return sqlite.Open(ctx, strings.TrimPrefix(dsn, "sqlite://"), opts...)
	case strings.HasPrefix(dsn, "sqlite:"):
		path := strings.TrimPrefix(dsn, "sqlite:")
		if path == "" {
			return nil, noetl.Invalidf("storage: DSN %q names no SQLite file (use sqlite::memory: or sqlite:PATH)", dsn)
		}
		return sqlite.Open(ctx, path, opts...)
	case strings.HasPrefix(dsn, "file:"):
		return sqlite.Open(ctx, dsn, opts...)
	}
	scheme, _, _ := strings.Cut(dsn, ":")
	return nil, noetl.Invalidf("storage: unknown DSN scheme %q (want postgres://, postgresql://, sqlite:, file:)", scheme)
}

// PrimaryRead returns ctx asking that the reads of a call made with it go
// to the primary database even where the store has read replicas
// (postgres.WithReplicas): a read that must see a write just committed by
// this or another process. Without replicas (and on SQLite) it changes
// nothing. Writes, and every call in a transaction, always run on the
// primary.
func PrimaryRead(ctx context.Context) context.Context { return config.PrimaryRead(ctx) }

// WithShard makes the store issue ids on shard: 0 or 2..31 (1 is the
// database function's, and is refused). Without it (or WithGenerator) the
// store leases a free shard from the database for its life (see package
// snowflake on choosing shards). Two live stores that write to one database
// must use different shards.
func WithShard(shard int) Option { return config.WithShard(shard) }

// WithGenerator makes the store issue ids from g (shared with other code,
// for example the generator of a long-lived store given to FromTx).
func WithGenerator(g *snowflake.Generator) Option { return config.WithGenerator(g) }

// WithClock sets the store's clock (tests). It also drives the id generator
// the store makes, unless WithGenerator is given.
func WithClock(now func() time.Time) Option { return config.WithClock(now) }

// WithoutMigrate opens the store without applying pending migrations (for
// deployments that run package schema's migrator or their own tool). On
// PostgreSQL the store then changes no schema at all: it neither runs
// Maintain at Open nor every hour, so call store.Maintain from the process
// that owns the schema.
func WithoutMigrate() Option { return config.WithoutMigrate() }

// WithPasswordCost sets the bcrypt cost of stored password hashes (default
// bcrypt.DefaultCost). Tests may lower it to 4 for speed.
func WithPasswordCost(cost int) Option { return config.WithPasswordCost(cost) }

// WithKeyring gives the store the keyring credential secrets are sealed with
// (AES-256-GCM, see noetl.Keyring). Without one, storing or revealing a
// credential's secret is refused with noetl.ErrNoKeyring: secrets are never
// stored in plain text.
func WithKeyring(k *noetl.Keyring) Option { return config.WithKeyring(k) }

// WithLogger makes the store log to l: every statement at Debug (its
// repository operation such as "messages.post", SQL text without
// arguments, duration, rows and error), and at Warn the statements slower
// than the threshold (WithSlowThreshold) and the retries the store makes on
// its own. See trace.NewLogHook. Without it (and without WithHook) the store
// is not instrumented and pays nothing.
func WithLogger(l *slog.Logger) Option { return config.WithLogger(l) }

// WithSlowThreshold sets the duration from which WithLogger reports a
// statement at Warn (default trace.DefaultSlowThreshold); a negative d
// turns the slow report off. It has no effect without WithLogger.
func WithSlowThreshold(d time.Duration) Option { return config.WithSlowThreshold(d) }

// WithHook reports every repository call, statement and retry of the store
// to h (see package trace), the same on both engines: a tracer makes one
// span per call in OnCall and the call's statements beneath it. It may be
// given with WithLogger; both then see everything.
func WithHook(h trace.Hook) Option { return config.WithHook(h) }

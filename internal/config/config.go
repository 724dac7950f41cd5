// Package config holds the options shared by the storage backends. The
// constructors are implemented here once and exported by package storage
// and by each backend; the backends alias [Option].
package config

import (
	"context"
	"database/sql"
	"log/slog"
	"time"

	"github.com/noetl/noetldb/noetl"
	"github.com/noetl/noetldb/snowflake"
	"github.com/noetl/noetldb/storage/trace"
)

// DatabaseShard is the shard of the database's own snowflake_id()
// function; a Go generator must not use it.
const DatabaseShard = 1

// Options is what the backends read.
type Options struct {
	IDs          *snowflake.Generator
	Shard        *int
	Now          func() time.Time
	Schema       string
	NoMigrate    bool
	Pool         any // *pgxpool.Pool: kept untyped so SQLite does not link pgx
	DB           *sql.DB
	PasswordCost int
	Keyring      *noetl.Keyring
	// only lists the options given that belong to one backend.
	only []scoped

	// Pooler is set by postgres.WithPooler: the pool goes through a
	// transaction pooler; DirectDSN reaches the server without it, for what
	// needs a session (the shard lease).
	Pooler    bool
	DirectDSN string
	// Replicas are the read replicas' pools (postgres.WithReplicas):
	// []*pgxpool.Pool, kept untyped so SQLite does not link pgx.
	Replicas any
	// Partitions is set by postgres.WithPartitions: the event_log
	// partition period (a postgres.Period) and how many periods ahead
	// Maintain creates.
	Partitions      bool
	PartitionPeriod int
	PartitionAhead  int

	// Observability (storage.WithLogger, WithSlowThreshold, WithHook).
	Logger        *slog.Logger
	SlowThreshold time.Duration
	Hook          trace.Hook
}

// scoped is a backend-specific option: its name and the backend it
// belongs to.
type scoped struct{ name, backend string }

// Option sets one field of Options.
type Option func(*Options)

// Apply returns the Options that opts set.
func Apply(opts []Option) Options {
	var o Options
	for _, f := range opts {
		if f != nil {
			f(&o)
		}
	}
	return o
}

// Scoped returns an option that belongs to backend only: Check refuses it
// on any other.
func Scoped(name, backend string, set func(*Options)) Option {
	return func(o *Options) {
		o.only = append(o.only, scoped{name, backend})
		set(o)
	}
}

// Check refuses the options that do not apply where they were given:
// another backend's option, and the ones named in notHere (options of
// backend that do not apply to this constructor, such as a pool given to
// FromTx). Errors wrap noetl.ErrInvalid.
func (o *Options) Check(backend, where string, notHere ...string) error {
	for _, s := range o.only {
		if s.backend != backend {
			return noetl.Invalidf("%s: option %s applies to %s only", where, s.name, s.backend)
		}
		for _, n := range notHere {
			if s.name == n {
				return noetl.Invalidf("%s: option %s does not apply here", where, s.name)
			}
		}
	}
	if o.Shard != nil && o.IDs != nil {
		return noetl.Invalidf("%s: WithShard and WithGenerator both given; give one", where)
	}
	if o.SlowThreshold != 0 && o.Logger == nil {
		return noetl.Invalidf("%s: WithSlowThreshold given without WithLogger", where)
	}
	return nil
}

// Generator returns the id generator the options ask for: the one given, a
// new one on the shard given, or nil when neither is given (the backend
// then leases a shard from the database).
func (o *Options) Generator() (*snowflake.Generator, error) {
	if o.IDs != nil {
		return o.IDs, nil
	}
	if o.Shard == nil {
		return nil, nil
	}
	return o.NewGenerator(*o.Shard)
}

// NewGenerator returns a generator on shard with the options' clock.
func (o *Options) NewGenerator(shard int) (*snowflake.Generator, error) {
	if shard == DatabaseShard {
		return nil, noetl.Invalidf("shard %d is the database's own snowflake_id(); give another", DatabaseShard)
	}
	var gopts []snowflake.Option
	if o.Now != nil {
		gopts = append(gopts, snowflake.WithClock(o.Now))
	}
	g, err := snowflake.NewGenerator(shard, gopts...)
	if err != nil {
		return nil, noetl.Invalidf("%v", err)
	}
	return g, nil
}

// The shared option constructors; storage and the backends export them.

// WithShard is storage.WithShard.
func WithShard(shard int) Option { return func(o *Options) { o.Shard = &shard } }

// WithGenerator is storage.WithGenerator.
func WithGenerator(g *snowflake.Generator) Option { return func(o *Options) { o.IDs = g } }

// WithClock is storage.WithClock.
func WithClock(now func() time.Time) Option { return func(o *Options) { o.Now = now } }

// WithoutMigrate is storage.WithoutMigrate.
func WithoutMigrate() Option { return func(o *Options) { o.NoMigrate = true } }

// WithPasswordCost is storage.WithPasswordCost.
func WithPasswordCost(cost int) Option { return func(o *Options) { o.PasswordCost = cost } }

// WithKeyring is storage.WithKeyring.
func WithKeyring(k *noetl.Keyring) Option { return func(o *Options) { o.Keyring = k } }

// WithLogger is storage.WithLogger.
func WithLogger(l *slog.Logger) Option { return func(o *Options) { o.Logger = l } }

// WithSlowThreshold is storage.WithSlowThreshold.
func WithSlowThreshold(d time.Duration) Option { return func(o *Options) { o.SlowThreshold = d } }

// WithHook is storage.WithHook.
func WithHook(h trace.Hook) Option { return func(o *Options) { o.Hook = h } }

// TraceHook returns the hook the options ask for: the logger's hook and the
// caller's hook together; nil when neither is set, so the store is not
// instrumented at all.
func (o *Options) TraceHook() trace.Hook {
	return trace.Multi(trace.NewLogHook(o.Logger, o.SlowThreshold), o.Hook)
}

type primaryReadKey struct{}

// PrimaryRead is storage.PrimaryRead.
func PrimaryRead(ctx context.Context) context.Context {
	return context.WithValue(ctx, primaryReadKey{}, true)
}

// IsPrimaryRead reports whether ctx asks for primary reads (PrimaryRead).
func IsPrimaryRead(ctx context.Context) bool {
	v, _ := ctx.Value(primaryReadKey{}).(bool)
	return v
}

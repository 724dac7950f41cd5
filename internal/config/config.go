// Package config holds the options shared by the storage backends. The
// public constructors live in package storage; the backends alias [Option].
package config

import (
	"database/sql"
	"fmt"
	"log/slog"
	"os"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/noetl/noetldb/noetl"
	"github.com/noetl/noetldb/snowflake"
	"github.com/noetl/noetldb/storage/trace"
)

// ShardEnv is the environment variable read for the id shard when no option
// sets one.
const ShardEnv = "NOETL_SNOWFLAKE_SHARD"

// DefaultShard is the shard used when neither an option nor ShardEnv sets
// one. The database's own snowflake_id() uses shard 1, so the default differs.
const DefaultShard = 0

// Options is what the backends read.
type Options struct {
	IDs          *snowflake.Generator
	Shard        *int
	Now          func() time.Time
	Schema       string
	NoMigrate    bool
	Pool         *pgxpool.Pool
	DB           *sql.DB
	PasswordCost int
	Keyring      *noetl.Keyring

	// Observability (storage.WithLogger, WithSlowThreshold, WithHook).
	Logger        *slog.Logger
	SlowThreshold time.Duration
	Hook          trace.Hook
}

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

// Generator returns the id generator the options ask for: the one given, or
// a new one on the shard given, in ShardEnv, or DefaultShard.
func (o *Options) Generator() (*snowflake.Generator, error) {
	if o.IDs != nil {
		return o.IDs, nil
	}
	shard := DefaultShard
	switch {
	case o.Shard != nil:
		shard = *o.Shard
	case os.Getenv(ShardEnv) != "":
		n, err := strconv.Atoi(os.Getenv(ShardEnv))
		if err != nil {
			return nil, fmt.Errorf("%s=%q: not a number", ShardEnv, os.Getenv(ShardEnv))
		}
		shard = n
	}
	var gopts []snowflake.Option
	if o.Now != nil {
		gopts = append(gopts, snowflake.WithClock(o.Now))
	}
	return snowflake.NewGenerator(shard, gopts...)
}

// TraceHook returns the hook the options ask for: the logger's hook and the
// caller's hook together; nil when neither is set, so the store is not
// instrumented at all.
func (o *Options) TraceHook() trace.Hook {
	return trace.Multi(trace.NewLogHook(o.Logger, o.SlowThreshold), o.Hook)
}

package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/noetl/noetldb/internal/config"
	"github.com/noetl/noetldb/noetl"
	"github.com/noetl/noetldb/snowflake"
)

// leaseShard leases a free id shard for a store opened without WithShard or
// WithGenerator: a session advisory lock, keyed by the schema name and the
// shard, held on a connection of the lease's own for the store's life. The
// lock goes with its connection, so a crashed process frees its shard at
// once; Close frees it too. Shards are tried in snowflake.LeaseOrder.
func leaseShard(ctx context.Context, pool *pgxpool.Pool, name string, o *config.Options) (*snowflake.Generator, func() error, error) {
	conn, err := pgx.ConnectConfig(ctx, pool.Config().ConnConfig.Copy())
	if err != nil {
		return nil, nil, fmt.Errorf("postgres: lease an id shard: connect: %w", err)
	}
	release := func() error { return conn.Close(context.Background()) }
	key := "noetl shard lease " + name
	for _, shard := range snowflake.LeaseOrder {
		var got bool
		if err := conn.QueryRow(ctx, "SELECT pg_try_advisory_lock(hashtext($1), $2)", key, shard).Scan(&got); err != nil {
			release()
			return nil, nil, fmt.Errorf("postgres: lease an id shard: %w", err)
		}
		if got {
			g, err := o.NewGenerator(shard)
			if err != nil {
				release()
				return nil, nil, err
			}
			// Unlock before closing: the server drops a closed session's
			// locks only once its backend has exited, after Close returns.
			unlock := func() error {
				c, cancel := context.WithTimeout(context.Background(), 5*time.Second)
				defer cancel()
				_, uerr := conn.Exec(c, "SELECT pg_advisory_unlock(hashtext($1), $2)", key, shard)
				return errors.Join(uerr, conn.Close(c))
			}
			return g, unlock, nil
		}
	}
	release()
	return nil, nil, noetl.NewError(noetl.ErrConflict,
		"postgres: every id shard of schema %q is leased by a live store; close one or give WithShard", name)
}

package postgres_test

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/noetl/noetldb/internal/pgtest"
	"github.com/noetl/noetldb/noetl"
	"github.com/noetl/noetldb/storage"
	"github.com/noetl/noetldb/storage/postgres"
)

// schemaExists reports whether schema name exists, asked on a direct
// connection.
func schemaExists(t *testing.T, dsn, name string) bool {
	t.Helper()
	c, err := pgx.Connect(context.Background(), dsn)
	require.NoError(t, err)
	defer c.Close(context.Background())
	var n int
	require.NoError(t, c.QueryRow(context.Background(),
		"SELECT count(*) FROM information_schema.schemata WHERE schema_name = $1", name).Scan(&n))
	return n > 0
}

// Behind a transaction pooler a session advisory lock would stay on a
// server connection other clients then use: a store that must lease a
// shard and was given no direct DSN is refused before it writes anything.
func TestPoolerWithoutDirectDSNRefusesToLease(t *testing.T) {
	dsn := pgtest.NewDatabase(t)
	_, err := postgres.Open(context.Background(), pgtest.PgBouncer(t, dsn), postgres.WithPooler(""))
	require.ErrorIs(t, err, noetl.ErrInvalid)
	require.ErrorContains(t, err, "direct DSN")
	require.False(t, schemaExists(t, dsn, "noetl"), "nothing migrated")
}

// A caller's pool that prepares named statements cannot go through a
// transaction pooler: refused, nothing written.
func TestPoolerRefusesAPoolThatPreparesStatements(t *testing.T) {
	dsn := pgtest.NewDatabase(t)
	pool := poolOn(t, pgtest.PgBouncer(t, dsn))
	_, err := postgres.Open(context.Background(), "", postgres.WithPool(pool), postgres.WithPooler(dsn), storage.WithShard(3))
	require.ErrorIs(t, err, noetl.ErrInvalid)
	require.ErrorContains(t, err, "cache_statement")
	require.False(t, schemaExists(t, dsn, "noetl"), "nothing migrated")
}

// Open from a DSN through the pooler picks an exec mode that carries no
// prepared statement between transactions, and leases its shard on a
// direct connection: concurrent writers through PgBouncer all succeed
// (with pgx's default, prepared statements "already exist" or "do not
// exist" on the server connection a statement lands on), and the lease is
// a session lock on a connection that is not PgBouncer's.
func TestPoolerOpenFromDSN(t *testing.T) {
	ctx := context.Background()
	dsn := pgtest.NewDatabase(t)
	s, err := postgres.Open(ctx, pgtest.PgBouncer(t, dsn), postgres.WithPooler(dsn), storage.WithPasswordCost(4))
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, s.Close()) })

	var wg sync.WaitGroup
	errs := make(chan error, 8*20)
	for w := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 20 {
				_, err := s.Labels().Create(ctx, noetl.NewLabel{Name: fmt.Sprintf("w%d-%d", w, i)})
				errs <- err
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}

	c, err := pgx.Connect(ctx, dsn)
	require.NoError(t, err)
	defer c.Close(ctx)
	var holders int
	require.NoError(t, c.QueryRow(ctx, "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND objid = $1 AND granted",
		s.IDs().Shard()).Scan(&holders))
	require.Equal(t, 1, holders, "one session holds the lease")
}

// FromTx runs in the caller's transaction: pooler and replica options do
// not apply there.
func TestFromTxRefusesPoolerAndReplicas(t *testing.T) {
	pool := sharedPool(t)
	tx, err := pool.Begin(context.Background())
	require.NoError(t, err)
	defer tx.Rollback(context.Background())
	for _, o := range []storage.Option{postgres.WithPooler(""), postgres.WithReplicas(pool)} {
		_, err := postgres.FromTx(tx, o, storage.WithShard(3))
		require.ErrorIs(t, err, noetl.ErrInvalid)
	}
}

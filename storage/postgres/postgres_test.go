package postgres_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/stretchr/testify/require"

	"github.com/noetl/noetldb/internal/pgtest"
	"github.com/noetl/noetldb/noetl"
	"github.com/noetl/noetldb/schema"
	"github.com/noetl/noetldb/snowflake"
	"github.com/noetl/noetldb/storage"
	"github.com/noetl/noetldb/storage/postgres"
	"github.com/noetl/noetldb/storage/storagetest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

var schemas atomic.Int64

// sharedPool returns one pool per top-level test over a fresh database;
// each store of the suite then lives in its own schema of that database,
// which is far quicker than a database per subtest and exercises
// postgres.WithSchema on every test.
func sharedPool(t *testing.T, params ...string) *pgxpool.Pool {
	t.Helper()
	return poolOn(t, pgtest.NewDatabase(t), params...)
}

// poolOn returns a pool on dsn with the extra connection parameters,
// closed when t ends.
func poolOn(t *testing.T, dsn string, params ...string) *pgxpool.Pool {
	t.Helper()
	for _, p := range params {
		dsn += "&" + p
	}
	pool, err := pgxpool.New(context.Background(), dsn)
	require.NoError(t, err)
	t.Cleanup(pool.Close)
	return pool
}

func storeIn(t *testing.T, pool *pgxpool.Pool, name string, more ...storage.Option) noetl.Store {
	t.Helper()
	opts := append([]storage.Option{postgres.WithPool(pool), postgres.WithSchema(name),
		storage.WithPasswordCost(4), storage.WithShard(3)}, more...)
	s, err := postgres.Open(context.Background(), "", opts...)
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, s.Close()) })
	return s
}

func TestConformance(t *testing.T) {
	t.Parallel() // each run has a database of its own
	h := harness(sharedPool(t), direct)
	h.Disruptions["TheServerRestarts"] = restartedStore
	storagetest.Run(t, h)
}

// killListeners terminates the live-feed listener connections of the
// pool's database (every store's: they all reconnect), once there is one,
// and waits until a new one listens.
func killListeners(t *testing.T, pool *pgxpool.Pool) {
	t.Helper()
	listeners := func() []int32 {
		rows, err := pool.Query(context.Background(), "SELECT pid FROM pg_stat_activity WHERE datname = current_database()"+
			" AND application_name = $1 AND query LIKE 'LISTEN%'", postgres.ListenerName)
		require.NoError(t, err)
		pids, err := pgx.CollectRows(rows, pgx.RowTo[int32])
		require.NoError(t, err)
		return pids
	}
	var killed []int32
	require.Eventually(t, func() bool { killed = listeners(); return len(killed) > 0 },
		10*time.Second, 10*time.Millisecond, "no listener connection to kill")
	_, err := pool.Exec(context.Background(), "SELECT pg_terminate_backend(pid) FROM unnest($1::int[]) AS pid", killed)
	require.NoError(t, err)
	require.Eventually(t, func() bool {
		for _, pid := range listeners() {
			if !slices.Contains(killed, pid) {
				return true
			}
		}
		return false
	}, 10*time.Second, 10*time.Millisecond, "the listener did not reconnect")
}

// restartedStore opens a store on a server of the test's own, and a
// fault that restarts that server (every connection cut) and returns once the store's pool has dropped its dead connections.
func restartedStore(t *testing.T) (noetl.Store, func()) {
	srv := pgtest.NewPrivate(t)
	pool := poolOn(t, srv.DSN())
	s := storeIn(t, pool, "restarted")
	return s, func() {
		srv.Restart(t, 300*time.Millisecond)
		pool.Reset()
	}
}

// The suite again with pgx's simple protocol (client-side parameters, no
// prepared statements), the mode of poolers and proxies that cannot carry
// prepared statements: every statement shape and the pipelined savepoints
// must work there too.
func TestConformanceSimpleProtocol(t *testing.T) {
	t.Parallel() // each run has a database of its own
	storagetest.Run(t, harness(sharedPool(t, "default_query_exec_mode=simple_protocol"), direct))
}

// The suite through a real PgBouncer in transaction pooling mode: each
// transaction, or statement outside one, may run on another server
// connection. The stores declare the pooler (WithPooler) with the direct
// DSN their shard leases connect with; the pool uses the exec mode Open
// picks behind a pooler (cache_describe), named in its DSN as WithPool
// requires. Migrators run through the pooler too. (With pgx's default
// cache_statement the same run fails: prepared statements "already exist"
// or "do not exist" on the server connection a statement lands on.)
func TestConformancePgBouncer(t *testing.T) {
	t.Parallel() // each run has a database of its own
	dsn := pgtest.NewDatabase(t)
	pool := poolOn(t, pgtest.PgBouncer(t, dsn), "default_query_exec_mode=cache_describe")
	through := func(t *testing.T, dsn string) string {
		return pgtest.PgBouncer(t, dsn) + "&default_query_exec_mode=cache_describe"
	}
	storagetest.Run(t, harness(pool, through, postgres.WithPooler(dsn)))
}

// direct reaches a fresh database as it is.
func direct(_ *testing.T, dsn string) string { return dsn }

// harness is the suite's harness over pool: each store in a schema of its
// own, opened with the options more. via turns the DSN of a fresh database
// into the one the migrator subtests connect with.
func harness(pool *pgxpool.Pool, via func(t *testing.T, dsn string) string, more ...storage.Option) storagetest.Harness {
	storeIn := func(t *testing.T, pool *pgxpool.Pool, name string, opts ...storage.Option) noetl.Store {
		t.Helper()
		return storeIn(t, pool, name, append(opts, more...)...)
	}
	return storagetest.Harness{
		New: func(t *testing.T) noetl.Store {
			return storeIn(t, pool, fmt.Sprintf("t%d", schemas.Add(1)))
		},
		Disruptions: map[string]func(t *testing.T) (noetl.Store, func()){
			"TheListenerConnectionIsKilled": func(t *testing.T) (noetl.Store, func()) {
				return storeIn(t, pool, fmt.Sprintf("t%d", schemas.Add(1))), func() { killListeners(t, pool) }
			},
		},
		NewMigrator: func(t *testing.T) (*schema.Migrator, *sql.DB) {
			p, err := pgxpool.New(context.Background(), via(t, pgtest.NewDatabase(t)))
			require.NoError(t, err)
			t.Cleanup(p.Close)
			db := stdlib.OpenDBFromPool(p)
			t.Cleanup(func() { db.Close() })
			m, err := schema.NewMigrator(db, schema.Postgres)
			require.NoError(t, err)
			return m, db
		},
		NewWith: func(t *testing.T, o storagetest.StoreOptions) noetl.Store {
			var opts []storage.Option
			if o.Keyring != nil {
				opts = append(opts, storage.WithKeyring(o.Keyring))
			}
			if o.Now != nil {
				opts = append(opts, storage.WithClock(o.Now))
			}
			if o.Hook != nil || o.Logger != nil {
				opts = append(opts, storage.WithHook(o.Hook), storage.WithLogger(o.Logger), storage.WithSlowThreshold(o.SlowThreshold))
			}
			return storeIn(t, pool, fmt.Sprintf("t%d", schemas.Add(1)), opts...)
		},
		NewCallerTx: func(t *testing.T) storagetest.CallerTx {
			name := fmt.Sprintf("t%d", schemas.Add(1))
			return newCallerTx(t, pool, name, storeIn(t, pool, name))
		},
		NewLeasing: func(t *testing.T) func(t *testing.T) (noetl.Store, error) {
			name := fmt.Sprintf("t%d", schemas.Add(1))
			return func(t *testing.T) (noetl.Store, error) {
				s, err := postgres.Open(context.Background(), "", append([]storage.Option{postgres.WithPool(pool),
					postgres.WithSchema(name), storage.WithPasswordCost(4)}, more...)...)
				if err == nil {
					t.Cleanup(func() { s.Close() })
				}
				return s, err
			}
		},
		NewShared: func(t *testing.T) func(t *testing.T) noetl.Store {
			name := fmt.Sprintf("t%d", schemas.Add(1))
			var opened atomic.Int64
			return func(t *testing.T) noetl.Store {
				p, err := pgxpool.New(context.Background(), pool.Config().ConnString())
				require.NoError(t, err)
				t.Cleanup(p.Close)
				// Separate stores on one database need shards of their own.
				shard := snowflake.LeaseOrder[int(opened.Add(1))%len(snowflake.LeaseOrder)]
				return storeIn(t, p, name, storage.WithShard(shard))
			}
		},
	}
}

// newCallerTx, given outer, a store that migrated schema name, creates the
// service's own ticket table in it, begins the service's transaction on
// pool and joins a store to it.
func newCallerTx(t *testing.T, pool *pgxpool.Pool, name string, outer noetl.Store) storagetest.CallerTx {
	t.Helper()
	ctx := context.Background()
	_, err := pool.Exec(ctx, "CREATE TABLE "+name+".ticket (id BIGINT PRIMARY KEY, title TEXT NOT NULL)")
	require.NoError(t, err)
	tx, err := pool.Begin(ctx)
	require.NoError(t, err)
	t.Cleanup(func() { _ = tx.Rollback(context.Background()) })
	st, err := postgres.FromTx(tx, postgres.WithSchema(name), storage.WithPasswordCost(4), storage.WithGenerator(outer.IDs()))
	require.NoError(t, err)
	return storagetest.CallerTx{
		Store: st,
		Outer: outer,
		AddTicket: func(ctx context.Context, id int64, title string) error {
			_, err := tx.Exec(ctx, "INSERT INTO "+name+".ticket (id, title) VALUES ($1, $2)", id, title)
			return err
		},
		Tickets: func(ctx context.Context) (n int, err error) {
			err = pool.QueryRow(ctx, "SELECT count(*) FROM "+name+".ticket").Scan(&n)
			return n, err
		},
		Commit:   tx.Commit,
		Rollback: tx.Rollback,
	}
}

// leaseHolders returns the backends holding a shard's lease lock, granted.
func leaseHolders(t *testing.T, pool *pgxpool.Pool, shard int) []int32 {
	t.Helper()
	rows, err := pool.Query(context.Background(), "SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND objid = $1 AND granted", shard)
	require.NoError(t, err)
	pids, err := pgx.CollectRows(rows, pgx.RowTo[int32])
	require.NoError(t, err)
	return pids
}

// openLeased opens a store that leases its shard, in a new schema, and
// returns it with the lease's lock key.
func openLeased(t *testing.T, pool *pgxpool.Pool) (noetl.Store, string) {
	t.Helper()
	name := fmt.Sprintf("lease%d", schemas.Add(1))
	s, err := postgres.Open(context.Background(), "", postgres.WithPool(pool), postgres.WithSchema(name), storage.WithPasswordCost(4))
	require.NoError(t, err)
	t.Cleanup(func() { s.Close() })
	return s, "noetl shard lease " + name
}

// takeLostLease kills the connection holding s's lease until other takes
// the freed lock before s takes it again, then waits until s has noticed.
// It polls on the test's goroutine: the holders are read once per poll,
// since the store may take the shard again between two reads.
func takeLostLease(t *testing.T, pool *pgxpool.Pool, s noetl.Store, other *pgxpool.Conn, key string) {
	t.Helper()
	ctx := context.Background()
	shard := s.IDs().Shard()
	deadline := time.Now().Add(30 * time.Second)
	killed := []int32{}
	for {
		require.True(t, time.Now().Before(deadline), "other took the freed shard within 30s")
		var got bool
		require.NoError(t, other.QueryRow(ctx, "SELECT pg_try_advisory_lock(hashtext($1), $2)", key, shard).Scan(&got))
		if got {
			break
		}
		held := leaseHolders(t, pool, shard)
		if len(held) == 1 && !slices.Contains(killed, held[0]) {
			killed = append(killed, held[0])
			_, err := pool.Exec(ctx, "SELECT pg_terminate_backend($1)", held[0])
			require.NoError(t, err)
		}
		time.Sleep(time.Millisecond)
	}
	require.Eventually(t, func() bool {
		_, err := s.IDs().Next()
		return errors.Is(err, snowflake.ErrSuspended)
	}, 5*time.Second, 10*time.Millisecond, "the store noticed the loss and stopped issuing ids")
}

// The lease is a session advisory lock: when the server kills its
// connection the shard is free, and the store takes the same shard again
// on a new connection, issuing ids on after it as before.
func TestLostLeaseIsTakenAgain(t *testing.T) {
	ctx := context.Background()
	pool := sharedPool(t)
	s, _ := openLeased(t, pool)
	shard := s.IDs().Shard()
	before, err := s.IDs().Next()
	require.NoError(t, err)
	held := leaseHolders(t, pool, shard)
	require.Len(t, held, 1, "one connection holds the lease")
	_, err = pool.Exec(ctx, "SELECT pg_terminate_backend($1)", held[0])
	require.NoError(t, err)
	require.Eventually(t, func() bool {
		now := leaseHolders(t, pool, shard)
		return len(now) == 1 && now[0] != held[0]
	}, 10*time.Second, 20*time.Millisecond, "the store took its shard again on a new connection")
	require.Eventually(t, func() bool { _, err := s.IDs().Next(); return err == nil }, 5*time.Second, 10*time.Millisecond)
	after, err := s.IDs().Next()
	require.NoError(t, err)
	require.Greater(t, after, before)
	_, err = s.Profiles().Create(ctx, noetl.NewProfile{Username: "ann", Type: noetl.ProfileUser})
	require.NoError(t, err, "the store writes with new ids again")
}

// While another session holds the shard a store lost, the store issues no
// id: calls that need one fail with ErrTransient and write nothing, reads
// go on. Once the shard is free the store takes it again and writes.
func TestLeaseHeldByAnotherMeanwhileRefusesNewIDs(t *testing.T) {
	ctx := context.Background()
	pool := sharedPool(t)
	s, key := openLeased(t, pool)
	other, err := pool.Acquire(ctx)
	require.NoError(t, err)
	defer other.Release()
	takeLostLease(t, pool, s, other, key)
	_, err = s.Profiles().Create(ctx, noetl.NewProfile{Username: "bob", Type: noetl.ProfileUser})
	require.ErrorIs(t, err, noetl.ErrTransient)
	require.ErrorIs(t, err, snowflake.ErrSuspended)
	_, err = s.Profiles().GetByUsername(ctx, "bob")
	require.ErrorIs(t, err, noetl.ErrNotFound, "nothing was written; reads go on")
	var freed bool
	require.NoError(t, other.QueryRow(ctx, "SELECT pg_advisory_unlock(hashtext($1), $2)", key, s.IDs().Shard()).Scan(&freed))
	require.True(t, freed)
	require.Eventually(t, func() bool {
		_, err := s.Profiles().Create(ctx, noetl.NewProfile{Username: "bob", Type: noetl.ProfileUser})
		return err == nil
	}, 15*time.Second, 50*time.Millisecond, "the store took its shard again once free")
}

// A store that closes while it waits to take its lease again closes at
// once, leaving the shard to its holder.
func TestCloseWhileTakingTheLeaseAgain(t *testing.T) {
	ctx := context.Background()
	pool := sharedPool(t)
	name := fmt.Sprintf("lease%d", schemas.Add(1))
	s, err := postgres.Open(ctx, "", postgres.WithPool(pool), postgres.WithSchema(name), storage.WithPasswordCost(4))
	require.NoError(t, err)
	shard := s.IDs().Shard()
	other, err := pool.Acquire(ctx)
	require.NoError(t, err)
	defer other.Release()
	takeLostLease(t, pool, s, other, "noetl shard lease "+name)
	done := make(chan error, 1)
	go func() { done <- s.Close() }()
	select {
	case err := <-done:
		require.NoError(t, err)
	case <-time.After(5 * time.Second):
		t.Fatal("Close waited for the lease")
	}
	require.Equal(t, []int32{int32(other.Conn().PgConn().PID())}, leaseHolders(t, pool, shard), "the other holder keeps the shard")
}

// A caller's transaction that its own statement aborted refuses the joined
// store's calls with a sentinel (25P02 is never returned bare).
func TestJoinedStoreInACallersAbortedTransaction(t *testing.T) {
	ctx := context.Background()
	pool := sharedPool(t)
	storeIn(t, pool, "aborted")
	tx, err := pool.Begin(ctx)
	require.NoError(t, err)
	defer tx.Rollback(ctx)
	_, err = tx.Exec(ctx, "SELECT 1/0")
	require.Error(t, err)
	st, err := postgres.FromTx(tx, postgres.WithSchema("aborted"), storage.WithShard(3))
	require.NoError(t, err)
	_, err = st.Profiles().GetByUsername(ctx, "ann")
	require.ErrorIs(t, err, noetl.ErrInvalid)
	require.Contains(t, err.Error(), "25P02")
}

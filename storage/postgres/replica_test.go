package postgres_test

import (
	"bytes"
	"context"
	"log/slog"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"

	"github.com/noetl/noetldb/internal/pgtest"
	"github.com/noetl/noetldb/noetl"
	"github.com/noetl/noetldb/storage"
	"github.com/noetl/noetldb/storage/postgres"
	"github.com/noetl/noetldb/storage/storagetest"
)

// countingPool returns a pool on dsn that counts the queries it runs.
func countingPool(t *testing.T, dsn string) (*pgxpool.Pool, *atomic.Int64) {
	t.Helper()
	cfg, err := pgxpool.ParseConfig(dsn)
	require.NoError(t, err)
	n := &atomic.Int64{}
	cfg.ConnConfig.Tracer = queryCounter{n}
	pool, err := pgxpool.NewWithConfig(context.Background(), cfg)
	require.NoError(t, err)
	t.Cleanup(pool.Close)
	return pool, n
}

type queryCounter struct{ n *atomic.Int64 }

func (q queryCounter) TraceQueryStart(ctx context.Context, _ *pgx.Conn, _ pgx.TraceQueryStartData) context.Context {
	q.n.Add(1)
	return ctx
}

func (queryCounter) TraceQueryEnd(context.Context, *pgx.Conn, pgx.TraceQueryEndData) {}

// The suite with a read replica configured. The replica is the primary's
// synchronous standby and the database's commits wait until it has
// replayed them (synchronous_commit = remote_apply), so the suite's reads
// right after its writes, sent to the replica, see those writes: the suite
// runs unchanged, on a deployment that promises read-your-writes. (With an
// asynchronous replica such a read may not see the write: that is what
// storage.PrimaryRead is for, tested below.) The replica is checked to
// have served reads.
func TestConformanceReplica(t *testing.T) {
	t.Parallel() // each run has a database of its own
	dsn := pgtest.NewDatabase(t)
	r := pgtest.NewSyncReplica(t, dsn)
	replica, reads := countingPool(t, r.DSN(dsn))
	storagetest.Run(t, harness(poolOn(t, dsn), direct, postgres.WithReplicas(replica)))
	require.Greater(t, reads.Load(), int64(1000), "the replica served the suite's lag-tolerant reads")
}

// waitReplay waits until the replica has replayed everything the primary
// has written so far.
func waitReplay(t *testing.T, primary, replica *pgxpool.Pool) {
	t.Helper()
	ctx := context.Background()
	var lsn string
	require.NoError(t, primary.QueryRow(ctx, "SELECT pg_current_wal_lsn()::text").Scan(&lsn))
	require.Eventually(t, func() bool {
		var ok bool
		err := replica.QueryRow(ctx, "SELECT pg_last_wal_replay_lsn() >= $1::pg_lsn", lsn).Scan(&ok)
		return err == nil && ok
	}, 30*time.Second, 10*time.Millisecond, "the replica replays the primary")
}

// syncBuffer is a bytes.Buffer safe for the logger's concurrent writes.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// Against an asynchronous replica whose replay is paused, a row written on
// the primary is not on the replica: which calls see it tells where they
// ran.
func TestReplicaRouting(t *testing.T) {
	ctx := context.Background()
	dsn := pgtest.NewDatabase(t)
	r := pgtest.NewReplica(t)
	primary := poolOn(t, dsn)
	replica := poolOn(t, r.DSN(dsn))
	var logs syncBuffer
	logger := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelWarn}))
	s, err := postgres.Open(ctx, "", postgres.WithPool(primary), postgres.WithReplicas(replica),
		storage.WithShard(3), storage.WithPasswordCost(4), storage.WithLogger(logger))
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, s.Close()) })

	waitReplay(t, primary, replica)
	_, err = replica.Exec(ctx, "SELECT pg_wal_replay_pause()")
	require.NoError(t, err)
	fresh, err := s.Labels().Create(ctx, noetl.NewLabel{Name: "fresh"})
	require.NoError(t, err)

	t.Run("LagTolerantGetRunsOnTheReplica", func(t *testing.T) {
		_, err := s.Labels().Get(ctx, fresh.ID)
		require.ErrorIs(t, err, noetl.ErrNotFound, "the paused replica has not replayed the label")
	})
	t.Run("PrimaryReadSeesTheWrite", func(t *testing.T) {
		got, err := s.Labels().Get(storage.PrimaryRead(ctx), fresh.ID)
		require.NoError(t, err)
		require.Equal(t, fresh.ID, got.ID)
	})
	t.Run("AWritesOwnChecksRunOnThePrimary", func(t *testing.T) {
		child, err := s.Labels().Create(ctx, noetl.NewLabel{ParentID: &fresh.ID, Name: "child"})
		require.NoError(t, err, "the parent is checked on the primary")
		path, err := s.Labels().Path(storage.PrimaryRead(ctx), child.ID)
		require.NoError(t, err)
		require.Equal(t, "/fresh/child", path)
	})
	t.Run("ReadsInATransactionRunOnThePrimary", func(t *testing.T) {
		err := s.InTx(ctx, func(txCtx context.Context, tx noetl.Store) error {
			if _, err := tx.Labels().Get(txCtx, fresh.ID); err != nil {
				return err
			}
			_, err := s.Labels().Get(txCtx, fresh.ID) // the outer store, joined by the ctx
			return err
		})
		require.NoError(t, err)
	})
	t.Run("AccessDecidingReadsRunOnThePrimary", func(t *testing.T) {
		p, err := s.Profiles().Create(ctx, noetl.NewProfile{Username: "ann", Type: noetl.ProfileUser,
			Password: noetl.Secret("correct horse battery")})
		require.NoError(t, err)
		got, err := s.Profiles().VerifyPassword(ctx, "ann", noetl.Secret("correct horse battery"))
		require.NoError(t, err)
		require.Equal(t, p.ID, got.ID)
	})
	t.Run("ReplicaCatchesUp", func(t *testing.T) {
		_, err := replica.Exec(ctx, "SELECT pg_wal_replay_resume()")
		require.NoError(t, err)
		require.Eventually(t, func() bool {
			_, err := s.Labels().Get(ctx, fresh.ID)
			return err == nil
		}, 30*time.Second, 10*time.Millisecond)
	})
	require.NotContains(t, logs.String(), "replica", "no fallback while the replica is up")

	t.Run("ReplicaGoneReadsFallBackToThePrimaryWithALogRecord", func(t *testing.T) {
		_, err := replica.Exec(ctx, "SELECT pg_wal_replay_pause()")
		require.NoError(t, err)
		late, err := s.Labels().Create(ctx, noetl.NewLabel{Name: "late"})
		require.NoError(t, err)
		r.Stop()
		got, err := s.Labels().Get(ctx, late.ID)
		require.NoError(t, err, "served by the primary: the replica never replayed it")
		require.Equal(t, late.ID, got.ID)
		require.Contains(t, logs.String(), "noetl retry")
		require.Contains(t, logs.String(), "read replica")
		require.Contains(t, logs.String(), "labels.get")
		p, err := s.Labels().Children(ctx, nil, noetl.LabelQuery{})
		require.NoError(t, err, "later reads go on, on the primary")
		require.Len(t, p.Items, 2)
	})
}

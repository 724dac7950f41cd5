package sqlite_test

import (
	"context"
	"database/sql"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/noetl/noetldb/noetl"
	"github.com/noetl/noetldb/snowflake"
	"github.com/noetl/noetldb/storage/sqlite"
)

// A crashed process leaves its lease row behind: it is skipped while it
// lives and taken over once it has expired.
func TestLeaseOfACrashedStoreIsTakenOverAfterItExpires(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "crashed.db")
	first, err := openLeasing(t, path)
	require.NoError(t, err)
	shard := first.IDs().Shard()
	require.Equal(t, snowflake.LeaseOrder[0], shard)
	dsn, err := sqlite.DSN(path)
	require.NoError(t, err)
	db, err := sql.Open("sqlite", dsn)
	require.NoError(t, err)
	defer db.Close()
	// The holder "crashes": its row stays, as after a kill -9.
	_, err = db.ExecContext(ctx, "UPDATE noetl_shard_lease SET holder = 'crashed' WHERE shard = ?", shard)
	require.NoError(t, err)
	require.NoError(t, first.Close())

	live, err := openLeasing(t, path)
	require.NoError(t, err)
	require.NotEqual(t, shard, live.IDs().Shard(), "a lease that has not expired is not taken")

	_, err = db.ExecContext(ctx, "UPDATE noetl_shard_lease SET expires_at = ? WHERE holder = 'crashed'",
		time.Now().Add(-time.Second).UnixMicro())
	require.NoError(t, err)
	again, err := openLeasing(t, path)
	require.NoError(t, err)
	require.Equal(t, shard, again.IDs().Shard(), "an expired lease is taken over")
}

// A store whose lease another store took over (this process stalled past
// the lease's life) issues no id while the other holds the shard: calls
// that need one fail with ErrTransient and write nothing. Once the shard is
// free the store renews its lease and writes again.
func TestLeaseTakenOverMeanwhileRefusesNewIDs(t *testing.T) {
	defer sqlite.SetLeaseRenew(50 * time.Millisecond)()
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "taken.db")
	s, err := openLeasing(t, path)
	require.NoError(t, err)
	shard := s.IDs().Shard()
	before, err := s.IDs().Next()
	require.NoError(t, err)
	dsn, err := sqlite.DSN(path)
	require.NoError(t, err)
	db, err := sql.Open("sqlite", dsn)
	require.NoError(t, err)
	defer db.Close()
	// Another store's row, as if it had taken the expired lease.
	_, err = db.ExecContext(ctx, "UPDATE noetl_shard_lease SET holder = 'other', expires_at = ? WHERE shard = ?",
		time.Now().Add(time.Hour).UnixMicro(), shard)
	require.NoError(t, err)
	require.Eventually(t, func() bool {
		_, err := s.IDs().Next()
		return errors.Is(err, snowflake.ErrSuspended)
	}, 5*time.Second, 10*time.Millisecond, "the renewal found the shard taken")
	_, err = s.Profiles().Create(ctx, noetl.NewProfile{Username: "bob", Type: noetl.ProfileUser})
	require.ErrorIs(t, err, noetl.ErrTransient)
	_, err = s.Profiles().GetByUsername(ctx, "bob")
	require.ErrorIs(t, err, noetl.ErrNotFound, "nothing was written; reads go on")

	_, err = db.ExecContext(ctx, "DELETE FROM noetl_shard_lease WHERE holder = 'other'")
	require.NoError(t, err)
	require.Eventually(t, func() bool {
		_, err := s.Profiles().Create(ctx, noetl.NewProfile{Username: "bob", Type: noetl.ProfileUser})
		return err == nil
	}, 5*time.Second, 10*time.Millisecond, "the store took its shard back once free")
	after, err := s.IDs().Next()
	require.NoError(t, err)
	require.Greater(t, after, before)
	var holder string
	require.NoError(t, db.QueryRowContext(ctx, "SELECT holder FROM noetl_shard_lease WHERE shard = ?", shard).Scan(&holder))
	require.NotEqual(t, "other", holder)
}

// A store that cannot renew its lease (another process holds the write
// lock) suspends its generator before the lease can expire, and resumes
// it once a renewal succeeds.
func TestLeaseThatCannotBeRenewedSuspendsIDsBeforeItExpires(t *testing.T) {
	// An interval long enough that the check below, made once the store
	// has suspended, is not outrun by the lease's expiry on a loaded
	// machine: it has one interval to spare.
	defer sqlite.SetLeaseRenew(250 * time.Millisecond)()
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "stalled.db")
	s, err := openLeasing(t, path)
	require.NoError(t, err)
	dsn, err := sqlite.DSN(path)
	require.NoError(t, err)
	db, err := sql.Open("sqlite", dsn)
	require.NoError(t, err)
	defer db.Close()
	conn, err := db.Conn(ctx)
	require.NoError(t, err)
	defer conn.Close()
	_, err = conn.ExecContext(ctx, "BEGIN IMMEDIATE")
	require.NoError(t, err)
	require.Eventually(t, func() bool {
		_, err := s.IDs().Next()
		return errors.Is(err, snowflake.ErrSuspended)
	}, 5*time.Second, 5*time.Millisecond, "renewals failed for two intervals")
	var expires int64
	require.NoError(t, conn.QueryRowContext(ctx, "SELECT expires_at FROM noetl_shard_lease WHERE shard = ?", s.IDs().Shard()).Scan(&expires))
	require.Greater(t, expires, time.Now().UnixMicro(), "suspended while the lease is still the store's")
	_, err = conn.ExecContext(ctx, "ROLLBACK")
	require.NoError(t, err)
	require.Eventually(t, func() bool { _, err := s.IDs().Next(); return err == nil }, 5*time.Second, 5*time.Millisecond)
}

package sqlite_test

import (
	"context"
	"database/sql"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

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

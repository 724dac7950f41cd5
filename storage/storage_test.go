package storage_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/noetl/noetldb/internal/pgtest"
	"github.com/noetl/noetldb/noetl"
	"github.com/noetl/noetldb/snowflake"
	"github.com/noetl/noetldb/storage"
	"github.com/noetl/noetldb/storage/postgres"
	"github.com/noetl/noetldb/storage/sqlite"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

func openOK(t *testing.T, dsn, dialect string, opts ...storage.Option) noetl.Store {
	t.Helper()
	s, err := storage.Open(context.Background(), dsn, opts...)
	require.NoError(t, err, dsn)
	t.Cleanup(func() { s.Close() })
	assert.Equal(t, dialect, s.Dialect())
	_, err = s.Roles().GetByName(context.Background(), "admin")
	require.NoError(t, err, "migrated on open")
	return s
}

func TestOpenPicksBackendByDSN(t *testing.T) {
	dir := t.TempDir()
	openOK(t, "sqlite::memory:", "sqlite")
	openOK(t, "sqlite:"+filepath.Join(dir, "a.db"), "sqlite")
	openOK(t, "sqlite://"+filepath.Join(dir, "b.db"), "sqlite") // sqlite:///abs/path
	openOK(t, "file:"+filepath.Join(dir, "c.db")+"?cache=private", "sqlite")
	assert.FileExists(t, filepath.Join(dir, "a.db"))
	assert.FileExists(t, filepath.Join(dir, "b.db"))
	assert.FileExists(t, filepath.Join(dir, "c.db"))
	openOK(t, pgtest.NewDatabase(t), "postgres")
	pg := pgtest.NewDatabase(t)
	openOK(t, "postgresql://"+pg[len("postgres://"):], "postgres")
}

func TestMemoryStoresArePrivate(t *testing.T) {
	a := openOK(t, "sqlite::memory:", "sqlite")
	b := openOK(t, "sqlite::memory:", "sqlite")
	_, err := a.Roles().Create(context.Background(), noetl.NewRole{Name: "only-in-a"})
	require.NoError(t, err)
	_, err = b.Roles().GetByName(context.Background(), "only-in-a")
	assert.ErrorIs(t, err, noetl.ErrNotFound)
}

func TestFileStoreKeepsDataAcrossOpens(t *testing.T) {
	dsn := "sqlite:" + filepath.Join(t.TempDir(), "keep.db")
	s, err := storage.Open(context.Background(), dsn)
	require.NoError(t, err)
	_, err = s.Roles().Create(context.Background(), noetl.NewRole{Name: "kept"})
	require.NoError(t, err)
	require.NoError(t, s.Close())
	s2 := openOK(t, dsn, "sqlite")
	_, err = s2.Roles().GetByName(context.Background(), "kept")
	assert.NoError(t, err)
}

func TestUnknownOrEmptyDSNIsInvalid(t *testing.T) {
	for _, dsn := range []string{"mysql://x", "", "sqlite:", "redis://localhost"} {
		_, err := storage.Open(context.Background(), dsn)
		assert.ErrorIs(t, err, noetl.ErrInvalid, dsn)
	}
}

func TestWithoutMigrateLeavesDatabaseEmpty(t *testing.T) {
	s, err := storage.Open(context.Background(), "sqlite::memory:", storage.WithoutMigrate())
	require.NoError(t, err)
	defer s.Close()
	_, err = s.Roles().GetByName(context.Background(), "admin")
	assert.Error(t, err, "no tables without migration")
}

func TestBadShardIsRefused(t *testing.T) {
	for _, shard := range []int{-1, 1, 32} {
		_, err := storage.Open(context.Background(), "sqlite::memory:", storage.WithShard(shard))
		require.ErrorIs(t, err, noetl.ErrInvalid, "shard %d", shard)
	}
	s := openOK(t, "sqlite::memory:", "sqlite", storage.WithShard(9))
	assert.Equal(t, 9, s.IDs().Shard())
}

func TestTheEnvironmentDoesNotPickTheShard(t *testing.T) {
	t.Setenv("NOETL_SNOWFLAKE_SHARD", "9")
	s := openOK(t, "sqlite::memory:", "sqlite")
	assert.NotEqual(t, 9, s.IDs().Shard(), "the library reads no environment variable")
	assert.Equal(t, snowflake.LeaseOrder[0], s.IDs().Shard(), "a lone store leases the first shard of LeaseOrder")
}

func TestOptionOfAnotherBackendIsRefused(t *testing.T) {
	ctx := context.Background()
	_, err := storage.Open(ctx, "sqlite::memory:", postgres.WithSchema("x"))
	require.ErrorIs(t, err, noetl.ErrInvalid)
	require.Contains(t, err.Error(), "postgres.WithSchema")
	_, err = storage.Open(ctx, "sqlite::memory:", postgres.WithPool(nil))
	require.ErrorIs(t, err, noetl.ErrInvalid)
	// Refused before connecting: no server is needed to see it.
	_, err = storage.Open(ctx, "postgres://nobody@127.0.0.1:1/db", sqlite.WithDB(nil))
	require.ErrorIs(t, err, noetl.ErrInvalid)
	require.Contains(t, err.Error(), "sqlite.WithDB")
	_, err = storage.Open(ctx, "sqlite::memory:", storage.WithShard(3), storage.WithGenerator(gen4(t)))
	require.ErrorIs(t, err, noetl.ErrInvalid, "a shard and a generator both given")
}

func TestPostgresPasswordNotInConnectError(t *testing.T) {
	_, err := storage.Open(context.Background(), "postgres://app:s3cretpw@127.0.0.1:1/db?connect_timeout=1")
	require.Error(t, err)
	assert.NotContains(t, err.Error(), "s3cretpw")
}

func gen4(t *testing.T) *snowflake.Generator {
	g, err := snowflake.NewGenerator(4)
	require.NoError(t, err)
	return g
}

// Failures to open wrap a sentinel too: a file that cannot be opened is a
// storage failure, a server that does not answer is transient.
func TestOpenFailuresWrapSentinels(t *testing.T) {
	ctx := context.Background()
	_, err := storage.Open(ctx, "sqlite:"+filepath.Join(t.TempDir(), "no", "such", "dir", "x.db"))
	require.ErrorIs(t, err, noetl.ErrStorage)
	_, err = storage.Open(ctx, "postgres://nobody@127.0.0.1:1/db?connect_timeout=2")
	require.ErrorIs(t, err, noetl.ErrTransient)
}

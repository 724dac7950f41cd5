package sqlite_test

import (
	"context"
	"database/sql"
	"path/filepath"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/noetl/noetldb/noetl"
	"github.com/noetl/noetldb/schema"
	"github.com/noetl/noetldb/snowflake"
	"github.com/noetl/noetldb/storage"
	"github.com/noetl/noetldb/storage/sqlite"
	"github.com/noetl/noetldb/storage/storagetest"
)

// testOpts keep bcrypt cheap in tests.
var testOpts = []storage.Option{storage.WithPasswordCost(4), storage.WithShard(3)}

func openMemory(t *testing.T) noetl.Store {
	return openWith(t, sqlite.Memory, storagetest.StoreOptions{})
}

// openWith opens path with the options a subtest asked for.
func openWith(t *testing.T, path string, o storagetest.StoreOptions) noetl.Store {
	t.Helper()
	opts := append([]storage.Option{}, testOpts...)
	if o.Keyring != nil {
		opts = append(opts, storage.WithKeyring(o.Keyring))
	}
	if o.Now != nil {
		opts = append(opts, storage.WithClock(o.Now))
	}
	if o.Hook != nil || o.Logger != nil {
		opts = append(opts, storage.WithHook(o.Hook), storage.WithLogger(o.Logger), storage.WithSlowThreshold(o.SlowThreshold))
	}
	s, err := sqlite.Open(context.Background(), path, opts...)
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, s.Close()) })
	return s
}

func openFile(t *testing.T) noetl.Store {
	t.Helper()
	s, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "noetl.db"), testOpts...)
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, s.Close()) })
	return s
}

func newMigrator(t *testing.T) (*schema.Migrator, *sql.DB) {
	t.Helper()
	dsn, err := sqlite.DSN(filepath.Join(t.TempDir(), "migrate.db"))
	require.NoError(t, err)
	db, err := sql.Open("sqlite", dsn)
	require.NoError(t, err)
	t.Cleanup(func() { db.Close() })
	// Create the file and switch it to WAL on one connection first, as
	// sqlite.Open does: several connections doing that at once to a file
	// that does not exist yet can fail with SQLITE_BUSY before any busy
	// handler runs.
	require.NoError(t, db.Ping())
	m, err := schema.NewMigrator(db, schema.SQLite)
	require.NoError(t, err)
	return m, db
}

func TestConformanceMemory(t *testing.T) {
	storagetest.Run(t, storagetest.Harness{New: openMemory, NewMigrator: newMigrator,
		NewWith:     func(t *testing.T, o storagetest.StoreOptions) noetl.Store { return openWith(t, sqlite.Memory, o) },
		NewCallerTx: func(t *testing.T) storagetest.CallerTx { return newCallerTx(t, sqlite.Memory) },
		NewLeasing:  leasingMemory,
	})
}

func TestConformanceFile(t *testing.T) {
	storagetest.Run(t, storagetest.Harness{
		New:         openFile,
		NewMigrator: newMigrator,
		NewWith: func(t *testing.T, o storagetest.StoreOptions) noetl.Store {
			return openWith(t, filepath.Join(t.TempDir(), "noetl.db"), o)
		},
		NewCallerTx: func(t *testing.T) storagetest.CallerTx {
			return newCallerTx(t, filepath.Join(t.TempDir(), "caller.db"))
		},
		NewLeasing: func(t *testing.T) func(t *testing.T) (noetl.Store, error) {
			path := filepath.Join(t.TempDir(), "leasing.db")
			return func(t *testing.T) (noetl.Store, error) { return openLeasing(t, path) }
		},
		NewShared: func(t *testing.T) func(t *testing.T) noetl.Store {
			path := filepath.Join(t.TempDir(), "shared.db")
			var opened atomic.Int64
			return func(t *testing.T) noetl.Store {
				// Separate stores on one database need shards of their own.
				shard := snowflake.LeaseOrder[int(opened.Add(1))%len(snowflake.LeaseOrder)]
				s, err := sqlite.Open(context.Background(), path, append(testOpts, storage.WithShard(shard))...)
				require.NoError(t, err)
				t.Cleanup(func() { s.Close() })
				return s
			}
		},
	})
}

// newCallerTx opens path as a service would (its own *sql.DB with sqlite.DSN's
// pragmas, the NoETL schema beside its own ticket table), begins the
// service's transaction and joins a store to it.
func newCallerTx(t *testing.T, path string) storagetest.CallerTx {
	t.Helper()
	ctx := context.Background()
	dsn, err := sqlite.DSN(path)
	require.NoError(t, err)
	db, err := sql.Open("sqlite", dsn)
	require.NoError(t, err)
	t.Cleanup(func() { db.Close() })
	keep, err := db.Conn(ctx) // an in-memory database lives while a connection does
	require.NoError(t, err)
	t.Cleanup(func() { keep.Close() })
	require.NoError(t, sqlite.Migrate(ctx, db))
	_, err = db.ExecContext(ctx, "CREATE TABLE ticket (id INTEGER PRIMARY KEY, title TEXT NOT NULL)")
	require.NoError(t, err)
	outer, err := sqlite.Open(ctx, "", append(testOpts, sqlite.WithDB(db), storage.WithoutMigrate())...)
	require.NoError(t, err)
	t.Cleanup(func() { outer.Close() })
	tx, err := db.BeginTx(ctx, nil)
	require.NoError(t, err)
	t.Cleanup(func() { _ = tx.Rollback() })
	st, err := sqlite.FromTx(tx, storage.WithPasswordCost(4), storage.WithGenerator(outer.IDs())) // the outer store's ids
	require.NoError(t, err)
	return storagetest.CallerTx{
		Store: st,
		Outer: outer,
		AddTicket: func(ctx context.Context, id int64, title string) error {
			_, err := tx.ExecContext(ctx, "INSERT INTO ticket (id, title) VALUES (?, ?)", id, title)
			return err
		},
		Tickets: func(ctx context.Context) (n int, err error) {
			err = db.QueryRowContext(ctx, "SELECT count(*) FROM ticket").Scan(&n)
			return n, err
		},
		Commit:   func(context.Context) error { return tx.Commit() },
		Rollback: func(context.Context) error { return tx.Rollback() },
	}
}

// openLeasing opens a store on path with no shard option.
func openLeasing(t *testing.T, path string, more ...storage.Option) (noetl.Store, error) {
	s, err := sqlite.Open(context.Background(), path, append([]storage.Option{storage.WithPasswordCost(4)}, more...)...)
	if err == nil {
		t.Cleanup(func() { s.Close() })
	}
	return s, err
}

// leasingMemory opens stores with no shard option on one in-memory
// database, shared through one *sql.DB.
func leasingMemory(t *testing.T) func(t *testing.T) (noetl.Store, error) {
	dsn, err := sqlite.DSN(sqlite.Memory)
	require.NoError(t, err)
	db, err := sql.Open("sqlite", dsn)
	require.NoError(t, err)
	t.Cleanup(func() { db.Close() })
	keep, err := db.Conn(context.Background())
	require.NoError(t, err)
	t.Cleanup(func() { keep.Close() })
	return func(t *testing.T) (noetl.Store, error) { return openLeasing(t, "", sqlite.WithDB(db)) }
}

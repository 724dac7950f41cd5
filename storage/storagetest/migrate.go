package storagetest

import (
	"context"
	"database/sql"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/noetl/noetldb/schema"
)

func init() { register("migrator", testMigrator) }

func contextWithCancel(t *testing.T) (context.Context, context.CancelFunc) {
	return context.WithCancel(ctx(t))
}

func testMigrator(t *testing.T, h Harness) {
	if h.NewMigrator == nil {
		t.Log("storagetest: Harness.NewMigrator not set; the migrator subtests need a raw database")
		return
	}
	t.Run("StatusOnEmptyDatabaseIsAllPending", func(t *testing.T) {
		m, _ := h.NewMigrator(t)
		st, err := m.Status(ctx(t))
		require.NoError(t, err)
		require.NotEmpty(t, st)
		for _, s := range st {
			assert.False(t, s.Applied, s.Name)
		}
	})
	t.Run("UpAppliesAllThenNothing", func(t *testing.T) {
		m, _ := h.NewMigrator(t)
		applied, err := m.Up(ctx(t))
		require.NoError(t, err)
		st, err := m.Status(ctx(t))
		require.NoError(t, err)
		assert.Len(t, applied, len(st))
		for _, s := range st {
			assert.True(t, s.Applied, s.Name)
			assert.False(t, s.AppliedAt.IsZero(), s.Name)
		}
		again, err := m.Up(ctx(t))
		require.NoError(t, err)
		assert.Empty(t, again, "a second Up applies nothing")
	})
	t.Run("ConcurrentMigratorsAllSucceedOnce", func(t *testing.T) {
		m, db := h.NewMigrator(t)
		errs := make(chan error, 4)
		counts := make(chan int, 4)
		for range 4 {
			go func() {
				applied, err := m.Up(ctx(t))
				counts <- len(applied)
				errs <- err
			}()
		}
		total := 0
		for range 4 {
			require.NoError(t, <-errs)
			total += <-counts
		}
		assert.Equal(t, len(mustStatus(t, m)), total, "each migration applied exactly once")
		var roles int
		require.NoError(t, db.QueryRowContext(ctx(t), "SELECT COUNT(*) FROM "+roleTable(t, db)).Scan(&roles))
		assert.Equal(t, 3, roles, "seeded once")
	})
	t.Run("DatabaseNewerThanBuildIsRefused", func(t *testing.T) {
		m, db := h.NewMigrator(t)
		_, err := m.Up(ctx(t))
		require.NoError(t, err)
		table := "schema_migrations"
		if isPostgres(t, db) {
			table = schema.DefaultSchemaName + ".schema_migrations"
		}
		_, err = db.ExecContext(ctx(t), "INSERT INTO "+table+" (version, name, applied_at) VALUES (9999, 'future.sql', "+nowSQL(t, db)+")")
		require.NoError(t, err)
		_, err = m.Up(ctx(t))
		assert.ErrorIs(t, err, schema.ErrTooNew)
		_, err = m.Status(ctx(t))
		assert.ErrorIs(t, err, schema.ErrTooNew)
	})
}

func mustStatus(t *testing.T, m *schema.Migrator) []schema.Status {
	st, err := m.Status(ctx(t))
	require.NoError(t, err)
	return st
}

// isPostgres tells the engines apart by a function only SQLite has.
func isPostgres(t *testing.T, db *sql.DB) bool {
	var v string
	return db.QueryRowContext(ctx(t), "SELECT sqlite_version()").Scan(&v) != nil
}

func nowSQL(t *testing.T, db *sql.DB) string {
	if isPostgres(t, db) {
		return "now()"
	}
	return "0"
}

func roleTable(t *testing.T, db *sql.DB) string {
	if isPostgres(t, db) {
		return schema.DefaultSchemaName + ".role"
	}
	return "role"
}

package storage_test

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/stretchr/testify/require"

	"github.com/noetl/noetldb/internal/pgtest"
	"github.com/noetl/noetldb/internal/sqlstore"
	"github.com/noetl/noetldb/noetl"
	"github.com/noetl/noetldb/storage"
	"github.com/noetl/noetldb/storage/postgres"
	"github.com/noetl/noetldb/storage/sqlite"
	"github.com/noetl/noetldb/storage/trace"
)

// TestNoHookIsThePlainStore checks that a store opened without a logger or
// hook is the uninstrumented one on both engines: no wrapper around the
// store nor around its statements.
func TestNoHookIsThePlainStore(t *testing.T) {
	dsns := map[string]string{"sqlite": "sqlite::memory:", "postgres": pgtest.NewDatabase(t)}
	for name, dsn := range dsns {
		t.Run(name, func(t *testing.T) {
			s := openOK(t, dsn, name)
			st, ok := s.(*sqlstore.Store)
			require.True(t, ok, "got %T", s)
			require.False(t, strings.HasPrefix(fmt.Sprintf("%T", st.Querier()), "observe."), "statements are not wrapped: %T", st.Querier())

			hooked := openOK(t, dsn, name, storage.WithLogger(slog.New(slog.DiscardHandler)))
			_, ok = hooked.(*sqlstore.Store)
			require.False(t, ok, "a logger instruments the store")

			var calls int
			traced := openOK(t, dsn, name, storage.WithHook(trace.Funcs{Call: func(ctx context.Context, op string) (context.Context, func(error)) {
				calls++
				return ctx, func(error) {}
			}}))
			_, err := traced.Roles().GetByName(context.Background(), "user")
			require.NoError(t, err)
			require.Positive(t, calls)
		})
	}
}

func TestSlowThresholdNeedsALogger(t *testing.T) {
	_, err := storage.Open(context.Background(), "sqlite::memory:", storage.WithSlowThreshold(time.Second))
	require.ErrorIs(t, err, noetl.ErrInvalid)
}

// opsHook records the operation of every statement.
type opsHook struct {
	mu  sync.Mutex
	ops []string
}

func (h *opsHook) hook() trace.Hook {
	return trace.Funcs{Statement: func(_ context.Context, s trace.Statement) {
		h.mu.Lock()
		defer h.mu.Unlock()
		h.ops = append(h.ops, s.Op+" "+strings.Fields(s.SQL)[0])
	}}
}

// TestFromTxReportsToTheHook checks that a store joined to a caller's
// transaction is instrumented like an opened one, on both engines: its
// calls' statements run in the caller's transaction and are reported.
func TestFromTxReportsToTheHook(t *testing.T) {
	ctx := context.Background()
	t.Run("sqlite", func(t *testing.T) {
		h := &opsHook{}
		path := filepath.Join(t.TempDir(), "noetl.db")
		migrated, err := sqlite.Open(ctx, path)
		require.NoError(t, err)
		require.NoError(t, migrated.Close())
		dsn, err := sqlite.DSN(path)
		require.NoError(t, err)
		db, err := sql.Open("sqlite", dsn)
		require.NoError(t, err)
		t.Cleanup(func() { db.Close() })
		tx, err := db.BeginTx(ctx, nil)
		require.NoError(t, err)
		defer tx.Rollback()
		s, err := sqlite.FromTx(tx, sqlite.WithShard(9), sqlite.WithHook(h.hook()))
		require.NoError(t, err)
		_, err = s.Labels().Create(ctx, noetl.NewLabel{Name: "acme"})
		require.NoError(t, err)
		require.Equal(t, []string{"labels.create INSERT"}, h.ops)
	})
	t.Run("postgres", func(t *testing.T) {
		h := &opsHook{}
		pool, err := pgxpool.New(ctx, pgtest.NewDatabase(t))
		require.NoError(t, err)
		t.Cleanup(pool.Close)
		require.NoError(t, postgres.Migrate(ctx, pool, "noetl"))
		tx, err := pool.Begin(ctx)
		require.NoError(t, err)
		defer tx.Rollback(ctx)
		s, err := postgres.FromTx(tx, postgres.WithShard(9), postgres.WithHook(h.hook()))
		require.NoError(t, err)
		_, err = s.Labels().Create(ctx, noetl.NewLabel{Name: "acme"})
		require.NoError(t, err)
		require.Equal(t, []string{"labels.create INSERT"}, h.ops)
	})
}

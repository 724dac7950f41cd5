package postgres_test

import (
	"context"
	"errors"
	"fmt"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/noetl/noetldb/internal/sqlstore"
	"github.com/noetl/noetldb/noetl"
)

// cleanupBound is how long InTx's clean-up (ROLLBACK, savepoint release) may
// run after fn or the caller's context ended: sqlstore's cleanupTimeout.
const cleanupBound = 2 * time.Second

// slack covers scheduling on a loaded machine.
const slack = time.Second

// freezeBackend stops the server process serving tx's connection (SIGSTOP)
// until the test ends (SIGCONT). The test binary may signal it: the server
// runs as the current user, or as "postgres" when the tests run as root.
func freezeBackend(t *testing.T, ctx context.Context, tx noetl.Store) {
	t.Helper()
	var pid int
	require.NoError(t, tx.(*sqlstore.Store).Querier().QueryRow(ctx, "SELECT pg_backend_pid()").Scan(&pid))
	require.NotZero(t, pid)
	t.Cleanup(func() { _ = syscall.Kill(pid, syscall.SIGCONT) })
	require.NoError(t, syscall.Kill(pid, syscall.SIGSTOP), "freeze backend %d", pid)
}

// A frozen server does not hold InTx past the caller's deadline plus the
// clean-up bound: the ROLLBACK runs under a short timeout of its own.
func TestInTxReturnsWithinItsDeadlineWhenTheServerFreezes(t *testing.T) {
	pool := sharedPool(t)
	t.Run("FnFailsAfterFreezing", func(t *testing.T) {
		s := storeIn(t, pool, "freeze_fail")
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		defer cancel()
		boom := errors.New("fn failed")
		began := time.Now()
		err := s.InTx(ctx, func(ctx context.Context, tx noetl.Store) error {
			if _, err := tx.Catalog().Register(ctx, noetl.NewCatalogEntry{Path: "frozen", Type: "playbook"}); err != nil {
				return err
			}
			freezeBackend(t, ctx, tx)
			return boom
		})
		elapsed := time.Since(began)
		require.ErrorIs(t, err, boom)
		require.Less(t, elapsed, cleanupBound+slack, "the rollback gave up after the clean-up bound")
		t.Logf("returned after %v", elapsed.Round(time.Millisecond))
	})
	t.Run("StatementOnFrozenServerHitsTheDeadline", func(t *testing.T) {
		s := storeIn(t, pool, "freeze_deadline")
		const deadline = 3 * time.Second
		ctx, cancel := context.WithTimeout(context.Background(), deadline)
		defer cancel()
		began := time.Now()
		err := s.InTx(ctx, func(ctx context.Context, tx noetl.Store) error {
			freezeBackend(t, ctx, tx)
			_, err := tx.Catalog().Register(ctx, noetl.NewCatalogEntry{Path: "frozen", Type: "playbook"})
			return err
		})
		elapsed := time.Since(began)
		require.ErrorIs(t, err, context.DeadlineExceeded)
		require.Less(t, elapsed, deadline+cleanupBound+slack, "returned within the deadline plus the clean-up bound")
		t.Logf("returned after %v: %v", elapsed.Round(time.Millisecond), err)
	})
	t.Run("NestedSavepointOnFrozenServer", func(t *testing.T) {
		s := storeIn(t, pool, "freeze_savepoint")
		const deadline = 3 * time.Second
		ctx, cancel := context.WithTimeout(context.Background(), deadline)
		defer cancel()
		boom := fmt.Errorf("inner fn failed")
		began := time.Now()
		err := s.InTx(ctx, func(ctx context.Context, tx noetl.Store) error {
			return tx.InTx(ctx, func(ctx context.Context, inner noetl.Store) error {
				freezeBackend(t, ctx, inner)
				return boom
			})
		})
		elapsed := time.Since(began)
		require.ErrorIs(t, err, boom)
		// The savepoint's ROLLBACK TO and RELEASE, then the transaction's
		// ROLLBACK: each clean-up is bounded.
		require.Less(t, elapsed, 3*cleanupBound+slack)
		t.Logf("returned after %v", elapsed.Round(time.Millisecond))
	})
}

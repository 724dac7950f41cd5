package storagetest

import (
	"context"

	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/noetl/noetldb/noetl"
)

func init() { register("transactions_nested", testNestedTransactions) }

// Inside a caller's transaction, a refused multi-statement call undoes its
// own writes and leaves the transaction usable, on both engines.
func testNestedTransactions(t *testing.T, h Harness) {
	t.Run("RefusedBatchInsideCallerTxWritesNothingAndTxGoesOn", func(t *testing.T) {
		s := h.New(t)
		exec := newWorkload(t, s)
		a := noetl.WorkflowStep{ExecutionID: exec, StepID: "a"}
		err := s.InTx(ctx(t), func(_ context.Context, tx noetl.Store) error {
			err := tx.Workflows().Add(ctx(t), a, a)
			require.ErrorIs(t, err, noetl.ErrConflict)
			// The transaction is still usable after the refusal.
			if _, err := tx.Workloads().Get(ctx(t), exec); err != nil {
				return err
			}
			return tx.Workflows().Add(ctx(t), noetl.WorkflowStep{ExecutionID: exec, StepID: "b"})
		})
		require.NoError(t, err)
		p, err := s.Workflows().List(ctx(t), exec, noetl.StepQuery{})
		require.NoError(t, err)
		require.Len(t, p.Items, 1, "only the step added after the refusal")
		assert.Equal(t, "b", p.Items[0].StepID)
	})
	t.Run("InnerInTxErrorUndoesOnlyInnerWrites", func(t *testing.T) {
		s := h.New(t)
		boom := errors.New("inner fails")
		err := s.InTx(ctx(t), func(_ context.Context, tx noetl.Store) error {
			if _, err := tx.Profiles().Create(ctx(t), noetl.NewProfile{Username: "ann", Type: noetl.ProfileUser}); err != nil {
				return err
			}
			err := tx.InTx(ctx(t), func(_ context.Context, inner noetl.Store) error {
				if _, err := inner.Profiles().Create(ctx(t), noetl.NewProfile{Username: "bob", Type: noetl.ProfileUser}); err != nil {
					return err
				}
				return boom
			})
			require.ErrorIs(t, err, boom)
			return nil
		})
		require.NoError(t, err)
		_, err = s.Profiles().GetByUsername(ctx(t), "ann")
		assert.NoError(t, err, "the outer write is kept")
		_, err = s.Profiles().GetByUsername(ctx(t), "bob")
		assert.ErrorIs(t, err, noetl.ErrNotFound, "the inner write is undone")
	})
}

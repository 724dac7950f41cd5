package storagetest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/noetl/noetldb/noetl"
)

func init() {
	register("transactions_caller", testCallerTx)
	register("transactions_refused_call", testRefusedCallInTx)
	register("transactions_outer_store", testOuterStoreInTx)
}

// newCallerTx returns the harness's caller transaction, failing the test
// when the backend has none.
func newCallerTx(t *testing.T, h Harness) CallerTx {
	t.Helper()
	require.NotNil(t, h.NewCallerTx, "the backend must join a caller's transaction (Harness.NewCallerTx)")
	return h.NewCallerTx(t)
}

func tickets(t *testing.T, c CallerTx) int {
	t.Helper()
	n, err := c.Tickets(ctx(t))
	require.NoError(t, err)
	return n
}

// A service writes its own row and NoETL rows in its own transaction (the
// backend's FromTx): they commit or roll back together.
func testCallerTx(t *testing.T, h Harness) {
	t.Run("CommitKeepsTheCallersRowAndTheStoresRows", func(t *testing.T) {
		c := newCallerTx(t, h)
		p, err := c.Store.Profiles().Create(ctx(t), noetl.NewProfile{Username: "ann", Type: noetl.ProfileUser})
		require.NoError(t, err)
		require.NoError(t, c.AddTicket(ctx(t), 1, "first"))
		require.NoError(t, c.Commit(ctx(t)))
		got, err := c.Outer.Profiles().Get(ctx(t), p.ID)
		require.NoError(t, err)
		require.Equal(t, "ann", got.Username)
		require.Equal(t, 1, tickets(t, c))
	})
	t.Run("RollbackKeepsNeither", func(t *testing.T) {
		c := newCallerTx(t, h)
		p, err := c.Store.Profiles().Create(ctx(t), noetl.NewProfile{Username: "ann", Type: noetl.ProfileUser})
		require.NoError(t, err)
		require.NoError(t, c.AddTicket(ctx(t), 1, "first"))
		require.NoError(t, c.Rollback(ctx(t)))
		_, err = c.Outer.Profiles().Get(ctx(t), p.ID)
		require.ErrorIs(t, err, noetl.ErrNotFound)
		require.Equal(t, 0, tickets(t, c))
	})
	t.Run("UncommittedRowsAreInvisibleOutside", func(t *testing.T) {
		c := newCallerTx(t, h)
		p, err := c.Store.Profiles().Create(ctx(t), noetl.NewProfile{Username: "ann", Type: noetl.ProfileUser})
		require.NoError(t, err)
		got, err := c.Store.Profiles().Get(ctx(t), p.ID)
		require.NoError(t, err, "the joined store reads its own write")
		require.Equal(t, p, got)
		require.NoError(t, c.Rollback(ctx(t)))
	})
	t.Run("RefusedCallLeavesTheCallersTransactionUsable", func(t *testing.T) {
		c := newCallerTx(t, h)
		_, err := c.Store.Profiles().Create(ctx(t), noetl.NewProfile{Username: "ann", Type: noetl.ProfileUser})
		require.NoError(t, err)
		_, err = c.Store.Profiles().Create(ctx(t), noetl.NewProfile{Username: "ann", Type: noetl.ProfileUser})
		require.ErrorIs(t, err, noetl.ErrConflict)
		require.NoError(t, c.AddTicket(ctx(t), 1, "after the refusal"))
		require.NoError(t, c.Commit(ctx(t)))
		_, err = c.Outer.Profiles().GetByUsername(ctx(t), "ann")
		require.NoError(t, err)
		require.Equal(t, 1, tickets(t, c))
	})
	t.Run("InTxNestsUnderASavepoint", func(t *testing.T) {
		c := newCallerTx(t, h)
		boom := errors.New("inner fails")
		err := c.Store.InTx(ctx(t), func(ctx context.Context, tx noetl.Store) error {
			if _, err := tx.Profiles().Create(ctx, noetl.NewProfile{Username: "bob", Type: noetl.ProfileUser}); err != nil {
				return err
			}
			return boom
		})
		require.ErrorIs(t, err, boom)
		_, err = c.Store.Profiles().Create(ctx(t), noetl.NewProfile{Username: "ann", Type: noetl.ProfileUser})
		require.NoError(t, err)
		require.NoError(t, c.Commit(ctx(t)))
		_, err = c.Outer.Profiles().GetByUsername(ctx(t), "bob")
		require.ErrorIs(t, err, noetl.ErrNotFound, "the savepoint's write is undone")
		_, err = c.Outer.Profiles().GetByUsername(ctx(t), "ann")
		require.NoError(t, err, "the caller's transaction committed")
	})
	t.Run("InTxSuccessDoesNotCommitTheCallersTransaction", func(t *testing.T) {
		c := newCallerTx(t, h)
		err := c.Store.InTx(ctx(t), func(ctx context.Context, tx noetl.Store) error {
			_, err := tx.Profiles().Create(ctx, noetl.NewProfile{Username: "bob", Type: noetl.ProfileUser})
			return err
		})
		require.NoError(t, err)
		require.NoError(t, c.Rollback(ctx(t)))
		_, err = c.Outer.Profiles().GetByUsername(ctx(t), "bob")
		require.ErrorIs(t, err, noetl.ErrNotFound, "only the caller ends its transaction")
	})
	t.Run("CloseDoesNothing", func(t *testing.T) {
		c := newCallerTx(t, h)
		require.NoError(t, c.Store.Close())
		require.NoError(t, c.Store.Close())
		_, err := c.Store.Profiles().Create(ctx(t), noetl.NewProfile{Username: "ann", Type: noetl.ProfileUser})
		require.NoError(t, err, "the transaction is still open after Close")
		require.NoError(t, c.Commit(ctx(t)))
	})
}

// refusedSequence runs the same refused calls inside a transaction on s and
// carries on after each; it returns the transaction's error.
func refusedSequence(t *testing.T, s noetl.Store) error {
	return s.InTx(ctx(t), func(ctx context.Context, tx noetl.Store) error {
		ann, err := tx.Profiles().Create(ctx, noetl.NewProfile{Username: "ann", Email: "ann@example.com", Type: noetl.ProfileUser})
		if err != nil {
			return err
		}
		_, err = tx.Profiles().Create(ctx, noetl.NewProfile{Username: "ann2", Email: "ann@example.com", Type: noetl.ProfileUser})
		require.ErrorIs(t, err, noetl.ErrConflict, "a duplicate email")
		_, err = tx.Chats().Create(ctx, ann.ID, noetl.NewChat{LabelID: 12345, Name: "lost"})
		require.ErrorIs(t, err, noetl.ErrReferenced, "a chat under a missing label")
		lbl, err := tx.Labels().Create(ctx, noetl.NewLabel{Name: "team"})
		if err != nil {
			return err
		}
		_, err = tx.Labels().Create(ctx, noetl.NewLabel{Name: "team"})
		require.ErrorIs(t, err, noetl.ErrConflict, "a duplicate root label")
		ch, err := tx.Chats().Create(ctx, ann.ID, noetl.NewChat{LabelID: lbl.ID, Name: "general"})
		if err != nil {
			return err
		}
		exec := tx.IDs().MustNext()
		_, err = tx.Events().Append(ctx, noetl.Event{ExecutionID: exec, EventID: 1, EventType: ptr("step_started")})
		require.ErrorIs(t, err, noetl.ErrNotFound, "an event of an execution that has no workload")
		_, err = tx.Messages().Post(ctx, noetl.NewMessage{ChatID: ch.ID, SenderType: noetl.SenderUser, SenderID: &ann.ID, Content: "hello"})
		return err
	})
}

// Inside a transaction a refused repository call undoes only itself, and
// the transaction goes on and commits: the same rows on every engine.
func testRefusedCallInTx(t *testing.T, h Harness) {
	t.Run("TransactionGoesOnAfterRefusalsAndCommitsTheRest", func(t *testing.T) {
		s := h.New(t)
		require.NoError(t, refusedSequence(t, s))
		ann, err := s.Profiles().GetByUsername(ctx(t), "ann")
		require.NoError(t, err)
		_, err = s.Profiles().GetByUsername(ctx(t), "ann2")
		require.ErrorIs(t, err, noetl.ErrNotFound)
		roots, err := s.Labels().Children(ctx(t), nil, noetl.LabelQuery{})
		require.NoError(t, err)
		require.Len(t, roots.Items, 1)
		chats, err := s.Chats().List(ctx(t), noetl.ChatQuery{LabelID: roots.Items[0].ID})
		require.NoError(t, err)
		require.Len(t, chats.Items, 1)
		msgs, err := s.Messages().List(ctx(t), ann.ID, chats.Items[0].ID, noetl.MessageQuery{})
		require.NoError(t, err)
		require.Len(t, msgs.Items, 1)
		require.Equal(t, "hello", msgs.Items[0].Content)
	})
}

// The outer store called with the ctx InTx hands its function joins the
// transaction: it neither waits for it nor writes outside it.
func testOuterStoreInTx(t *testing.T, h Harness) {
	bounded := func(t *testing.T) context.Context {
		c, cancel := context.WithTimeout(ctx(t), 5*time.Second)
		t.Cleanup(cancel)
		return c
	}
	t.Run("OuterStoreWriteIsRolledBackWithTheTransaction", func(t *testing.T) {
		s := h.New(t)
		boom := errors.New("fn fails")
		err := s.InTx(bounded(t), func(ctx context.Context, _ noetl.Store) error {
			if _, err := s.Profiles().Create(ctx, noetl.NewProfile{Username: "ann", Type: noetl.ProfileUser}); err != nil {
				return err
			}
			return boom
		})
		require.ErrorIs(t, err, boom)
		_, err = s.Profiles().GetByUsername(ctx(t), "ann")
		require.ErrorIs(t, err, noetl.ErrNotFound, "the outer store's write was part of the transaction")
	})
	t.Run("OuterStoreWriteCommitsWithTheTransaction", func(t *testing.T) {
		s := h.New(t)
		err := s.InTx(bounded(t), func(ctx context.Context, tx noetl.Store) error {
			ann, err := s.Profiles().Create(ctx, noetl.NewProfile{Username: "ann", Type: noetl.ProfileUser})
			if err != nil {
				return err
			}
			got, err := tx.Profiles().Get(ctx, ann.ID)
			if err != nil {
				return err
			}
			require.Equal(t, ann, got, "the transaction sees the outer store's write")
			return nil
		})
		require.NoError(t, err)
		_, err = s.Profiles().GetByUsername(ctx(t), "ann")
		require.NoError(t, err)
	})
	t.Run("OuterStoreMultiStatementCallJoinsToo", func(t *testing.T) {
		s := h.New(t)
		ann := newProfile(t, s, "ann")
		lbl := mkLabel(t, s, nil, "team")
		boom := errors.New("fn fails")
		err := s.InTx(bounded(t), func(ctx context.Context, _ noetl.Store) error {
			if _, err := s.Chats().Create(ctx, ann.ID, noetl.NewChat{LabelID: lbl.ID, Name: "general"}); err != nil {
				return err
			}
			return boom
		})
		require.ErrorIs(t, err, boom)
		chats, err := s.Chats().List(ctx(t), noetl.ChatQuery{LabelID: lbl.ID})
		require.NoError(t, err)
		require.Empty(t, chats.Items)
	})
	t.Run("OuterStoreInTxNestsUnderASavepoint", func(t *testing.T) {
		s := h.New(t)
		boom := errors.New("inner fails")
		err := s.InTx(bounded(t), func(ctx context.Context, _ noetl.Store) error {
			if _, err := s.Profiles().Create(ctx, noetl.NewProfile{Username: "ann", Type: noetl.ProfileUser}); err != nil {
				return err
			}
			err := s.InTx(ctx, func(ctx context.Context, inner noetl.Store) error {
				if _, err := inner.Profiles().Create(ctx, noetl.NewProfile{Username: "bob", Type: noetl.ProfileUser}); err != nil {
					return err
				}
				return boom
			})
			require.ErrorIs(t, err, boom)
			return nil
		})
		require.NoError(t, err)
		_, err = s.Profiles().GetByUsername(ctx(t), "ann")
		require.NoError(t, err)
		_, err = s.Profiles().GetByUsername(ctx(t), "bob")
		require.ErrorIs(t, err, noetl.ErrNotFound)
	})
}

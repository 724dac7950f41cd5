package storagetest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/noetl/noetldb/noetl"
	"github.com/noetl/noetldb/snowflake"
)

func init() { register("deadlines", testDeadlines) }

// Random-deadline bounds: calls, wall time, and the longest deadline drawn.
const (
	deadlineCalls   = 300
	deadlineBudget  = 15 * time.Second
	deadlineLongest = 30 * time.Millisecond
)

// A deadline or cancellation is honoured wherever it lands: the call returns
// an error wrapping the context's (or a noetl sentinel), and what it wrote
// is all there or none of it.
func testDeadlines(t *testing.T, h Harness) {
	t.Run("DeadlineEndingInsideTransactionFailsItsCommitWithTheDeadlineAndWritesNothing", func(t *testing.T) {
		s := h.New(t)
		c, cancel := context.WithTimeout(ctx(t), 200*time.Millisecond)
		defer cancel()
		err := s.InTx(c, func(c context.Context, tx noetl.Store) error {
			if _, err := tx.Catalog().Register(c, noetl.NewCatalogEntry{Path: "late/flow", Type: "playbook"}); err != nil {
				return err
			}
			<-c.Done()
			return nil // the caller's work is done, but its deadline has passed
		})
		require.Error(t, err)
		assert.ErrorIs(t, err, context.DeadlineExceeded, "the commit reports the deadline: %v", err)
		assert.NotContains(t, err.Error(), "already been committed or rolled back")
		assert.Empty(t, versionsOf(t, s, "late/flow"), "nothing committed")
		_, err = s.Catalog().Register(ctx(t), noetl.NewCatalogEntry{Path: "after/flow", Type: "playbook"})
		require.NoError(t, err, "the store goes on after the refused commit")
	})
	t.Run("CancelledTransactionFailsWithCanceledAndWritesNothing", func(t *testing.T) {
		s := h.New(t)
		c, cancel := context.WithCancel(ctx(t))
		err := s.InTx(c, func(c context.Context, tx noetl.Store) error {
			if _, err := tx.Catalog().Register(c, noetl.NewCatalogEntry{Path: "cancelled/flow", Type: "playbook"}); err != nil {
				return err
			}
			cancel()
			_, err := tx.Catalog().Register(c, noetl.NewCatalogEntry{Path: "cancelled/other", Type: "playbook"})
			return err
		})
		require.Error(t, err)
		assert.ErrorIs(t, err, context.Canceled)
		assert.Empty(t, versionsOf(t, s, "cancelled/flow"), "nothing committed")
		assert.Empty(t, versionsOf(t, s, "cancelled/other"))
	})
	t.Run("RandomDeadlinesFailWithTheirErrorAndApplyAllOrNothing", func(t *testing.T) {
		s := h.New(t)
		cv := newConvo(t, s)
		rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 10))
		began := time.Now()
		var ok, failed int
		for i := 0; i < deadlineCalls && time.Since(began) < deadlineBudget; i++ {
			var c context.Context
			var cancel context.CancelFunc
			// Log-uniform from 1µs to deadlineLongest: as many land in a
			// call's first microseconds as in its last milliseconds.
			d := time.Duration(float64(time.Microsecond) * math.Pow(float64(deadlineLongest/time.Microsecond), rng.Float64()))
			switch {
			case i%10 == 0: // already over: must fail
				c, cancel = context.WithTimeout(ctx(t), 0)
			case i%2 == 0:
				c, cancel = context.WithTimeout(ctx(t), d)
			default:
				c, cancel = context.WithCancel(ctx(t))
				time.AfterFunc(d, cancel)
			}
			var err error
			switch i % 3 {
			case 0:
				err = deadlineBatch(t, s, c)
			case 1:
				err = deadlineTx(t, s, cv, c, i)
			default:
				err = deadlineRegister(t, s, c, i)
			}
			cancel()
			if err == nil {
				ok++
				continue
			}
			failed++
			require.True(t, errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) || isSentinel(err),
				"call %d: error wraps neither a context error nor a sentinel: %v", i, err)
			require.NotContains(t, err.Error(), "already been committed or rolled back", "call %d", i)
		}
		t.Logf("%d calls succeeded, %d failed at their deadline in %v", ok, failed, time.Since(began).Round(time.Millisecond))
		require.NotZero(t, failed, "some deadlines landed")
		_, err := s.Catalog().Register(ctx(t), noetl.NewCatalogEntry{Path: "after/flow", Type: "playbook"})
		require.NoError(t, err, "the store goes on")
	})
}

// isSentinel reports whether err wraps one of noetl's error kinds.
func isSentinel(err error) bool {
	for _, k := range []error{noetl.ErrNotFound, noetl.ErrConflict, noetl.ErrInvalid, noetl.ErrReferenced, noetl.ErrForbidden,
		noetl.ErrTransient, noetl.ErrClosed, noetl.ErrStorage} {
		if errors.Is(err, k) {
			return true
		}
	}
	return false
}

// deadlineBatch appends a batch of 20 events to a fresh execution under c
// and checks that all or none of them are stored (all when it succeeded).
func deadlineBatch(t *testing.T, s noetl.Store, c context.Context) error {
	t.Helper()
	exec := newWorkload(t, s)
	batch := make([]noetl.Event, 20)
	for i := range batch {
		batch[i] = noetl.Event{ExecutionID: exec, EventType: ptr("tick"), Metadata: json.RawMessage(fmt.Sprintf(`{"i":%d}`, i))}
	}
	err := s.Events().AppendBatch(c, batch)
	n := countEvents(t, s, exec)
	if err == nil {
		require.Equal(t, len(batch), n, "a batch that succeeded is stored whole")
	} else {
		require.Contains(t, []int{0, len(batch)}, n, "a batch that failed (%v) is stored whole or not at all", err)
	}
	return err
}

// deadlineTx posts a message, registers a catalog entry and appends an
// event in one transaction under c, and checks all three or none are
// stored.
func deadlineTx(t *testing.T, s noetl.Store, cv *convo, c context.Context, i int) error {
	t.Helper()
	path := fmt.Sprintf("deadline/tx%d", i)
	exec := newWorkload(t, s)
	var msg snowflake.ID
	err := s.InTx(c, func(c context.Context, tx noetl.Store) error {
		m, err := tx.Messages().Post(c, noetl.NewMessage{ChatID: cv.chat.ID, SenderType: noetl.SenderUser,
			SenderID: &cv.bob.ID, Content: path})
		if err != nil {
			return err
		}
		msg = m.ID
		if _, err := tx.Catalog().Register(c, noetl.NewCatalogEntry{Path: path, Type: "playbook"}); err != nil {
			return err
		}
		_, err = tx.Events().Append(c, noetl.Event{ExecutionID: exec, EventType: ptr("tx")})
		return err
	})
	count := func() int {
		stored := 0
		if msg != 0 {
			_, gerr := s.Messages().Get(ctx(t), cv.ann.ID, msg)
			if gerr == nil {
				stored++
			} else {
				require.ErrorIs(t, gerr, noetl.ErrNotFound)
			}
		}
		return stored + len(versionsOf(t, s, path)) + countEvents(t, s, exec)
	}
	if err == nil {
		require.Equal(t, 3, count(), "a transaction that succeeded is stored whole")
		return nil
	}
	// A commit cut short by its context may have committed all the same;
	// a store reading from a replica then sees it once the replica has
	// replayed it. Whole or nothing, never a part, for as long as it takes.
	var last int
	require.Eventually(t, func() bool {
		last = count()
		return last == 0 || last == 3
	}, 10*time.Second, 20*time.Millisecond,
		"a transaction that failed (%v) is stored whole or not at all: %d of 3 rows", err, last)
	return err
}

// deadlineRegister registers one catalog entry under c and checks it is
// stored when the call succeeded.
func deadlineRegister(t *testing.T, s noetl.Store, c context.Context, i int) error {
	t.Helper()
	path := fmt.Sprintf("deadline/alone%d", i)
	_, err := s.Catalog().Register(c, noetl.NewCatalogEntry{Path: path, Type: "playbook"})
	n := len(versionsOf(t, s, path))
	if err == nil {
		require.Equal(t, 1, n, "a registration that succeeded is stored")
	} else {
		require.LessOrEqual(t, n, 1)
	}
	return err
}

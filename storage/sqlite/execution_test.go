package sqlite_test

import (
	"context"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/noetl/noetldb/noetl"
)

// countingCtx counts the calls to Done, which database/sql and the driver
// make for every statement they run, and cancels itself at call cancelAt
// (never when 0). It lets a test cancel a batch in the middle of its
// statements without timing.
type countingCtx struct {
	context.Context
	cancel   context.CancelFunc
	calls    atomic.Int64
	cancelAt int64
}

func newCountingCtx(cancelAt int64) *countingCtx {
	c, cancel := context.WithCancel(context.Background())
	return &countingCtx{Context: c, cancel: cancel, cancelAt: cancelAt}
}

func (c *countingCtx) Done() <-chan struct{} {
	if c.calls.Add(1) == c.cancelAt {
		c.cancel()
	}
	return c.Context.Done()
}

func eventBatch(exec noetl.Event, n int) []noetl.Event {
	b := make([]noetl.Event, n)
	for i := range b {
		b[i] = exec
	}
	return b
}

// A batch cancelled halfway through its statements leaves nothing written.
// SQLite-only: the conformance suite cannot reach into a driver to cancel
// between two rows; PostgreSQL has its own test with COPY progress.
func TestEventBatchCancelledMidwayWritesNothing(t *testing.T) {
	for name, open := range map[string]func(*testing.T) noetl.Store{"memory": openMemory, "file": openFile} {
		t.Run(name, func(t *testing.T) {
			s := open(t)
			bg := context.Background()
			w, err := s.Workloads().Put(bg, noetl.NewWorkload{})
			require.NoError(t, err)
			proto := noetl.Event{ExecutionID: w.ExecutionID, Status: execPtr("RUNNING")}
			const n = 4000

			// How many Done calls a whole batch makes, on another execution.
			calib, err := s.Workloads().Put(bg, noetl.NewWorkload{})
			require.NoError(t, err)
			full := newCountingCtx(0)
			require.NoError(t, s.Events().AppendBatch(full, eventBatch(noetl.Event{ExecutionID: calib.ExecutionID}, n)))
			total := full.calls.Load()
			// The batch runs at least n/500 statements of literals (500 rows
			// each), each calling Done at least once.
			require.GreaterOrEqual(t, total, int64(n/500), "at least one Done call per statement")

			c := newCountingCtx(total / 2)
			err = s.Events().AppendBatch(c, eventBatch(proto, n))
			require.ErrorIs(t, err, context.Canceled)
			assert.GreaterOrEqual(t, c.calls.Load(), total/2, "the cancel came while rows were being written")
			p, err := s.Events().List(bg, w.ExecutionID, noetl.EventQuery{Limit: 1})
			require.NoError(t, err)
			assert.Empty(t, p.Items, "nothing of the cancelled batch was written")
			// The store is usable afterwards.
			require.NoError(t, s.Events().AppendBatch(bg, eventBatch(proto, 10)))
		})
	}
}

func execPtr[T any](v T) *T { return &v }

package storagetest

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/noetl/noetldb/noetl"
	"github.com/noetl/noetldb/snowflake"
	"github.com/noetl/noetldb/storage/trace"
)

func init() { register("purge_before", testPurgeBefore) }

// purgeNoon is noon (UTC) tomorrow, the time around which the purge
// subtests place their executions: its period (day or month) has an
// event_log partition on a store that partitions by id time (Maintain
// creates the coming periods), and a subtest's executions, within hours of
// it, all fall in one period, so no partition lies wholly before or after
// a subtest's purge time and every row is deleted, and counted, one by one.
func purgeNoon() time.Time {
	return time.Now().UTC().Truncate(24 * time.Hour).Add(36 * time.Hour)
}

// execIDAt is the id of an execution issued at t by shard and seq.
func execIDAt(t *testing.T, at time.Time, shard, seq int) snowflake.ID {
	t.Helper()
	id, err := snowflake.Compose(at, shard, seq)
	require.NoError(t, err)
	return id
}

// fixtureRows is what putExecution stores for one execution.
var fixtureRows = noetl.PurgeCounts{Workload: 1, Workflow: 2, Workbook: 1, Transition: 2, EventLog: 3, ErrorLog: 1}

// times returns c with every table's count multiplied by k.
func times(c noetl.PurgeCounts, k int64) noetl.PurgeCounts {
	return noetl.PurgeCounts{Workload: c.Workload * k, Workflow: c.Workflow * k, Workbook: c.Workbook * k,
		Transition: c.Transition * k, EventLog: c.EventLog * k, ErrorLog: c.ErrorLog * k}
}

// plus adds b to a, table by table.
func plus(a, b noetl.PurgeCounts) noetl.PurgeCounts {
	return noetl.PurgeCounts{Workload: a.Workload + b.Workload, Workflow: a.Workflow + b.Workflow,
		Workbook: a.Workbook + b.Workbook, Transition: a.Transition + b.Transition,
		EventLog: a.EventLog + b.EventLog, ErrorLog: a.ErrorLog + b.ErrorLog}
}

// rowCounts leaves out Partitions: the subtests' executions never fill a
// partition of their own (see purgeNoon), but a backend may drop empty
// partitions of earlier periods.
func rowCounts(c noetl.PurgeCounts) noetl.PurgeCounts {
	c.Partitions = 0
	return c
}

// putExecution stores an execution with id exec and fixtureRows of rows in
// the six execution tables.
func putExecution(t *testing.T, s noetl.Store, exec snowflake.ID) snowflake.ID {
	t.Helper()
	c := ctx(t)
	_, err := s.Workloads().Put(c, noetl.NewWorkload{ExecutionID: exec, Data: ptr(`{"playbook":"retention"}`)})
	require.NoError(t, err)
	require.NoError(t, s.Workflows().Add(c, noetl.WorkflowStep{ExecutionID: exec, StepID: "a"}, noetl.WorkflowStep{ExecutionID: exec, StepID: "b"}))
	require.NoError(t, s.Workbooks().Add(c, noetl.WorkbookTask{ExecutionID: exec, TaskID: "t"}))
	require.NoError(t, s.Transitions().Add(c, noetl.Transition{ExecutionID: exec, FromStep: "a", ToStep: "b"},
		noetl.Transition{ExecutionID: exec, FromStep: "b", ToStep: "end"}))
	require.NoError(t, s.Events().AppendBatch(c, make4Events(exec)[:3]))
	_, err = s.Errors().Record(c, noetl.NewErrorLog{ErrorType: "E", ErrorMessage: "m", ExecutionID: ptr(exec)})
	require.NoError(t, err)
	return exec
}

// appendEvents appends n more events to exec, in batches.
func appendEvents(t *testing.T, s noetl.Store, exec snowflake.ID, n int) {
	t.Helper()
	for n > 0 {
		k := min(n, 1000)
		batch := make([]noetl.Event, k)
		for i := range batch {
			batch[i] = noetl.Event{ExecutionID: exec, NodeID: ptr("loop"), CurrentIndex: ptr(i)}
		}
		require.NoError(t, s.Events().AppendBatch(ctx(t), batch))
		n -= k
	}
}

// rowsOf counts an execution's rows in each execution table.
func rowsOf(t *testing.T, s noetl.Store, exec snowflake.ID) noetl.PurgeCounts {
	t.Helper()
	var n noetl.PurgeCounts
	_, err := s.Workloads().Get(ctx(t), exec)
	if err == nil {
		n.Workload = 1
	} else {
		require.ErrorIs(t, err, noetl.ErrNotFound)
	}
	n.Workflow = int64(len(allSteps(t, s, exec)))
	n.Workbook = int64(len(allTasks(t, s, exec)))
	n.Transition = int64(len(allTransitions(t, s, exec)))
	n.EventLog = int64(countEvents(t, s, exec))
	errs := allPages(t, func(after string) (noetl.Page[noetl.ErrorLog], error) {
		return s.Errors().List(ctx(t), noetl.ErrorLogQuery{ExecutionID: ptr(exec), Limit: noetl.MaxLimit, After: after})
	})
	n.ErrorLog = int64(len(errs))
	return n
}

// requireRows checks that each execution has want rows (the fixture's, or
// none).
func requireRows(t *testing.T, s noetl.Store, want noetl.PurgeCounts, execs ...snowflake.ID) {
	t.Helper()
	for _, e := range execs {
		require.Equal(t, want, rowsOf(t, s, e), "rows of execution %s (issued %s)", e, e.Time().Format(time.RFC3339Nano))
	}
}

// purgeAt is a purge time with its old and kept executions: old are
// issued before it, kept at or after it, each with the fixture's rows.
type purgeAt struct {
	at        time.Time
	old, kept []snowflake.ID
}

// oldAndKept stores executions around noon tomorrow: two before it (two
// hours before, and the very last id of the millisecond before) and three
// at or after it (the very first id of its millisecond, a millisecond
// later, two hours later).
func oldAndKept(t *testing.T, s noetl.Store) purgeAt {
	t.Helper()
	at := purgeNoon()
	p := purgeAt{at: at}
	p.old = []snowflake.ID{
		putExecution(t, s, execIDAt(t, at.Add(-2*time.Hour), 1, 7)),
		putExecution(t, s, execIDAt(t, at.Add(-time.Millisecond), snowflake.MaxShard, snowflake.MaxSequence)),
	}
	p.kept = []snowflake.ID{
		putExecution(t, s, execIDAt(t, at, 0, 0)),
		putExecution(t, s, execIDAt(t, at.Add(time.Millisecond), 1, 0)),
		putExecution(t, s, execIDAt(t, at.Add(2*time.Hour), 1, 1)),
	}
	return p
}

// cancelAfterFirstDelete is a hook that cancels the context it is given
// once a purge's first DELETE statement has deleted rows.
type cancelAfterFirstDelete struct {
	mu     sync.Mutex
	cancel context.CancelFunc
}

func (c *cancelAfterFirstDelete) set(cancel context.CancelFunc) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.cancel = cancel
}

func (c *cancelAfterFirstDelete) hook() trace.Hook {
	return trace.Funcs{Statement: func(_ context.Context, s trace.Statement) {
		if s.Op != "executions.purge_before" || s.Err != nil || s.Rows == 0 ||
			!strings.HasPrefix(strings.TrimSpace(strings.ToUpper(s.SQL)), "DELETE") {
			return
		}
		c.mu.Lock()
		defer c.mu.Unlock()
		if c.cancel != nil {
			c.cancel()
			c.cancel = nil
		}
	}}
}

func testPurgeBefore(t *testing.T, h Harness) {
	t.Run("RemovesEveryRowOfTheExecutionsBeforeTheTimeAndKeepsTheRest", func(t *testing.T) {
		s := h.New(t)
		p := oldAndKept(t, s)
		n, err := s.Executions().PurgeBefore(ctx(t), p.at)
		require.NoError(t, err)
		require.Equal(t, times(fixtureRows, 2), rowCounts(n), "the rows of the two executions before the time")
		requireRows(t, s, noetl.PurgeCounts{}, p.old...)
		requireRows(t, s, fixtureRows, p.kept...)
	})
	t.Run("ATimeInsideAMillisecondRemovesTheExecutionsOfThatMillisecond", func(t *testing.T) {
		s := h.New(t)
		at := purgeNoon()
		old := putExecution(t, s, execIDAt(t, at, snowflake.MaxShard, snowflake.MaxSequence))
		kept := putExecution(t, s, execIDAt(t, at.Add(time.Millisecond), 0, 0))
		n, err := s.Executions().PurgeBefore(ctx(t), at.Add(500*time.Microsecond))
		require.NoError(t, err)
		require.Equal(t, fixtureRows, rowCounts(n), "an id's time is its millisecond's start, before the purge time")
		requireRows(t, s, noetl.PurgeCounts{}, old)
		requireRows(t, s, fixtureRows, kept)
	})
	t.Run("CountsEveryRowAcrossManyBatches", func(t *testing.T) {
		s := h.New(t)
		at := purgeNoon()
		big := putExecution(t, s, execIDAt(t, at.Add(-time.Hour), 2, 0))
		appendEvents(t, s, big, 5997)
		small := putExecution(t, s, execIDAt(t, at.Add(-time.Minute), 2, 1))
		kept := putExecution(t, s, execIDAt(t, at, 2, 0))
		appendEvents(t, s, kept, 10)
		n, err := s.Executions().PurgeBefore(ctx(t), at)
		require.NoError(t, err)
		want := times(fixtureRows, 2)
		want.EventLog = 6003
		require.Equal(t, want, rowCounts(n))
		require.EqualValues(t, 6003+2*(fixtureRows.Total()-fixtureRows.EventLog), n.Total(), "Total sums the tables")
		requireRows(t, s, noetl.PurgeCounts{}, big, small)
		wantKept := fixtureRows
		wantKept.EventLog += 10
		requireRows(t, s, wantKept, kept)
	})
	t.Run("ErrorsWithoutAnExecutionStay", func(t *testing.T) {
		s := h.New(t)
		at := purgeNoon()
		old := putExecution(t, s, execIDAt(t, at.Add(-time.Hour), 0, 0))
		var loose []snowflake.ID
		for i := range 3 {
			e, err := s.Errors().Record(ctx(t), noetl.NewErrorLog{ErrorType: "Boot", ErrorMessage: fmt.Sprintf("no execution %d", i)})
			require.NoError(t, err)
			loose = append(loose, e.ErrorID)
		}
		// Every execution is before the time, and so is every error id.
		n, err := s.Executions().PurgeBefore(ctx(t), at.Add(time.Hour))
		require.NoError(t, err)
		require.Equal(t, fixtureRows, rowCounts(n))
		requireRows(t, s, noetl.PurgeCounts{}, old)
		left, err := s.Errors().List(ctx(t), noetl.ErrorLogQuery{Limit: noetl.MaxLimit})
		require.NoError(t, err)
		require.ElementsMatch(t, loose, errorIDs(left.Items))
	})
	for _, c := range []struct {
		name, says string
		at         time.Time
	}{
		{"ZeroTime", "zero", time.Time{}},
		{"ATimeAMillisecondPastMaxTime", "last time", snowflake.MaxTime.Add(time.Millisecond)},
		{"ATimeANanosecondPastMaxTime", "last time", snowflake.MaxTime.Add(time.Nanosecond)},
	} {
		t.Run(c.name+"IsInvalidAndRemovesNothing", func(t *testing.T) {
			s := h.New(t)
			p := oldAndKept(t, s)
			n, err := s.Executions().PurgeBefore(ctx(t), c.at)
			require.ErrorIs(t, err, noetl.ErrInvalid)
			require.Contains(t, err.Error(), c.says)
			require.Zero(t, n)
			requireRows(t, s, fixtureRows, append(p.old, p.kept...)...)
		})
	}
	t.Run("MaxTimeRemovesEveryExecutionIssuedBeforeIt", func(t *testing.T) {
		s := h.New(t)
		p := oldAndKept(t, s)
		n, err := s.Executions().PurgeBefore(ctx(t), snowflake.MaxTime)
		require.NoError(t, err)
		// Every event_log partition lies wholly before MaxTime: a store
		// that partitions drops them whole, without counting their events.
		want, got := times(fixtureRows, 5), rowCounts(n)
		require.LessOrEqual(t, got.EventLog, want.EventLog)
		if n.Partitions == 0 {
			require.Equal(t, want.EventLog, got.EventLog, "no partition dropped: every event deleted and counted")
		}
		want.EventLog, got.EventLog = 0, 0
		require.Equal(t, want, got)
		requireRows(t, s, noetl.PurgeCounts{}, append(p.old, p.kept...)...)
	})
	for _, c := range []struct {
		name string
		at   time.Time
	}{
		{"ATimeBeforeEpoch", snowflake.Epoch.Add(-time.Hour)},
		{"TheUnixEpoch", time.Unix(0, 0)},
		{"EpochItself", snowflake.Epoch},
	} {
		t.Run(c.name+"RemovesNothing", func(t *testing.T) {
			s := h.New(t)
			p := oldAndKept(t, s)
			n, err := s.Executions().PurgeBefore(ctx(t), c.at)
			require.NoError(t, err)
			require.Zero(t, rowCounts(n))
			requireRows(t, s, fixtureRows, append(p.old, p.kept...)...)
		})
	}
	t.Run("ASecondRunRemovesNothing", func(t *testing.T) {
		s := h.New(t)
		p := oldAndKept(t, s)
		_, err := s.Executions().PurgeBefore(ctx(t), p.at)
		require.NoError(t, err)
		n, err := s.Executions().PurgeBefore(ctx(t), p.at)
		require.NoError(t, err)
		require.Zero(t, n)
		requireRows(t, s, fixtureRows, p.kept...)
	})
	testPurgeBeforeInTransactions(t, h)
	testPurgeBeforeCancelled(t, h)
	testPurgeBeforeNeighbours(t, h)
	testMaintain(t, h)
}

func testPurgeBeforeInTransactions(t *testing.T, h Harness) {
	t.Run("InsideInTxRolledBackRemovesNothing", func(t *testing.T) {
		s := h.New(t)
		p := oldAndKept(t, s)
		appendEvents(t, s, p.old[0], 2500)
		errBack := errors.New("changed my mind")
		var inside noetl.PurgeCounts
		err := s.InTx(ctx(t), func(c context.Context, tx noetl.Store) error {
			var err error
			inside, err = tx.Executions().PurgeBefore(c, p.at)
			require.NoError(t, err)
			return errBack
		})
		require.ErrorIs(t, err, errBack)
		want := times(fixtureRows, 2)
		want.EventLog += 2500
		require.Equal(t, want, inside, "inside the transaction every row is deleted and counted, no partition dropped")
		big := fixtureRows
		big.EventLog += 2500
		requireRows(t, s, big, p.old[0])
		requireRows(t, s, fixtureRows, append(p.old[1:], p.kept...)...)
	})
	t.Run("InsideInTxCommittedRemoves", func(t *testing.T) {
		s := h.New(t)
		p := oldAndKept(t, s)
		appendEvents(t, s, p.old[0], 2500)
		var inside noetl.PurgeCounts
		require.NoError(t, s.InTx(ctx(t), func(c context.Context, tx noetl.Store) error {
			var err error
			inside, err = tx.Executions().PurgeBefore(c, p.at)
			return err
		}))
		want := times(fixtureRows, 2)
		want.EventLog += 2500
		require.Equal(t, want, inside)
		requireRows(t, s, noetl.PurgeCounts{}, p.old...)
		requireRows(t, s, fixtureRows, p.kept...)
	})
	t.Run("TheOuterStoreCalledWithInTxsContextJoinsTheTransaction", func(t *testing.T) {
		s := h.New(t)
		p := oldAndKept(t, s)
		errBack := errors.New("changed my mind")
		err := s.InTx(ctx(t), func(c context.Context, _ noetl.Store) error {
			n, err := s.Executions().PurgeBefore(c, p.at)
			require.NoError(t, err)
			require.Equal(t, times(fixtureRows, 2), n)
			return errBack
		})
		require.ErrorIs(t, err, errBack)
		requireRows(t, s, fixtureRows, append(p.old, p.kept...)...)
	})
	t.Run("InACallersTransactionRunsInIt", func(t *testing.T) {
		require.NotNil(t, h.NewCallerTx, "the harness has no NewCallerTx")
		c := h.NewCallerTx(t)
		at := purgeNoon()
		old := putExecution(t, c.Store, execIDAt(t, at.Add(-time.Hour), 0, 0))
		kept := putExecution(t, c.Store, execIDAt(t, at, 0, 0))
		// The executions are not committed yet: only a purge in the
		// caller's transaction sees them.
		n, err := c.Store.Executions().PurgeBefore(ctx(t), at)
		require.NoError(t, err)
		require.Equal(t, fixtureRows, n)
		require.NoError(t, c.Commit(ctx(t)))
		requireRows(t, c.Outer, noetl.PurgeCounts{}, old)
		requireRows(t, c.Outer, fixtureRows, kept)
	})
}

func testPurgeBeforeCancelled(t *testing.T, h Harness) {
	t.Run("ACancelledContextIsAnErrorAndRemovesNothing", func(t *testing.T) {
		s := h.New(t)
		p := oldAndKept(t, s)
		c, cancel := context.WithCancel(ctx(t))
		cancel()
		n, err := s.Executions().PurgeBefore(c, p.at)
		require.ErrorIs(t, err, context.Canceled)
		require.Zero(t, n)
		requireRows(t, s, fixtureRows, append(p.old, p.kept...)...)
		n, err = s.Executions().PurgeBefore(ctx(t), p.at)
		require.NoError(t, err)
		require.Equal(t, times(fixtureRows, 2), rowCounts(n))
		requireRows(t, s, noetl.PurgeCounts{}, p.old...)
	})
	t.Run("CancelledPartWayKeepsWhatItRemovedAndASecondCallFinishes", func(t *testing.T) {
		require.NotNil(t, h.NewWith, "the harness has no NewWith")
		hook := &cancelAfterFirstDelete{}
		s := h.NewWith(t, StoreOptions{Hook: hook.hook()})
		at := purgeNoon()
		old := putExecution(t, s, execIDAt(t, at.Add(-time.Hour), 0, 0))
		appendEvents(t, s, old, 4997)
		kept := putExecution(t, s, execIDAt(t, at, 0, 0))
		c, cancel := context.WithCancel(ctx(t))
		defer cancel()
		hook.set(cancel)
		first, err := s.Executions().PurgeBefore(c, at)
		require.ErrorIs(t, err, context.Canceled)
		left := rowsOf(t, s, old)
		require.Greater(t, left.EventLog, int64(0), "the purge stopped part way")
		require.Less(t, left.EventLog, int64(5000), "the purge stopped after deleting some events")
		require.Equal(t, int64(5000)-left.EventLog, first.EventLog, "the counts report what was removed before the error")
		require.EqualValues(t, 1, left.Workload, "the workload goes last")
		second, err := s.Executions().PurgeBefore(ctx(t), at)
		require.NoError(t, err)
		want := fixtureRows
		want.EventLog = 5000
		require.Equal(t, want, plus(rowCounts(first), rowCounts(second)))
		requireRows(t, s, noetl.PurgeCounts{}, old)
		requireRows(t, s, fixtureRows, kept)
	})
}

func testPurgeBeforeNeighbours(t *testing.T, h Harness) {
	t.Run("KeptExecutionsListAndFollowFromTheirCursorsAsBefore", func(t *testing.T) {
		s := h.New(t)
		p := oldAndKept(t, s)
		appendEvents(t, s, p.old[1], 2500)
		follow := p.kept[1]
		appendEvents(t, s, follow, 7)
		all := allPages(t, func(after string) (noetl.Page[noetl.Event], error) {
			return s.Events().List(ctx(t), follow, noetl.EventQuery{After: after})
		})
		require.Len(t, all, 10)
		first, err := s.Events().List(ctx(t), follow, noetl.EventQuery{Limit: 4})
		require.NoError(t, err)
		require.NotEmpty(t, first.Next)

		_, err = s.Executions().PurgeBefore(ctx(t), p.at)
		require.NoError(t, err)

		rest := allPages(t, func(after string) (noetl.Page[noetl.Event], error) {
			if after == "" {
				after = first.Next
			}
			return s.Events().List(ctx(t), follow, noetl.EventQuery{Limit: 4, After: after})
		})
		require.Equal(t, eventIDs(all[4:]), eventIDs(rest), "the cursor taken before the purge goes on where it was")
		f := startFeed(t, followEvents(s, follow, first.Next))
		require.Equal(t, eventIDs(all[4:]), followedEventIDs(f.next(t, 6)))
		e, err := s.Events().Append(ctx(t), noetl.Event{ExecutionID: follow, Status: ptr("after the purge")})
		require.NoError(t, err)
		require.Equal(t, []snowflake.ID{e.EventID}, followedEventIDs(f.next(t, 1)))
		f.quiet(t)

		execs := allPages(t, func(after string) (noetl.Page[noetl.ExecutionInfo], error) {
			return s.Executions().List(ctx(t), noetl.ExecutionQuery{Limit: 2, After: after})
		})
		var listed []snowflake.ID
		for _, x := range execs {
			listed = append(listed, x.ExecutionID)
		}
		require.ElementsMatch(t, p.kept, listed, "only the kept executions are listed")
		sum, err := s.Executions().Summary(ctx(t), follow)
		require.NoError(t, err)
		require.EqualValues(t, 11, sum.Events)
		_, err = s.Executions().Summary(ctx(t), p.old[1])
		require.ErrorIs(t, err, noetl.ErrNotFound)
		_, err = s.Executions().Purge(ctx(t), p.old[0])
		require.ErrorIs(t, err, noetl.ErrNotFound)
	})
	t.Run("WritersAppendingToKeptExecutionsMeanwhileLoseNothing", func(t *testing.T) {
		s := h.New(t)
		p := oldAndKept(t, s)
		appendEvents(t, s, p.old[0], 4500)
		const writers, rounds = 4, 30
		start := make(chan struct{})
		errs := make(chan error, writers*rounds+1)
		var wg sync.WaitGroup
		for w := range writers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				exec := p.kept[w%len(p.kept)]
				for r := range rounds {
					if _, err := s.Events().Append(ctx(t), noetl.Event{ExecutionID: exec, CurrentIndex: ptr(r)}); err != nil {
						errs <- fmt.Errorf("writer %d round %d: %w", w, r, err)
					}
				}
			}()
		}
		var purged noetl.PurgeCounts
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			var err error
			if purged, err = s.Executions().PurgeBefore(ctx(t), p.at); err != nil {
				errs <- fmt.Errorf("purge: %w", err)
			}
		}()
		close(start)
		wg.Wait()
		close(errs)
		var failed []error
		for err := range errs {
			failed = append(failed, err)
		}
		require.Empty(t, failed)
		want := times(fixtureRows, 2)
		want.EventLog += 4500
		require.Equal(t, want, rowCounts(purged))
		requireRows(t, s, noetl.PurgeCounts{}, p.old...)
		appended := map[snowflake.ID]int64{}
		for w := range writers {
			appended[p.kept[w%len(p.kept)]] += rounds
		}
		for _, k := range p.kept {
			want := fixtureRows
			want.EventLog += appended[k]
			requireRows(t, s, want, k)
		}
	})
}

func testMaintain(t *testing.T, h Harness) {
	t.Run("MaintainReturnsNilRepeatedlyAndConcurrently", func(t *testing.T) {
		s := h.New(t)
		require.NoError(t, s.Maintain(ctx(t)))
		require.NoError(t, s.Maintain(ctx(t)))
		var wg sync.WaitGroup
		errs := make(chan error, 3)
		for range 3 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				errs <- s.Maintain(ctx(t))
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			require.NoError(t, err)
		}
		exec := putExecution(t, s, execIDAt(t, purgeNoon(), 0, 0))
		requireRows(t, s, fixtureRows, exec)
	})
	t.Run("MaintainOnATransactionsStoreReturnsNil", func(t *testing.T) {
		s := h.New(t)
		require.NoError(t, s.InTx(ctx(t), func(c context.Context, tx noetl.Store) error {
			return tx.Maintain(c)
		}))
	})
	t.Run("MaintainOnACallersTransactionsStoreDoesNothing", func(t *testing.T) {
		require.NotNil(t, h.NewCallerTx, "the harness has no NewCallerTx")
		c := h.NewCallerTx(t)
		require.NoError(t, c.Store.Maintain(ctx(t)))
		require.NoError(t, c.Rollback(ctx(t)))
	})
}

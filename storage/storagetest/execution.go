package storagetest

import (
	"context"

	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/noetl/noetldb/noetl"
	"github.com/noetl/noetldb/snowflake"
)

func init() {
	register("workloads", testWorkloads)
	register("workflows", testWorkflows)
	register("workbooks", testWorkbooks)
	register("transitions", testTransitions)
	register("executions", testExecutions)
}

// execAt is a fixed, microsecond-exact time for execution tests.
func execAt(minute int) time.Time {
	return time.Date(2025, 3, 1, 12, minute, 0, 123456000, time.UTC)
}

func newWorkload(t *testing.T, s noetl.Store) snowflake.ID {
	t.Helper()
	w, err := s.Workloads().Put(ctx(t), noetl.NewWorkload{Data: ptr(`{"playbook":"demo"}`)})
	require.NoError(t, err)
	return w.ExecutionID
}

func allSteps(t *testing.T, s noetl.Store, exec snowflake.ID) []noetl.WorkflowStep {
	t.Helper()
	p, err := s.Workflows().List(ctx(t), exec, noetl.StepQuery{Limit: noetl.MaxLimit})
	require.NoError(t, err)
	return p.Items
}

func allTasks(t *testing.T, s noetl.Store, exec snowflake.ID) []noetl.WorkbookTask {
	t.Helper()
	p, err := s.Workbooks().List(ctx(t), exec, noetl.TaskQuery{Limit: noetl.MaxLimit})
	require.NoError(t, err)
	return p.Items
}

func allTransitions(t *testing.T, s noetl.Store, exec snowflake.ID) []noetl.Transition {
	t.Helper()
	p, err := s.Transitions().List(ctx(t), exec, noetl.TransitionQuery{Limit: noetl.MaxLimit})
	require.NoError(t, err)
	return p.Items
}

func testWorkloads(t *testing.T, h Harness) {
	t.Run("PutGetRoundTrip", func(t *testing.T) {
		s := h.New(t)
		id := s.IDs().MustNext()
		ts := time.Date(2025, 1, 2, 3, 4, 5, 678901234, time.FixedZone("X", 3600))
		w, err := s.Workloads().Put(ctx(t), noetl.NewWorkload{ExecutionID: id, Timestamp: ts, Data: ptr(`{"a":1}`)})
		require.NoError(t, err)
		assert.Equal(t, id, w.ExecutionID)
		assert.Equal(t, noetl.UTC(ts), w.Timestamp, "UTC, truncated to microseconds")
		got, err := s.Workloads().Get(ctx(t), id)
		require.NoError(t, err)
		assert.Equal(t, w, got)
	})
	t.Run("PutWithoutIDOrTimeTakesGeneratorAndNow", func(t *testing.T) {
		s := h.New(t)
		before := time.Now().Add(-time.Second)
		w, err := s.Workloads().Put(ctx(t), noetl.NewWorkload{})
		require.NoError(t, err)
		assert.NotZero(t, w.ExecutionID)
		assert.Equal(t, s.IDs().Shard(), w.ExecutionID.Shard())
		assert.True(t, w.Timestamp.After(before), "timestamp is now")
		assert.Nil(t, w.Data)
		got, err := s.Workloads().Get(ctx(t), w.ExecutionID)
		require.NoError(t, err)
		assert.Equal(t, w, got)
	})
	t.Run("SecondPutIsConflictAndKeepsFirst", func(t *testing.T) {
		s := h.New(t)
		w, err := s.Workloads().Put(ctx(t), noetl.NewWorkload{Data: ptr("first")})
		require.NoError(t, err)
		_, err = s.Workloads().Put(ctx(t), noetl.NewWorkload{ExecutionID: w.ExecutionID, Data: ptr("second")})
		require.ErrorIs(t, err, noetl.ErrConflict)
		assert.Contains(t, err.Error(), w.ExecutionID.String())
		got, err := s.Workloads().Get(ctx(t), w.ExecutionID)
		require.NoError(t, err)
		assert.Equal(t, w, got)
	})
	t.Run("PutWithReplaceOverwritesAndKeepsTheExecutionsRows", func(t *testing.T) {
		s := h.New(t)
		w, err := s.Workloads().Put(ctx(t), noetl.NewWorkload{Timestamp: execAt(1), Data: ptr("first")})
		require.NoError(t, err)
		require.NoError(t, s.Workflows().Add(ctx(t), noetl.WorkflowStep{ExecutionID: w.ExecutionID, StepID: "start"}))
		r, err := s.Workloads().Put(ctx(t), noetl.NewWorkload{ExecutionID: w.ExecutionID, Timestamp: execAt(2), Data: ptr("second"), Replace: true})
		require.NoError(t, err)
		assert.Equal(t, "second", *r.Data)
		got, err := s.Workloads().Get(ctx(t), w.ExecutionID)
		require.NoError(t, err)
		assert.Equal(t, r, got)
		assert.Equal(t, execAt(2), got.Timestamp)
		assert.Len(t, allSteps(t, s, w.ExecutionID), 1, "replacing the workload keeps its steps")
	})
	t.Run("PutWithReplaceOfNewExecutionCreatesIt", func(t *testing.T) {
		s := h.New(t)
		id := s.IDs().MustNext()
		w, err := s.Workloads().Put(ctx(t), noetl.NewWorkload{ExecutionID: id, Data: ptr("x"), Replace: true})
		require.NoError(t, err)
		got, err := s.Workloads().Get(ctx(t), id)
		require.NoError(t, err)
		assert.Equal(t, w, got)
	})
	t.Run("PutInvalidDataWritesNothing", func(t *testing.T) {
		s := h.New(t)
		id := s.IDs().MustNext()
		for _, data := range []string{"bad \xff utf-8", "nul \x00 byte"} {
			_, err := s.Workloads().Put(ctx(t), noetl.NewWorkload{ExecutionID: id, Data: ptr(data)})
			assert.ErrorIs(t, err, noetl.ErrInvalid, "%q", data)
			_, err = s.Workloads().Get(ctx(t), id)
			assert.ErrorIs(t, err, noetl.ErrNotFound)
		}
	})
	t.Run("GetUnknownIsNotFound", func(t *testing.T) {
		s := h.New(t)
		_, err := s.Workloads().Get(ctx(t), 4242)
		assert.ErrorIs(t, err, noetl.ErrNotFound)
		assert.Contains(t, err.Error(), "4242")
	})
	t.Run("DeleteRemovesWorkloadAndEveryRowOfTheExecution", func(t *testing.T) {
		s := h.New(t)
		exec := newWorkload(t, s)
		other := newWorkload(t, s)
		for _, e := range []snowflake.ID{exec, other} {
			require.NoError(t, s.Workflows().Add(ctx(t), noetl.WorkflowStep{ExecutionID: e, StepID: "a"}))
			_, err := s.Events().Append(ctx(t), noetl.Event{ExecutionID: e})
			require.NoError(t, err)
		}
		require.NoError(t, s.Workloads().Delete(ctx(t), exec))
		_, err := s.Workloads().Get(ctx(t), exec)
		assert.ErrorIs(t, err, noetl.ErrNotFound)
		assert.Empty(t, allSteps(t, s, exec))
		assert.Zero(t, countEvents(t, s, exec))
		assert.Len(t, allSteps(t, s, other), 1, "other executions are untouched")
		assert.Equal(t, 1, countEvents(t, s, other))
		assert.ErrorIs(t, s.Workloads().Delete(ctx(t), exec), noetl.ErrNotFound)
	})
}

func testWorkflows(t *testing.T, h Harness) {
	t.Run("AddOneGetItBack", func(t *testing.T) {
		s := h.New(t)
		exec := newWorkload(t, s)
		st := noetl.WorkflowStep{ExecutionID: exec, StepID: "start", StepName: ptr("Start"), StepType: ptr("python"),
			Description: ptr("first step"), RawConfig: ptr(`{"code":"x"}`)}
		require.NoError(t, s.Workflows().Add(ctx(t), st))
		got, err := s.Workflows().Get(ctx(t), exec, "start")
		require.NoError(t, err)
		assert.Equal(t, st, got)
	})
	t.Run("AddManyListsInStepIDOrderAndPages", func(t *testing.T) {
		s := h.New(t)
		exec := newWorkload(t, s)
		other := newWorkload(t, s)
		ids := []string{"e", "b", "g", "a", "c", "f", "d"}
		var steps []noetl.WorkflowStep
		for _, id := range ids {
			steps = append(steps, noetl.WorkflowStep{ExecutionID: exec, StepID: id})
		}
		require.NoError(t, s.Workflows().Add(ctx(t), steps...))
		require.NoError(t, s.Workflows().Add(ctx(t), noetl.WorkflowStep{ExecutionID: other, StepID: "a"}))
		var got []string
		for _, v := range allPages(t, func(after string) (noetl.Page[noetl.WorkflowStep], error) {
			p, err := s.Workflows().List(ctx(t), exec, noetl.StepQuery{Limit: 3, After: after})
			assert.LessOrEqual(t, len(p.Items), 3)
			return p, err
		}) {
			assert.Equal(t, exec, v.ExecutionID)
			got = append(got, v.StepID)
		}
		assert.Equal(t, []string{"a", "b", "c", "d", "e", "f", "g"}, got)
	})
	t.Run("DuplicateInOneCallIsConflictAndWritesNothing", func(t *testing.T) {
		s := h.New(t)
		exec := newWorkload(t, s)
		err := s.Workflows().Add(ctx(t),
			noetl.WorkflowStep{ExecutionID: exec, StepID: "a"},
			noetl.WorkflowStep{ExecutionID: exec, StepID: "b"},
			noetl.WorkflowStep{ExecutionID: exec, StepID: "a"})
		assert.ErrorIs(t, err, noetl.ErrConflict)
		assert.Empty(t, allSteps(t, s, exec))
	})
	t.Run("DuplicateOfStoredStepIsConflictAndWritesNoneOfTheCall", func(t *testing.T) {
		s := h.New(t)
		exec := newWorkload(t, s)
		require.NoError(t, s.Workflows().Add(ctx(t), noetl.WorkflowStep{ExecutionID: exec, StepID: "b", StepName: ptr("kept")}))
		err := s.Workflows().Add(ctx(t),
			noetl.WorkflowStep{ExecutionID: exec, StepID: "a"},
			noetl.WorkflowStep{ExecutionID: exec, StepID: "b", StepName: ptr("new")},
			noetl.WorkflowStep{ExecutionID: exec, StepID: "c"})
		require.ErrorIs(t, err, noetl.ErrConflict)
		got := allSteps(t, s, exec)
		require.Len(t, got, 1)
		assert.Equal(t, "kept", *got[0].StepName)
	})
	t.Run("UnknownExecutionIsNotFoundAndWritesNothing", func(t *testing.T) {
		s := h.New(t)
		exec := newWorkload(t, s)
		err := s.Workflows().Add(ctx(t),
			noetl.WorkflowStep{ExecutionID: exec, StepID: "a"},
			noetl.WorkflowStep{ExecutionID: 999, StepID: "b"})
		require.ErrorIs(t, err, noetl.ErrNotFound)
		assert.Contains(t, err.Error(), "999")
		assert.Empty(t, allSteps(t, s, exec))
		assert.Empty(t, allSteps(t, s, 999))
	})
	bad := []struct {
		name string
		step func(exec snowflake.ID) noetl.WorkflowStep
	}{
		{"NoExecution", func(snowflake.ID) noetl.WorkflowStep { return noetl.WorkflowStep{StepID: "a"} }},
		{"EmptyStepID", func(e snowflake.ID) noetl.WorkflowStep { return noetl.WorkflowStep{ExecutionID: e} }},
		{"MultilineStepID", func(e snowflake.ID) noetl.WorkflowStep { return noetl.WorkflowStep{ExecutionID: e, StepID: "a\nb"} }},
		{"BadUTF8Config", func(e snowflake.ID) noetl.WorkflowStep {
			return noetl.WorkflowStep{ExecutionID: e, StepID: "a", RawConfig: ptr("\xfe")}
		}},
		{"NULInName", func(e snowflake.ID) noetl.WorkflowStep {
			return noetl.WorkflowStep{ExecutionID: e, StepID: "a", StepName: ptr("a\x00b")}
		}},
	}
	for _, c := range bad {
		t.Run("Invalid"+c.name+"WritesNoneOfTheCall", func(t *testing.T) {
			s := h.New(t)
			exec := newWorkload(t, s)
			err := s.Workflows().Add(ctx(t), noetl.WorkflowStep{ExecutionID: exec, StepID: "ok"}, c.step(exec))
			assert.ErrorIs(t, err, noetl.ErrInvalid)
			assert.Empty(t, allSteps(t, s, exec))
		})
	}
	t.Run("AddNothingDoesNothing", func(t *testing.T) {
		s := h.New(t)
		assert.NoError(t, s.Workflows().Add(ctx(t)))
	})
	t.Run("GetUnknownIsNotFound", func(t *testing.T) {
		s := h.New(t)
		exec := newWorkload(t, s)
		_, err := s.Workflows().Get(ctx(t), exec, "nope")
		assert.ErrorIs(t, err, noetl.ErrNotFound)
		assert.Contains(t, err.Error(), "nope")
	})
	t.Run("ListOfUnknownExecutionIsEmptyNotNil", func(t *testing.T) {
		s := h.New(t)
		p, err := s.Workflows().List(ctx(t), 12345, noetl.StepQuery{})
		require.NoError(t, err)
		assert.NotNil(t, p.Items)
		assert.Empty(t, p.Items)
		assert.Empty(t, p.Next)
	})
	t.Run("ListBadCursorOrLimitIsInvalid", func(t *testing.T) {
		s := h.New(t)
		_, err := s.Workflows().List(ctx(t), 1, noetl.StepQuery{After: "%%%"})
		assert.ErrorIs(t, err, noetl.ErrInvalid)
		_, err = s.Workflows().List(ctx(t), 1, noetl.StepQuery{Limit: -1})
		assert.ErrorIs(t, err, noetl.ErrInvalid)
	})
	t.Run("InsideInTxRollsBackWithTheTransaction", func(t *testing.T) {
		s := h.New(t)
		exec := newWorkload(t, s)
		err := s.InTx(ctx(t), func(_ context.Context, tx noetl.Store) error {
			if err := tx.Workflows().Add(ctx(t), noetl.WorkflowStep{ExecutionID: exec, StepID: "a"}, noetl.WorkflowStep{ExecutionID: exec, StepID: "b"}); err != nil {
				return err
			}
			return fmt.Errorf("later failure")
		})
		require.Error(t, err)
		assert.Empty(t, allSteps(t, s, exec))
	})
}

func testWorkbooks(t *testing.T, h Harness) {
	t.Run("AddManyGetAndListInTaskIDOrder", func(t *testing.T) {
		s := h.New(t)
		exec := newWorkload(t, s)
		b := noetl.WorkbookTask{ExecutionID: exec, TaskID: "b", TaskName: ptr("B"), TaskType: ptr("http"), RawConfig: ptr("url: x")}
		a := noetl.WorkbookTask{ExecutionID: exec, TaskID: "a"}
		require.NoError(t, s.Workbooks().Add(ctx(t), b, a))
		got, err := s.Workbooks().Get(ctx(t), exec, "b")
		require.NoError(t, err)
		assert.Equal(t, b, got)
		assert.Equal(t, []noetl.WorkbookTask{a, b}, allTasks(t, s, exec))
		p, err := s.Workbooks().List(ctx(t), exec, noetl.TaskQuery{Limit: 1})
		require.NoError(t, err)
		require.Len(t, p.Items, 1)
		require.NotEmpty(t, p.Next)
		p, err = s.Workbooks().List(ctx(t), exec, noetl.TaskQuery{Limit: 1, After: p.Next})
		require.NoError(t, err)
		assert.Equal(t, []noetl.WorkbookTask{b}, p.Items)
		assert.Empty(t, p.Next)
	})
	t.Run("DuplicateIsConflictAndWritesNoneOfTheCall", func(t *testing.T) {
		s := h.New(t)
		exec := newWorkload(t, s)
		require.NoError(t, s.Workbooks().Add(ctx(t), noetl.WorkbookTask{ExecutionID: exec, TaskID: "a"}))
		err := s.Workbooks().Add(ctx(t), noetl.WorkbookTask{ExecutionID: exec, TaskID: "b"}, noetl.WorkbookTask{ExecutionID: exec, TaskID: "a"})
		assert.ErrorIs(t, err, noetl.ErrConflict)
		assert.Len(t, allTasks(t, s, exec), 1)
	})
	t.Run("UnknownExecutionIsNotFoundAndWritesNothing", func(t *testing.T) {
		s := h.New(t)
		err := s.Workbooks().Add(ctx(t), noetl.WorkbookTask{ExecutionID: 77, TaskID: "a"})
		assert.ErrorIs(t, err, noetl.ErrNotFound)
		assert.Empty(t, allTasks(t, s, 77))
	})
	t.Run("InvalidTaskWritesNoneOfTheCall", func(t *testing.T) {
		s := h.New(t)
		exec := newWorkload(t, s)
		for _, bad := range []noetl.WorkbookTask{{TaskID: "x"}, {ExecutionID: exec}, {ExecutionID: exec, TaskID: "x", TaskType: ptr("\xff")}} {
			err := s.Workbooks().Add(ctx(t), noetl.WorkbookTask{ExecutionID: exec, TaskID: "ok"}, bad)
			assert.ErrorIs(t, err, noetl.ErrInvalid)
		}
		assert.Empty(t, allTasks(t, s, exec))
	})
	t.Run("GetUnknownIsNotFound", func(t *testing.T) {
		s := h.New(t)
		_, err := s.Workbooks().Get(ctx(t), 1, "a")
		assert.ErrorIs(t, err, noetl.ErrNotFound)
	})
}

func testTransitions(t *testing.T, h Harness) {
	tr := func(exec snowflake.ID, from, to, cond string) noetl.Transition {
		return noetl.Transition{ExecutionID: exec, FromStep: from, ToStep: to, Condition: cond}
	}
	t.Run("AddGetWithAndWithoutCondition", func(t *testing.T) {
		s := h.New(t)
		exec := newWorkload(t, s)
		always := tr(exec, "start", "fetch", "")
		when := noetl.Transition{ExecutionID: exec, FromStep: "fetch", ToStep: "retry", Condition: "{{ status != 200 }}", WithParams: ptr(`{"n":3}`)}
		require.NoError(t, s.Transitions().Add(ctx(t), always, when))
		got, err := s.Transitions().Get(ctx(t), exec, "start", "fetch", "")
		require.NoError(t, err)
		assert.Equal(t, always, got)
		got, err = s.Transitions().Get(ctx(t), exec, "fetch", "retry", "{{ status != 200 }}")
		require.NoError(t, err)
		assert.Equal(t, when, got)
		_, err = s.Transitions().Get(ctx(t), exec, "fetch", "retry", "")
		assert.ErrorIs(t, err, noetl.ErrNotFound, "the condition is part of the key")
	})
	t.Run("ListOrderedByFromToConditionAndPages", func(t *testing.T) {
		s := h.New(t)
		exec := newWorkload(t, s)
		in := []noetl.Transition{tr(exec, "b", "c", ""), tr(exec, "a", "b", "y"), tr(exec, "a", "b", "x"), tr(exec, "a", "c", ""), tr(exec, "c", "end", "")}
		require.NoError(t, s.Transitions().Add(ctx(t), in...))
		want := []noetl.Transition{in[2], in[1], in[3], in[0], in[4]}
		got := allPages(t, func(after string) (noetl.Page[noetl.Transition], error) {
			return s.Transitions().List(ctx(t), exec, noetl.TransitionQuery{Limit: 2, After: after})
		})
		assert.Equal(t, want, got)
	})
	t.Run("ListFromOneStep", func(t *testing.T) {
		s := h.New(t)
		exec := newWorkload(t, s)
		other := newWorkload(t, s)
		require.NoError(t, s.Transitions().Add(ctx(t), tr(exec, "a", "c", ""), tr(exec, "a", "b", ""), tr(exec, "b", "c", ""), tr(other, "a", "z", "")))
		var got []string
		for _, v := range allPages(t, func(after string) (noetl.Page[noetl.Transition], error) {
			return s.Transitions().ListFrom(ctx(t), exec, "a", noetl.TransitionQuery{Limit: 1, After: after})
		}) {
			assert.Equal(t, "a", v.FromStep)
			got = append(got, v.ToStep)
		}
		assert.Equal(t, []string{"b", "c"}, got)
		p, err := s.Transitions().ListFrom(ctx(t), exec, "zzz", noetl.TransitionQuery{})
		require.NoError(t, err)
		assert.NotNil(t, p.Items)
		assert.Empty(t, p.Items)
	})
	t.Run("DuplicateIsConflictAndWritesNoneOfTheCall", func(t *testing.T) {
		s := h.New(t)
		exec := newWorkload(t, s)
		require.NoError(t, s.Transitions().Add(ctx(t), tr(exec, "a", "b", "")))
		err := s.Transitions().Add(ctx(t), tr(exec, "b", "c", ""), tr(exec, "a", "b", ""))
		assert.ErrorIs(t, err, noetl.ErrConflict)
		assert.Len(t, allTransitions(t, s, exec), 1)
	})
	t.Run("UnknownExecutionIsNotFoundAndWritesNothing", func(t *testing.T) {
		s := h.New(t)
		err := s.Transitions().Add(ctx(t), tr(55, "a", "b", ""))
		assert.ErrorIs(t, err, noetl.ErrNotFound)
		assert.Empty(t, allTransitions(t, s, 55))
	})
	t.Run("InvalidTransitionWritesNoneOfTheCall", func(t *testing.T) {
		s := h.New(t)
		exec := newWorkload(t, s)
		for _, bad := range []noetl.Transition{tr(0, "a", "b", ""), tr(exec, "", "b", ""), tr(exec, "a", " ", ""), tr(exec, "a", "b", "nul\x00")} {
			err := s.Transitions().Add(ctx(t), tr(exec, "ok", "ok2", ""), bad)
			assert.ErrorIs(t, err, noetl.ErrInvalid)
		}
		assert.Empty(t, allTransitions(t, s, exec))
	})
	t.Run("ListBadCursorIsInvalid", func(t *testing.T) {
		s := h.New(t)
		_, err := s.Transitions().List(ctx(t), 1, noetl.TransitionQuery{After: "x!"})
		assert.ErrorIs(t, err, noetl.ErrInvalid)
		_, err = s.Transitions().ListFrom(ctx(t), 1, "a", noetl.TransitionQuery{After: "x!"})
		assert.ErrorIs(t, err, noetl.ErrInvalid)
	})
}

func testExecutions(t *testing.T, h Harness) {
	t.Run("SummaryCountsStatusesTimesDurationAndLatestPerNode", func(t *testing.T) {
		s := h.New(t)
		exec := newWorkload(t, s)
		other := newWorkload(t, s)
		ev := func(node, status string, minute int, dur float64) noetl.Event {
			e := noetl.Event{ExecutionID: exec, Timestamp: execAt(minute), Duration: ptr(dur)}
			if node != "" {
				e.NodeID = ptr(node)
			}
			if status != "" {
				e.Status = ptr(status)
			}
			return e
		}
		events := []noetl.Event{
			ev("start", "STARTED", 1, 0), ev("start", "COMPLETED", 2, 1.5),
			ev("fetch", "STARTED", 3, 0), ev("fetch", "FAILED", 4, 2.25), ev("fetch", "COMPLETED", 5, 3),
			ev("", "", 6, 0.25),
		}
		require.NoError(t, s.Events().AppendBatch(ctx(t), events))
		_, err := s.Events().Append(ctx(t), noetl.Event{ExecutionID: other, Status: ptr("FAILED"), Timestamp: execAt(59)})
		require.NoError(t, err)
		sum, err := s.Executions().Summary(ctx(t), exec)
		require.NoError(t, err)
		assert.Equal(t, exec, sum.ExecutionID)
		assert.EqualValues(t, 6, sum.Events)
		assert.Equal(t, map[string]int64{"STARTED": 2, "COMPLETED": 2, "FAILED": 1, "": 1}, sum.ByStatus)
		require.NotNil(t, sum.FirstAt)
		require.NotNil(t, sum.LastAt)
		assert.Equal(t, execAt(1), *sum.FirstAt)
		assert.Equal(t, execAt(6), *sum.LastAt)
		assert.InDelta(t, 7.0, sum.Duration, 1e-9)
		require.Len(t, sum.LatestByNode, 2)
		assert.Equal(t, "fetch", *sum.LatestByNode[0].NodeID, "ordered by node id")
		assert.Equal(t, events[4].EventID, sum.LatestByNode[0].EventID)
		assert.Equal(t, "COMPLETED", *sum.LatestByNode[0].Status)
		assert.Equal(t, events[1].EventID, sum.LatestByNode[1].EventID)
	})
	t.Run("SummaryOfExecutionWithoutEvents", func(t *testing.T) {
		s := h.New(t)
		exec := newWorkload(t, s)
		sum, err := s.Executions().Summary(ctx(t), exec)
		require.NoError(t, err)
		assert.Zero(t, sum.Events)
		assert.NotNil(t, sum.ByStatus)
		assert.Empty(t, sum.ByStatus)
		assert.Nil(t, sum.FirstAt)
		assert.Nil(t, sum.LastAt)
		assert.NotNil(t, sum.LatestByNode)
		assert.Empty(t, sum.LatestByNode)
	})
	t.Run("SummaryOfUnknownExecutionIsNotFound", func(t *testing.T) {
		s := h.New(t)
		_, err := s.Executions().Summary(ctx(t), 31337)
		assert.ErrorIs(t, err, noetl.ErrNotFound)
		assert.Contains(t, err.Error(), "31337")
	})
	t.Run("ListNewestFirstWithLatestStatusInPages", func(t *testing.T) {
		s := h.New(t)
		var execs []snowflake.ID
		for i := range 5 {
			w, err := s.Workloads().Put(ctx(t), noetl.NewWorkload{Timestamp: execAt(10 + i)})
			require.NoError(t, err)
			execs = append(execs, w.ExecutionID)
		}
		// Two executions share a timestamp: the id breaks the tie.
		tie, err := s.Workloads().Put(ctx(t), noetl.NewWorkload{Timestamp: execAt(12)})
		require.NoError(t, err)
		require.NoError(t, s.Events().AppendBatch(ctx(t), []noetl.Event{
			{ExecutionID: execs[1], Status: ptr("STARTED"), Timestamp: execAt(20)},
			{ExecutionID: execs[1], Status: ptr("COMPLETED"), Timestamp: execAt(21)},
			{ExecutionID: execs[1], Timestamp: execAt(22)}, // no status: not the latest status
			{ExecutionID: execs[3], Status: ptr("FAILED"), Timestamp: execAt(23)},
		}))
		got := allPages(t, func(after string) (noetl.Page[noetl.ExecutionInfo], error) {
			p, err := s.Executions().List(ctx(t), noetl.ExecutionQuery{Limit: 2, After: after})
			assert.LessOrEqual(t, len(p.Items), 2)
			return p, err
		})
		var ids []snowflake.ID
		for _, e := range got {
			ids = append(ids, e.ExecutionID)
		}
		assert.Equal(t, []snowflake.ID{execs[4], execs[3], tie.ExecutionID, execs[2], execs[1], execs[0]}, ids)
		byID := map[snowflake.ID]noetl.ExecutionInfo{}
		for _, e := range got {
			byID[e.ExecutionID] = e
		}
		require.NotNil(t, byID[execs[1]].Status)
		assert.Equal(t, "COMPLETED", *byID[execs[1]].Status)
		assert.Equal(t, execAt(21), *byID[execs[1]].StatusAt)
		assert.Equal(t, "FAILED", *byID[execs[3]].Status)
		assert.Nil(t, byID[execs[0]].Status)
		assert.Nil(t, byID[execs[0]].StatusAt)
		assert.Equal(t, execAt(10), byID[execs[0]].Timestamp)
	})
	t.Run("ListEmptyIsEmptyNotNilAndBadCursorInvalid", func(t *testing.T) {
		s := h.New(t)
		p, err := s.Executions().List(ctx(t), noetl.ExecutionQuery{})
		require.NoError(t, err)
		assert.NotNil(t, p.Items)
		assert.Empty(t, p.Items)
		_, err = s.Executions().List(ctx(t), noetl.ExecutionQuery{After: "nope!"})
		assert.ErrorIs(t, err, noetl.ErrInvalid)
		_, err = s.Executions().List(ctx(t), noetl.ExecutionQuery{Limit: -3})
		assert.ErrorIs(t, err, noetl.ErrInvalid)
	})
	t.Run("PurgeRemovesEveryTableAndReportsCounts", func(t *testing.T) {
		s := h.New(t)
		exec := newWorkload(t, s)
		other := newWorkload(t, s)
		for _, e := range []snowflake.ID{exec, other} {
			require.NoError(t, s.Workflows().Add(ctx(t), noetl.WorkflowStep{ExecutionID: e, StepID: "a"}, noetl.WorkflowStep{ExecutionID: e, StepID: "b"}))
			require.NoError(t, s.Workbooks().Add(ctx(t), noetl.WorkbookTask{ExecutionID: e, TaskID: "t"}))
			require.NoError(t, s.Transitions().Add(ctx(t), noetl.Transition{ExecutionID: e, FromStep: "a", ToStep: "b"},
				noetl.Transition{ExecutionID: e, FromStep: "b", ToStep: "end"}, noetl.Transition{ExecutionID: e, FromStep: "a", ToStep: "end", Condition: "x"}))
			require.NoError(t, s.Events().AppendBatch(ctx(t), make4Events(e)))
			_, err := s.Errors().Record(ctx(t), noetl.NewErrorLog{ErrorType: "E", ErrorMessage: "m", ExecutionID: ptr(e)})
			require.NoError(t, err)
		}
		unrelated, err := s.Errors().Record(ctx(t), noetl.NewErrorLog{ErrorType: "E", ErrorMessage: "no execution"})
		require.NoError(t, err)
		n, err := s.Executions().Purge(ctx(t), exec)
		require.NoError(t, err)
		assert.Equal(t, noetl.PurgeCounts{Workload: 1, Workflow: 2, Workbook: 1, Transition: 3, EventLog: 4, ErrorLog: 1}, n)
		assert.EqualValues(t, 12, n.Total())
		_, err = s.Workloads().Get(ctx(t), exec)
		assert.ErrorIs(t, err, noetl.ErrNotFound)
		assert.Empty(t, allSteps(t, s, exec))
		assert.Empty(t, allTasks(t, s, exec))
		assert.Empty(t, allTransitions(t, s, exec))
		assert.Zero(t, countEvents(t, s, exec))
		errs, err := s.Errors().List(ctx(t), noetl.ErrorLogQuery{ExecutionID: ptr(exec)})
		require.NoError(t, err)
		assert.Empty(t, errs.Items)
		// The other execution and the error without one are untouched.
		assert.Len(t, allSteps(t, s, other), 2)
		assert.Len(t, allTasks(t, s, other), 1)
		assert.Len(t, allTransitions(t, s, other), 3)
		assert.Equal(t, 4, countEvents(t, s, other))
		_, err = s.Errors().Get(ctx(t), unrelated.ErrorID)
		assert.NoError(t, err)
		errs, err = s.Errors().List(ctx(t), noetl.ErrorLogQuery{})
		require.NoError(t, err)
		assert.Len(t, errs.Items, 2)
	})
	t.Run("PurgeUnknownExecutionIsNotFound", func(t *testing.T) {
		s := h.New(t)
		n, err := s.Executions().Purge(ctx(t), 8080)
		assert.ErrorIs(t, err, noetl.ErrNotFound)
		assert.Zero(t, n.Total())
	})
	t.Run("PurgeInsideInTxRollsBackWithTheTransaction", func(t *testing.T) {
		s := h.New(t)
		exec := newWorkload(t, s)
		require.NoError(t, s.Events().AppendBatch(ctx(t), make4Events(exec)))
		err := s.InTx(ctx(t), func(_ context.Context, tx noetl.Store) error {
			if _, err := tx.Executions().Purge(ctx(t), exec); err != nil {
				return err
			}
			return fmt.Errorf("changed my mind")
		})
		require.Error(t, err)
		assert.Equal(t, 4, countEvents(t, s, exec))
		_, err = s.Workloads().Get(ctx(t), exec)
		assert.NoError(t, err)
	})
}

func make4Events(exec snowflake.ID) []noetl.Event {
	return []noetl.Event{
		{ExecutionID: exec, EventType: ptr("execution_start")},
		{ExecutionID: exec, EventType: ptr("step_start"), NodeID: ptr("a")},
		{ExecutionID: exec, EventType: ptr("step_end"), NodeID: ptr("a"), Status: ptr("COMPLETED")},
		{ExecutionID: exec, EventType: ptr("execution_end"), Status: ptr("COMPLETED")},
	}
}

package main

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/noetl/noetldb/noetl"
	"github.com/noetl/noetldb/snowflake"
)

func init() {
	addStep(50, "Execution: a workload, three steps and their transitions", tourWorkflow)
	addStep(51, "Event log: one run with a loop, as a timeline", tourEvents)
	addStep(52, "Error log: record an error and resolve it", tourErrors)
	addStep(53, "Executions: summary, newest first, purge, retention", tourExecutions)
}

func tourWorkflow(t *tour) error {
	w, err := t.store.Workloads().Put(t.ctx, noetl.NewWorkload{Data: execPtr(`{"playbook":"weather","cities":["Oslo","Lima","Pune"]}`)})
	if err != nil {
		return err
	}
	exec := w.ExecutionID
	t.state["execution"] = exec
	t.printf("execution %s, workload %s\n", exec, *w.Data)
	if err := t.store.Workflows().Add(t.ctx,
		noetl.WorkflowStep{ExecutionID: exec, StepID: "start", StepType: execPtr("start")},
		noetl.WorkflowStep{ExecutionID: exec, StepID: "fetch", StepType: execPtr("http"), Description: execPtr("fetch each city's forecast")},
		noetl.WorkflowStep{ExecutionID: exec, StepID: "end", StepType: execPtr("end")},
	); err != nil {
		return err
	}
	if err := t.store.Transitions().Add(t.ctx,
		noetl.Transition{ExecutionID: exec, FromStep: "start", ToStep: "fetch"},
		noetl.Transition{ExecutionID: exec, FromStep: "fetch", ToStep: "end", Condition: "{{ all_ok }}"},
		noetl.Transition{ExecutionID: exec, FromStep: "fetch", ToStep: "fetch", Condition: "{{ retry }}", WithParams: execPtr(`{"max":2}`)},
	); err != nil {
		return err
	}
	if err := t.store.Workbooks().Add(t.ctx, noetl.WorkbookTask{ExecutionID: exec, TaskID: "get_forecast", TaskType: execPtr("http"),
		RawConfig: execPtr("GET https://example.com/forecast/{{ city }}")}); err != nil {
		return err
	}
	steps, err := t.store.Workflows().List(t.ctx, exec, noetl.StepQuery{})
	if err != nil {
		return err
	}
	for _, s := range steps.Items {
		t.printf("step %-5s (%s)\n", s.StepID, *s.StepType)
	}
	from, err := t.store.Transitions().ListFrom(t.ctx, exec, "fetch", noetl.TransitionQuery{})
	if err != nil {
		return err
	}
	for _, tr := range from.Items {
		t.printf("  fetch -> %-5s when %s\n", tr.ToStep, tr.Condition)
	}
	// Adding a step of an execution that has no workload is refused.
	err = t.store.Workflows().Add(t.ctx, noetl.WorkflowStep{ExecutionID: 1, StepID: "x"})
	t.printf("a step of an unknown execution: %v\n", err)
	return nil
}

func tourEvents(t *tour) error {
	exec := t.state["execution"].(snowflake.ID)
	base := time.Now().UTC().Truncate(time.Second)
	at := func(ms int) time.Time { return base.Add(time.Duration(ms) * time.Millisecond) }
	ev := func(ms int, typ, node, status string) noetl.Event {
		e := noetl.Event{ExecutionID: exec, Timestamp: at(ms), EventType: execPtr(typ), Status: execPtr(status)}
		if node != "" {
			e.NodeID, e.NodeName = execPtr(node), execPtr(node)
		}
		return e
	}
	// The first events one at a time, as an engine would write them live.
	start, err := t.store.Events().Append(t.ctx, ev(0, noetl.EventExecutionStart, "", noetl.EventRunning))
	if err != nil {
		return err
	}
	s1 := ev(5, noetl.EventStepEnd, "start", noetl.EventCompleted)
	s1.Duration = execPtr(0.005)
	if _, err := t.store.Events().Append(t.ctx, s1); err != nil {
		return err
	}
	loop, err := t.store.Events().Append(t.ctx, ev(10, noetl.EventLoopStart, "fetch", noetl.EventRunning))
	if err != nil {
		return err
	}
	// The loop's iterations in one batch: all or nothing, ids in order.
	var batch []noetl.Event
	for i, city := range []string{"Oslo", "Lima", "Pune"} {
		it := ev(20+i*100, noetl.EventIterationStart, "fetch", noetl.EventRunning)
		it.ParentEventID, it.LoopName, it.CurrentIndex, it.CurrentItem = execPtr(loop.EventID), execPtr("cities"), execPtr(i), execPtr(city)
		done := it
		done.Timestamp, done.EventType, done.Status = at(90+i*100), execPtr(noetl.EventIterationEnd), execPtr(noetl.EventCompleted)
		done.Duration = execPtr(0.07)
		done.OutputResult = json.RawMessage(fmt.Sprintf(`{"city":%q,"temp_c":%d}`, city, 12+i*7))
		if city == "Lima" {
			done.Status, done.Error, done.OutputResult = execPtr(noetl.EventFailed), execPtr("HTTP 503"), nil
		}
		batch = append(batch, it, done)
	}
	if err := t.store.Events().AppendBatch(t.ctx, batch); err != nil {
		return err
	}
	for i, e := range []noetl.Event{ev(400, noetl.EventLoopEnd, "fetch", noetl.EventCompleted), ev(405, noetl.EventStepEnd, "end", noetl.EventCompleted), ev(410, noetl.EventExecutionEnd, "", noetl.EventCompleted)} {
		if i == 0 {
			e.Duration = execPtr(0.39)
		}
		if _, err := t.store.Events().Append(t.ctx, e); err != nil {
			return err
		}
	}
	page, err := t.store.Events().List(t.ctx, exec, noetl.EventQuery{})
	if err != nil {
		return err
	}
	t.printf("%d events:\n", len(page.Items))
	for _, e := range page.Items {
		indent := ""
		if e.ParentEventID != nil {
			indent = "    "
		}
		line := fmt.Sprintf("  +%4dms %s%-16s %-6s %-9s", e.Timestamp.Sub(start.Timestamp).Milliseconds(), indent, *e.EventType, orDash(e.NodeID), *e.Status)
		if e.CurrentItem != nil {
			line += " " + *e.CurrentItem
		}
		if e.Error != nil {
			line += " (" + *e.Error + ")"
		}
		if len(e.OutputResult) > 0 {
			line += " " + string(e.OutputResult)
		}
		t.printf("%s\n", strings.TrimRight(line, " "))
	}
	kids, err := t.store.Events().Children(t.ctx, exec, loop.EventID, noetl.EventQuery{Status: noetl.EventFailed})
	if err != nil {
		return err
	}
	t.printf("failed iterations of the loop: %d (%s)\n", len(kids.Items), *kids.Items[0].CurrentItem)
	return nil
}

func tourErrors(t *tour) error {
	exec := t.state["execution"].(snowflake.ID)
	e, err := t.store.Errors().Record(t.ctx, noetl.NewErrorLog{
		ErrorType: "HTTPError", ErrorMessage: "503 Service Unavailable for Lima", ExecutionID: &exec,
		StepID: execPtr("fetch"), ContextData: json.RawMessage(`{"city":"Lima"}`), Severity: noetl.SeverityWarning,
	})
	if err != nil {
		return err
	}
	t.printf("recorded error %s: %s %q (%s)\n", e.ErrorID, e.ErrorType, e.ErrorMessage, e.Severity)
	open, err := t.store.Errors().List(t.ctx, noetl.ErrorLogQuery{ExecutionID: &exec, Resolved: execPtr(false)})
	if err != nil {
		return err
	}
	t.printf("unresolved errors of the execution: %d\n", len(open.Items))
	r, err := t.store.Errors().Resolve(t.ctx, e.ErrorID, "upstream recovered; Lima refetched")
	if err != nil {
		return err
	}
	t.printf("resolved at %s: %s\n", r.ResolutionTimestamp.Format(time.RFC3339), *r.ResolutionNotes)
	_, err = t.store.Errors().Resolve(t.ctx, e.ErrorID, "again")
	t.printf("resolving again: %v\n", err)
	return nil
}

func tourExecutions(t *tour) error {
	exec := t.state["execution"].(snowflake.ID)
	sum, err := t.store.Executions().Summary(t.ctx, exec)
	if err != nil {
		return err
	}
	t.printf("summary: %d events, by status %v, %.3fs of step time, from %s to %s\n", sum.Events, sum.ByStatus,
		sum.Duration, sum.FirstAt.Format("15:04:05.000"), sum.LastAt.Format("15:04:05.000"))
	for _, e := range sum.LatestByNode {
		t.printf("  latest of %-5s: %s %s\n", *e.NodeID, *e.EventType, *e.Status)
	}
	list, err := t.store.Executions().List(t.ctx, noetl.ExecutionQuery{Limit: 5})
	if err != nil {
		return err
	}
	for _, x := range list.Items {
		t.printf("execution %s started %s, latest status %s\n", x.ExecutionID, x.Timestamp.Format(time.RFC3339), orDash(x.Status))
	}
	n, err := t.store.Executions().Purge(t.ctx, exec)
	if err != nil {
		return err
	}
	t.printf("purged: %+v (%d rows)\n", n, n.Total())
	// Retention, as a daily job would run it: every execution issued more
	// than 30 days ago (by its id's time), in short batches.
	old, err := t.store.Executions().PurgeBefore(t.ctx, time.Now().AddDate(0, 0, -30))
	if err != nil {
		return err
	}
	t.printf("retention: executions issued before 30 days ago purged, %d rows\n", old.Total())
	return nil
}

// execPtr returns a pointer to v, for optional fields.
func execPtr[T any](v T) *T { return &v }

// orDash prints an optional text, "-" when absent.
func orDash(p *string) string {
	if p == nil {
		return "-"
	}
	return *p
}

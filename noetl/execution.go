package noetl

import (
	"context"
	"encoding/json"
	"iter"
	"time"

	"github.com/noetl/noetldb/snowflake"
)

// Workload is a row of the workload table: one execution and its payload.
type Workload struct {
	ExecutionID snowflake.ID `json:"execution_id"`
	Timestamp   time.Time    `json:"timestamp"`
	Data        *string      `json:"data"`
}

// WorkflowStep is a row of the workflow table: one step of an execution.
type WorkflowStep struct {
	ExecutionID snowflake.ID `json:"execution_id"`
	StepID      string       `json:"step_id"`
	StepName    *string      `json:"step_name"`
	StepType    *string      `json:"step_type"`
	Description *string      `json:"description"`
	RawConfig   *string      `json:"raw_config"`
}

// WorkbookTask is a row of the workbook table: one task of an execution.
type WorkbookTask struct {
	ExecutionID snowflake.ID `json:"execution_id"`
	TaskID      string       `json:"task_id"`
	TaskName    *string      `json:"task_name"`
	TaskType    *string      `json:"task_type"`
	RawConfig   *string      `json:"raw_config"`
}

// Transition is a row of the transition table: an edge between two steps
// of an execution, taken when Condition holds ("" for always).
type Transition struct {
	ExecutionID snowflake.ID `json:"execution_id"`
	FromStep    string       `json:"from_step"`
	ToStep      string       `json:"to_step"`
	Condition   string       `json:"condition"`
	WithParams  *string      `json:"with_params"`
}

// Event is a row of the event_log table: one thing that happened in an
// execution (a step started, a loop iteration finished, a retry...).
// Duration is in seconds.
type Event struct {
	ExecutionID       snowflake.ID    `json:"execution_id"`
	EventID           snowflake.ID    `json:"event_id"`
	ParentEventID     *snowflake.ID   `json:"parent_event_id"`
	ParentExecutionID *snowflake.ID   `json:"parent_execution_id"`
	Timestamp         time.Time       `json:"timestamp"`
	EventType         *string         `json:"event_type"`
	NodeID            *string         `json:"node_id"`
	NodeName          *string         `json:"node_name"`
	NodeType          *string         `json:"node_type"`
	Status            *string         `json:"status"`
	Duration          *float64        `json:"duration"`
	InputContext      json.RawMessage `json:"input_context"`
	OutputResult      json.RawMessage `json:"output_result"`
	Metadata          json.RawMessage `json:"metadata"`
	Error             *string         `json:"error"`
	LoopID            *string         `json:"loop_id"`
	LoopName          *string         `json:"loop_name"`
	Iterator          *string         `json:"iterator"`
	Items             *string         `json:"items"`
	CurrentIndex      *int            `json:"current_index"`
	CurrentItem       *string         `json:"current_item"`
	WorkerID          *string         `json:"worker_id"`
	DistributedState  *string         `json:"distributed_state"`
	ContextKey        *string         `json:"context_key"`
	ContextValue      *string         `json:"context_value"`
	TraceComponent    json.RawMessage `json:"trace_component"`
	StackTrace        *string         `json:"stack_trace"`
}

// ErrorLog is a row of the error_log table: an error raised during an
// execution, and whether and how it was resolved.
type ErrorLog struct {
	ErrorID             snowflake.ID    `json:"error_id"`
	Timestamp           time.Time       `json:"timestamp"`
	ErrorType           string          `json:"error_type"`
	ErrorMessage        string          `json:"error_message"`
	ExecutionID         *snowflake.ID   `json:"execution_id"`
	StepID              *string         `json:"step_id"`
	StepName            *string         `json:"step_name"`
	TemplateString      *string         `json:"template_string"`
	ContextData         json.RawMessage `json:"context_data"`
	StackTrace          *string         `json:"stack_trace"`
	InputData           json.RawMessage `json:"input_data"`
	OutputData          json.RawMessage `json:"output_data"`
	Severity            Severity        `json:"severity"`
	Resolved            bool            `json:"resolved"`
	ResolutionNotes     *string         `json:"resolution_notes"`
	ResolutionTimestamp *time.Time      `json:"resolution_timestamp"`
}

// ---- workload -----------------------------------------------------------------

// NewWorkload is the input of WorkloadRepo.Put.
type NewWorkload struct {
	// ExecutionID names the execution; zero means the store's generator
	// picks one.
	ExecutionID snowflake.ID
	// Timestamp is when the execution was created; zero means now.
	Timestamp time.Time
	// Data is the execution's payload (usually JSON text); optional.
	Data *string
	// Replace asks Put to overwrite an existing workload of the same
	// execution (its timestamp and data; its steps, events and errors stay).
	// Without it a second Put of one execution is ErrConflict.
	Replace bool
}

// Validate checks the input; errors wrap ErrInvalid.
func (w NewWorkload) Validate() error {
	if err := ValidateTime("workload timestamp", w.Timestamp); err != nil {
		return err
	}
	return ValidateText("workload data", w.Data)
}

// WorkloadRepo stores executions' workloads: one row per execution id, the
// row every other execution table belongs to. It does not act for a profile.
type WorkloadRepo interface {
	// Put stores an execution's workload and returns it. A second Put of the
	// same execution is ErrConflict unless in.Replace is set.
	Put(ctx context.Context, in NewWorkload) (Workload, error)
	// Get returns the workload of an execution, or ErrNotFound.
	Get(ctx context.Context, executionID snowflake.ID) (Workload, error)
	// Delete removes an execution's workload and, with it, every row of the
	// execution in the other execution tables (the schema cascades). An
	// unknown execution is ErrNotFound. ExecutionRepo.Purge does the same
	// and reports what it removed.
	Delete(ctx context.Context, executionID snowflake.ID) error
}

// ---- workflow, workbook, transition --------------------------------------------

// Validate checks the step; errors wrap ErrInvalid.
func (s WorkflowStep) Validate() error {
	if s.ExecutionID == 0 {
		return Invalidf("workflow step: execution id is required")
	}
	if err := ValidateName("step id", s.StepID); err != nil {
		return err
	}
	return validateTexts(func() string { return "workflow step " + s.StepID }, textField{"step name", s.StepName}, textField{"step type", s.StepType}, textField{"description", s.Description}, textField{"raw config", s.RawConfig})
}

// Validate checks the task; errors wrap ErrInvalid.
func (t WorkbookTask) Validate() error {
	if t.ExecutionID == 0 {
		return Invalidf("workbook task: execution id is required")
	}
	if err := ValidateName("task id", t.TaskID); err != nil {
		return err
	}
	return validateTexts(func() string { return "workbook task " + t.TaskID }, textField{"task name", t.TaskName}, textField{"task type", t.TaskType}, textField{"raw config", t.RawConfig})
}

// Validate checks the transition; errors wrap ErrInvalid.
func (t Transition) Validate() error {
	if t.ExecutionID == 0 {
		return Invalidf("transition: execution id is required")
	}
	if err := ValidateName("transition from step", t.FromStep); err != nil {
		return err
	}
	if err := ValidateName("transition to step", t.ToStep); err != nil {
		return err
	}
	return validateTexts(func() string { return "transition " + t.FromStep + " -> " + t.ToStep }, textField{"condition", &t.Condition}, textField{"with params", t.WithParams})
}

// StepQuery pages WorkflowRepo.List, ordered by step id.
type StepQuery struct {
	Limit int    // page size: DefaultLimit when 0, capped at MaxLimit
	After string // cursor from the previous page's Next
}

// TaskQuery pages WorkbookRepo.List, ordered by task id.
type TaskQuery struct {
	Limit int    // page size: DefaultLimit when 0, capped at MaxLimit
	After string // cursor from the previous page's Next
}

// TransitionQuery pages TransitionRepo.List and ListFrom, ordered by from
// step, to step and condition.
type TransitionQuery struct {
	Limit int    // page size: DefaultLimit when 0, capped at MaxLimit
	After string // cursor from the previous page's Next
}

// WorkflowRepo stores an execution's workflow steps. It does not act for a
// profile.
type WorkflowRepo interface {
	// Add stores steps, all or nothing: a step already stored (or given
	// twice) is ErrConflict, a step of an execution without a workload is
	// ErrNotFound, and in either case none of the steps is written. Adding
	// no steps does nothing.
	Add(ctx context.Context, steps ...WorkflowStep) error
	// Get returns one step of an execution, or ErrNotFound.
	Get(ctx context.Context, executionID snowflake.ID, stepID string) (WorkflowStep, error)
	// List returns an execution's steps ordered by step id, in keyset pages.
	// An unknown execution has no steps (an empty page).
	List(ctx context.Context, executionID snowflake.ID, q StepQuery) (Page[WorkflowStep], error)
}

// WorkbookRepo stores an execution's workbook tasks. It does not act for a
// profile.
type WorkbookRepo interface {
	// Add stores tasks, all or nothing, as WorkflowRepo.Add does steps.
	Add(ctx context.Context, tasks ...WorkbookTask) error
	// Get returns one task of an execution, or ErrNotFound.
	Get(ctx context.Context, executionID snowflake.ID, taskID string) (WorkbookTask, error)
	// List returns an execution's tasks ordered by task id, in keyset pages.
	List(ctx context.Context, executionID snowflake.ID, q TaskQuery) (Page[WorkbookTask], error)
}

// TransitionRepo stores an execution's transitions. A transition's steps are
// names; they are not checked against the workflow table (the schema does
// not relate them). It does not act for a profile.
type TransitionRepo interface {
	// Add stores transitions, all or nothing, as WorkflowRepo.Add does
	// steps. The key is (execution, from step, to step, condition).
	Add(ctx context.Context, transitions ...Transition) error
	// Get returns one transition, or ErrNotFound.
	Get(ctx context.Context, executionID snowflake.ID, fromStep, toStep, condition string) (Transition, error)
	// List returns an execution's transitions ordered by from step, to step
	// and condition, in keyset pages.
	List(ctx context.Context, executionID snowflake.ID, q TransitionQuery) (Page[Transition], error)
	// ListFrom returns the transitions leaving fromStep, ordered by to step
	// and condition, in keyset pages.
	ListFrom(ctx context.Context, executionID snowflake.ID, fromStep string, q TransitionQuery) (Page[Transition], error)
}

// ---- event log ------------------------------------------------------------------

// MaxCurrentIndex is the largest Event.CurrentIndex (the column is a 32-bit
// INTEGER on PostgreSQL).
const MaxCurrentIndex = 1<<31 - 1

// Validate checks an event to be appended; errors wrap ErrInvalid. EventID
// and Timestamp may be zero (the store fills them in).
func (e Event) Validate() error {
	if e.ExecutionID == 0 {
		return Invalidf("event: execution id is required")
	}
	if err := ValidateTime("event timestamp", e.Timestamp); err != nil {
		return err
	}
	for _, j := range [...]struct {
		what string
		raw  json.RawMessage
	}{
		{"input_context", e.InputContext}, {"output_result", e.OutputResult},
		{"metadata", e.Metadata}, {"trace_component", e.TraceComponent},
	} {
		if err := validateJSONField("event ", j.what, j.raw); err != nil {
			return err
		}
	}
	if e.Duration != nil && !(*e.Duration >= 0 && *e.Duration <= maxDuration) {
		return Invalidf("event duration %v: must be a finite number of seconds, not negative", *e.Duration)
	}
	if e.CurrentIndex != nil && (*e.CurrentIndex < 0 || *e.CurrentIndex > MaxCurrentIndex) {
		return Invalidf("event current_index %d: must be in 0..%d", *e.CurrentIndex, MaxCurrentIndex)
	}
	for _, f := range [...]struct {
		what string
		p    *string
	}{
		{"event_type", e.EventType}, {"node_id", e.NodeID}, {"node_name", e.NodeName},
		{"node_type", e.NodeType}, {"status", e.Status}, {"error", e.Error}, {"loop_id", e.LoopID},
		{"loop_name", e.LoopName}, {"iterator", e.Iterator}, {"items", e.Items},
		{"current_item", e.CurrentItem}, {"worker_id", e.WorkerID},
		{"distributed_state", e.DistributedState}, {"context_key", e.ContextKey},
		{"context_value", e.ContextValue}, {"stack_trace", e.StackTrace},
	} {
		if err := validateField("event ", f.what, f.p); err != nil {
			return err
		}
	}
	return nil
}

// maxDuration bounds Event.Duration: about 31,700 years in seconds, far past
// any real duration and still exact in both engines' doubles.
const maxDuration = 1e12

// EventQuery filters EventRepo.List and Children. Events are listed in log
// order: the order their appends committed in, within the execution (for a
// batch, slice order), whatever their ids.
type EventQuery struct {
	EventType string // only this event type, when set
	Status    string // only this status, when set
	NodeID    string // only this node id, when set
	NodeName  string // only this node name, when set
	Limit     int    // page size: DefaultLimit when 0, capped at MaxLimit
	After     string // cursor from the previous page's Next
}

// Validate checks the query; errors wrap ErrInvalid.
func (q EventQuery) Validate() error {
	for _, f := range [...]struct{ what, v string }{
		{"event event_type", q.EventType}, {"event status", q.Status},
		{"event node_id", q.NodeID}, {"event node_name", q.NodeName},
	} {
		if err := ValidateString(f.what, f.v); err != nil {
			return err
		}
	}
	_, err := ClampLimit(q.Limit)
	return err
}

// EventRepo stores the event log: the high-volume table a workflow engine
// writes for every step, loop iteration and retry. It does not act for a
// profile.
type EventRepo interface {
	// Append stores one event and returns it, at the end of its
	// execution's log. A zero EventID is taken from the store's generator
	// and a zero Timestamp is now. ParentEventID and ParentExecutionID are
	// optional and not checked. An event of an execution without a workload
	// is ErrNotFound. An event id already used in the execution is
	// ErrConflict, unless the stored event holds the same content: then it
	// is a retry, and the stored event is returned (so a caller that sets
	// EventID and Timestamp may retry an Append whose outcome it does not
	// know). An append waits for another append to the same execution that
	// has not committed yet (one in a long transaction, for example).
	Append(ctx context.Context, e Event) (Event, error)
	// AppendBatch stores events all or nothing, in one transaction (COPY on
	// PostgreSQL, statements of 500 rows on SQLite), at the end of their
	// executions' logs in slice order. Every event is validated before
	// anything is written. Zero EventIDs are filled in place from the
	// generator's block API, in slice order (so ids increase along the
	// slice), and zero Timestamps with now; on error the filled values stay
	// in the slice but nothing was written. An execution without a workload
	// is ErrNotFound; a cancelled context leaves nothing written.
	//
	// Retrying is safe: when a commit's outcome is unknown (a deadline at
	// COMMIT, a lost connection), call AppendBatch again with the same
	// slice, ids filled in. Events whose id is stored in their execution
	// with the same content are skipped, the others written (at the end of
	// the log, in slice order), and the call returns nil: the batch is then
	// stored, once. An id stored with other content, or given twice in the
	// batch, is ErrConflict and nothing is written.
	AppendBatch(ctx context.Context, events []Event) error
	// Get returns one event, or ErrNotFound.
	Get(ctx context.Context, executionID, eventID snowflake.ID) (Event, error)
	// List returns an execution's events matching q, in log order, in
	// keyset pages. The log can be followed: every non-empty page, the last
	// one included, has a Next, and a reader that pages to the end and later
	// continues from the last Next it got sees every event committed since
	// exactly once, in log order, however many append meanwhile, from
	// however many stores or transactions, and whatever ids they chose. The
	// end of the log, for now, is a page shorter than the limit.
	List(ctx context.Context, executionID snowflake.ID, q EventQuery) (Page[Event], error)
	// Children returns the events of the execution whose parent event is
	// eventID, matching q, in log order, in keyset pages that can be
	// followed as List's.
	Children(ctx context.Context, executionID, eventID snowflake.ID, q EventQuery) (Page[Event], error)
	// Follow yields an execution's events in List order (by their position
	// in the log): every event committed after the cursor after (empty:
	// from the start; a Next of List, or a Cursor Follow yielded), exactly
	// once; then each new event as its append commits, until ctx ends,
	// when the iteration ends without an error. It does not poll: the store
	// wakes the execution's followers when an append commits (in this
	// process, or another on the same database) and each re-reads from its
	// cursor with List's statement, so a missed or merged wake-up never
	// loses or repeats an event. A bad cursor is ErrInvalid; a store in a
	// transaction (or a ctx carrying one) cannot follow (ErrInvalid). An
	// error is yielded once, and ends the iteration. A transient failure
	// (ErrTransient: a lost connection, the server restarting) is not
	// yielded: the read is retried from the cursor. Closing the store ends
	// its follows with ErrClosed. The rows are read from the primary, never
	// a replica.
	Follow(ctx context.Context, executionID snowflake.ID, after string) iter.Seq2[Followed[Event], error]
}

// ---- error log ------------------------------------------------------------------

// NewErrorLog is the input of ErrorLogRepo.Record.
type NewErrorLog struct {
	ErrorType    string // required, one line
	ErrorMessage string // required
	// ExecutionID is optional; when set the execution's workload must exist.
	ExecutionID    *snowflake.ID
	StepID         *string
	StepName       *string
	TemplateString *string
	ContextData    json.RawMessage // optional JSON
	StackTrace     *string
	InputData      json.RawMessage // optional JSON
	OutputData     json.RawMessage // optional JSON
	// Severity defaults to SeverityError when empty.
	Severity Severity
	// Timestamp is when the error happened; zero means now.
	Timestamp time.Time
}

// Validate checks the input; errors wrap ErrInvalid.
func (e NewErrorLog) Validate() error {
	if err := ValidateName("error type", e.ErrorType); err != nil {
		return err
	}
	if err := ValidateTime("error timestamp", e.Timestamp); err != nil {
		return err
	}
	if e.ErrorMessage == "" {
		return Invalidf("error message: must not be empty")
	}
	if e.ExecutionID != nil && *e.ExecutionID == 0 {
		return Invalidf("error log: execution id 0 (leave it nil for none)")
	}
	if e.Severity != "" && !e.Severity.Valid() {
		_, err := ParseSeverity(string(e.Severity))
		return err
	}
	for _, j := range [...]struct {
		what string
		raw  json.RawMessage
	}{{"context_data", e.ContextData}, {"input_data", e.InputData}, {"output_data", e.OutputData}} {
		if err := validateJSONField("error log ", j.what, j.raw); err != nil {
			return err
		}
	}
	return validateTexts(func() string { return "error log" }, textField{"error message", &e.ErrorMessage}, textField{"step id", e.StepID}, textField{"step name", e.StepName}, textField{"template string", e.TemplateString}, textField{"stack trace", e.StackTrace})
}

// ErrorLogQuery filters ErrorLogRepo.List. Errors are listed newest first
// (by timestamp, then id).
type ErrorLogQuery struct {
	ExecutionID *snowflake.ID // only errors of this execution, when set
	ErrorType   string        // only this error type, when set
	Severity    Severity      // only this severity, when set
	Resolved    *bool         // only resolved (true) or unresolved (false) errors, when set
	Since       time.Time     // only errors at or after this time, when set
	Until       time.Time     // only errors before this time, when set
	Limit       int           // page size: DefaultLimit when 0, capped at MaxLimit
	After       string        // cursor from the previous page's Next
}

// Validate checks the query; errors wrap ErrInvalid.
func (q ErrorLogQuery) Validate() error {
	if q.Severity != "" && !q.Severity.Valid() {
		_, err := ParseSeverity(string(q.Severity))
		return err
	}
	if err := ValidateString("error type", q.ErrorType); err != nil {
		return err
	}
	if err := ValidateTime("error log query since", q.Since); err != nil {
		return err
	}
	if err := ValidateTime("error log query until", q.Until); err != nil {
		return err
	}
	if !q.Since.IsZero() && !q.Until.IsZero() && !q.Since.Before(q.Until) {
		return Invalidf("error log query: since %s is not before until %s",
			q.Since.UTC().Format(time.RFC3339Nano), q.Until.UTC().Format(time.RFC3339Nano))
	}
	_, err := ClampLimit(q.Limit)
	return err
}

// ErrorLogRepo stores the error log. It does not act for a profile.
type ErrorLogRepo interface {
	// Record stores an error with an id from the store's generator and
	// returns it, unresolved. An execution without a workload is
	// ErrNotFound.
	Record(ctx context.Context, in NewErrorLog) (ErrorLog, error)
	// Get returns the error with id, or ErrNotFound.
	Get(ctx context.Context, id snowflake.ID) (ErrorLog, error)
	// List returns errors matching q, newest first, in keyset pages.
	List(ctx context.Context, q ErrorLogQuery) (Page[ErrorLog], error)
	// Resolve marks an error resolved now, with optional notes, and returns
	// it. It happens once: resolving a resolved error is ErrConflict and
	// keeps the first resolution's time and notes.
	Resolve(ctx context.Context, id snowflake.ID, notes string) (ErrorLog, error)
}

// ---- whole executions -----------------------------------------------------------

// ExecutionSummary describes one execution from its event log.
type ExecutionSummary struct {
	ExecutionID snowflake.ID `json:"execution_id"`
	// Events is how many events the execution has.
	Events int64 `json:"events"`
	// ByStatus counts events per status; events without a status count
	// under "".
	ByStatus map[string]int64 `json:"by_status"`
	// FirstAt and LastAt are the earliest and latest event timestamps; nil
	// when there are no events.
	FirstAt *time.Time `json:"first_at"`
	LastAt  *time.Time `json:"last_at"`
	// Duration is the sum of the events' durations, in seconds.
	Duration float64 `json:"duration"`
	// LatestByNode holds the latest event (highest id) of each node id,
	// ordered by node id. Events without a node id are not in it.
	LatestByNode []Event `json:"latest_by_node"`
}

// ExecutionInfo is one execution of ExecutionRepo.List.
type ExecutionInfo struct {
	ExecutionID snowflake.ID `json:"execution_id"`
	// Timestamp is the workload's.
	Timestamp time.Time `json:"timestamp"`
	// Status is the status of the execution's latest event that has one
	// (highest id), and StatusAt that event's timestamp; both nil when no
	// event has a status.
	Status   *string    `json:"status"`
	StatusAt *time.Time `json:"status_at"`
}

// ExecutionQuery pages ExecutionRepo.List, newest first.
type ExecutionQuery struct {
	Limit int    // page size: DefaultLimit when 0, capped at MaxLimit
	After string // cursor from the previous page's Next
}

// PurgeCounts reports how many rows ExecutionRepo.Purge or PurgeBefore
// removed from each execution table.
type PurgeCounts struct {
	Workload   int64 `json:"workload"`
	Workflow   int64 `json:"workflow"`
	Workbook   int64 `json:"workbook"`
	Transition int64 `json:"transition"`
	EventLog   int64 `json:"event_log"`
	ErrorLog   int64 `json:"error_log"`
	// Partitions is how many event_log partitions PurgeBefore dropped whole
	// (PostgreSQL only). Their rows are gone without being counted:
	// EventLog counts only the events deleted one by one.
	Partitions int64 `json:"partitions,omitempty"`
}

// Total is the number of rows removed from all tables.
func (c PurgeCounts) Total() int64 {
	return c.Workload + c.Workflow + c.Workbook + c.Transition + c.EventLog + c.ErrorLog
}

// ExecutionRepo acts on whole executions across the execution tables. It
// does not act for a profile.
type ExecutionRepo interface {
	// Summary describes an execution from its events; an execution without
	// a workload is ErrNotFound.
	Summary(ctx context.Context, executionID snowflake.ID) (ExecutionSummary, error)
	// List returns executions (workloads) newest first (by workload
	// timestamp, then execution id) with their latest status, in keyset
	// pages.
	List(ctx context.Context, q ExecutionQuery) (Page[ExecutionInfo], error)
	// Purge deletes every row of one execution from every execution table
	// in one transaction and reports how many of each it removed. An unknown
	// execution is ErrNotFound.
	Purge(ctx context.Context, executionID snowflake.ID) (PurgeCounts, error)
	// PurgeBefore deletes every execution whose id was issued before t (the
	// time in its snowflake id, which partitions the event log; not the
	// workload's timestamp) with all its rows in every execution table, and
	// reports how many it removed. Error-log rows without an execution stay.
	//
	// Outside a transaction it works in short steps, each its own
	// transaction, so writers are never held up for long: on PostgreSQL it
	// first detaches and drops every event_log partition that lies wholly
	// before t and before the current period, then deletes the rest in
	// bounded batches; on SQLite it
	// deletes in bounded batches, releasing the write lock between them.
	// Readers may meet an execution half purged while it runs; if it fails
	// part way, what it removed stays removed (the counts it returns with
	// the error report it) and calling it again finishes the job. Inside a
	// transaction (InTx, FromTx) it deletes row by row, all or nothing with
	// the transaction, and drops no partition.
	// A zero t, or one past snowflake.MaxTime, is ErrInvalid.
	PurgeBefore(ctx context.Context, t time.Time) (PurgeCounts, error)
}

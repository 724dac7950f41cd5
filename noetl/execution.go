package noetl

import (
	"encoding/json"
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

// WorkloadRepo stores executions' workloads.
type WorkloadRepo interface{}

// WorkflowRepo stores an execution's workflow steps.
type WorkflowRepo interface{}

// WorkbookRepo stores an execution's workbook tasks.
type WorkbookRepo interface{}

// TransitionRepo stores an execution's transitions.
type TransitionRepo interface{}

// EventRepo stores the event log.
type EventRepo interface{}

// ErrorLogRepo stores the error log.
type ErrorLogRepo interface{}

// ExecutionRepo acts on whole executions across the execution tables.
type ExecutionRepo interface{}

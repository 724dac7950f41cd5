package noetl

import (
	"encoding/json"
	"time"

	"github.com/noetl/noetldb/snowflake"
)

// Runtime is a row of the runtime table: a registered server, worker pool or
// broker with its heartbeat.
type Runtime struct {
	RuntimeID     snowflake.ID    `json:"runtime_id"`
	Name          string          `json:"name"`
	ComponentType ComponentType   `json:"component_type"`
	BaseURL       *string         `json:"base_url"`
	Status        string          `json:"status"`
	Labels        json.RawMessage `json:"labels"`
	Capabilities  json.RawMessage `json:"capabilities"`
	Capacity      *int            `json:"capacity"`
	Runtime       json.RawMessage `json:"runtime"`
	LastHeartbeat time.Time       `json:"last_heartbeat"`
	CreatedAt     time.Time       `json:"created_at"`
	UpdatedAt     time.Time       `json:"updated_at"`
}

// Schedule is a row of the schedule table: a playbook run on a cron
// expression, an interval, or both.
type Schedule struct {
	ScheduleID      snowflake.ID    `json:"schedule_id"`
	PlaybookPath    string          `json:"playbook_path"`
	PlaybookVersion *string         `json:"playbook_version"`
	Cron            *string         `json:"cron"`
	IntervalSec     *int            `json:"interval_sec"`
	Enabled         bool            `json:"enabled"`
	Timezone        string          `json:"timezone"`
	NextRunAt       *time.Time      `json:"next_run_at"`
	LastRunAt       *time.Time      `json:"last_run_at"`
	LastStatus      *string         `json:"last_status"`
	InputPayload    json.RawMessage `json:"input_payload"`
	CreatedAt       time.Time       `json:"created_at"`
	UpdatedAt       time.Time       `json:"updated_at"`
	Meta            json.RawMessage `json:"meta"`
}

// RuntimeRepo is the registry of runtime components.
type RuntimeRepo interface{}

// ScheduleRepo stores playbook schedules.
type ScheduleRepo interface{}

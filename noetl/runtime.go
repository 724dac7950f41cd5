package noetl

import (
	"context"
	"encoding/json"
	"strings"
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

// Runtime statuses the registry itself sets. Components may report any
// other one-line status ("busy", "draining"...).
const (
	// StatusReady is the status of a component registered without one, and
	// of an offline component that heartbeats again.
	StatusReady = "ready"
	// StatusOffline is the status of a deregistered component and of one
	// whose heartbeat went stale (RuntimeRepo.MarkOffline).
	StatusOffline = "offline"
)

// Integer bounds: the columns are 32-bit INTEGERs on PostgreSQL, and SQLite
// is held to the same range so both engines accept the same values.
const (
	// MaxCapacity is the largest Runtime.Capacity.
	MaxCapacity = 1<<31 - 1
	// MaxIntervalSec is the longest schedule interval in seconds (about 68
	// years; as a time.Duration it is far from overflowing).
	MaxIntervalSec = 1<<31 - 1
)

// NewRuntime is the input of RuntimeRepo.Register.
type NewRuntime struct {
	// Name and ComponentType identify the component: registering the same
	// pair again updates it and keeps its runtime id.
	Name          string
	ComponentType ComponentType
	BaseURL       *string
	// Status is StatusReady when empty.
	Status string
	// Labels is optional; when set it must be a JSON object (RuntimeQuery
	// filters on its keys).
	Labels json.RawMessage
	// Capabilities is optional JSON (any value).
	Capabilities json.RawMessage
	// Capacity is optional; when set it must be in 0..MaxCapacity.
	Capacity *int
	// Runtime is optional JSON describing the process (version, host...).
	Runtime json.RawMessage
}

// Validate checks the input; errors wrap ErrInvalid.
func (r NewRuntime) Validate() error {
	if err := ValidateName("runtime name", r.Name); err != nil {
		return err
	}
	if !r.ComponentType.Valid() {
		_, err := ParseComponentType(string(r.ComponentType))
		return err
	}
	if r.Status != "" {
		if err := ValidateName("runtime status", r.Status); err != nil {
			return err
		}
	}
	if err := ValidateText("runtime base URL", r.BaseURL); err != nil {
		return err
	}
	if r.BaseURL != nil && strings.ContainsAny(*r.BaseURL, "\n\r") {
		return Invalidf("runtime %s: base URL must be one line", Quote(r.Name))
	}
	if r.Capacity != nil && (*r.Capacity < 0 || int64(*r.Capacity) > MaxCapacity) {
		return Invalidf("runtime %s: capacity %d outside 0..%d", Quote(r.Name), *r.Capacity, MaxCapacity)
	}
	if err := ValidateJSONObject("runtime labels", r.Labels); err != nil {
		return err
	}
	if err := ValidateJSON("runtime capabilities", r.Capabilities); err != nil {
		return err
	}
	return ValidateJSON("runtime info", r.Runtime)
}

// RuntimeQuery filters RuntimeRepo.List. Components are listed by runtime id
// (the order they first registered in).
type RuntimeQuery struct {
	ComponentType ComponentType // only this type, when set
	Status        string        // only this status, when set
	// LabelKey and LabelValue, when LabelKey is set, keep components whose
	// labels hold that key with that JSON string value. Number and boolean
	// label values never match (engines render them as text differently).
	LabelKey   string
	LabelValue string
	Limit      int    // page size: DefaultLimit when 0, capped at MaxLimit
	After      string // cursor from the previous page's Next
}

// Validate checks the query; errors wrap ErrInvalid.
func (q RuntimeQuery) Validate() error {
	if q.ComponentType != "" && !q.ComponentType.Valid() {
		_, err := ParseComponentType(string(q.ComponentType))
		return err
	}
	if q.LabelKey != "" {
		if err := ValidateName("label key", q.LabelKey); err != nil {
			return err
		}
		if strings.ContainsAny(q.LabelKey, `"\`) {
			return Invalidf("label key %s: must not hold quotes or backslashes", Quote(q.LabelKey))
		}
	}
	if err := ValidateString("runtime status", q.Status); err != nil {
		return err
	}
	if err := ValidateString("runtime label value", q.LabelValue); err != nil {
		return err
	}
	_, err := ClampLimit(q.Limit)
	return err
}

// RuntimeRepo is the registry of runtime components. It does not act for a
// profile.
type RuntimeRepo interface {
	// Register adds the component, or updates the one with the same
	// component type and name (keeping its runtime id and created_at); its
	// heartbeat is now.
	Register(ctx context.Context, in NewRuntime) (Runtime, error)
	// Heartbeat records that the component is alive now. status "" keeps
	// its status, except that an offline component becomes StatusReady. An
	// unknown id is ErrNotFound: the caller should register again.
	Heartbeat(ctx context.Context, id snowflake.ID, status string) (Runtime, error)
	// Deregister sets the component's status to StatusOffline; an unknown id
	// is ErrNotFound.
	Deregister(ctx context.Context, id snowflake.ID) (Runtime, error)
	// Get returns the component with id, or ErrNotFound.
	Get(ctx context.Context, id snowflake.ID) (Runtime, error)
	// GetByName returns the component of that type and name, or ErrNotFound.
	GetByName(ctx context.Context, componentType ComponentType, name string) (Runtime, error)
	// List returns components matching q.
	List(ctx context.Context, q RuntimeQuery) (Page[Runtime], error)
	// MarkOffline sets StatusOffline on every component not yet offline
	// whose last heartbeat is older than olderThan, and returns how many.
	MarkOffline(ctx context.Context, olderThan time.Duration) (int64, error)
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

// ValidateTimezone checks an IANA zone name such as "Europe/Berlin"; "" is
// UTC. "Local" is refused: it means a different zone on every machine.
func ValidateTimezone(tz string) (*time.Location, error) {
	if tz == "" {
		return time.UTC, nil
	}
	if tz == "Local" {
		return nil, Invalidf("timezone %q: name an IANA zone such as Europe/Berlin", tz)
	}
	loc, err := time.LoadLocation(tz)
	if err != nil {
		return nil, Invalidf("timezone %q: not a known IANA zone", tz)
	}
	return loc, nil
}

// NewSchedule is the input of ScheduleRepo.Create. A schedule runs on Cron,
// on IntervalSec, or on both (the earlier next run wins).
type NewSchedule struct {
	// PlaybookPath is the catalog path of the playbook to run. Required.
	PlaybookPath string
	// PlaybookVersion is optional: nil runs the latest version.
	PlaybookVersion *string
	// Cron is a standard 5-field expression ("*/5 * * * *") or a
	// descriptor (@hourly, @daily, @weekly, @monthly, @yearly, @every 90s),
	// read in Timezone. A bad one is ErrInvalid.
	Cron string
	// IntervalSec, when not zero, runs the playbook every so many seconds;
	// it must be in 1..MaxIntervalSec.
	IntervalSec int
	// Timezone is an IANA zone name for Cron; UTC when empty.
	Timezone string
	// Disabled creates the schedule disabled (no next run until enabled).
	Disabled bool
	// InputPayload is optional JSON given to each run.
	InputPayload json.RawMessage
	// Meta is optional; when set it must be a JSON object.
	Meta json.RawMessage
}

// Validate checks the input except the cron expression, which the store
// parses; errors wrap ErrInvalid.
func (s NewSchedule) Validate() error {
	if err := ValidatePath("playbook path", s.PlaybookPath); err != nil {
		return err
	}
	if s.PlaybookVersion != nil {
		if _, err := ParseVersion(*s.PlaybookVersion); err != nil {
			return err
		}
	}
	if err := ValidateString("schedule cron", s.Cron); err != nil {
		return err
	}
	if strings.TrimSpace(s.Cron) == "" && s.IntervalSec == 0 {
		return Invalidf("schedule for %q: needs a cron expression or an interval", s.PlaybookPath)
	}
	if s.IntervalSec < 0 || int64(s.IntervalSec) > MaxIntervalSec {
		return Invalidf("schedule for %s: interval %d s outside 1..%d", Quote(s.PlaybookPath), s.IntervalSec, MaxIntervalSec)
	}
	if _, err := ValidateTimezone(s.Timezone); err != nil {
		return err
	}
	if err := ValidateJSON("schedule input payload", s.InputPayload); err != nil {
		return err
	}
	return ValidateJSONObject("schedule meta", s.Meta)
}

// ScheduleUpdate changes a schedule; nil fields stay as they are. An empty
// PlaybookVersion clears it (latest), an empty Cron clears the cron
// expression and a zero IntervalSec clears the interval, but one of the two
// must remain. Any change recomputes next_run_at from now.
type ScheduleUpdate struct {
	PlaybookPath    *string
	PlaybookVersion *string
	Cron            *string
	IntervalSec     *int
	Timezone        *string
	InputPayload    *json.RawMessage
	Meta            *json.RawMessage
}

// Validate checks the fields that are set (the cron expression is parsed by
// the store); errors wrap ErrInvalid.
func (u ScheduleUpdate) Validate() error {
	if u.PlaybookPath != nil {
		if err := ValidatePath("playbook path", *u.PlaybookPath); err != nil {
			return err
		}
	}
	if u.PlaybookVersion != nil && *u.PlaybookVersion != "" {
		if _, err := ParseVersion(*u.PlaybookVersion); err != nil {
			return err
		}
	}
	if err := ValidateText("schedule cron", u.Cron); err != nil {
		return err
	}
	if u.IntervalSec != nil && (*u.IntervalSec < 0 || int64(*u.IntervalSec) > MaxIntervalSec) {
		return Invalidf("schedule: interval %d s outside 1..%d (0 clears it)", *u.IntervalSec, MaxIntervalSec)
	}
	if u.Timezone != nil {
		if _, err := ValidateTimezone(*u.Timezone); err != nil {
			return err
		}
	}
	if u.InputPayload != nil {
		if err := ValidateJSON("schedule input payload", *u.InputPayload); err != nil {
			return err
		}
	}
	if u.Meta != nil {
		return ValidateJSONObject("schedule meta", *u.Meta)
	}
	return nil
}

// ScheduleQuery filters ScheduleRepo.List. Schedules are listed by id (the
// order they were created in).
type ScheduleQuery struct {
	PlaybookPath string // only schedules of this playbook, when set
	Enabled      *bool  // only enabled (true) or disabled (false), when set
	Limit        int    // page size: DefaultLimit when 0, capped at MaxLimit
	After        string // cursor from the previous page's Next
}

// Validate checks the query; errors wrap ErrInvalid.
func (q ScheduleQuery) Validate() error {
	if err := ValidateString("playbook path", q.PlaybookPath); err != nil {
		return err
	}
	_, err := ClampLimit(q.Limit)
	return err
}

// ScheduleClaim is one due run handed to a claimer: the schedule as it is
// after the claim (NextRunAt moved past the claim time, LastRunAt the claim
// time) and the slot that was due. A (schedule, slot) pair is handed out
// once, so it can key the run.
type ScheduleClaim struct {
	Schedule Schedule  `json:"schedule"`
	Slot     time.Time `json:"slot"`
}

// ScheduleRepo stores playbook schedules and hands out due runs. It does not
// act for a profile.
type ScheduleRepo interface {
	// Create adds a schedule; its next run is computed from now (unless
	// Disabled). A bad cron expression, timezone or interval is ErrInvalid.
	Create(ctx context.Context, in NewSchedule) (Schedule, error)
	// Get returns the schedule with id, or ErrNotFound.
	Get(ctx context.Context, id snowflake.ID) (Schedule, error)
	// List returns schedules matching q, oldest first.
	List(ctx context.Context, q ScheduleQuery) (Page[Schedule], error)
	// Update changes a schedule and recomputes its next run from now (when
	// enabled).
	Update(ctx context.Context, id snowflake.ID, u ScheduleUpdate) (Schedule, error)
	// Enable enables the schedule and computes its next run from now.
	Enable(ctx context.Context, id snowflake.ID) (Schedule, error)
	// Disable disables the schedule and clears its next run.
	Disable(ctx context.Context, id snowflake.ID) (Schedule, error)
	// Delete removes a schedule; an unknown one is ErrNotFound.
	Delete(ctx context.Context, id snowflake.ID) error
	// Claim hands out up to limit enabled schedules due at `at` (next_run_at
	// at or before it), earliest first. In the same transaction each one's
	// next_run_at moves to its first slot after `at` (slots missed while
	// nobody claimed are skipped: a schedule is claimed once, not once per
	// missed slot) and last_run_at becomes `at`. Concurrent claimers, in one
	// process or several on one database, never receive the same
	// (schedule, slot). limit follows ClampLimit.
	Claim(ctx context.Context, at time.Time, limit int) ([]ScheduleClaim, error)
	// RecordRun stores the result of a run as last_status; an unknown id is
	// ErrNotFound.
	RecordRun(ctx context.Context, id snowflake.ID, status string) (Schedule, error)
	// Ensure returns the schedule of in.PlaybookPath (the oldest, when there
	// are several), creating it from in when there is none (created reports
	// which); an existing schedule is returned as it is, whatever the rest
	// of in says (change it with Update). A worker that registers its
	// schedule on every start calls this instead of Create. It is
	// idempotent and race-safe: concurrent callers, in one process or
	// several, get the same schedule and exactly one creates it. Bad input
	// is ErrInvalid and writes nothing.
	Ensure(ctx context.Context, in NewSchedule) (s Schedule, created bool, err error)
}

package noetl

import (
	"slices"
	"strings"
)

// enum is the set of string types below; parseEnum serves them all.
type enum interface {
	~string
	Valid() bool
}

func parseEnum[E enum](what, s string, all []E) (E, error) {
	e := E(strings.ToLower(strings.TrimSpace(s)))
	if !e.Valid() {
		names := make([]string, len(all))
		for i, v := range all {
			names[i] = string(v)
		}
		return "", Invalidf("%s %q: want one of %s", what, s, strings.Join(names, ", "))
	}
	return e, nil
}

// ProfileType says whether a profile is a person or a bot: "user" or "bot"
// ([ProfileTypes]).
type ProfileType string

// ProfileUser is "user": a person who signs in.
const ProfileUser ProfileType = "user"

// ProfileBot is "bot": an automated account.
const ProfileBot ProfileType = "bot"

// ProfileTypes lists every valid ProfileType.
var ProfileTypes = []ProfileType{ProfileUser, ProfileBot}

// Valid reports whether t is a known profile type.
func (t ProfileType) Valid() bool { return slices.Contains(ProfileTypes, t) }

// ParseProfileType parses s (case-insensitive); an unknown value is ErrInvalid.
func ParseProfileType(s string) (ProfileType, error) {
	return parseEnum("profile type", s, ProfileTypes)
}

// SessionType says who is on the other end of a session: "user", "bot" or
// "ai" ([SessionTypes]).
type SessionType string

// SessionUser is "user": a person's session.
const SessionUser SessionType = "user"

// SessionBot is "bot": a bot's session.
const SessionBot SessionType = "bot"

// SessionAI is "ai": an AI agent's session.
const SessionAI SessionType = "ai"

// SessionTypes lists every valid SessionType.
var SessionTypes = []SessionType{SessionUser, SessionBot, SessionAI}

// Valid reports whether t is a known session type.
func (t SessionType) Valid() bool { return slices.Contains(SessionTypes, t) }

// ParseSessionType parses s (case-insensitive); an unknown value is ErrInvalid.
func ParseSessionType(s string) (SessionType, error) {
	return parseEnum("session type", s, SessionTypes)
}

// MemberRole is a profile's role in a chat: "member", "admin" or "owner"
// ([MemberRoles]), in that order: each may do what the ones before it may
// (see [MemberRole.Can]).
type MemberRole string

// RoleMember is "member": reads and posts in the chat.
const RoleMember MemberRole = "member"

// RoleAdmin is "admin": also adds and removes plain members, renames the
// chat and moderates.
const RoleAdmin MemberRole = "admin"

// RoleOwner is "owner": also changes roles, moves and deletes the chat.
const RoleOwner MemberRole = "owner"

// MemberRoles lists every valid MemberRole, lowest first.
var MemberRoles = []MemberRole{RoleMember, RoleAdmin, RoleOwner}

// Valid reports whether r is a known member role.
func (r MemberRole) Valid() bool { return slices.Contains(MemberRoles, r) }

// ParseMemberRole parses s (case-insensitive); an unknown value is ErrInvalid.
func ParseMemberRole(s string) (MemberRole, error) {
	return parseEnum("member role", s, MemberRoles)
}

// SenderType says who wrote a message: "user", "bot", "ai" or "system"
// ([SenderTypes]).
type SenderType string

// SenderUser is "user": a person wrote the message.
const SenderUser SenderType = "user"

// SenderBot is "bot": a bot wrote the message.
const SenderBot SenderType = "bot"

// SenderAI is "ai": an AI agent wrote the message.
const SenderAI SenderType = "ai"

// SenderSystem is "system": the system wrote the message (no sender profile).
const SenderSystem SenderType = "system"

// SenderTypes lists every valid SenderType.
var SenderTypes = []SenderType{SenderUser, SenderBot, SenderAI, SenderSystem}

// Valid reports whether t is a known sender type.
func (t SenderType) Valid() bool { return slices.Contains(SenderTypes, t) }

// ParseSenderType parses s (case-insensitive); an unknown value is ErrInvalid.
func ParseSenderType(s string) (SenderType, error) {
	return parseEnum("sender type", s, SenderTypes)
}

// ComponentType is the kind of a runtime component: "worker_pool",
// "server_api" or "broker" ([ComponentTypes]).
type ComponentType string

// ComponentWorkerPool is "worker_pool": a pool of workers that run playbook steps.
const ComponentWorkerPool ComponentType = "worker_pool"

// ComponentServerAPI is "server_api": a NoETL API server.
const ComponentServerAPI ComponentType = "server_api"

// ComponentBroker is "broker": a message broker.
const ComponentBroker ComponentType = "broker"

// ComponentTypes lists every valid ComponentType.
var ComponentTypes = []ComponentType{ComponentWorkerPool, ComponentServerAPI, ComponentBroker}

// Valid reports whether t is a known component type.
func (t ComponentType) Valid() bool { return slices.Contains(ComponentTypes, t) }

// ParseComponentType parses s (case-insensitive); an unknown value is ErrInvalid.
func ParseComponentType(s string) (ComponentType, error) {
	return parseEnum("component type", s, ComponentTypes)
}

// Severity is how serious a logged error is: "debug", "info", "warning",
// "error" or "critical" ([Severities]), lowest first.
type Severity string

// SeverityDebug is "debug": diagnostic detail.
const SeverityDebug Severity = "debug"

// SeverityInfo is "info": worth knowing, not a failure.
const SeverityInfo Severity = "info"

// SeverityWarning is "warning": something went wrong but the run went on.
const SeverityWarning Severity = "warning"

// SeverityError is "error": a step failed (the default).
const SeverityError Severity = "error"

// SeverityCritical is "critical": the execution cannot go on.
const SeverityCritical Severity = "critical"

// Severities lists every valid Severity, lowest first.
var Severities = []Severity{SeverityDebug, SeverityInfo, SeverityWarning, SeverityError, SeverityCritical}

// Valid reports whether s is a known severity.
func (s Severity) Valid() bool { return slices.Contains(Severities, s) }

// ParseSeverity parses s (case-insensitive); an unknown value is ErrInvalid.
func ParseSeverity(s string) (Severity, error) {
	return parseEnum("severity", s, Severities)
}

// Event statuses: the values NoETL writes to event_log.status (Event.Status,
// EventQuery.Status), upper case. The column is free text and the store
// keeps any value as given, so other components may add their own; these
// are the ones this module's summaries and examples use. A schedule's run
// (ScheduleRepo.RecordRun, Schedule.LastStatus) takes the same values: a
// run's outcome is the status of its execution.
//
// Use them through Ptr where a field is optional:
// Event{Status: noetl.Ptr(noetl.EventCompleted)}.

// EventPending is "PENDING": queued, not started.
const EventPending = "PENDING"

// EventStarted is "STARTED": the step, loop or execution began.
const EventStarted = "STARTED"

// EventRunning is "RUNNING": in progress (a loop between iterations, an
// execution between steps).
const EventRunning = "RUNNING"

// EventCompleted is "COMPLETED": finished successfully.
const EventCompleted = "COMPLETED"

// EventFailed is "FAILED": finished with an error (Event.Error says which).
const EventFailed = "FAILED"

// EventCancelled is "CANCELLED": stopped before it finished.
const EventCancelled = "CANCELLED"

// EventStatuses lists the event statuses above, in the order of a run.
var EventStatuses = []string{EventPending, EventStarted, EventRunning, EventCompleted, EventFailed, EventCancelled}

// Event types: the values of event_log.event_type (Event.EventType,
// EventQuery.EventType), lower snake case, each a start or end of a part of
// an execution. Free text like the status: these are the ones this module's
// examples write; the store keeps any value.

// EventExecutionStart is "execution_start": an execution began.
const EventExecutionStart = "execution_start"

// EventExecutionEnd is "execution_end": an execution ended (its status says
// how).
const EventExecutionEnd = "execution_end"

// EventStepStart is "step_start": a step of the playbook began.
const EventStepStart = "step_start"

// EventStepEnd is "step_end": a step ended.
const EventStepEnd = "step_end"

// EventLoopStart is "loop_start": a loop over items began; its iterations'
// events have it as parent.
const EventLoopStart = "loop_start"

// EventLoopEnd is "loop_end": a loop ended.
const EventLoopEnd = "loop_end"

// EventIterationStart is "iteration_start": one iteration of a loop began.
const EventIterationStart = "iteration_start"

// EventIterationEnd is "iteration_end": one iteration of a loop ended.
const EventIterationEnd = "iteration_end"

// EventTypes lists the event types above.
var EventTypes = []string{EventExecutionStart, EventExecutionEnd, EventStepStart, EventStepEnd,
	EventLoopStart, EventLoopEnd, EventIterationStart, EventIterationEnd}

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

// ProfileType says whether a profile is a person or a bot.
type ProfileType string

// Profile types.
const (
	ProfileUser ProfileType = "user"
	ProfileBot  ProfileType = "bot"
)

// ProfileTypes lists every valid ProfileType.
var ProfileTypes = []ProfileType{ProfileUser, ProfileBot}

// Valid reports whether t is a known profile type.
func (t ProfileType) Valid() bool { return slices.Contains(ProfileTypes, t) }

// ParseProfileType parses s (case-insensitive); an unknown value is ErrInvalid.
func ParseProfileType(s string) (ProfileType, error) {
	return parseEnum("profile type", s, ProfileTypes)
}

// SessionType says who is on the other end of a session.
type SessionType string

// Session types.
const (
	SessionUser SessionType = "user"
	SessionBot  SessionType = "bot"
	SessionAI   SessionType = "ai"
)

// SessionTypes lists every valid SessionType.
var SessionTypes = []SessionType{SessionUser, SessionBot, SessionAI}

// Valid reports whether t is a known session type.
func (t SessionType) Valid() bool { return slices.Contains(SessionTypes, t) }

// ParseSessionType parses s (case-insensitive); an unknown value is ErrInvalid.
func ParseSessionType(s string) (SessionType, error) {
	return parseEnum("session type", s, SessionTypes)
}

// MemberRole is a profile's role in a chat. Roles are ordered:
// member < admin < owner (see [MemberRole.Can]).
type MemberRole string

// Member roles.
const (
	RoleMember MemberRole = "member"
	RoleAdmin  MemberRole = "admin"
	RoleOwner  MemberRole = "owner"
)

// MemberRoles lists every valid MemberRole, lowest first.
var MemberRoles = []MemberRole{RoleMember, RoleAdmin, RoleOwner}

// Valid reports whether r is a known member role.
func (r MemberRole) Valid() bool { return slices.Contains(MemberRoles, r) }

// ParseMemberRole parses s (case-insensitive); an unknown value is ErrInvalid.
func ParseMemberRole(s string) (MemberRole, error) {
	return parseEnum("member role", s, MemberRoles)
}

// SenderType says who wrote a message.
type SenderType string

// Sender types.
const (
	SenderUser   SenderType = "user"
	SenderBot    SenderType = "bot"
	SenderAI     SenderType = "ai"
	SenderSystem SenderType = "system"
)

// SenderTypes lists every valid SenderType.
var SenderTypes = []SenderType{SenderUser, SenderBot, SenderAI, SenderSystem}

// Valid reports whether t is a known sender type.
func (t SenderType) Valid() bool { return slices.Contains(SenderTypes, t) }

// ParseSenderType parses s (case-insensitive); an unknown value is ErrInvalid.
func ParseSenderType(s string) (SenderType, error) {
	return parseEnum("sender type", s, SenderTypes)
}

// ComponentType is the kind of a runtime component.
type ComponentType string

// Runtime component types.
const (
	ComponentWorkerPool ComponentType = "worker_pool"
	ComponentServerAPI  ComponentType = "server_api"
	ComponentBroker     ComponentType = "broker"
)

// ComponentTypes lists every valid ComponentType.
var ComponentTypes = []ComponentType{ComponentWorkerPool, ComponentServerAPI, ComponentBroker}

// Valid reports whether t is a known component type.
func (t ComponentType) Valid() bool { return slices.Contains(ComponentTypes, t) }

// ParseComponentType parses s (case-insensitive); an unknown value is ErrInvalid.
func ParseComponentType(s string) (ComponentType, error) {
	return parseEnum("component type", s, ComponentTypes)
}

// Severity is how serious a logged error is.
type Severity string

// Error severities, lowest first.
const (
	SeverityDebug    Severity = "debug"
	SeverityInfo     Severity = "info"
	SeverityWarning  Severity = "warning"
	SeverityError    Severity = "error"
	SeverityCritical Severity = "critical"
)

// Severities lists every valid Severity, lowest first.
var Severities = []Severity{SeverityDebug, SeverityInfo, SeverityWarning, SeverityError, SeverityCritical}

// Valid reports whether s is a known severity.
func (s Severity) Valid() bool { return slices.Contains(Severities, s) }

// ParseSeverity parses s (case-insensitive); an unknown value is ErrInvalid.
func ParseSeverity(s string) (Severity, error) {
	return parseEnum("severity", s, Severities)
}

package noetl

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"golang.org/x/text/secure/precis"

	"github.com/noetl/noetldb/snowflake"
)

// Role is a row of the role table: a named set of rights a profile holds.
// The schema seeds admin, user and bot.
type Role struct {
	ID          snowflake.ID `json:"id"`
	Name        string       `json:"name"`
	Description *string      `json:"description"`
}

// NewRole is the input of RoleRepo.Create.
type NewRole struct {
	Name        string
	Description *string
}

// Validate checks the input; errors wrap ErrInvalid.
func (r NewRole) Validate() error {
	if err := ValidateName("role name", r.Name); err != nil {
		return err
	}
	return ValidateText("role description", r.Description)
}

// RoleUpdate changes a role; nil fields stay as they are. An empty
// Description clears it.
type RoleUpdate struct {
	Name        *string
	Description *string
}

// Validate checks the input; errors wrap ErrInvalid.
func (u RoleUpdate) Validate() error {
	if u.Name != nil {
		if err := ValidateName("role name", *u.Name); err != nil {
			return err
		}
	}
	return ValidateText("role description", u.Description)
}

// RoleQuery filters RoleRepo.List. Roles are listed by name.
type RoleQuery struct {
	Limit int    // page size: DefaultLimit when 0, capped at MaxLimit
	After string // cursor from the previous page's Next
}

// RoleRepo stores roles. It does not act for a profile: the caller decides
// who may manage roles.
type RoleRepo interface {
	// Create adds a role; a taken name is ErrConflict.
	Create(ctx context.Context, in NewRole) (Role, error)
	// Get returns the role with id, or ErrNotFound.
	Get(ctx context.Context, id snowflake.ID) (Role, error)
	// GetByName returns the role named name, or ErrNotFound.
	GetByName(ctx context.Context, name string) (Role, error)
	// List returns roles ordered by name.
	List(ctx context.Context, q RoleQuery) (Page[Role], error)
	// Update changes a role and returns it; a taken name is ErrConflict.
	Update(ctx context.Context, id snowflake.ID, u RoleUpdate) (Role, error)
	// Delete removes a role; a role still held by profiles is ErrReferenced.
	Delete(ctx context.Context, id snowflake.ID) error
}

// Profile is a row of the profile table: a user or a bot.
//
// Username and Email are stored, returned and compared in canonical form
// (see CanonicalUsername and CanonicalEmail): a profile created as "Ann"
// with "Ann@Example.com" reads back as "ann" and "ann@example.com", and
// lookups by either spelling find it. The database refuses a second
// profile with the same canonical username or email, and a row written by
// another program in another form (see schema 0002_checks).
//
// PasswordHash holds only a bcrypt hash (never a password) and is left out of
// JSON and String on purpose, so a profile served by an API or logged does
// not carry it.
type Profile struct {
	ID           snowflake.ID  `json:"id"`
	Username     string        `json:"username"`
	Email        *string       `json:"email"`
	PasswordHash *string       `json:"-"`
	Type         ProfileType   `json:"type"`
	RoleID       *snowflake.ID `json:"role_id"`
	CreatedAt    time.Time     `json:"created_at"`
}

// String describes the profile without its password hash.
func (p Profile) String() string {
	email := ""
	if p.Email != nil {
		email = *p.Email
	}
	return fmt.Sprintf("profile %s %q (%s, email %q)", p.ID, p.Username, p.Type, email)
}

// GoString is String, so %#v does not print the hash either.
func (p Profile) GoString() string { return p.String() }

// MaxPasswordLen is the longest password accepted (bcrypt reads 72 bytes).
const MaxPasswordLen = 72

// NewProfile is the input of ProfileRepo.Create.
type NewProfile struct {
	// ID is the profile's id; zero means the store's generator picks one.
	ID       snowflake.ID
	Username string
	// Email is optional; when set it must look like an address and be unique.
	Email string
	Type  ProfileType
	// RoleID is optional; when set the role must exist.
	RoleID *snowflake.ID
	// Password is optional; only its bcrypt hash is stored.
	Password Secret
}

// CanonicalUsername returns the form of a username that is stored,
// displayed and compared: RFC 8265's UsernameCaseMapped profile (PRECIS),
// which maps full-width letters to their usual width, upper case to lower
// case and the text to Unicode NFC, and refuses spaces, control characters,
// zero-width and direction-changing characters, and anything else that
// would let two usernames look alike. "Zoë", "ZOË" and "Ｚｏë" are all
// "zoë". The result is at most MaxNameLen characters. Errors wrap
// ErrInvalid.
func CanonicalUsername(s string) (string, error) {
	if err := ValidateString("username", s); err != nil {
		return "", err
	}
	c, err := precis.UsernameCaseMapped.String(s)
	if err != nil {
		return "", Invalidf("username %s: not allowed by RFC 8265 (letters and digits without spaces, controls or invisible characters)", Quote(s))
	}
	if err := ValidateName("username", c); err != nil {
		return "", err
	}
	return c, nil
}

// CanonicalEmail returns the form of an email address that is stored,
// displayed and compared: the address in lower case, so addresses that
// differ only in case are one address. Errors wrap ErrInvalid.
func CanonicalEmail(s string) (string, error) {
	if err := ValidateEmail(s); err != nil {
		return "", err
	}
	return strings.ToLower(s), nil
}

// Validate checks the input; errors wrap ErrInvalid.
func (p NewProfile) Validate() error {
	if _, err := CanonicalUsername(p.Username); err != nil {
		return err
	}
	if p.Email != "" {
		if err := ValidateEmail(p.Email); err != nil {
			return err
		}
	}
	if !p.Type.Valid() {
		_, err := ParseProfileType(string(p.Type))
		return err
	}
	return validatePassword(p.Password, true)
}

func validatePassword(pw Secret, optional bool) error {
	switch {
	case pw == "" && optional:
		return nil
	case len(pw) < 8:
		return Invalidf("password: shorter than 8 characters")
	case len(pw) > MaxPasswordLen:
		return Invalidf("password: longer than %d bytes", MaxPasswordLen)
	}
	return nil
}

// ValidatePassword checks a password for ProfileRepo.SetPassword: 8 to 72 bytes.
func ValidatePassword(pw Secret) error { return validatePassword(pw, false) }

// ProfileUpdate changes a profile; nil fields stay as they are. An empty
// Email clears it; a zero RoleID clears the role.
type ProfileUpdate struct {
	Username *string
	Email    *string
	Type     *ProfileType
	RoleID   *snowflake.ID
}

// Validate checks the input; errors wrap ErrInvalid.
func (u ProfileUpdate) Validate() error {
	if u.Username != nil {
		if _, err := CanonicalUsername(*u.Username); err != nil {
			return err
		}
	}
	if u.Email != nil && *u.Email != "" {
		if err := ValidateEmail(*u.Email); err != nil {
			return err
		}
	}
	if u.Type != nil && !u.Type.Valid() {
		_, err := ParseProfileType(string(*u.Type))
		return err
	}
	return nil
}

// ProfileQuery filters ProfileRepo.List. Profiles are listed by id (the
// order they were created in).
type ProfileQuery struct {
	Type           ProfileType   // only this type, when set
	RoleID         *snowflake.ID // only holders of this role, when set
	UsernamePrefix string        // only usernames starting with this, when set
	Limit          int           // page size: DefaultLimit when 0, capped at MaxLimit
	After          string        // cursor from the previous page's Next
}

// Validate checks the query; errors wrap ErrInvalid.
func (q ProfileQuery) Validate() error {
	if q.Type != "" && !q.Type.Valid() {
		_, err := ParseProfileType(string(q.Type))
		return err
	}
	if err := ValidateString("username prefix", q.UsernamePrefix); err != nil {
		return err
	}
	_, err := ClampLimit(q.Limit)
	return err
}

// ProfileRepo stores profiles. It does not act for a profile: the caller
// decides who may manage profiles.
type ProfileRepo interface {
	// Create adds a profile; a taken username or email is ErrConflict naming
	// the field (the username when both are taken); an unknown role is
	// ErrReferenced.
	Create(ctx context.Context, in NewProfile) (Profile, error)
	// Get returns the profile with id, or ErrNotFound.
	Get(ctx context.Context, id snowflake.ID) (Profile, error)
	// GetByUsername returns the profile with that username, or ErrNotFound.
	GetByUsername(ctx context.Context, username string) (Profile, error)
	// GetByEmail returns the profile with that email, or ErrNotFound.
	GetByEmail(ctx context.Context, email string) (Profile, error)
	// List returns profiles matching q, oldest first, in keyset pages.
	List(ctx context.Context, q ProfileQuery) (Page[Profile], error)
	// Update changes a profile and returns it; a taken username or email
	// is ErrConflict naming the field as Create does.
	Update(ctx context.Context, id snowflake.ID, u ProfileUpdate) (Profile, error)
	// Delete removes a profile and its sessions and memberships; a profile
	// that still owns chats or uploaded attachments is ErrReferenced.
	Delete(ctx context.Context, id snowflake.ID) error
	// SetPassword stores a bcrypt hash of password for the profile.
	SetPassword(ctx context.Context, id snowflake.ID, password Secret) error
	// VerifyPassword returns the profile when username and password match. A
	// wrong password, an unknown username or a profile without a password
	// all return the same ErrForbidden, so callers cannot probe usernames.
	// A password longer than MaxPasswordLen bytes is ErrInvalid (bcrypt
	// would compare only its first 72 bytes), as at creation.
	VerifyPassword(ctx context.Context, username string, password Secret) (Profile, error)
	// Ensure returns the profile named in.Username, creating it from in
	// when there is none (created reports which); the rest of in is used
	// only to create. It is idempotent and race-safe: concurrent callers,
	// in one process or several, get the same row and exactly one of them
	// creates it. Bad input is ErrInvalid; an email or id taken by another
	// profile is ErrConflict; neither writes anything.
	Ensure(ctx context.Context, in NewProfile) (p Profile, created bool, err error)
}

// Session is a row of the session table: one connection of a profile.
type Session struct {
	ID             snowflake.ID    `json:"id"`
	ProfileID      snowflake.ID    `json:"profile_id"`
	SessionType    SessionType     `json:"session_type"`
	ConnectedAt    time.Time       `json:"connected_at"`
	DisconnectedAt *time.Time      `json:"disconnected_at"`
	Metadata       json.RawMessage `json:"metadata"`
}

// Active reports whether the session is still connected.
func (s Session) Active() bool { return s.DisconnectedAt == nil }

// NewSession is the input of SessionRepo.Open.
type NewSession struct {
	ProfileID   snowflake.ID
	SessionType SessionType
	// Metadata is optional; when set it must be a JSON object.
	Metadata json.RawMessage
}

// Validate checks the input; errors wrap ErrInvalid.
func (s NewSession) Validate() error {
	if s.ProfileID == 0 {
		return Invalidf("session: profile id is required")
	}
	if !s.SessionType.Valid() {
		_, err := ParseSessionType(string(s.SessionType))
		return err
	}
	return ValidateJSONObject("session metadata", s.Metadata)
}

// SessionQuery pages SessionRepo.ListActive, newest first.
type SessionQuery struct {
	Limit int    // page size: DefaultLimit when 0, capped at MaxLimit
	After string // cursor from the previous page's Next
}

// SessionRepo stores sessions. It does not act for a profile.
type SessionRepo interface {
	// Open starts a session for a profile, connected now; an unknown profile
	// is ErrReferenced.
	Open(ctx context.Context, in NewSession) (Session, error)
	// Get returns the session with id, or ErrNotFound.
	Get(ctx context.Context, id snowflake.ID) (Session, error)
	// Close sets disconnected_at to now, once: closing a closed session is
	// ErrConflict and leaves its first disconnected_at.
	Close(ctx context.Context, id snowflake.ID) (Session, error)
	// ListActive returns a profile's open sessions, newest first.
	ListActive(ctx context.Context, profileID snowflake.ID, q SessionQuery) (Page[Session], error)
	// DeleteClosedBefore removes closed sessions that disconnected before
	// cutoff and returns how many it removed. Open sessions are kept.
	DeleteClosedBefore(ctx context.Context, cutoff time.Time) (int64, error)
}

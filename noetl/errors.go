package noetl

import (
	"errors"
	"fmt"
)

// Sentinel errors. Every error a repository returns for one of these causes
// wraps the sentinel, so callers test with errors.Is, and says what was wrong
// in its text (for example `profile "ann": email already used: conflict`).
var (
	// ErrNotFound: the row asked for does not exist.
	ErrNotFound = errors.New("not found")
	// ErrConflict: a unique key is already taken, or the row is in a state
	// that refuses the change (a session closed twice, an error resolved twice).
	ErrConflict = errors.New("conflict")
	// ErrInvalid: the input is malformed (validation, bad enum, bad JSON,
	// bad cron, bad cursor). Nothing was written.
	ErrInvalid = errors.New("invalid input")
	// ErrReferenced: the row is still referenced by others (a role held by
	// profiles), or a reference points at a row that does not exist.
	ErrReferenced = errors.New("referenced")
	// ErrForbidden: the acting profile may not do this.
	ErrForbidden = errors.New("forbidden")
	// ErrTransient: the call failed for a reason a retry may cure: the
	// connection was lost, the server is starting or shutting down, the
	// database stayed locked past the busy timeout (SQLite), or the
	// transaction lost a serialization or deadlock race. Whether a write
	// happened is known only when the error also says so; retry calls whose
	// retry is safe.
	ErrTransient = errors.New("transient failure, a retry may succeed")
	// ErrClosed: the store (or the caller's transaction it runs in) is
	// closed; no retry on it will succeed.
	ErrClosed = errors.New("store closed")
	// ErrStorage: the database failed in a way a retry will not cure (disk
	// full or read-only, a missing table, an I/O error, a corrupt file).
	// The error wraps the driver's error for the details.
	ErrStorage = errors.New("storage failure")
)

// Invalidf returns an error wrapping [ErrInvalid] with a formatted reason.
// String arguments are cut to a short prefix (see [ClipArgs]).
func Invalidf(format string, args ...any) error {
	return &Error{Kind: ErrInvalid, Msg: fmt.Sprintf(format, ClipArgs(args)...)}
}

// ClipArgs returns args with every string (and []byte) longer than a few
// dozen bytes cut to a short prefix marked with "...", so an error message
// built from inputs never repeats a long or hostile one whole. Other values
// are kept. args itself is not changed.
func ClipArgs(args []any) []any {
	var out []any
	for i, a := range args {
		var s string
		switch v := a.(type) {
		case string:
			s = v
		case []byte:
			s = string(v)
		default:
			continue
		}
		if len(s) <= maxQuoted {
			continue
		}
		if out == nil {
			out = append([]any(nil), args...)
		}
		out[i] = clip(s)
	}
	if out == nil {
		return args
	}
	return out
}

// Error is the error type repositories return: a sentinel Kind with a
// human-readable message and, optionally, the underlying cause (a driver
// error). errors.Is matches the Kind and the cause.
type Error struct {
	// Kind is the sentinel: ErrNotFound, ErrConflict, ErrInvalid...
	Kind error
	// Msg says what was wrong, for people.
	Msg string
	// Field names the input field the error concerns where one does, for
	// programs: "username" or "email" for a profile conflict, "name" for a
	// duplicate name. Empty when no single field is at fault.
	Field string
	// Cause is the underlying error (a driver's), if any.
	Cause error
}

// Error returns "msg: kind".
func (e *Error) Error() string {
	if e.Msg == "" {
		return e.Kind.Error()
	}
	return e.Msg + ": " + e.Kind.Error()
}

// Unwrap exposes the kind and the cause to errors.Is and errors.As.
func (e *Error) Unwrap() []error {
	if e.Cause != nil {
		return []error{e.Kind, e.Cause}
	}
	return []error{e.Kind}
}

// NewError returns an *Error of kind with a formatted message. String
// arguments are cut to a short prefix (see [ClipArgs]).
func NewError(kind error, format string, args ...any) error {
	return &Error{Kind: kind, Msg: fmt.Sprintf(format, ClipArgs(args)...)}
}

package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"unicode/utf8"

	"github.com/noetl/noetldb/noetl"
)

// wrap turns a driver error into the error a repository returns: no rows
// become ErrNotFound, constraint violations the Dialect classifies become
// their sentinel, each with msg in front; context errors and others are
// wrapped as they are. A nil err stays nil.
func (s *Store) wrap(err error, format string, args ...any) error {
	if err == nil {
		return nil
	}
	msg := fmt.Sprintf(format, noetl.ClipArgs(args)...) // inputs quoted only as a short prefix
	var ne *noetl.Error
	switch {
	case errors.As(err, &ne):
		return err
	case errors.Is(err, sql.ErrNoRows):
		return &noetl.Error{Kind: noetl.ErrNotFound, Msg: msg}
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return fmt.Errorf("%s: %w", msg, err)
	}
	kind, c := s.d.Classify(err)
	switch kind {
	case nil:
		kind = noetl.ErrStorage
		fallthrough
	case noetl.ErrTransient, noetl.ErrClosed, noetl.ErrStorage:
		// The driver's text tells an operator what failed; constraint
		// errors above keep it in Cause only (it may quote the values).
		return &noetl.Error{Kind: kind, Msg: msg + ": " + clip(err.Error(), 200), Cause: err}
	}
	if c != "" {
		// The constraint's name or text (never the values) tells which.
		return &noetl.Error{Kind: kind, Msg: msg + ": " + describe(kind) + " (" + clip(c, 120) + ")", Cause: err}
	}
	return &noetl.Error{Kind: kind, Msg: msg + ": " + describe(kind), Cause: err}
}

func describe(kind error) string {
	switch kind {
	case noetl.ErrConflict:
		return "already exists"
	case noetl.ErrReferenced:
		return "a referenced row is missing or still in use"
	case noetl.ErrInvalid:
		return "refused by a database constraint"
	}
	return kind.Error()
}

// constraint returns the sentinel kind and constraint text of err, or nil.
func (s *Store) constraint(err error) (error, string) {
	if err == nil {
		return nil, ""
	}
	return s.d.Classify(err)
}

func isNotFound(err error) bool { return errors.Is(err, noetl.ErrNotFound) }

// clip returns s cut to at most n bytes on a rune boundary, marked when cut.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}

// sentinels are the errors an error from this module wraps one of.
var sentinels = []error{noetl.ErrNotFound, noetl.ErrConflict, noetl.ErrInvalid, noetl.ErrReferenced,
	noetl.ErrForbidden, noetl.ErrTransient, noetl.ErrClosed, noetl.ErrStorage,
	context.Canceled, context.DeadlineExceeded}

// Sentinel returns err when it wraps a noetl sentinel or a context error,
// and otherwise err wrapped in the sentinel classify gives it (ErrStorage
// when none): the backends' Open and FromTx pass every error through it.
func Sentinel(err error, classify func(error) (error, string)) error {
	if err == nil {
		return nil
	}
	for _, s := range sentinels {
		if errors.Is(err, s) {
			return err
		}
	}
	kind, _ := classify(err)
	if kind == nil {
		kind = noetl.ErrStorage
	}
	return &noetl.Error{Kind: kind, Msg: clip(err.Error(), 300), Cause: err}
}

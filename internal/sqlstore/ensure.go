package sqlstore

import (
	"context"
	"errors"
	"hash/fnv"

	"github.com/noetl/noetldb/noetl"
)

// ensureAttempts bounds the get-or-create loops: an attempt fails only when
// the row another caller created vanished again before it could be read.
const ensureAttempts = 3

// RetryReporter is an optional capability of a DB or Tx (the observability
// wrapper has it): the store tells it when it retries on its own.
type RetryReporter interface {
	// Retried reports that attempt (2 for the first retry) starts because
	// the previous one failed with err.
	Retried(ctx context.Context, attempt int, err error)
}

// retried reports a retry to the store's DB or transaction when it takes
// reports.
func (s *Store) retried(ctx context.Context, attempt int, err error) {
	for _, q := range []any{s.cfg.DB, s.q} {
		if r, ok := q.(RetryReporter); ok {
			r.Retried(ctx, attempt, err)
			return
		}
	}
}

// undoable runs fn so that its failure undoes only its own writes: under a
// savepoint when s (or ctx) is inside a transaction, so the transaction
// stays usable on PostgreSQL, and directly otherwise.
func (s *Store) undoable(ctx context.Context, fn func(ctx context.Context, ts *Store) error) error {
	if s.tx != nil || s.joined(ctx) != nil {
		return s.inTx(ctx, fn)
	}
	return fn(ctx, s)
}

// lockKey is the PostgreSQL advisory lock key that serialises the
// get-or-create of one natural key (kind, name) in the store's schema.
func (s *Store) lockKey(kind, name string) int64 {
	h := fnv.New64a()
	for _, p := range []string{"noetl", s.d.Schema, kind, name} {
		h.Write([]byte(p))
		h.Write([]byte{0})
	}
	return int64(h.Sum64())
}

// lockXact takes the transaction-scoped advisory lock of (kind, name) on
// PostgreSQL, held until the transaction ends; SQLite needs none, its
// write transactions are serialised already.
func (s *Store) lockXact(ctx context.Context, kind, name string) error {
	if !s.d.Postgres() {
		return nil
	}
	_, err := s.q.Exec(ctx, "SELECT pg_advisory_xact_lock($1)", s.lockKey(kind, name))
	return s.wrap(err, "lock %s %q", kind, name)
}

func isConflict(err error) bool { return errors.Is(err, noetl.ErrConflict) }

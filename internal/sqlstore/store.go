package sqlstore

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"time"

	"github.com/noetl/noetldb/noetl"
	"github.com/noetl/noetldb/snowflake"
)

// Config is what a backend hands to New.
type Config struct {
	// Dialect describes the engine. Required.
	Dialect *Dialect
	// DB runs statements and begins transactions. Required.
	DB DB
	// IDs issues new ids. Required.
	IDs *snowflake.Generator
	// Now is the clock; time.Now when nil.
	Now func() time.Time
	// PasswordCost is the bcrypt cost; bcrypt.DefaultCost when 0.
	PasswordCost int
	// Keyring seals credential secrets; without one they cannot be stored.
	Keyring *noetl.Keyring
	// Close releases what the backend opened; may be nil.
	Close func() error
	// Hub wakes followers; New makes one when nil. A backend that notices
	// other processes' commits wakes it.
	Hub *Hub
	// Partitions manages a partitioned event_log; nil when the backend has
	// none (SQLite, and stores over a caller's transaction).
	Partitions Partitioner
}

// Partitioner manages the partitions of the event_log table, which is
// range-partitioned by execution_id.
type Partitioner interface {
	// Maintain creates the partitions of the coming periods; it is safe to
	// run concurrently and repeatedly.
	Maintain(ctx context.Context) error
	// DropBefore detaches and drops every partition whose rows all have
	// execution ids below bound (never the current period's, which writers
	// need), and returns how many it dropped. It runs outside any
	// transaction.
	DropBefore(ctx context.Context, bound int64) (int64, error)
}

// Store implements noetl.Store over a Querier. Outside a transaction q is
// the DB; inside one it is the Tx and tx is set.
type Store struct {
	cfg   *Config
	d     *Dialect
	q     Querier
	tx    Tx
	dummy *dummyHash // shared by a store and its transactions' stores
	// borrowed marks a store over a caller's transaction (FromTx): it never
	// commits, rolls back or closes that transaction.
	borrowed bool
	// closing makes Close run the backend's Close once.
	closing *closeOnce
	// wakes are the followed keys a transaction the store began wrote,
	// woken after it commits (nil outside such a transaction).
	wakes *wakes
}

// closeOnce runs a Close function once and keeps its result.
type closeOnce struct {
	once   sync.Once
	err    error
	closed atomic.Bool
}

// dummyHash is a bcrypt hash at the store's cost, made on first use.
type dummyHash struct {
	once sync.Once
	hash []byte
}

var _ noetl.Store = (*Store)(nil)

// New returns a Store over cfg.
func New(cfg Config) (*Store, error) {
	if cfg.Dialect == nil || cfg.DB == nil || cfg.IDs == nil {
		return nil, errors.New("sqlstore: Config needs Dialect, DB and IDs")
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Hub == nil {
		cfg.Hub = NewHub(nil)
	}
	c, closing := &cfg, &closeOnce{}
	return &Store{cfg: c, d: cfg.Dialect, q: newRouter(c, &closing.closed), dummy: &dummyHash{}, closing: closing}, nil
}

// Joined returns a Store whose every repository runs in tx, a transaction
// the caller began and will commit or roll back: the store never ends it,
// its InTx nests under a savepoint and its Close does nothing. cfg.DB may be
// nil.
func Joined(cfg Config, tx Tx) (*Store, error) {
	if cfg.Dialect == nil || cfg.IDs == nil || tx == nil {
		return nil, errors.New("sqlstore: Joined needs Dialect, IDs and a transaction")
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	st := &Store{cfg: &cfg, d: cfg.Dialect, q: tx, tx: tx, dummy: &dummyHash{}, borrowed: true}
	if g, ok := tx.(Guarder); ok {
		st.q = g.Guarded()
	}
	return st, nil
}

// Querier returns what the store runs statements on (the transaction inside
// InTx). Backends and benchmarks use it to run raw SQL beside the store.
func (s *Store) Querier() Querier {
	if s.tx != nil {
		return s.q
	}
	return s.cfg.DB
}

// Maintain implements noetl.Store: the backend's Partitioner, if any. A
// closed store refuses it on every engine, whether or not it has work.
func (s *Store) Maintain(ctx context.Context) error {
	if s.closing != nil && s.closing.closed.Load() {
		return errClosed
	}
	if s.cfg.Partitions == nil {
		return nil
	}
	return s.cfg.Partitions.Maintain(ctx)
}

// IDs implements noetl.Store.
func (s *Store) IDs() *snowflake.Generator { return s.cfg.IDs }

// Dialect implements noetl.Store.
func (s *Store) Dialect() string { return s.d.Name }

// Close implements noetl.Store.
func (s *Store) Close() error {
	if s.borrowed {
		return nil
	}
	if s.tx != nil {
		return noetl.Invalidf("Close called on a transaction's store (InTx ends the transaction)")
	}
	s.closing.once.Do(func() {
		s.closing.closed.Store(true)
		if s.cfg.Close != nil {
			s.closing.err = s.cfg.Close()
		}
	})
	return s.closing.err
}

// now is the store's clock, in UTC truncated to microseconds.
func (s *Store) now() time.Time { return noetl.UTC(s.cfg.Now()) }

// newID issues an id from the store's generator.
func (s *Store) newID() (snowflake.ID, error) {
	id, err := s.cfg.IDs.Next()
	if err != nil {
		return 0, idError("new id", err)
	}
	return id, nil
}

// idError is the store's error for a generator that issued no ids: while
// it is suspended (its shard lease is being taken again), ErrTransient;
// past the id layout's last millisecond, ErrStorage.
func idError(what string, err error) error {
	kind := noetl.ErrStorage
	if errors.Is(err, snowflake.ErrSuspended) {
		kind = noetl.ErrTransient
	}
	return &noetl.Error{Kind: kind, Msg: what + ": " + err.Error(), Cause: err}
}

// InTx implements noetl.Store. The caller's function runs on a guarded
// transaction (see Guarder): a refused call undoes only itself.
func (s *Store) InTx(ctx context.Context, fn func(ctx context.Context, tx noetl.Store) error) error {
	return s.begin(ctx, true, func(ctx context.Context, ts *Store) error { return fn(ctx, ts) })
}

// txKey is the context key under which InTx hands fn its transaction's
// Store; cfg tells the stores of one database apart.
type txKey struct{ cfg *Config }

// joined returns the transaction's Store that ctx carries for this store's
// database, or nil.
func (s *Store) joined(ctx context.Context) *Store {
	ts, _ := ctx.Value(txKey{s.cfg}).(*Store)
	return ts
}

// cleanupTimeout bounds a rollback or savepoint release that runs after the
// caller's context ended, so clean-up never hangs on a stalled server.
const cleanupTimeout = 2 * time.Second

// cleanup returns a context for clean-up after ctx: not cancelled with ctx,
// but bounded by cleanupTimeout.
func cleanup(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.WithoutCancel(ctx), cleanupTimeout)
}

// inTx runs fn in a transaction, or, when s is already in one (or ctx
// carries one of this database's transactions), under a savepoint of it. It
// commits once when fn returns nil, and rolls back when fn fails or panics
// (re-panicking after). fn gets a ctx carrying the transaction, so the outer
// store called with it joins the transaction instead of waiting for it.
func (s *Store) inTx(ctx context.Context, fn func(ctx context.Context, ts *Store) error) error {
	return s.begin(ctx, false, fn)
}

// begin is inTx; guard runs a new transaction's statements on its Guarded
// view, for a caller's function that may go on after a refused call.
func (s *Store) begin(ctx context.Context, guard bool, fn func(ctx context.Context, ts *Store) error) error {
	if s.tx == nil {
		if ts := s.joined(ctx); ts != nil {
			s = ts
		}
	}
	if s.tx != nil {
		return s.savepoint(ctx, fn)
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if s.closing.closed.Load() {
		return errClosed
	}
	tx, err := s.cfg.DB.Begin(ctx)
	if err != nil {
		return s.wrap(err, "begin transaction")
	}
	ts := &Store{cfg: s.cfg, d: s.d, q: tx, tx: tx, dummy: s.dummy, closing: s.closing, wakes: &wakes{}}
	if g, ok := tx.(Guarder); ok && guard {
		ts.q = g.Guarded()
	}
	done := false
	defer func() {
		if !done {
			c, cancel := cleanup(ctx)
			_ = tx.Rollback(c)
			cancel()
		}
	}()
	if err := fn(context.WithValue(ctx, txKey{s.cfg}, ts), ts); err != nil {
		return err
	}
	done = true
	if err := tx.Commit(ctx); err != nil {
		c, cancel := cleanup(ctx)
		_ = tx.Rollback(c)
		cancel()
		return s.wrap(err, "commit")
	}
	ts.committed()
	return nil
}

// savepoint runs fn inside the current transaction under a savepoint: when
// fn fails or panics, its own statements are undone and the transaction
// stays usable (PostgreSQL refuses every statement after an error
// otherwise), so a multi-statement call is all or nothing inside a caller's
// transaction too. Nested savepoints share one name; each ROLLBACK TO and
// RELEASE acts on the innermost.
func (s *Store) savepoint(ctx context.Context, fn func(ctx context.Context, ts *Store) error) error {
	// Savepoint statements run on the bare transaction: a guarded statement
	// releases its own savepoint, and every savepoint made after it.
	if _, err := s.tx.Exec(ctx, "SAVEPOINT noetl_sp"); err != nil {
		return s.wrap(err, "savepoint")
	}
	undo := func() {
		c, cancel := cleanup(ctx)
		defer cancel()
		_, _ = s.tx.Exec(c, "ROLLBACK TO SAVEPOINT noetl_sp")
		_, _ = s.tx.Exec(c, "RELEASE SAVEPOINT noetl_sp")
	}
	done := false
	defer func() {
		if !done {
			undo()
		}
	}()
	if s.joined(ctx) != s {
		ctx = context.WithValue(ctx, txKey{s.cfg}, s)
	}
	if err := fn(ctx, s); err != nil {
		return err
	}
	done = true
	if _, err := s.tx.Exec(ctx, "RELEASE SAVEPOINT noetl_sp"); err != nil {
		return s.wrap(err, "release savepoint")
	}
	return nil
}

// Repository accessors. Each repository is a thin view of the Store, so a
// transaction's Store hands out repositories that run in the transaction.

// Roles implements noetl.Store.
func (s *Store) Roles() noetl.RoleRepo { return roleRepo{s} }

// Profiles implements noetl.Store.
func (s *Store) Profiles() noetl.ProfileRepo { return profileRepo{s} }

// Sessions implements noetl.Store.
func (s *Store) Sessions() noetl.SessionRepo { return sessionRepo{s} }

// Labels implements noetl.Store.
func (s *Store) Labels() noetl.LabelRepo { return labelRepo{s} }

// Chats implements noetl.Store.
func (s *Store) Chats() noetl.ChatRepo { return chatRepo{s} }

// Members implements noetl.Store.
func (s *Store) Members() noetl.MemberRepo { return memberRepo{s} }

// Messages implements noetl.Store.
func (s *Store) Messages() noetl.MessageRepo { return messageRepo{s} }

// Attachments implements noetl.Store.
func (s *Store) Attachments() noetl.AttachmentRepo { return attachmentRepo{s} }

// Resources implements noetl.Store.
func (s *Store) Resources() noetl.ResourceRepo { return resourceRepo{s} }

// Catalog implements noetl.Store.
func (s *Store) Catalog() noetl.CatalogRepo { return catalogRepo{s} }

// Credentials implements noetl.Store.
func (s *Store) Credentials() noetl.CredentialRepo { return credentialRepo{s} }

// Runtimes implements noetl.Store.
func (s *Store) Runtimes() noetl.RuntimeRepo { return runtimeRepo{s} }

// Schedules implements noetl.Store.
func (s *Store) Schedules() noetl.ScheduleRepo { return scheduleRepo{s} }

// Workloads implements noetl.Store.
func (s *Store) Workloads() noetl.WorkloadRepo { return workloadRepo{s} }

// Workflows implements noetl.Store.
func (s *Store) Workflows() noetl.WorkflowRepo { return workflowRepo{s} }

// Workbooks implements noetl.Store.
func (s *Store) Workbooks() noetl.WorkbookRepo { return workbookRepo{s} }

// Transitions implements noetl.Store.
func (s *Store) Transitions() noetl.TransitionRepo { return transitionRepo{s} }

// Events implements noetl.Store.
func (s *Store) Events() noetl.EventRepo { return eventRepo{s} }

// Errors implements noetl.Store.
func (s *Store) Errors() noetl.ErrorLogRepo { return errorLogRepo{s} }

// Executions implements noetl.Store.
func (s *Store) Executions() noetl.ExecutionRepo { return executionRepo{s} }

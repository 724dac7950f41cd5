package noetl

import (
	"context"

	"github.com/noetl/noetldb/snowflake"
)

// Store hands out every repository of the NoETL data model over one
// database. A Store is safe for concurrent use.
//
// InTx runs fn in one transaction: every repository of the Store passed to
// fn joins it; it is committed once when fn returns nil and rolled back when
// fn returns an error or panics (the panic is re-raised after the rollback).
// fn also gets a ctx that carries the transaction: the outer Store called
// with that ctx joins the transaction too, so a helper that holds the outer
// Store neither waits for the transaction nor writes outside it. Calling
// InTx on a transaction's Store (or with such a ctx) runs fn in that same
// transaction, under a savepoint: an error from fn undoes fn's own writes
// and leaves the outer transaction usable.
//
// Inside a transaction a refused repository call (a conflict, a missing
// reference, bad input) undoes only itself and the transaction goes on, the
// same on both engines: on PostgreSQL each statement of a caller's
// transaction runs under a savepoint of its own, sent in one round trip with
// the statement. Every method that writes several statements is all or
// nothing, inside a transaction too.
//
// Deadlines and cancellation are honoured by every call, clean-up included:
// a call whose context ends returns an error wrapping
// context.DeadlineExceeded or context.Canceled and writes all of its rows or
// none of them; a rollback or savepoint release after an error runs under a
// short bound of its own (2 s), so a stalled server delays the return by at
// most that. On SQLite a transaction's outcome is known even when its
// deadline lands on COMMIT (an error means nothing was committed), except on
// a rollback-journal file shared with another process; a single write
// statement outside a transaction whose context ends just as it completes
// may still report the context's error.
//
// A commit whose context ends while it runs may or may not have committed
// (the server may have committed before the reply was lost): the error then
// wraps the context's error, and the remedy is to retry a call whose retry
// is safe (see each method's doc), not to assume either outcome.
type Store interface {
	// Roles stores roles.
	Roles() RoleRepo
	// Profiles stores users and bots.
	Profiles() ProfileRepo
	// Sessions stores profiles' connections.
	Sessions() SessionRepo

	// Labels stores the label tree.
	Labels() LabelRepo
	// Chats stores chats.
	Chats() ChatRepo
	// Members stores chat memberships.
	Members() MemberRepo
	// Messages stores messages.
	Messages() MessageRepo
	// Attachments stores attachment references.
	Attachments() AttachmentRepo

	// Resources stores resource types.
	Resources() ResourceRepo
	// Catalog stores versioned catalog entries.
	Catalog() CatalogRepo
	// Credentials stores credentials sealed at rest.
	Credentials() CredentialRepo

	// Runtimes is the registry of runtime components.
	Runtimes() RuntimeRepo
	// Schedules stores playbook schedules.
	Schedules() ScheduleRepo

	// Workloads stores executions' payloads.
	Workloads() WorkloadRepo
	// Workflows stores executions' workflow steps.
	Workflows() WorkflowRepo
	// Workbooks stores executions' workbook tasks.
	Workbooks() WorkbookRepo
	// Transitions stores executions' transitions.
	Transitions() TransitionRepo
	// Events stores the event log.
	Events() EventRepo
	// Errors stores the error log.
	Errors() ErrorLogRepo
	// Executions acts on whole executions across the execution tables.
	Executions() ExecutionRepo

	// InTx runs fn in one transaction (see the type's doc).
	InTx(ctx context.Context, fn func(ctx context.Context, tx Store) error) error
	// Maintain prepares the database for the periods ahead, and is safe to
	// run at any time, repeatedly and from several processes at once. On
	// PostgreSQL it creates the event_log partitions of the coming periods
	// (Open runs it, and the store again every hour while it is open); on
	// SQLite there is nothing to do. On a transaction's store (InTx) it
	// acts outside the transaction; a store over a caller's transaction
	// (FromTx) has no connection of its own and does nothing.
	Maintain(ctx context.Context) error
	// IDs is the generator the store uses for new ids. A store that
	// leased its shard suspends it while the lease is lost (see
	// snowflake.Generator.Suspend): Next then returns an error wrapping
	// snowflake.ErrSuspended, and MustNext panics.
	IDs() *snowflake.Generator
	// Dialect names the backend: "postgres" or "sqlite".
	Dialect() string
	// Close releases the store's connections (those it opened itself) and
	// its id shard lease. It is idempotent: later calls return the first
	// call's result. After Close every method fails with ErrClosed. On a
	// transaction's Store (InTx) it returns an error wrapping ErrInvalid and
	// does nothing; on a store over a caller's transaction (FromTx) it does
	// nothing.
	Close() error
}

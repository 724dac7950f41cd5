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
// Calling InTx on a transaction's Store runs fn in that same transaction,
// under a savepoint: an error from fn undoes fn's own writes and leaves the
// outer transaction usable. Every repository method that writes several
// statements does the same, so it stays all or nothing inside a caller's
// transaction. A single refused statement inside a caller's transaction
// writes nothing on either engine, but on PostgreSQL the transaction then
// refuses further statements until it is rolled back: return the error from
// fn (or wrap the call in its own tx.InTx) rather than carrying on.
//
// Deadlines and cancellation are honoured by every call: a call whose
// context ends returns an error wrapping context.DeadlineExceeded or
// context.Canceled, and writes all of its rows or none of them. Clean-up
// after an error (rollback, savepoint release) runs under a short bound of
// its own (2 s), so a stalled server delays the return by at most that.
// When a deadline lands on a commit the outcome may be unknown: the commit
// can reach a networked server (PostgreSQL) and take effect while the
// client gives up, so an error wrapping a context error does not prove
// that nothing was written. On SQLite a transaction's (InTx's) outcome is
// known (an error means nothing was committed) except on a file in
// rollback-journal mode shared with another process; a single write
// statement outside a transaction whose context ends just as it completes
// may still report the context's error. The remedy for an unknown outcome
// is an idempotent retry: repeat the call with the same ids, so a write
// that had committed is recognised rather than duplicated.
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
	// IDs is the generator the store uses for new ids.
	IDs() *snowflake.Generator
	// Dialect names the backend: "postgres" or "sqlite".
	Dialect() string
	// Close releases the store's connections (those it opened itself). On a
	// transaction's Store it returns an error and does nothing.
	Close() error
}

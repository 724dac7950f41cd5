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
// Calling InTx on a transaction's Store runs fn in that same transaction.
type Store interface {
	Roles() RoleRepo
	Profiles() ProfileRepo
	Sessions() SessionRepo

	Labels() LabelRepo
	Chats() ChatRepo
	Members() MemberRepo
	Messages() MessageRepo
	Attachments() AttachmentRepo

	Resources() ResourceRepo
	Catalog() CatalogRepo
	Credentials() CredentialRepo

	Runtimes() RuntimeRepo
	Schedules() ScheduleRepo

	Workloads() WorkloadRepo
	Workflows() WorkflowRepo
	Workbooks() WorkbookRepo
	Transitions() TransitionRepo
	Events() EventRepo
	Errors() ErrorLogRepo
	Executions() ExecutionRepo

	// InTx runs fn in one transaction (see the type's doc).
	InTx(ctx context.Context, fn func(tx Store) error) error
	// IDs is the generator the store uses for new ids.
	IDs() *snowflake.Generator
	// Dialect names the backend: "postgres" or "sqlite".
	Dialect() string
	// Close releases the store's connections (those it opened itself). On a
	// transaction's Store it returns an error and does nothing.
	Close() error
}

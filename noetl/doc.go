// Package noetl is the NoETL data model for Go: one typed struct per table of
// the NoETL schema, the enums with their valid values, the input structs that
// writes take (each with a Validate method), the repository interfaces, the
// [Store] that hands them out, and the sentinel errors every backend returns.
//
// It holds no SQL and imports no driver: other NoETL components import only
// this package (and snowflake), and a backend from noetldb's storage packages
// implements it on PostgreSQL or SQLite.
//
// Conventions, the same in every repository:
//   - every method takes a context.Context first and honours cancellation;
//   - writes take an input struct and check it with Validate before anything
//     is written; a refused call leaves the database as it was;
//   - lists take a query struct with a Limit (default [DefaultLimit], at most
//     [MaxLimit]) and an opaque After cursor, and return a [Page];
//   - times are UTC, truncated to microseconds, so they round-trip equal on
//     both engines;
//   - every error wraps a context error or one of the sentinels, the same
//     on both engines; test them with errors.Is. Permanent refusals:
//     [ErrNotFound], [ErrConflict], [ErrInvalid], [ErrReferenced],
//     [ErrForbidden]; failures of the database: [ErrTransient] (a retry may
//     cure it: connection lost, server restarting, locked past the busy
//     timeout, serialization failure), [ErrClosed] (the store is closed) and
//     [ErrStorage] (a retry will not cure it). An [*Error] also names the
//     input field at fault where one is (Field), so a duplicate username and
//     a duplicate email are told apart without parsing text;
//   - a method that acts for a profile takes that profile's id (actor) after
//     the context, or reads it from its input where the profile is the
//     author of the row it writes (a message's sender, an attachment's
//     uploader), and refuses with [ErrForbidden] what the permission matrix
//     ([Action], [MemberRole.Can]) does not allow; a method that acts for
//     nobody says so.
//
// Conversations are a filesystem-like tree of labels ([LabelRepo], paths
// like "/acme/eng"), chats in labels ([ChatRepo]), members with a role in a
// chat ([MemberRepo]), messages ([MessageRepo], paged by keyset cursor) and
// references to files on labels or chats ([AttachmentRepo]).
//
// Resources and runtime: [CatalogRepo] versions resources by path
// (MAJOR.MINOR.PATCH, compared numerically); [CredentialRepo] seals secrets
// with a [Keyring] (AES-256-GCM) and returns only metadata outside Reveal;
// [RuntimeRepo] is the registry of servers, worker pools and brokers with
// their heartbeats; [ScheduleRepo] holds cron and interval schedules and
// hands each due run to exactly one claimer.
package noetl

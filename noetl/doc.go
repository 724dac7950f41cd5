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
//   - errors wrap one of [ErrNotFound], [ErrConflict], [ErrInvalid],
//     [ErrReferenced] or [ErrForbidden] with what was wrong; test them with
//     errors.Is;
//   - a method that acts for a profile takes that profile's id (actor) after
//     the context, or reads it from its input where the profile is the
//     author of the row it writes (a message's sender, an attachment's
//     uploader), and refuses with [ErrForbidden] what the permission matrix
//     ([Action], [MemberRole.Can]) does not allow; a method that acts for
//     nobody says so.
//
// Two lists can be followed as they grow, the way a chat client tails a chat
// or a workflow engine tails an execution's event log: a chat's messages
// oldest first and an execution's events. A reader pages to the end, keeps
// the last page's Next, and later continues from it; it sees every row
// committed since exactly once, in list order, while any number of writers
// (other goroutines, other stores on the same database, long transactions)
// write. The stores make this hold by ordering each chat's and each
// execution's rows at commit: a write locks its chat or execution until it
// commits and takes the next position under that lock (a message's in its
// chat, an event's in the log), so no row ever commits behind a position a
// reader has passed. Writers to one chat or execution therefore queue
// behind each other's transactions; readers never wait.
//
// Writes whose outcome is unknown (a deadline at COMMIT, a lost connection)
// are made safe by retrying them with the same input, not by promises:
// [EventRepo.AppendBatch] and [EventRepo.Append] with ids filled in, and
// [MessageRepo.Post] with a caller-chosen [NewMessage.ID], find what is
// stored already and never store it twice.
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

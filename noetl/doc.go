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
// Optional fields follow two rules, one for rows and one for inputs:
//   - A row struct mirrors its table: a column that may be NULL is a
//     pointer (*string, *int, *snowflake.ID, *time.Time), or a nil
//     json.RawMessage for JSON, so NULL and "" or 0 stay apart and a row
//     round-trips exactly; a NOT NULL column is a plain value.
//   - An input (New*) uses the plain zero value for "not given" where the
//     zero value can never be valid input: Email "", Cron "", IntervalSec 0,
//     Timezone "" (UTC), a Runtime's Status "" (ready), an id 0 (the store
//     issues one), a zero Timestamp (now). It uses a pointer where the zero
//     value is a real value ("" description, capacity 0) and for references
//     to other rows (ParentID, OwnerID, RoleID, SenderID, CredentialID),
//     which have the type of the row's field so a row's value passes
//     straight back. PlaybookVersion is a pointer for the same reason: nil
//     means the latest version, and "" is refused as a malformed version.
//   - An update (*Update) has a pointer for every field: nil leaves the
//     column as it is; where a column may be cleared, the field's doc says
//     which value clears it.
//
// [Ptr] makes a pointer to a literal: NewRole{Description: noetl.Ptr("ops")}.
// [All] walks every page of a list as an iter.Seq2. Event statuses and types
// ([EventCompleted], [EventStepStart]...) are documented constants; the
// enums (ProfileType, MemberRole...) list their values in their docs and
// declare each constant on its own.
//
// # Text and JSON: one contract on both engines
//
// Every text value a method stores or looks up (names, descriptions,
// contents, lookup keys, list filters and prefixes) must be valid UTF-8
// without NUL bytes: PostgreSQL refuses such text and SQLite would keep it,
// so both engines refuse it with [ErrInvalid] naming the field, before
// anything is written ([ValidateString]).
//
// JSON values (json.RawMessage fields; empty means SQL NULL) round-trip as
// equal values, not as equal bytes. PostgreSQL's JSONB reorders object keys,
// drops insignificant whitespace and writes numbers in its own spelling
// (1e2 comes back as 100, 1.50 stays 1.50); SQLite returns the text as
// written. Decoded, both are the same value: the same keys with the same
// values, arrays in the same order, numbers equal as exact decimals.
// Compare JSON you read back by decoding it, never byte for byte.
//
// To keep that promise, JSON that either engine would refuse or change in
// value is refused with [ErrInvalid] on both ([ValidateJSON]): malformed
// JSON or invalid UTF-8; the \u0000 escape and unpaired surrogate escapes;
// an object holding the same key twice (also when spelled with escapes:
// JSONB would keep only the last); a number that overflows a float64
// (1e400), has an exponent beyond ±[MaxJSONExponent] or more than
// [MaxJSONFractionDigits] decimal places; nesting deeper than
// [MaxJSONDepth].
//
// Errors quote at most a short prefix of any input ([Quote]), so a huge or
// hostile value is never copied into logs.
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
//
// # Following a list, retrying a write
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
// [MessageRepo.Follow] and [EventRepo.Follow] do that paging for the
// caller, without polling: they yield the rows after a cursor, then each
// new row as it commits, each with the cursor that resumes after it
// ([Followed]). The store wakes its followers when a write commits (on
// PostgreSQL by one LISTEN connection per store, notified in the writing
// transaction; on SQLite directly after a commit in the process, and by one
// loop per store reading data_version for other processes' commits), and
// each re-reads from its cursor, so a lost wake-up or a reconnection
// loses and repeats nothing.
//
// Writes whose outcome is unknown (a deadline at COMMIT, a lost connection)
// are made safe by retrying them with the same input, not by promises:
// [EventRepo.AppendBatch] and [EventRepo.Append] with ids filled in, and
// [MessageRepo.Post] with a caller-chosen [NewMessage.ID], find what is
// stored already and never store it twice.
//
// # Retention
//
// [ExecutionRepo.PurgeBefore] removes every execution issued before a time,
// with all its rows in the execution tables. It goes by the time in the
// execution's snowflake id, not the workload's timestamp: ids are issued in
// time order, so "before t" is a range of ids, the key the execution tables
// are ordered by. Outside a transaction it works in short steps, each its
// own transaction, so a large purge never holds up other writers for long
// (on SQLite, the write lock is released between batches); a purge cut
// short (a cancelled context, a lost connection) keeps what it removed, and
// calling it again finishes the job. [Store.Maintain] prepares the database
// for the periods ahead: on SQLite there is nothing to do; on PostgreSQL,
// see its doc. Run both from a periodic job; both are safe to repeat.
package noetl

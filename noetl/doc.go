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
package noetl

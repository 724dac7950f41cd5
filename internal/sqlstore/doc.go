// Package sqlstore implements every noetl repository once, over a small seam
// that both backends provide: a [Querier] (pgx or database/sql behind it) and
// a [Dialect] (placeholders, table names, how times, JSON, booleans and
// arrays travel, how driver errors map to noetl's sentinels).
//
// Statements whose shape never changes are built once per dialect and schema
// name and reused by their text (pgx caches the prepared statement by text;
// the database/sql adapter keeps its own cache). squirrel builds per call only
// the statements whose shape depends on optional filters.
package sqlstore

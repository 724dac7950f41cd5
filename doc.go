// Package noetldb gives Go programs the whole NoETL data model: typed domain
// structs and repository interfaces (package noetl), Snowflake ids
// compatible with NoETL's own (package snowflake), the schema as plain
// versioned SQL with a migrator (package schema), and two real backends
// behind one Open (package storage): PostgreSQL through pgx v5, and SQLite
// through the pure-Go modernc.org/sqlite driver.
//
//	store, err := storage.Open(ctx, "sqlite::memory:")
//	if err != nil { ... }
//	defer store.Close()
//	p, err := store.Profiles().Create(ctx, noetl.NewProfile{Username: "ann", Type: noetl.ProfileUser})
//
// On PostgreSQL the schema follows the NoETL schema specification (schema
// "noetl", its tables and a noetl.snowflake_id() function); where NoETL's
// server code differs, the README's "Sharing a database with the NoETL
// server" says what to do.
//
// The runnable tour is examples/quickstart; the schema CLI is
// examples/migrate; a service embedding the schema beside its own tables is
// examples/embed.
package noetldb

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
// On PostgreSQL the schema is a drop-in for the NoETL server's own (schema
// "noetl", same tables and noetl.snowflake_id()), so Go services and other
// NoETL components can share one database.
//
// The runnable tour is examples/quickstart; the schema CLI is
// examples/migrate; a service embedding the schema beside its own tables is
// examples/embed.
package noetldb

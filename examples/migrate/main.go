// Command migrate applies, inspects or prints the noetldb schema.
//
//	go run ./examples/migrate -dsn sqlite:noetl.db up
//	go run ./examples/migrate -dsn postgres://user@localhost/db -schema noetl status
//	go run ./examples/migrate -dialect postgres -schema noetl sql > noetl.sql
//
// up applies pending migrations (idempotent; concurrent runs are
// serialised), status lists applied and pending versions, sql prints the
// whole schema for a DBA or another migration tool.
package main

import (
	"context"
	"database/sql"
	"flag"
	"fmt"
	"os"
	"strings"

	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" database/sql driver
	_ "modernc.org/sqlite"

	"github.com/noetl/noetldb/schema"
	"github.com/noetl/noetldb/storage/sqlite"
)

func main() {
	dsn := flag.String("dsn", "", "database: postgres://..., sqlite:PATH, sqlite::memory:")
	name := flag.String("schema", schema.DefaultSchemaName, "PostgreSQL schema that holds the NoETL tables")
	dialect := flag.String("dialect", "", "for sql without -dsn: postgres or sqlite")
	flag.Usage = func() {
		fmt.Fprintf(flag.CommandLine.Output(), "usage: migrate -dsn DSN [-schema NAME] up|status|sql\n       migrate -dialect postgres|sqlite [-schema NAME] sql\n")
		flag.PrintDefaults()
	}
	flag.Parse()
	if flag.NArg() != 1 {
		flag.Usage()
		os.Exit(2)
	}
	if err := run(context.Background(), flag.Arg(0), *dsn, *name, *dialect); err != nil {
		fmt.Fprintln(os.Stderr, "migrate:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, cmd, dsn, name, dialect string) error {
	if cmd == "sql" && dsn == "" {
		if dialect == "" {
			return fmt.Errorf("sql needs -dialect or -dsn")
		}
		text, err := schema.SQL(schema.Dialect(dialect), name)
		if err != nil {
			return err
		}
		fmt.Print(text)
		return nil
	}
	if dsn == "" {
		return fmt.Errorf("%s needs -dsn", cmd)
	}
	db, d, err := open(dsn)
	if err != nil {
		return err
	}
	defer db.Close()
	m, err := schema.NewMigrator(db, d, schema.WithSchemaName(name))
	if err != nil {
		return err
	}
	switch cmd {
	case "up":
		applied, err := m.Up(ctx)
		if err != nil {
			return err
		}
		if len(applied) == 0 {
			fmt.Println("schema is up to date")
		}
		for _, v := range applied {
			fmt.Printf("applied migration %d\n", v)
		}
	case "status":
		st, err := m.Status(ctx)
		for _, s := range st {
			state := "pending"
			if s.Applied {
				state = "applied " + s.AppliedAt.Format("2006-01-02 15:04:05Z")
			}
			fmt.Printf("%4d  %-24s %s\n", s.Version, s.Name, state)
		}
		return err
	case "sql":
		text, err := schema.SQL(d, name)
		if err != nil {
			return err
		}
		fmt.Print(text)
	default:
		return fmt.Errorf("unknown command %q (want up, status or sql)", cmd)
	}
	return nil
}

// open returns a *sql.DB for dsn and its dialect.
func open(dsn string) (*sql.DB, schema.Dialect, error) {
	switch {
	case strings.HasPrefix(dsn, "postgres://"), strings.HasPrefix(dsn, "postgresql://"):
		db, err := sql.Open("pgx", dsn)
		if err == nil {
			err = db.Ping()
		}
		if err != nil {
			return nil, "", fmt.Errorf("connect to PostgreSQL: %w", err)
		}
		return db, schema.Postgres, nil
	case strings.HasPrefix(dsn, "sqlite:"), strings.HasPrefix(dsn, "file:"):
		path := strings.TrimPrefix(strings.TrimPrefix(dsn, "sqlite://"), "sqlite:")
		if strings.HasPrefix(dsn, "file:") {
			path = dsn
		}
		full, err := sqlite.DSN(path)
		if err != nil {
			return nil, "", err
		}
		db, err := sql.Open("sqlite", full)
		if err != nil {
			return nil, "", err
		}
		return db, schema.SQLite, nil
	}
	return nil, "", fmt.Errorf("unknown DSN %q (want postgres://, postgresql://, sqlite:PATH, file:)", dsn)
}

// Command quickstart is a short, readable tour of noetldb: it opens a store
// (in-memory SQLite by default, PostgreSQL with -dsn), then walks through
// each part of the NoETL data model and prints what it did.
//
//	go run ./examples/quickstart
//	go run ./examples/quickstart -dsn postgres://user@localhost/db
//
// Each part of the tour lives in its own file and registers itself as a
// step; the steps run in order, sharing one store.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"sort"
	"strconv"

	"github.com/noetl/noetldb/noetl"
	"github.com/noetl/noetldb/storage"
	"github.com/noetl/noetldb/storage/postgres"
)

// tour is what every step gets: the store, where to print, and values
// earlier steps left for later ones.
type tour struct {
	ctx   context.Context
	store noetl.Store
	out   io.Writer
	state map[string]any
}

// unique returns name with this run's suffix, so the tour can run again on
// a database that keeps the rows of an earlier run (PostgreSQL, a file).
func (t *tour) unique(name string) string { return name + "-" + t.state["run"].(string) }

func (t *tour) printf(format string, args ...any) { fmt.Fprintf(t.out, format, args...) }

type step struct {
	order int
	title string
	run   func(t *tour) error
}

var steps []step

// addStep registers a part of the tour; lower order runs first.
func addStep(order int, title string, run func(t *tour) error) {
	steps = append(steps, step{order, title, run})
}

func main() {
	dsn := flag.String("dsn", "sqlite::memory:", "database to use: sqlite::memory:, sqlite:PATH or postgres://...")
	schemaName := flag.String("schema", "", "PostgreSQL schema for the NoETL tables (default noetl)")
	flag.Parse()
	if err := run(context.Background(), os.Stdout, *dsn, *schemaName); err != nil {
		fmt.Fprintln(os.Stderr, "quickstart:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, out io.Writer, dsn, schemaName string) error {
	keyring, err := tourKeyring()
	if err != nil {
		return err
	}
	opts := []storage.Option{storage.WithKeyring(keyring)}
	// The store leases a free id shard from the database unless one is
	// given; a deployment that assigns shards itself passes its own, here
	// from an environment variable the program (not the library) reads.
	if v := os.Getenv("NOETL_SNOWFLAKE_SHARD"); v != "" {
		shard, err := strconv.Atoi(v)
		if err != nil {
			return fmt.Errorf("NOETL_SNOWFLAKE_SHARD=%q: not a number", v)
		}
		opts = append(opts, storage.WithShard(shard))
	}
	if schemaName != "" {
		opts = append(opts, postgres.WithSchema(schemaName))
	}
	store, err := storage.Open(ctx, dsn, opts...)
	if err != nil {
		return err
	}
	defer store.Close()
	t := &tour{ctx: ctx, store: store, out: out, state: map[string]any{}}
	runID, err := store.IDs().Next()
	if err != nil {
		return err
	}
	t.state["run"] = strconv.FormatInt(int64(runID)%1_000_000, 36)
	t.printf("noetldb quickstart on %s\n", store.Dialect())
	sort.SliceStable(steps, func(i, j int) bool { return steps[i].order < steps[j].order })
	for _, s := range steps {
		t.printf("\n== %s ==\n", s.title)
		if err := s.run(t); err != nil {
			return fmt.Errorf("%s: %w", s.title, err)
		}
	}
	return nil
}

// Command otel shows noetldb traced with OpenTelemetry: a store opened with
// storage.WithHook(Hook{...}) makes one span per repository call and one
// child span per SQL statement, the same on PostgreSQL and SQLite. It
// prints the spans it recorded as a tree.
//
//	go run ./examples/otel
//	go run ./examples/otel -dsn postgres://user@localhost/db
//
// Only this example imports OpenTelemetry: the library's packages do not
// (package trace is standard library only), so a program that does not use
// it does not link it. A real service would hand the tracer provider an
// exporter (OTLP, stdout) instead of the in-memory recorder used here.
package main

import (
	"cmp"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"time"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/noetl/noetldb/noetl"
	"github.com/noetl/noetldb/storage"
)

func main() {
	dsn := flag.String("dsn", "sqlite::memory:", "store DSN (sqlite::memory:, sqlite:PATH, postgres://...)")
	flag.Parse()
	if err := run(context.Background(), os.Stdout, *dsn); err != nil {
		fmt.Fprintln(os.Stderr, "otel:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, out io.Writer, dsn string) error {
	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
	defer tp.Shutdown(ctx)

	system := "sqlite"
	if strings.HasPrefix(dsn, "postgres") {
		system = "postgresql"
	}
	store, err := storage.Open(ctx, dsn, storage.WithHook(Hook{Tracer: tp.Tracer("github.com/noetl/noetldb"), System: system}))
	if err != nil {
		return err
	}
	defer store.Close()

	run := fmt.Sprintf("%d", time.Now().UnixNano())
	ann, err := store.Profiles().Create(ctx, noetl.NewProfile{Username: "ann-" + run, Type: noetl.ProfileUser})
	if err != nil {
		return err
	}
	if err := store.InTx(ctx, func(ctx context.Context, tx noetl.Store) error {
		if _, err := tx.Labels().Create(ctx, noetl.NewLabel{Name: "acme-" + run, OwnerID: &ann.ID}); err != nil {
			return err
		}
		_, err := tx.Profiles().Get(ctx, ann.ID)
		return err
	}); err != nil {
		return err
	}
	if _, err := store.Profiles().GetByUsername(ctx, "nobody-"+run); !errors.Is(err, noetl.ErrNotFound) {
		return fmt.Errorf("want not found, got %v", err)
	}
	printTree(out, rec.Ended())
	return nil
}

// printTree prints spans as a tree, children under their parent in start
// order, with their status and the SQL of statement spans.
func printTree(out io.Writer, spans []sdktrace.ReadOnlySpan) {
	kids := map[string][]sdktrace.ReadOnlySpan{}
	ids := map[string]bool{}
	for _, s := range spans {
		ids[s.SpanContext().SpanID().String()] = true
	}
	for _, s := range spans {
		parent := s.Parent().SpanID().String()
		if !s.Parent().IsValid() || !ids[parent] {
			parent = ""
		}
		kids[parent] = append(kids[parent], s)
	}
	var walk func(parent string, depth int)
	walk = func(parent string, depth int) {
		list := kids[parent]
		slices.SortFunc(list, func(a, b sdktrace.ReadOnlySpan) int {
			return cmp.Compare(a.StartTime().UnixNano(), b.StartTime().UnixNano())
		})
		for _, s := range list {
			line := strings.Repeat("  ", depth) + s.Name()
			for _, a := range s.Attributes() {
				if a.Key == "db.query.text" {
					line += "  " + a.Value.AsString()
				}
			}
			if s.Status().Description != "" {
				line += "  [error: " + s.Status().Description + "]"
			}
			fmt.Fprintln(out, line)
			walk(s.SpanContext().SpanID().String(), depth+1)
		}
	}
	walk("", 0)
}

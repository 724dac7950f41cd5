// Command embed is a small HTTP JSON service, "helpdesk", that embeds the
// full NoETL schema in its own database beside a table of its own:
//
//   - on PostgreSQL the NoETL tables live in the "noetl" schema (or -schema)
//     and helpdesk's own table in the "helpdesk" schema, in one database;
//   - on SQLite both live in the same file.
//
// The service opens the database itself, hands the pool (or *sql.DB) to
// noetldb with postgres.WithPool / sqlite.WithDB, applies noetldb's
// migrations and then its own, and serves:
//
//	POST /profiles                      create a profile
//	POST /labels                        create a label (root or under parent_id)
//	POST /chats                         create a chat in a label (X-Profile-ID owns it)
//	POST /chats/{id}/messages           post a message as X-Profile-ID
//	GET  /chats/{id}/messages           page messages (?limit=&after=&order=asc|desc)
//	POST /catalog                       register a catalog entry
//	GET  /catalog/{version}/{path...}   read an entry ("latest" or MAJOR.MINOR.PATCH)
//	POST /tickets                       helpdesk's own table: a ticket for a chat
//	GET  /tickets/{id}
//
// Ids are JSON strings; errors are {"error": "..."} with 400 (invalid), 403
// (forbidden), 404 (not found) or 409 (conflict). Request bodies are limited
// to 1 MiB. SIGINT or SIGTERM shut it down gracefully.
//
//	go run ./examples/embed                          # SQLite file helpdesk.db
//	go run ./examples/embed -dsn postgres://user@localhost/db -addr 127.0.0.1:8080
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"
)

func main() {
	dsn := flag.String("dsn", "sqlite:helpdesk.db", "database: sqlite:PATH, sqlite::memory: or postgres://...")
	addr := flag.String("addr", "127.0.0.1:8080", "listen address")
	schemaName := flag.String("schema", "noetl", "PostgreSQL schema for the NoETL tables")
	flag.Parse()

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, *dsn, *addr, *schemaName); err != nil {
		fmt.Fprintln(os.Stderr, "embed:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, dsn, addr, schemaName string) error {
	app, err := openApp(ctx, dsn, schemaName)
	if err != nil {
		return err
	}
	defer app.Close()

	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	srv := &http.Server{
		Handler:           app.routes(),
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      30 * time.Second,
	}
	srv.RegisterOnShutdown(app.stopStreams)
	log.Printf("helpdesk on http://%s (%s)", ln.Addr(), app.store.Dialect())
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	log.Printf("shutting down")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		return err
	}
	if err := <-errc; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

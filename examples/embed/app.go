package main

import (
	"context"
	"database/sql"
	_ "embed"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/noetl/noetldb/noetl"
	"github.com/noetl/noetldb/snowflake"
	"github.com/noetl/noetldb/storage"
	"github.com/noetl/noetldb/storage/postgres"
	"github.com/noetl/noetldb/storage/sqlite"
)

//go:embed migrations/postgres.sql
var ownPostgres string

//go:embed migrations/sqlite.sql
var ownSQLite string

// app is the service: noetldb's store and helpdesk's own table, on one
// database.
type app struct {
	store   noetl.Store
	db      *sql.DB       // helpdesk's own queries
	pool    *pgxpool.Pool // PostgreSQL only: the pool transactions begin on
	schema  string        // PostgreSQL only: the NoETL schema
	pg      bool
	tickets string // the ticket table's qualified name
	close   func()
	// streams ends when the server shuts down: every open event stream
	// (chatEvents) ends with it, as a stream never ends by itself.
	streams     context.Context
	stopStreams context.CancelFunc
}

func openApp(ctx context.Context, dsn, schemaName string) (*app, error) {
	a := &app{}
	a.streams, a.stopStreams = context.WithCancel(context.Background())
	switch {
	case strings.HasPrefix(dsn, "postgres://"), strings.HasPrefix(dsn, "postgresql://"):
		pool, err := pgxpool.New(ctx, dsn)
		if err != nil {
			return nil, err
		}
		store, err := storage.Open(ctx, dsn, postgres.WithPool(pool), postgres.WithSchema(schemaName))
		if err != nil {
			pool.Close()
			return nil, err
		}
		a.store, a.db, a.pg, a.tickets = store, stdlib.OpenDBFromPool(pool), true, "helpdesk.ticket"
		a.pool, a.schema = pool, schemaName
		a.close = func() { a.db.Close(); store.Close(); pool.Close() }
		if _, err := a.db.ExecContext(ctx, strings.ReplaceAll(ownPostgres, "{noetl}", schemaName)); err != nil {
			a.close()
			return nil, fmt.Errorf("helpdesk migration: %w", err)
		}
	default:
		path := strings.TrimPrefix(strings.TrimPrefix(dsn, "sqlite://"), "sqlite:")
		full, err := sqlite.DSN(path)
		if err != nil {
			return nil, err
		}
		db, err := sql.Open("sqlite", full)
		if err != nil {
			return nil, err
		}
		// An in-memory database lives as long as one connection to it.
		keep, err := db.Conn(ctx)
		if err != nil {
			db.Close()
			return nil, err
		}
		store, err := storage.Open(ctx, "sqlite:"+path, sqlite.WithDB(db))
		if err != nil {
			keep.Close()
			db.Close()
			return nil, err
		}
		a.store, a.db, a.tickets = store, db, "helpdesk_ticket"
		a.close = func() { store.Close(); keep.Close(); db.Close() }
		if _, err := a.db.ExecContext(ctx, ownSQLite); err != nil {
			a.close()
			return nil, fmt.Errorf("helpdesk migration: %w", err)
		}
	}
	return a, nil
}

func (a *app) Close() {
	a.stopStreams()
	a.close()
}

// ticket is a row of helpdesk's own table.
type ticket struct {
	ID        snowflake.ID `json:"id"`
	ChatID    snowflake.ID `json:"chat_id"`
	Title     string       `json:"title"`
	Status    string       `json:"status"`
	CreatedAt time.Time    `json:"created_at"`
}

func (a *app) q(s string) string {
	if !a.pg {
		return s
	}
	for i := 1; strings.Contains(s, "?"); i++ {
		s = strings.Replace(s, "?", fmt.Sprintf("$%d", i), 1)
	}
	return s
}

func (a *app) timeArg(t time.Time) any {
	if a.pg {
		return t
	}
	return t.UnixMicro()
}

// inTx runs fn in one transaction of helpdesk's own, with a noetldb store
// joined to it (FromTx): what fn writes through the store and through exec
// commits or rolls back together. The joined store issues ids from the
// long-lived store's generator.
func (a *app) inTx(ctx context.Context, fn func(store noetl.Store, exec func(query string, args ...any) error) error) error {
	if a.pg {
		return pgx.BeginFunc(ctx, a.pool, func(tx pgx.Tx) error {
			store, err := postgres.FromTx(tx, postgres.WithSchema(a.schema), postgres.WithGenerator(a.store.IDs()))
			if err != nil {
				return err
			}
			return fn(store, func(query string, args ...any) error {
				_, err := tx.Exec(ctx, a.q(query), args...)
				return err
			})
		})
	}
	tx, err := a.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	store, err := sqlite.FromTx(tx, sqlite.WithGenerator(a.store.IDs()))
	if err != nil {
		return err
	}
	err = fn(store, func(query string, args ...any) error {
		_, err := tx.ExecContext(ctx, query, args...)
		return err
	})
	if err != nil {
		return err
	}
	return tx.Commit()
}

// createTicket opens a ticket for a chat and announces it in the chat with
// a system message, in one transaction: both are written or neither.
func (a *app) createTicket(ctx context.Context, chatID snowflake.ID, title string) (ticket, error) {
	if strings.TrimSpace(title) == "" {
		return ticket{}, noetl.Invalidf("ticket title: must not be empty")
	}
	var tk ticket
	err := a.inTx(ctx, func(store noetl.Store, exec func(string, ...any) error) error {
		// The chat must exist in noetldb's tables: read it through the store.
		if _, err := store.Chats().Get(ctx, chatID); err != nil {
			return err
		}
		if _, err := store.Messages().Post(ctx, noetl.NewMessage{ChatID: chatID, SenderType: noetl.SenderSystem,
			Content: "ticket opened: " + title}); err != nil {
			return err
		}
		id, err := store.IDs().Next()
		if err != nil {
			return err
		}
		tk = ticket{ID: id, ChatID: chatID, Title: title, Status: "open", CreatedAt: noetl.UTC(time.Now())}
		err = exec("INSERT INTO "+a.tickets+" (id, chat_id, title, status, created_at) VALUES (?, ?, ?, ?, ?)",
			int64(tk.ID), int64(tk.ChatID), tk.Title, tk.Status, a.timeArg(tk.CreatedAt))
		if err != nil {
			// helpdesk's own CHECK refused the row: the message goes too.
			return noetl.Invalidf("create ticket: %v", err)
		}
		return nil
	})
	return tk, err
}

func (a *app) getTicket(ctx context.Context, id snowflake.ID) (ticket, error) {
	var tk ticket
	var at any
	err := a.db.QueryRowContext(ctx, a.q("SELECT id, chat_id, title, status, created_at FROM "+a.tickets+" WHERE id = ?"), int64(id)).
		Scan(&tk.ID, &tk.ChatID, &tk.Title, &tk.Status, &at)
	if err == sql.ErrNoRows {
		return ticket{}, noetl.NewError(noetl.ErrNotFound, "ticket %s", id)
	}
	if err != nil {
		return ticket{}, err
	}
	switch v := at.(type) {
	case time.Time:
		tk.CreatedAt = v.UTC()
	case int64:
		tk.CreatedAt = time.UnixMicro(v).UTC()
	}
	return tk, nil
}

package main

import (
	"context"
	"database/sql"
	_ "embed"
	"fmt"
	"strings"
	"time"

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
	db      *sql.DB // helpdesk's own queries
	pg      bool
	tickets string // the ticket table's qualified name
	close   func()
}

func openApp(ctx context.Context, dsn, schemaName string) (*app, error) {
	a := &app{}
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

func (a *app) Close() { a.close() }

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

func (a *app) createTicket(ctx context.Context, chatID snowflake.ID, title string) (ticket, error) {
	if strings.TrimSpace(title) == "" {
		return ticket{}, noetl.Invalidf("ticket title: must not be empty")
	}
	// The chat must exist in noetldb's tables: read it through the store.
	if _, err := a.store.Chats().Get(ctx, chatID); err != nil {
		return ticket{}, err
	}
	id, err := a.store.IDs().Next()
	if err != nil {
		return ticket{}, err
	}
	tk := ticket{ID: id, ChatID: chatID, Title: title, Status: "open", CreatedAt: noetl.UTC(time.Now())}
	_, err = a.db.ExecContext(ctx, a.q("INSERT INTO "+a.tickets+" (id, chat_id, title, status, created_at) VALUES (?, ?, ?, ?, ?)"),
		int64(tk.ID), int64(tk.ChatID), tk.Title, tk.Status, a.timeArg(tk.CreatedAt))
	if err != nil {
		return ticket{}, fmt.Errorf("create ticket: %w", err)
	}
	return tk, nil
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

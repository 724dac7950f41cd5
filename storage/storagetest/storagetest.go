// Package storagetest is the conformance suite every noetldb backend passes:
// one Run that exercises every behaviour of every repository as a subtest,
// unchanged on each engine. It is exported so a third backend can prove
// itself the same way:
//
//	func TestConformance(t *testing.T) {
//		storagetest.Run(t, storagetest.Harness{New: func(t *testing.T) noetl.Store { ... }})
//	}
//
// Each refusal a subtest checks (bad input, conflict, missing reference) is
// also checked to have written nothing.
package storagetest

import (
	"context"
	"database/sql"
	"log/slog"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/noetl/noetldb/noetl"
	"github.com/noetl/noetldb/schema"
	"github.com/noetl/noetldb/storage/trace"
)

// Harness tells the suite how to get stores of the backend under test.
type Harness struct {
	// New returns a fresh, empty, migrated store private to t, closed when t
	// ends. Required.
	New func(t *testing.T) noetl.Store
	// NewMigrator returns a migrator over a fresh database that has no
	// schema yet, and the *sql.DB under it. The migrator subtests run only
	// when it is set.
	NewMigrator func(t *testing.T) (*schema.Migrator, *sql.DB)
	// NewShared returns a function that opens another store on the same
	// database, for tests of separate stores competing (two processes on one
	// PostgreSQL database). Optional.
	NewShared func(t *testing.T) func(t *testing.T) noetl.Store
	// NewWith returns a fresh store like New, opened with o (a credential
	// keyring, a clock). The subtests that need it fail without it.
	NewWith func(t *testing.T, o StoreOptions) noetl.Store
	// NewCallerTx begins a transaction of the caller's own on a fresh,
	// migrated database that also holds the caller's table ticket(id BIGINT
	// PRIMARY KEY, title TEXT NOT NULL), and joins a store to it (the
	// backend's FromTx). The caller-transaction subtests fail without it.
	NewCallerTx func(t *testing.T) CallerTx
	// NewLeasing returns a function that opens stores on one fresh,
	// migrated database with no shard option, so that each leases a shard
	// of its own; each store is closed when its t ends. The shard-lease
	// subtests fail without it.
	NewLeasing func(t *testing.T) func(t *testing.T) (noetl.Store, error)
	// Disruptions are what may happen under a live feed (the backend's
	// listener connection killed, the server restarted), by name: each
	// returns a fresh store and a function that disrupts it and returns once
	// the store can write again. A follow must lose and repeat nothing
	// across each. Optional.
	Disruptions map[string]func(t *testing.T) (noetl.Store, func())
}

// CallerTx is a transaction a service began itself, with a store joined to
// it: the store's writes and the service's own commit or roll back together.
type CallerTx struct {
	// Store runs every repository in the caller's transaction (FromTx).
	Store noetl.Store
	// Outer is a store on the same database outside the transaction.
	Outer noetl.Store
	// AddTicket inserts the caller's own row in the transaction.
	AddTicket func(ctx context.Context, id int64, title string) error
	// Tickets counts the committed ticket rows, outside the transaction.
	Tickets func(ctx context.Context) (int, error)
	// Commit and Rollback end the caller's transaction.
	Commit, Rollback func(ctx context.Context) error
}

// StoreOptions are the store options a subtest asks NewWith for; a zero
// field means the backend's default.
type StoreOptions struct {
	// Keyring seals credentials (storage.WithKeyring).
	Keyring *noetl.Keyring
	// Now is the store's clock (storage.WithClock).
	Now func() time.Time
	// Hook receives the store's calls and statements (storage.WithHook).
	Hook trace.Hook
	// Logger logs the store's statements (storage.WithLogger), with
	// SlowThreshold (storage.WithSlowThreshold).
	Logger        *slog.Logger
	SlowThreshold time.Duration
}

type group struct {
	name string
	run  func(t *testing.T, h Harness)
}

var (
	groupsMu sync.Mutex
	groups   []group
)

// register adds a group of subtests to Run; each file registers its own.
func register(name string, run func(t *testing.T, h Harness)) {
	groupsMu.Lock()
	defer groupsMu.Unlock()
	groups = append(groups, group{name, run})
	sort.Slice(groups, func(i, j int) bool { return groups[i].name < groups[j].name })
}

// Run runs the whole suite against the harness's backend.
func Run(t *testing.T, h Harness) {
	t.Helper()
	if h.New == nil {
		t.Fatal("storagetest: Harness.New is required")
	}
	groupsMu.Lock()
	gs := append([]group(nil), groups...)
	groupsMu.Unlock()
	for _, g := range gs {
		t.Run(g.name, func(t *testing.T) { g.run(t, h) })
	}
}

// ctx returns a context for one subtest, bounded so a hung call fails.
func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	return c
}

func ptr[T any](v T) *T { return &v }

// allPages follows Next until the last page and returns every item. list
// gets the cursor to pass as the query's After ("" for the first page) and
// may check each page it returns.
func allPages[T any](t *testing.T, list func(after string) (noetl.Page[T], error)) []T {
	t.Helper()
	out := []T{}
	after := ""
	for pages := 0; ; pages++ {
		require.Less(t, pages, 10000, "paging does not end")
		p, err := list(after)
		require.NoError(t, err)
		require.NotNil(t, p.Items)
		out = append(out, p.Items...)
		if p.Next == "" {
			return out
		}
		after = p.Next
	}
}

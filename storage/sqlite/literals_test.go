package sqlite_test

import (
	"context"
	"database/sql"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/noetl/noetldb/noetl"
	"github.com/noetl/noetldb/snowflake"
	"github.com/noetl/noetldb/storage"
	"github.com/noetl/noetldb/storage/sqlite"
	"github.com/noetl/noetldb/storage/trace"
)

// insertsHook keeps the INSERT statements of event batches.
type insertsHook struct {
	mu    sync.Mutex
	stmts []trace.Statement
}

func (h *insertsHook) hook() trace.Hook {
	return trace.Funcs{Statement: func(_ context.Context, s trace.Statement) {
		if s.Op == "events.append_batch" && strings.HasPrefix(s.SQL, "INSERT") {
			h.mu.Lock()
			defer h.mu.Unlock()
			h.stmts = append(h.stmts, s)
		}
	}}
}

func (h *insertsHook) take() []trace.Statement {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := h.stmts
	h.stmts = nil
	return out
}

// An event batch on SQLite is written as statements of literals, at most
// 500 rows or about a megabyte each, on every side of a store: its own
// transaction, a caller's InTx, and a caller's *sql.Tx (FromTx). Each is
// reported with its rows elided and the rows it wrote.
func TestEventBatchIsWrittenAsStatementsOfLiterals(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "noetl.db")
	h := &insertsHook{}
	s, err := sqlite.Open(ctx, path, append(testOpts, storage.WithHook(h.hook()))...)
	require.NoError(t, err)
	t.Cleanup(func() { s.Close() })
	w, err := s.Workloads().Put(ctx, noetl.NewWorkload{})
	require.NoError(t, err)
	exec := w.ExecutionID

	head := "INSERT INTO event_log (execution_id, event_id, "
	check := func(t *testing.T, stmts []trace.Statement, rows ...int64) {
		t.Helper()
		require.Len(t, stmts, len(rows))
		for i, st := range stmts {
			require.True(t, strings.HasPrefix(st.SQL, head), st.SQL)
			require.True(t, strings.HasSuffix(st.SQL, ") VALUES ("+strconv.FormatInt(rows[i], 10)+" rows of literals)"), st.SQL)
			require.Equal(t, rows[i], st.Rows)
			require.NoError(t, st.Err)
		}
	}

	require.NoError(t, s.Events().AppendBatch(ctx, eventBatch(noetl.Event{ExecutionID: exec, Status: execPtr("it's")}, 1200)))
	check(t, h.take(), 500, 500, 200)

	// Long texts end a statement early: two 600 kB stack traces pass a
	// megabyte.
	long := strings.Repeat("at f()'\n", 75_000)
	require.NoError(t, s.InTx(ctx, func(ctx context.Context, tx noetl.Store) error {
		return tx.Events().AppendBatch(ctx, eventBatch(noetl.Event{ExecutionID: exec, StackTrace: &long}, 5))
	}))
	check(t, h.take(), 2, 2, 1)

	dsn, err := sqlite.DSN(path)
	require.NoError(t, err)
	db, err := sql.Open("sqlite", dsn)
	require.NoError(t, err)
	t.Cleanup(func() { db.Close() })
	caller, err := db.BeginTx(ctx, nil)
	require.NoError(t, err)
	defer caller.Rollback()
	in, err := sqlite.FromTx(caller, sqlite.WithShard(9), sqlite.WithHook(h.hook()))
	require.NoError(t, err)
	require.NoError(t, in.Events().AppendBatch(ctx, eventBatch(noetl.Event{ExecutionID: exec}, 501)))
	check(t, h.take(), 500, 1)
	require.NoError(t, caller.Commit())

	require.Equal(t, 1200+5+501, countAll(t, s, exec))
	p, err := s.Events().List(ctx, exec, noetl.EventQuery{Limit: 1, Status: "it's"})
	require.NoError(t, err)
	require.Len(t, p.Items, 1)
}

// countAll counts an execution's events by paging through them.
func countAll(t *testing.T, s noetl.Store, exec snowflake.ID) int {
	t.Helper()
	n := 0
	q := noetl.EventQuery{Limit: noetl.MaxLimit}
	for {
		p, err := s.Events().List(context.Background(), exec, q)
		require.NoError(t, err)
		n += len(p.Items)
		if p.Next == "" {
			return n
		}
		q.After = p.Next
	}
}

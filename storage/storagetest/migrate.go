package storagetest

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/noetl/noetldb/schema"
)

func init() { register("migrator", testMigrator) }

func contextWithCancel(t *testing.T) (context.Context, context.CancelFunc) {
	return context.WithCancel(ctx(t))
}

func testMigrator(t *testing.T, h Harness) {
	if h.NewMigrator == nil {
		t.Log("storagetest: Harness.NewMigrator not set; the migrator subtests need a raw database")
		return
	}
	t.Run("StatusOnEmptyDatabaseIsAllPending", func(t *testing.T) {
		m, _ := h.NewMigrator(t)
		st, err := m.Status(ctx(t))
		require.NoError(t, err)
		require.NotEmpty(t, st)
		for _, s := range st {
			assert.False(t, s.Applied, s.Name)
		}
	})
	t.Run("UpAppliesAllThenNothing", func(t *testing.T) {
		m, _ := h.NewMigrator(t)
		applied, err := m.Up(ctx(t))
		require.NoError(t, err)
		st, err := m.Status(ctx(t))
		require.NoError(t, err)
		assert.Len(t, applied, len(st))
		for _, s := range st {
			assert.True(t, s.Applied, s.Name)
			assert.False(t, s.AppliedAt.IsZero(), s.Name)
		}
		again, err := m.Up(ctx(t))
		require.NoError(t, err)
		assert.Empty(t, again, "a second Up applies nothing")
	})
	t.Run("ConcurrentMigratorsAllSucceedOnce", func(t *testing.T) {
		m, db := h.NewMigrator(t)
		errs := make(chan error, 4)
		counts := make(chan int, 4)
		for range 4 {
			go func() {
				applied, err := m.Up(ctx(t))
				counts <- len(applied)
				errs <- err
			}()
		}
		total := 0
		for range 4 {
			require.NoError(t, <-errs)
			total += <-counts
		}
		assert.Equal(t, len(mustStatus(t, m)), total, "each migration applied exactly once")
		var roles int
		require.NoError(t, db.QueryRowContext(ctx(t), "SELECT COUNT(*) FROM "+roleTable(t, db)).Scan(&roles))
		assert.Equal(t, 3, roles, "seeded once")
	})
	t.Run("DatabaseItselfRefusesBadRowsFromRawSQL", func(t *testing.T) {
		r := newRawDB(t, h)
		db, tbl, exec, count := r.db, r.tbl, r.exec, r.count
		for _, name := range []string{"admin", "user", "bot"} {
			var n int
			require.NoError(t, db.QueryRowContext(ctx(t), "SELECT COUNT(*) FROM "+tbl("role")+" WHERE name = '"+name+"'").Scan(&n))
			assert.Equal(t, 1, n, "seeded role %s", name)
		}
		require.NoError(t, exec("INSERT INTO "+tbl("profile")+" (id, username, type) VALUES (?, ?, ?)", 10, "owner", "user"))
		assert.Error(t, exec("INSERT INTO "+tbl("profile")+" (id, username, type) VALUES (?, ?, ?)", 11, "r2d2", "robot"),
			"a profile of type robot")
		assert.Equal(t, 1, count("profile"))

		require.NoError(t, exec("INSERT INTO "+tbl("label")+" (id, parent_id, name) VALUES (?, NULL, ?)", 20, "inbox"))
		assert.Error(t, exec("INSERT INTO "+tbl("label")+" (id, parent_id, name) VALUES (?, NULL, ?)", 21, "inbox"),
			"two root labels with one name")
		require.NoError(t, exec("INSERT INTO "+tbl("label")+" (id, parent_id, name) VALUES (?, ?, ?)", 22, 20, "inbox"),
			"the same name under another parent is fine")
		assert.Error(t, exec("INSERT INTO "+tbl("label")+" (id, parent_id, name) VALUES (?, ?, ?)", 23, 20, "inbox"),
			"two sibling labels with one name")
		assert.Equal(t, 2, count("label"))

		assert.Error(t, exec("INSERT INTO "+tbl("chat")+" (id, label_id, name, owner_id) VALUES (?, ?, ?, ?)", 30, 999, "general", 10),
			"a chat whose label does not exist")
		require.NoError(t, exec("INSERT INTO "+tbl("chat")+" (id, label_id, name, owner_id) VALUES (?, ?, ?, ?)", 31, 20, "general", 10))
		assert.Equal(t, 1, count("chat"))

		// Each refused row has a twin that differs only in the bad value and
		// is accepted, so a refusal cannot come from a typo in the statement.
		cases := []struct {
			why, table, cols string
			bad, good        []any
		}{
			{"a member role outside owner/admin/member", "member", "id, chat_id, profile_id, role",
				[]any{40, 31, 10, "king"}, []any{40, 31, 10, "owner"}},
			{"a sender type outside user/bot/ai/system", "message", "id, chat_id, sender_type, content",
				[]any{50, 31, "alien", "hi"}, []any{50, 31, "ai", "hi"}},
			{"an attachment on neither a label nor a chat", "attachment", "id, chat_id, filename, filepath, uploaded_by",
				[]any{60, nil, "a.txt", "/a.txt", 10}, []any{60, 31, "a.txt", "/a.txt", 10}},
			{"a runtime component type outside worker_pool/server_api/broker", "runtime", "runtime_id, name, component_type, status",
				[]any{70, "w", "toaster", "ready"}, []any{70, "w", "worker_pool", "ready"}},
			{"a schedule with neither cron nor interval", "schedule", "schedule_id, playbook_path, interval_sec",
				[]any{80, "p", nil}, []any{80, "p", 60}},
			{"session metadata that is not JSON", "session", "id, profile_id, session_type, metadata",
				[]any{90, 10, "user", "{not json"}, []any{90, 10, "user", `{"ok":true}`}},
		}
		for _, c := range cases {
			q := "INSERT INTO " + tbl(c.table) + " (" + c.cols + ") VALUES " + strings.TrimSuffix(strings.Repeat("?, ", len(c.bad)), ", ")
			q = strings.Replace(q, "VALUES ", "VALUES (", 1) + ")"
			assert.Error(t, exec(q, c.bad...), c.why)
			assert.Zero(t, count(c.table), c.why)
			assert.NoError(t, exec(q, c.good...), "the valid twin of: "+c.why)
		}
	})
	t.Run("DatabaseNewerThanBuildIsRefused", func(t *testing.T) {
		m, db := h.NewMigrator(t)
		_, err := m.Up(ctx(t))
		require.NoError(t, err)
		table := "schema_migrations"
		if isPostgres(t, db) {
			table = schema.DefaultSchemaName + ".schema_migrations"
		}
		_, err = db.ExecContext(ctx(t), "INSERT INTO "+table+" (version, name, applied_at) VALUES (9999, 'future.sql', "+nowSQL(t, db)+")")
		require.NoError(t, err)
		_, err = m.Up(ctx(t))
		assert.ErrorIs(t, err, schema.ErrTooNew)
		_, err = m.Status(ctx(t))
		assert.ErrorIs(t, err, schema.ErrTooNew)
	})
}

func mustStatus(t *testing.T, m *schema.Migrator) []schema.Status {
	st, err := m.Status(ctx(t))
	require.NoError(t, err)
	return st
}

// isPostgres tells the engines apart by a function only SQLite has.
func isPostgres(t *testing.T, db *sql.DB) bool {
	var v string
	return db.QueryRowContext(ctx(t), "SELECT sqlite_version()").Scan(&v) != nil
}

func nowSQL(t *testing.T, db *sql.DB) string {
	if isPostgres(t, db) {
		return "now()"
	}
	return "0"
}

func roleTable(t *testing.T, db *sql.DB) string {
	if isPostgres(t, db) {
		return schema.DefaultSchemaName + ".role"
	}
	return "role"
}

// rawDB is a freshly migrated database of the harness, for raw SQL in
// either dialect: "?" placeholders, table names qualified on PostgreSQL.
type rawDB struct {
	t  *testing.T
	db *sql.DB
	pg bool
}

func newRawDB(t *testing.T, h Harness) rawDB {
	t.Helper()
	m, db := h.NewMigrator(t)
	_, err := m.Up(ctx(t))
	require.NoError(t, err)
	return rawDB{t: t, db: db, pg: isPostgres(t, db)}
}

// tbl qualifies a table name with the default schema on PostgreSQL.
func (r rawDB) tbl(name string) string {
	if r.pg {
		return schema.DefaultSchemaName + "." + name
	}
	return name
}

// exec runs q, rewriting "?" to "$n" on PostgreSQL.
func (r rawDB) exec(q string, args ...any) error {
	if r.pg {
		for i := 1; strings.Contains(q, "?"); i++ {
			q = strings.Replace(q, "?", fmt.Sprintf("$%d", i), 1)
		}
	}
	_, err := r.db.ExecContext(ctx(r.t), q, args...)
	return err
}

// count returns the number of rows of table.
func (r rawDB) count(table string) int {
	var n int
	require.NoError(r.t, r.db.QueryRowContext(ctx(r.t), "SELECT COUNT(*) FROM "+r.tbl(table)).Scan(&n))
	return n
}

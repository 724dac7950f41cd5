package storagetest

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func init() { register("contract_schema", testContractSchema) }

// testContractSchema writes rows with raw SQL, as another program sharing
// the database would, and checks that the database itself refuses what the
// Go layer refuses. Each refused row has a twin that differs only in the bad
// value and is accepted, so a refusal cannot come from a typo in the
// statement.
func testContractSchema(t *testing.T, h Harness) {
	if h.NewMigrator == nil {
		t.Log("storagetest: Harness.NewMigrator not set; the raw SQL subtests need a raw database")
		return
	}
	t.Run("DatabaseRefusesWhatGoRefusesFromRawSQL", func(t *testing.T) {
		r := newRawDB(t, h)
		db, pg, tbl, exec, count := r.db, r.pg, r.tbl, r.exec, r.count
		at := func(us int64) any {
			if pg {
				return time.UnixMicro(us).UTC()
			}
			return us
		}
		require.NoError(t, exec("INSERT INTO "+tbl("profile")+" (id, username, type) VALUES (?, ?, ?)", 10, "owner", "user"))
		require.NoError(t, exec("INSERT INTO "+tbl("label")+" (id, parent_id, name) VALUES (?, NULL, ?)", 20, "inbox"))
		require.NoError(t, exec("INSERT INTO "+tbl("chat")+" (id, label_id, name, owner_id) VALUES (?, ?, ?, ?)", 31, 20, "general", 10))
		require.NoError(t, exec("INSERT INTO "+tbl("workload")+" (execution_id) VALUES (?)", 40))
		require.NoError(t, exec("INSERT INTO "+tbl("resource")+" (name) VALUES (?)", "playbook"))

		long := strings.Repeat("x", 256)
		cases := []struct {
			why, table, cols string
			bad, good        []any
		}{
			{"empty message content", "message", "id, chat_id, sender_type, content",
				[]any{50, 31, "ai", ""}, []any{50, 31, "ai", "hi"}},
			{"blank message content", "message", "id, chat_id, sender_type, content",
				[]any{50, 31, "ai", " \t\n"}, []any{50, 31, "ai", " hi\n"}},
			{"message metadata with the \\u0000 escape", "message", "id, chat_id, sender_type, content, metadata",
				[]any{50, 31, "ai", "hi", `{"a":"x\u0000"}`}, []any{50, 31, "ai", "hi", `{"a":"x\\u0000"}`}},
			{"a username longer than 255 characters", "profile", "id, username, type",
				[]any{11, long, "user"}, []any{11, long[1:], "user"}},
			{"a username not in canonical (lower) case", "profile", "id, username, type",
				[]any{11, "Ann", "user"}, []any{11, "ann", "user"}},
			{"a username with a space", "profile", "id, username, type",
				[]any{11, "ann smith", "user"}, []any{11, "ann.smith", "user"}},
			{"a username with a NUL", "profile", "id, username, type",
				[]any{11, "ann\x00", "user"}, []any{11, "ann0", "user"}},
			{"an email not in canonical (lower) case", "profile", "id, username, type, email",
				[]any{11, "bob", "user", "Bob@Example.com"}, []any{11, "bob", "user", "bob@example.com"}},
			{"a role name longer than 255 characters", "role", "id, name",
				[]any{12, long}, []any{12, long[1:]}},
			{"label name ..", "label", "id, parent_id, name",
				[]any{21, 20, ".."}, []any{21, 20, "..."}},
			{"label name .", "label", "id, parent_id, name",
				[]any{21, 20, "."}, []any{21, 20, ".x"}},
			{"a chat name longer than 255 characters", "chat", "id, label_id, name, owner_id",
				[]any{32, 20, long, 10}, []any{32, 20, long[1:], 10}},
			{"catalog version banana", "catalog", "resource_path, resource_type, resource_version, payload",
				[]any{"p", "playbook", "banana", "{}"}, []any{"p", "playbook", "0.1.0", "{}"}},
			{"catalog version with an empty part", "catalog", "resource_path, resource_type, resource_version, payload",
				[]any{"p", "playbook", "1..2", "{}"}, []any{"p", "playbook", "1.0.2", "{}"}},
			{"catalog meta that is an array", "catalog", "resource_path, resource_type, resource_version, payload, meta",
				[]any{"p", "playbook", "0.1.0", "{}", "[1]"}, []any{"p", "playbook", "0.1.0", "{}", `{"a":1}`}},
			{"negative event current_index", "event_log", "execution_id, event_id, current_index",
				[]any{40, 1, -1}, []any{40, 1, 0}},
			{"negative event duration", "event_log", "execution_id, event_id, duration",
				[]any{40, 1, -0.5}, []any{40, 1, 0.5}},
			{"session metadata that is an array", "session", "id, profile_id, session_type, metadata",
				[]any{60, 10, "user", "[1]"}, []any{60, 10, "user", `{"a":1}`}},
			{"session disconnected before it connected", "session", "id, profile_id, session_type, connected_at, disconnected_at",
				[]any{60, 10, "user", at(2_000_000), at(1_000_000)}, []any{60, 10, "user", at(1_000_000), at(2_000_000)}},
			{"negative runtime capacity", "runtime", "runtime_id, name, component_type, status, capacity",
				[]any{70, "w", "worker_pool", "ready", -1}, []any{70, "w", "worker_pool", "ready", 1}},
			{"runtime labels that are an array", "runtime", "runtime_id, name, component_type, status, labels",
				[]any{70, "w", "worker_pool", "ready", "[1]"}, []any{70, "w", "worker_pool", "ready", "{}"}},
			{"schedule interval past 2^31-1", "schedule", "schedule_id, playbook_path, interval_sec",
				[]any{80, "p", int64(1) << 31}, []any{80, "p", int64(1)<<31 - 1}},
			{"schedule meta that is an array", "schedule", "schedule_id, playbook_path, interval_sec, meta",
				[]any{80, "p", 60, "[]"}, []any{80, "p", 60, "{}"}},
			{"plaintext credential data", "credential", "id, name, type, data_encrypted",
				[]any{90, "c", "t", `{"password":"x"}`}, []any{90, "c", "t", "v1:k1:c2VhbGVk"}},
			{"credential meta that is an array", "credential", "id, name, type, data_encrypted, meta",
				[]any{90, "c", "t", "v1:k1:c2VhbGVk", "[]"}, []any{90, "c", "t", "v1:k1:c2VhbGVk", "{}"}},
		}
		for _, c := range cases {
			t.Run(strings.ReplaceAll(c.why, " ", "_"), func(t *testing.T) {
				q := "INSERT INTO " + tbl(c.table) + " (" + c.cols + ") VALUES (" +
					strings.TrimSuffix(strings.Repeat("?, ", len(c.good)), ", ") + ")"
				before := count(c.table)
				require.Error(t, exec(q, c.bad...), c.why)
				require.Equal(t, before, count(c.table), "a refused row was written")
				require.NoError(t, exec(q, c.good...), "the valid twin of: "+c.why)
				require.NoError(t, exec("DELETE FROM "+tbl(c.table)+" WHERE "+strings.Split(c.cols, ",")[0]+" = ?", c.good[0]))
			})
		}
		t.Run("an_update_is_checked_like_an_insert", func(t *testing.T) {
			require.NoError(t, exec("INSERT INTO "+tbl("message")+" (id, chat_id, sender_type, content) VALUES (?, ?, ?, ?)", 51, 31, "ai", "hi"))
			require.Error(t, exec("UPDATE "+tbl("message")+" SET content = ? WHERE id = ?", "", 51))
			require.NoError(t, exec("UPDATE "+tbl("message")+" SET content = ? WHERE id = ?", "hello", 51))
			var content string
			require.NoError(t, db.QueryRowContext(ctx(t), "SELECT content FROM "+tbl("message")).Scan(&content))
			require.Equal(t, "hello", content)
		})
	})
}

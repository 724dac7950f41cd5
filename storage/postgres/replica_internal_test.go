package postgres

import (
	"reflect"
	"strings"
	"testing"
	"unicode"

	"github.com/stretchr/testify/require"

	"github.com/noetl/noetldb/noetl"
)

// snake turns a Go name into the operation spelling of package observe:
// "GetByName" -> "get_by_name".
func snake(s string) string {
	var b strings.Builder
	for i, r := range s {
		if unicode.IsUpper(r) {
			if i > 0 {
				b.WriteByte('_')
			}
			r = unicode.ToLower(r)
		}
		b.WriteRune(r)
	}
	return b.String()
}

// Every operation listed as a lag-tolerant read is a method of a
// repository of noetl.Store (a renamed method would otherwise silently
// move its reads to the primary), and none of them is a write verb.
func TestLaggingReadsNameRealReadMethods(t *testing.T) {
	ops := map[string]bool{}
	st := reflect.TypeOf((*noetl.Store)(nil)).Elem()
	for i := range st.NumMethod() {
		m := st.Method(i)
		if m.Type.NumIn() != 0 || m.Type.NumOut() != 1 || m.Type.Out(0).Kind() != reflect.Interface ||
			!strings.HasSuffix(m.Type.Out(0).Name(), "Repo") {
			continue
		}
		repo := m.Type.Out(0)
		for j := range repo.NumMethod() {
			ops[snake(m.Name)+"."+snake(repo.Method(j).Name)] = true
		}
	}
	require.Greater(t, len(ops), 100)
	for op := range laggingReads {
		require.True(t, ops[op], "%s is not a repository method", op)
		_, verb, _ := strings.Cut(op, ".")
		require.Regexp(t, `^(get|list|count|children|ancestors|path|resolve|subtree|versions|summary)(_|$)`, verb, op)
	}
	for _, op := range []string{"sessions.get", "sessions.list_active", "profiles.verify_password", "credentials.reveal"} {
		require.True(t, ops[op], op)
		require.False(t, laggingReads[op], "%s decides access or reveals a secret: primary only", op)
	}
}

func TestReadOnlyStatements(t *testing.T) {
	for sql, want := range map[string]bool{
		"SELECT id FROM noetl.label WHERE id = $1":                                         true,
		"  select count(*) from noetl.message":                                             true,
		"WITH RECURSIVE up AS (SELECT 1) SELECT * FROM up":                                 true,
		"(SELECT 1) UNION (SELECT 2)":                                                      true,
		"SELECT id FROM noetl.schedule WHERE next_run_at < $1 FOR UPDATE SKIP LOCKED":      false,
		"SELECT id FROM noetl.chat FOR SHARE":                                              false,
		"WITH x AS (INSERT INTO noetl.label (id) VALUES (1) RETURNING id) SELECT * FROM x": false,
		"SELECT noetl.snowflake_id()":                                                      false,
		"SELECT pg_advisory_xact_lock(1)":                                                  false,
		"INSERT INTO noetl.label (id) VALUES ($1)":                                         false,
		"UPDATE noetl.label SET name = $1":                                                 false,
		"DELETE FROM noetl.label":                                                          false,
	} {
		require.Equal(t, want, readOnly(sql), sql)
	}
}

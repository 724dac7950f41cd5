package schema

import (
	"errors"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The 19 tables of the spec.
var specTables = []string{
	"role", "profile", "session", "label", "chat", "member", "message", "attachment",
	"resource", "catalog", "credential", "runtime", "schedule",
	"workload", "workflow", "workbook", "event_log", "transition", "error_log",
}

func TestEveryDialectCreatesEverySpecTable(t *testing.T) {
	for _, d := range []Dialect{Postgres, SQLite} {
		text, err := SQL(d, "")
		require.NoError(t, err)
		for _, table := range specTables {
			re := regexp.MustCompile(`CREATE TABLE IF NOT EXISTS (noetl\.)?` + table + ` \(`)
			assert.Regexp(t, re, text, "%s creates %s", d, table)
		}
	}
}

func TestSpecIndexesExistInBothDialects(t *testing.T) {
	// Section 9 of the spec, as index or constraint names in both files.
	names := []string{
		"label_parent_name_uq", "member_chat_profile_uq", "message_chat_created_idx",
		"attachment_chat_created_idx", "label_parent_idx", "chat_label_idx",
		"error_log_execution_idx", "runtime_component_name_uq", "schedule_next_run_idx",
	}
	for _, d := range []Dialect{Postgres, SQLite} {
		text, err := SQL(d, "")
		require.NoError(t, err)
		for _, n := range names {
			assert.Contains(t, text, n, "%s has %s", d, n)
		}
	}
}

func TestSchemaNameIsRewrittenOnPostgres(t *testing.T) {
	text, err := SQL(Postgres, "svc_noetl")
	require.NoError(t, err)
	assert.NotRegexp(t, `\bnoetl\.`, text)
	assert.Contains(t, text, "CREATE SCHEMA IF NOT EXISTS svc_noetl;")
	assert.Contains(t, text, "svc_noetl.snowflake_id()")
	assert.Contains(t, text, "nextval('svc_noetl.snowflake_seq')")
}

func TestSQLiteIgnoresSchemaName(t *testing.T) {
	a, err := SQL(SQLite, "")
	require.NoError(t, err)
	b, err := SQL(SQLite, "whatever")
	require.NoError(t, err)
	assert.Equal(t, a, b)
	assert.NotContains(t, a, "noetl.")
}

func TestInvalidSchemaNamesAreRefused(t *testing.T) {
	for _, name := range []string{"Noetl", "1abc", "a-b", "a;drop", "a b", strings.Repeat("a", 64)} {
		_, err := Migrations(Postgres, name)
		assert.True(t, errors.Is(err, ErrInvalidName), "%q: %v", name, err)
	}
}

func TestUnknownDialectIsRefused(t *testing.T) {
	_, err := SQL("mysql", "")
	assert.ErrorContains(t, err, "unknown dialect")
	_, err = NewMigrator(nil, SQLite)
	assert.Error(t, err)
}

func TestMigrationsAreNumberedFromOne(t *testing.T) {
	for _, d := range []Dialect{Postgres, SQLite} {
		ms, err := Migrations(d, "")
		require.NoError(t, err)
		require.NotEmpty(t, ms)
		for i, m := range ms {
			assert.Equal(t, i+1, m.Version)
		}
		assert.Equal(t, len(ms), Latest(d))
	}
}

// Both dialects must create the same tables with the same columns.
func TestDialectsHaveTheSameColumns(t *testing.T) {
	cols := func(d Dialect) map[string][]string {
		text, err := SQL(d, "")
		require.NoError(t, err)
		out := map[string][]string{}
		re := regexp.MustCompile(`(?s)CREATE TABLE IF NOT EXISTS (?:noetl\.)?(\w+) \((.*?)\n\);`)
		for _, m := range re.FindAllStringSubmatch(text, -1) {
			for _, line := range strings.Split(m[2], "\n") {
				f := strings.Fields(line)
				if len(f) < 2 || strings.ToUpper(f[0]) == f[0] {
					continue // constraints and continuation lines
				}
				out[m[1]] = append(out[m[1]], f[0])
			}
		}
		return out
	}
	pg, lite := cols(Postgres), cols(SQLite)
	assert.Len(t, pg, len(specTables))
	assert.Len(t, pg["event_log"], 27, "event_log: the spec's columns and NoETL's own")
	assert.Len(t, pg["error_log"], 16)
	assert.Equal(t, pg, lite)
}

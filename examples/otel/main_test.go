package main

import (
	"bytes"
	"context"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/noetl/noetldb/internal/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// checkTree checks the printed span tree: every call is a root span with
// its statements indented beneath it, and the transaction's calls sit
// under its span.
func checkTree(t *testing.T, out string) {
	t.Helper()
	lines := strings.Split(strings.TrimSpace(out), "\n")
	require.True(t, strings.HasPrefix(lines[0], "profiles.create"), out)
	require.Regexp(t, regexp.MustCompile(`(?m)^  sql  INSERT INTO \S*profile`), out)
	require.Regexp(t, regexp.MustCompile(`(?m)^store\.in_tx\n  sql  BEGIN\n  labels\.create\n(    sql  .*\n)+  profiles\.get\n    sql  SELECT .*\n  sql  COMMIT$`), out)
	require.Regexp(t, regexp.MustCompile(`(?m)^profiles\.get_by_username  \[error: .*not found.*\]\n  sql  SELECT `), out)
}

func TestOtelSQLite(t *testing.T) {
	var out bytes.Buffer
	require.NoError(t, run(context.Background(), &out, "sqlite::memory:"))
	checkTree(t, out.String())
}

func TestOtelPostgres(t *testing.T) {
	var out bytes.Buffer
	require.NoError(t, run(context.Background(), &out, pgtest.NewDatabase(t)))
	checkTree(t, out.String())
}

package main

import (
	"bytes"
	"context"
	"fmt"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/noetl/noetldb/internal/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// The tour runs end to end on both engines and prints every step.
func TestQuickstartSQLite(t *testing.T) {
	var out bytes.Buffer
	require.NoError(t, run(context.Background(), &out, "sqlite::memory:", ""))
	for _, s := range steps {
		require.Contains(t, out.String(), "== "+s.title+" ==")
	}
	require.Contains(t, out.String(), "shard    2", "a lone store leases the first free shard")
}

// A shard the program reads from its environment replaces the lease.
func TestQuickstartShardFromTheEnvironment(t *testing.T) {
	t.Setenv("NOETL_SNOWFLAKE_SHARD", "7")
	var out bytes.Buffer
	require.NoError(t, run(context.Background(), &out, "sqlite::memory:", ""))
	require.Contains(t, out.String(), "shard    7")
}

var n atomic.Int64

func TestQuickstartPostgres(t *testing.T) {
	var out bytes.Buffer
	require.NoError(t, run(context.Background(), &out, pgtest.NewDatabase(t), fmt.Sprintf("q%d", n.Add(1))))
	require.Contains(t, out.String(), "on postgres")
	for _, s := range steps {
		require.Contains(t, out.String(), "== "+s.title+" ==")
	}
}

package postgres_test

import (
	"context"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/noetl/noetldb/internal/pgtest"
	"github.com/noetl/noetldb/snowflake"
)

// PostgreSQL-only: SQLite has no snowflake_id() function (ids come from Go).
func TestSnowflakeIDFunctionDecodesToShard1AndNow(t *testing.T) {
	pool := sharedPool(t)
	storeIn(t, pool, "noetl")
	ctx := context.Background()
	before := time.Now().UTC().Truncate(time.Millisecond)
	var id snowflake.ID
	require.NoError(t, pool.QueryRow(ctx, "SELECT noetl.snowflake_id()").Scan(&id))
	after := time.Now().UTC()
	assert.Equal(t, 1, id.Shard())
	assert.False(t, id.Time().Before(before), "id time %s before %s", id.Time(), before)
	assert.False(t, id.Time().After(after), "id time %s after %s", id.Time(), after)
}

// NoETL's original function repeated ids past 1024 per millisecond; ours
// uses the full 18-bit sequence.
func TestSnowflakeIDFunctionIsUniquePast1024PerMillisecond(t *testing.T) {
	pool := sharedPool(t)
	storeIn(t, pool, "noetl")
	var total, distinct int
	require.NoError(t, pool.QueryRow(context.Background(),
		"SELECT COUNT(*), COUNT(DISTINCT id) FROM (SELECT noetl.snowflake_id() AS id FROM generate_series(1, 20000)) s").
		Scan(&total, &distinct))
	assert.Equal(t, 20000, total)
	assert.Equal(t, total, distinct)
}

// Tables get their ids from the function when an insert leaves them out, as
// on the NoETL server.
func TestTablesDefaultIDsFromTheFunction(t *testing.T) {
	pool := sharedPool(t)
	storeIn(t, pool, "noetl")
	var id snowflake.ID
	require.NoError(t, pool.QueryRow(context.Background(),
		"INSERT INTO noetl.profile (username, type) VALUES ('raw', 'bot') RETURNING id").Scan(&id))
	assert.Equal(t, 1, id.Shard())
	assert.WithinDuration(t, time.Now(), id.Time(), time.Minute)
}

func TestOpenWithCustomSchemaLeavesNoetlSchemaAlone(t *testing.T) {
	dsn := pgtest.NewDatabase(t)
	pool, err := pgxpool.New(context.Background(), dsn)
	require.NoError(t, err)
	t.Cleanup(pool.Close)
	storeIn(t, pool, "myservice_noetl")
	var n int
	require.NoError(t, pool.QueryRow(context.Background(),
		"SELECT COUNT(*) FROM pg_class c JOIN pg_namespace s ON s.oid = c.relnamespace"+
			" WHERE s.nspname = 'myservice_noetl' AND c.relkind IN ('r', 'p') AND NOT c.relispartition").Scan(&n))
	assert.Equal(t, 20, n, "19 tables and schema_migrations, not counting event_log's partitions")
	require.NoError(t, pool.QueryRow(context.Background(),
		"SELECT COUNT(*) FROM information_schema.schemata WHERE schema_name = 'noetl'").Scan(&n))
	assert.Zero(t, n)
}

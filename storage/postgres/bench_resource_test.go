package postgres_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"

	"github.com/noetl/noetldb/internal/pgtest"
	"github.com/noetl/noetldb/noetl"
	"github.com/noetl/noetldb/storage"
	"github.com/noetl/noetldb/storage/postgres"
)

// The resource benchmarks run the store and the raw pgx pool (the same SQL
// the store runs; pgx prepares and caches both by text) over one database,
// in the same run.

// openResBench opens a store in the default schema ("noetl") of a fresh
// database, and the pool under it.
func openResBench(b *testing.B) (noetl.Store, *pgxpool.Pool) {
	b.Helper()
	ctx := context.Background()
	pool, err := pgxpool.New(ctx, pgtest.NewDatabase(b))
	require.NoError(b, err)
	b.Cleanup(pool.Close)
	s, err := postgres.Open(ctx, "", postgres.WithPool(pool), storage.WithShard(3))
	require.NoError(b, err)
	b.Cleanup(func() { s.Close() })
	return s, pool
}

const resCatalogCols = "resource_path, resource_type, resource_version, source, resource_location, content, payload, meta, template, timestamp, credential_id"

// The store's statements, as it builds them for PostgreSQL.
var (
	resLockSQL   = "SELECT pg_advisory_xact_lock(1852794228, hashtext($1))"
	resEnsureSQL = "INSERT INTO noetl.resource (name) VALUES ($1) ON CONFLICT (name) DO NOTHING"
	resKey       = func(i int) string {
		return fmt.Sprintf(`CASE WHEN resource_version ~ '^[0-9]+\.[0-9]+\.[0-9]+$' THEN CAST(split_part(resource_version, '.', %d) AS NUMERIC) ELSE -1 END`, i)
	}
	resLatestSQL = "SELECT resource_version FROM (SELECT " + resCatalogCols + ", " + resKey(1) + " AS vk1, " + resKey(2) + " AS vk2, " +
		resKey(3) + " AS vk3 FROM noetl.catalog WHERE resource_path = $1) c ORDER BY vk1 DESC, vk2 DESC, vk3 DESC, resource_version DESC LIMIT $2"
	resInsertSQL = "INSERT INTO noetl.catalog (" + resCatalogCols + ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)" +
		" ON CONFLICT (resource_path, resource_version) DO NOTHING"
	resScheduleCols = "schedule_id, playbook_path, playbook_version, cron, interval_sec, enabled, timezone, next_run_at, last_run_at, last_status, input_payload, created_at, updated_at, meta"
	resClaimSQL     = "SELECT " + resScheduleCols + " FROM noetl.schedule WHERE enabled AND next_run_at <= $1" +
		" ORDER BY next_run_at, schedule_id LIMIT $2 FOR UPDATE SKIP LOCKED"
	resMoveSQL = "UPDATE noetl.schedule AS s SET next_run_at = v.next, last_run_at = $1, updated_at = $2" +
		" FROM unnest(CAST($3 AS BIGINT[]), CAST($4 AS TIMESTAMPTZ[])) AS v(id, next) WHERE s.schedule_id = v.id"
)

var resPlaybook = strings.Repeat("- step: fetch\n  tool: http\n", 8)

// BenchmarkCatalogRegister registers a new version of a path (ten versions
// per path): lock the path, ensure the type, find the highest version,
// insert the next, in one transaction.
func BenchmarkCatalogRegister(b *testing.B) {
	s, pool := openResBench(b)
	ctx := context.Background()
	payload := json.RawMessage(`{"name":"weather","steps":8}`)
	b.Run("store", func(b *testing.B) {
		b.ReportAllocs()
		for i := range b.N {
			if _, err := s.Catalog().Register(ctx, noetl.NewCatalogEntry{
				Path: fmt.Sprintf("store/%d/%d", b.N, i/10), Type: "playbook", Content: &resPlaybook, Payload: payload,
			}); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("raw", func(b *testing.B) {
		b.ReportAllocs()
		for i := range b.N {
			path := fmt.Sprintf("raw/%d/%d", b.N, i/10)
			tx, err := pool.Begin(ctx)
			if err != nil {
				b.Fatal(err)
			}
			if _, err := tx.Exec(ctx, resLockSQL, "noetl."+path); err != nil {
				b.Fatal(err)
			}
			if _, err := tx.Exec(ctx, resEnsureSQL, "playbook"); err != nil {
				b.Fatal(err)
			}
			var v string
			err = tx.QueryRow(ctx, resLatestSQL, path, 1).Scan(&v)
			next := noetl.FirstVersion
			switch {
			case err == nil:
				pv, _ := noetl.ParseVersion(v)
				next = pv.NextPatch().String()
			case !errors.Is(err, pgx.ErrNoRows):
				b.Fatal(err)
			}
			if _, err := tx.Exec(ctx, resInsertSQL, path, "playbook", next, "inline", nil, resPlaybook,
				string(payload), nil, nil, time.Now().UTC(), nil); err != nil {
				b.Fatal(err)
			}
			if err := tx.Commit(ctx); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// resSeedSchedules COPYs due interval schedules (next run at `at`, every 60
// s) and background ones due in a year.
func resSeedSchedules(b *testing.B, pool *pgxpool.Pool, due, background int, at time.Time) {
	b.Helper()
	rows := make([][]any, due+background)
	for i := range rows {
		next := at
		if i >= due {
			next = at.AddDate(1, 0, 0)
		}
		rows[i] = []any{int64(i + 1), fmt.Sprintf("flows/%d", i), int32(60), true, "UTC", next, at, at}
	}
	n, err := pool.CopyFrom(context.Background(), pgx.Identifier{"noetl", "schedule"},
		[]string{"schedule_id", "playbook_path", "interval_sec", "enabled", "timezone", "next_run_at", "created_at", "updated_at"},
		pgx.CopyFromRows(rows))
	require.NoError(b, err)
	require.EqualValues(b, len(rows), n)
	_, err = pool.Exec(context.Background(), "ANALYZE noetl.schedule")
	require.NoError(b, err)
}

// BenchmarkScheduleClaim100 claims 100 due schedules among 100,100: select
// the due rows (FOR UPDATE SKIP LOCKED) and move each to its next slot, in
// one transaction. Each iteration claims at the next minute, when the same
// 100 are due again.
func BenchmarkScheduleClaim100(b *testing.B) {
	s, pool := openResBench(b)
	ctx := context.Background()
	at := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	resSeedSchedules(b, pool, 100, 100_000, at)
	b.Run("store", func(b *testing.B) {
		b.ReportAllocs()
		for range b.N {
			c, err := s.Schedules().Claim(ctx, at, 100)
			if err != nil || len(c) != 100 {
				b.Fatal(len(c), err)
			}
			at = at.Add(time.Minute)
		}
	})
	b.Run("raw", func(b *testing.B) {
		b.ReportAllocs()
		for range b.N {
			if n := resRawClaim(b, ctx, pool, at); n != 100 {
				b.Fatal(n)
			}
			at = at.Add(time.Minute)
		}
	})
}

// resRawClaim is what Claim does, by hand: the same statements, the
// interval's next slot computed inline.
func resRawClaim(b *testing.B, ctx context.Context, pool *pgxpool.Pool, at time.Time) int {
	tx, err := pool.Begin(ctx)
	if err != nil {
		b.Fatal(err)
	}
	defer tx.Rollback(ctx)
	rows, err := tx.Query(ctx, resClaimSQL, at, 100)
	if err != nil {
		b.Fatal(err)
	}
	var ids []int64
	var next []*time.Time
	for rows.Next() {
		var (
			id                    int64
			path, tz              string
			version, cron, status *string
			interval              *int32
			enabled               bool
			nextRun, last         *time.Time
			created, updated      time.Time
			payload, meta         []byte
		)
		if err := rows.Scan(&id, &path, &version, &cron, &interval, &enabled, &tz, &nextRun, &last,
			&status, &payload, &created, &updated, &meta); err != nil {
			b.Fatal(err)
		}
		n := nextRun.Add(time.Duration(*interval) * time.Second)
		ids, next = append(ids, id), append(next, &n)
	}
	if err := rows.Err(); err != nil {
		b.Fatal(err)
	}
	if _, err := tx.Exec(ctx, resMoveSQL, at, time.Now().UTC(), ids, next); err != nil {
		b.Fatal(err)
	}
	if err := tx.Commit(ctx); err != nil {
		b.Fatal(err)
	}
	return len(ids)
}

package sqlite_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/noetl/noetldb/noetl"
)

// The resource benchmarks run the store and the raw driver (database/sql on
// modernc, the same SQL the store runs, prepared once) over one database
// file, in the same run.

const resCatalogCols = "resource_path, resource_type, resource_version, source, resource_location, content, payload, meta, template, timestamp, credential_id"

// The store's statements, as it builds them for SQLite.
var (
	resEnsureSQL = "INSERT INTO resource (name) VALUES (?) ON CONFLICT (name) DO NOTHING"
	resValid     = "resource_version NOT GLOB '*[^0-9.]*' AND resource_version GLOB '[0-9]*[0-9]' AND resource_version NOT GLOB '*..*' AND length(resource_version) - length(replace(resource_version, '.', '')) = 2"
	resLatestSQL = "SELECT resource_version FROM (SELECT " + resCatalogCols +
		", CASE WHEN " + resValid + " THEN CAST(resource_version AS INTEGER) ELSE -1 END AS vk1" +
		", CASE WHEN " + resValid + " THEN CAST(substr(resource_version, instr(resource_version, '.') + 1) AS INTEGER) ELSE -1 END AS vk2" +
		", CASE WHEN " + resValid + " THEN CAST(substr(substr(resource_version, instr(resource_version, '.') + 1), instr(substr(resource_version, instr(resource_version, '.') + 1), '.') + 1) AS INTEGER) ELSE -1 END AS vk3" +
		" FROM catalog WHERE resource_path = ?) c ORDER BY vk1 DESC, vk2 DESC, vk3 DESC, resource_version DESC LIMIT ?"
	resInsertSQL = "INSERT INTO catalog (" + resCatalogCols + ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)" +
		" ON CONFLICT (resource_path, resource_version) DO NOTHING"
	resScheduleCols = "schedule_id, playbook_path, playbook_version, cron, interval_sec, enabled, timezone, next_run_at, last_run_at, last_status, input_payload, created_at, updated_at, meta"
	resClaimSQL     = "SELECT " + resScheduleCols + " FROM schedule WHERE enabled = 1 AND next_run_at <= ? ORDER BY next_run_at, schedule_id LIMIT ?"
	resMoveSQL      = "UPDATE schedule SET next_run_at = v.next, last_run_at = ?, updated_at = ?" +
		" FROM (SELECT json_extract(value, '$[0]') AS id, json_extract(value, '$[1]') AS next FROM json_each(?)) AS v" +
		" WHERE schedule.schedule_id = v.id"
)

var resPlaybook = strings.Repeat("- step: fetch\n  tool: http\n", 8)

// BenchmarkCatalogRegister registers a new version of a path (ten versions
// per path): ensure the type, find the highest version, insert the next.
func BenchmarkCatalogRegister(b *testing.B) {
	s, db := benchDB(b)
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
		ensure, latest, insert := resPrep(b, db, resEnsureSQL), resPrep(b, db, resLatestSQL), resPrep(b, db, resInsertSQL)
		b.ReportAllocs()
		b.ResetTimer()
		for i := range b.N {
			path := fmt.Sprintf("raw/%d/%d", b.N, i/10)
			tx, err := db.BeginTx(ctx, nil)
			if err != nil {
				b.Fatal(err)
			}
			if _, err := tx.StmtContext(ctx, ensure).ExecContext(ctx, "playbook"); err != nil {
				b.Fatal(err)
			}
			var v string
			err = tx.StmtContext(ctx, latest).QueryRowContext(ctx, path, 1).Scan(&v)
			next := noetl.FirstVersion
			switch {
			case err == nil:
				pv, _ := noetl.ParseVersion(v)
				next = pv.NextPatch().String()
			case !errors.Is(err, sql.ErrNoRows):
				b.Fatal(err)
			}
			if _, err := tx.StmtContext(ctx, insert).ExecContext(ctx, path, "playbook", next, "inline", nil, resPlaybook,
				string(payload), nil, nil, time.Now().UnixMicro(), nil); err != nil {
				b.Fatal(err)
			}
			if err := tx.Commit(); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func resPrep(b *testing.B, db *sql.DB, q string) *sql.Stmt {
	b.Helper()
	st, err := db.Prepare(q)
	require.NoError(b, err)
	b.Cleanup(func() { st.Close() })
	return st
}

// resSeedSchedules writes due interval schedules (next run at `due`, every 60
// s) and background ones due in a year, in one prepared transaction.
func resSeedSchedules(b *testing.B, db *sql.DB, due, background int, at time.Time) {
	b.Helper()
	tx, err := db.Begin()
	require.NoError(b, err)
	st, err := tx.Prepare("INSERT INTO schedule (schedule_id, playbook_path, interval_sec, enabled, timezone, next_run_at, created_at, updated_at)" +
		" VALUES (?, ?, 60, 1, 'UTC', ?, ?, ?)")
	require.NoError(b, err)
	now := at.UnixMicro()
	for i := range due + background {
		next := at
		if i >= due {
			next = at.AddDate(1, 0, 0)
		}
		_, err := st.Exec(int64(i+1), fmt.Sprintf("flows/%d", i), next.UnixMicro(), now, now)
		require.NoError(b, err)
	}
	require.NoError(b, st.Close())
	require.NoError(b, tx.Commit())
}

// BenchmarkScheduleClaim100 claims 100 due schedules among 100,100: select
// the due rows and move each to its next slot, in one transaction. Each
// iteration claims at the next minute, when the same 100 are due again.
func BenchmarkScheduleClaim100(b *testing.B) {
	s, db := benchDB(b)
	ctx := context.Background()
	at := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	resSeedSchedules(b, db, 100, 100_000, at)
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
		claim, move := resPrep(b, db, resClaimSQL), resPrep(b, db, resMoveSQL)
		b.ReportAllocs()
		b.ResetTimer()
		for range b.N {
			if n := resRawClaim(b, ctx, db, claim, move, at); n != 100 {
				b.Fatal(n)
			}
			at = at.Add(time.Minute)
		}
	})
}

// resRawClaim is what Claim does, by hand: the same statements, the interval's
// next slot computed inline.
func resRawClaim(b *testing.B, ctx context.Context, db *sql.DB, claim, move *sql.Stmt, at time.Time) int {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		b.Fatal(err)
	}
	defer tx.Rollback()
	rows, err := tx.StmtContext(ctx, claim).QueryContext(ctx, at.UnixMicro(), 100)
	if err != nil {
		b.Fatal(err)
	}
	type row struct {
		id                           int64
		path, tz                     string
		version, cron, status        *string
		interval                     *int64
		enabled                      int64
		next, last, created, updated *int64
		payload, meta                *string
	}
	var got []row
	for rows.Next() {
		var r row
		if err := rows.Scan(&r.id, &r.path, &r.version, &r.cron, &r.interval, &r.enabled, &r.tz, &r.next, &r.last,
			&r.status, &r.payload, &r.created, &r.updated, &r.meta); err != nil {
			b.Fatal(err)
		}
		got = append(got, r)
	}
	if err := rows.Err(); err != nil {
		b.Fatal(err)
	}
	pairs := make([][2]int64, len(got))
	for i, r := range got {
		pairs[i] = [2]int64{r.id, *r.next + *r.interval*1e6}
	}
	js, _ := json.Marshal(pairs)
	now := time.Now().UnixMicro()
	if _, err := tx.StmtContext(ctx, move).ExecContext(ctx, at.UnixMicro(), now, string(js)); err != nil {
		b.Fatal(err)
	}
	if err := tx.Commit(); err != nil {
		b.Fatal(err)
	}
	return len(got)
}

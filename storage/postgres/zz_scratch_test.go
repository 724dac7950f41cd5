package postgres_test

import (
	"context"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/noetl/noetldb/internal/pgtest"
)

func BenchmarkScratch(b *testing.B) {
	ctx := context.Background()
	pool, err := pgxpool.New(ctx, pgtest.NewDatabase(b))
	if err != nil {
		b.Fatal(err)
	}
	defer pool.Close()
	for _, s := range []string{
		`CREATE TABLE p (id bigint primary key, name text, hw timestamptz, n bigint not null default 0)`,
		`CREATE TABLE c (id bigint primary key, p bigint not null references p(id), body text, at timestamptz not null, seq bigint not null default 0)`,
		`CREATE INDEX c_p ON c (p, at, id)`,
		`CREATE INDEX c_ps ON c (p, seq)`,
		`INSERT INTO p VALUES (1, 'x', NULL)`,
		`CREATE FUNCTION nextat(pp bigint, t timestamptz) RETURNS timestamptz LANGUAGE plpgsql VOLATILE AS $$
DECLARE m timestamptz;
BEGIN
  PERFORM pg_advisory_xact_lock(12345, (pp # (pp >> 32))::int);
  SELECT max(at) INTO m FROM c WHERE p = pp;
  RETURN greatest(t, m + interval '1 microsecond');
END $$`,
		`CREATE FUNCTION nextseq(pp bigint) RETURNS bigint LANGUAGE plpgsql VOLATILE AS $$
DECLARE m bigint;
BEGIN
  PERFORM pg_advisory_xact_lock(12345, (pp # (pp >> 32))::int);
  SELECT max(seq) INTO m FROM c WHERE p = pp;
  RETURN coalesce(m, 0) + 1;
END $$`,
	} {
		if _, err := pool.Exec(ctx, s); err != nil {
			b.Fatal(err)
		}
	}
	var id int64
	run := func(name, q string, args func() []any) {
		b.Run(name, func(b *testing.B) {
			for b.Loop() {
				id++
				if _, err := pool.Exec(ctx, q, args()...); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
	plain := func() []any { return []any{id, int64(1), "hello world", time.Now()} }
	for range 2 {
		run("plain", `INSERT INTO c (id, p, body, at) VALUES ($1, $2, $3, $4)`, plain)
		run("cte-update", `WITH k AS (UPDATE p SET hw = greatest($4, hw + interval '1 microsecond') WHERE id = $2 RETURNING hw)
 INSERT INTO c (id, p, body, at) SELECT $1, $2, $3, k.hw FROM k`, plain)
		run("cte-update-n", `WITH k AS (UPDATE p SET n = n + 1 WHERE id = $2 RETURNING n)
 INSERT INTO c (id, p, body, at, seq) SELECT $1, $2, $3, $4, k.n FROM k`, plain)
		run("func-at", `INSERT INTO c (id, p, body, at) SELECT $1, $2, $3, nextat($2, $4)`, plain)
		run("func-seq", `INSERT INTO c (id, p, body, at, seq) SELECT $1, $2, $3, $4, nextseq($2)`, plain)
	}
}

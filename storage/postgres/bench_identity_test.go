package postgres_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/noetl/noetldb/internal/pgtest"
	"github.com/noetl/noetldb/noetl"
	"github.com/noetl/noetldb/snowflake"
	"github.com/noetl/noetldb/storage"
	"github.com/noetl/noetldb/storage/postgres"
)

// benchPool opens one fresh database as a raw pgx pool and as a store over
// that pool, so both run the same SQL on the same database.
func benchPool(b *testing.B) (*pgxpool.Pool, noetl.Store) {
	b.Helper()
	pool, err := pgxpool.New(context.Background(), pgtest.NewDatabase(b))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(pool.Close)
	s, err := postgres.Open(context.Background(), "", postgres.WithPool(pool), storage.WithShard(4))
	if err != nil {
		b.Fatal(err)
	}
	return pool, s
}

func BenchmarkProfileGet(b *testing.B) {
	ctx := context.Background()
	pool, s := benchPool(b)
	p, err := s.Profiles().Create(ctx, noetl.NewProfile{Username: "ann", Email: "ann@example.com", Type: noetl.ProfileUser})
	if err != nil {
		b.Fatal(err)
	}
	b.Run("store", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := s.Profiles().Get(ctx, p.ID); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("raw", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			var v noetl.Profile
			if err := pool.QueryRow(ctx, "SELECT id, username, email, password_hash, type, role_id, created_at FROM noetl.profile WHERE id = $1", int64(p.ID)).
				Scan(&v.ID, &v.Username, &v.Email, &v.PasswordHash, &v.Type, &v.RoleID, &v.CreatedAt); err != nil {
				b.Fatal(err)
			}
			v.CreatedAt = v.CreatedAt.UTC()
		}
	})
}

var seq int

func BenchmarkProfileCreate(b *testing.B) {
	ctx := context.Background()
	pool, s := benchPool(b)
	b.Run("store", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			seq++
			if _, err := s.Profiles().Create(ctx, noetl.NewProfile{Username: fmt.Sprint("s", seq), Type: noetl.ProfileUser}); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("raw", func(b *testing.B) {
		b.ReportAllocs()
		g, _ := snowflake.NewGenerator(5)
		for b.Loop() {
			seq++
			id, _ := g.Next()
			if _, err := pool.Exec(ctx, "INSERT INTO noetl.profile (id, username, email, password_hash, type, role_id, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
				int64(id), fmt.Sprint("r", seq), nil, nil, "user", nil, time.Now().UTC()); err != nil {
				b.Fatal(err)
			}
		}
	})
}

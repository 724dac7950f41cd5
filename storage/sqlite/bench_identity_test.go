package sqlite_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/noetl/noetldb/noetl"
	"github.com/noetl/noetldb/snowflake"
)

func BenchmarkProfileGet(b *testing.B) {
	ctx := context.Background()
	s, db := benchDB(b)
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
		st, err := db.PrepareContext(ctx, "SELECT id, username, email, password_hash, type, role_id, created_at FROM profile WHERE id = ?")
		if err != nil {
			b.Fatal(err)
		}
		defer st.Close()
		for b.Loop() {
			var v noetl.Profile
			var at int64
			if err := st.QueryRowContext(ctx, int64(p.ID)).Scan(&v.ID, &v.Username, &v.Email, &v.PasswordHash, &v.Type, &v.RoleID, &at); err != nil {
				b.Fatal(err)
			}
			v.CreatedAt = time.UnixMicro(at).UTC()
		}
	})
}

var seq int

func BenchmarkProfileCreate(b *testing.B) {
	ctx := context.Background()
	s, db := benchDB(b)
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
		st, err := db.PrepareContext(ctx, "INSERT INTO profile (id, username, email, password_hash, type, role_id, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)")
		if err != nil {
			b.Fatal(err)
		}
		defer st.Close()
		for b.Loop() {
			seq++
			id, _ := g.Next()
			if _, err := st.ExecContext(ctx, int64(id), fmt.Sprint("r", seq), nil, nil, "user", nil, time.Now().UnixMicro()); err != nil {
				b.Fatal(err)
			}
		}
	})
}

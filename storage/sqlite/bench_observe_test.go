package sqlite_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/noetl/noetldb/noetl"
	"github.com/noetl/noetldb/storage"
	"github.com/noetl/noetldb/storage/sqlite"
	"github.com/noetl/noetldb/storage/trace"
)

// BenchmarkObserve measures what instrumentation costs, beside the raw
// driver and the plain store in the same run, on one database:
// "plain" is opened with no option, "nil" with a nil logger and hook (the
// same plain store), "logger" with a logger whose handler drops Debug,
// "hook" with a hook that does nothing.
//
//	go test ./storage/sqlite -run '^$' -bench Observe -benchmem -count 5
func BenchmarkObserve(b *testing.B) {
	ctx := context.Background()
	plain, db := benchDB(b)
	open := func(opts ...storage.Option) noetl.Store {
		s, err := sqlite.Open(ctx, "", append([]storage.Option{sqlite.WithDB(db), storage.WithShard(6), storage.WithoutMigrate()}, opts...)...)
		require.NoError(b, err)
		b.Cleanup(func() { s.Close() })
		return s
	}
	stores := []struct {
		name string
		s    noetl.Store
	}{
		{"plain", plain},
		{"nil", open(storage.WithLogger(nil), storage.WithHook(nil))},
		{"logger", open(storage.WithLogger(slog.New(slog.NewTextHandler(io.Discard, &slog.HandlerOptions{Level: slog.LevelInfo}))))},
		{"hook", open(storage.WithHook(trace.Funcs{}))},
	}
	p, err := plain.Profiles().Create(ctx, noetl.NewProfile{Username: "ann", Email: "ann@example.com", Type: noetl.ProfileUser})
	require.NoError(b, err)

	b.Run("ProfileGet/raw", func(b *testing.B) {
		b.ReportAllocs()
		st, err := db.PrepareContext(ctx, "SELECT id, username, email, password_hash, type, role_id, created_at FROM profile WHERE id = ?")
		require.NoError(b, err)
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
	for _, s := range stores {
		b.Run("ProfileGet/"+s.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := s.s.Profiles().Get(ctx, p.ID); err != nil {
					b.Fatal(err)
				}
			}
		})
	}

	n := 0
	b.Run("WorkloadPut/raw", func(b *testing.B) {
		b.ReportAllocs()
		st, err := db.PrepareContext(ctx, "INSERT INTO workload (execution_id, timestamp, data) VALUES (?, ?, ?)")
		require.NoError(b, err)
		defer st.Close()
		for b.Loop() {
			n++
			if _, err := st.ExecContext(ctx, int64(plain.IDs().MustNext()), time.Now().UnixMicro(), fmt.Sprintf("w%d", n)); err != nil {
				b.Fatal(err)
			}
		}
	})
	for _, s := range stores {
		b.Run("WorkloadPut/"+s.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				n++
				data := fmt.Sprintf("w%d", n)
				if _, err := s.s.Workloads().Put(ctx, noetl.NewWorkload{Data: &data}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

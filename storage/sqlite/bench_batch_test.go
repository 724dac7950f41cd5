package sqlite_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/noetl/noetldb/internal/benchcpu"
	"github.com/noetl/noetldb/noetl"
	"github.com/noetl/noetldb/snowflake"
)

// BenchmarkMessageBatch10k posts 10,000 messages to one chat of a SQLite
// file: the store's PostBatch beside the raw driver inserting the same rows
// in one transaction, through one prepared single-row insert (raw) and
// through the store's statement, 128 rows per prepared insert (raw-multi);
// and the store's Post 10,000 times in one InTx.
//
//	go test ./storage/sqlite -run '^$' -bench 'MessageBatch10k' -benchmem -count 5
func BenchmarkMessageBatch10k(b *testing.B) {
	const n, perStmt = 10_000, 128
	st, db := benchDB(b)
	ctx := context.Background()
	ann, err := st.Profiles().Create(ctx, noetl.NewProfile{Username: "ann", Type: noetl.ProfileUser})
	require.NoError(b, err)
	label, err := st.Labels().Create(ctx, noetl.NewLabel{Name: "bench"})
	require.NoError(b, err)
	chat, err := st.Chats().Create(ctx, ann.ID, noetl.NewChat{LabelID: label.ID, Name: "import"})
	require.NoError(b, err)
	batch := make([]noetl.NewMessage, n)
	fresh := func() {
		for i := range batch {
			batch[i] = noetl.NewMessage{ChatID: chat.ID, SenderType: noetl.SenderUser, SenderID: &ann.ID,
				Content: fmt.Sprintf("imported message %d", i)}
		}
	}
	b.Run("store", func(b *testing.B) {
		b.ReportAllocs()
		cpu := benchcpu.Start(b)
		defer cpu.Report()
		for b.Loop() {
			cpu.Stop()
			fresh()
			cpu.Resume()
			if _, err := st.Messages().PostBatch(ctx, batch); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(b.N*n)/b.Elapsed().Seconds(), "msgs/s")
	})
	row := "(?, ?, ?, ?, ?, ?, ?, ?, ?)"
	insert := "INSERT INTO message (id, chat_id, sender_type, sender_id, role, content, metadata, created_at, seq) VALUES "
	// raw writes the batch in one transaction, rows per prepared statement
	// (the last statement takes the rest one row each), seqs following the
	// chat's last.
	raw := func(b *testing.B, rows int) {
		first, err := st.IDs().Block(n)
		require.NoError(b, err)
		now := time.Now().UnixMicro()
		tx, err := db.BeginTx(ctx, nil)
		require.NoError(b, err)
		defer tx.Rollback()
		var seq int64
		require.NoError(b, tx.QueryRowContext(ctx, "SELECT last_message_seq FROM chat WHERE id = ?", int64(chat.ID)).Scan(&seq))
		multi, err := tx.PrepareContext(ctx, insert+strings.Repeat(row+", ", rows-1)+row)
		require.NoError(b, err)
		args := make([]any, 0, rows*9)
		i := 0
		for ; i+rows <= n; i += rows {
			args = args[:0]
			for j := i; j < i+rows; j++ {
				m := &batch[j]
				seq++
				args = append(args, int64(first+snowflake.ID(j)), int64(m.ChatID), string(m.SenderType), int64(*m.SenderID), nil,
					m.Content, nil, now, seq)
			}
			if _, err := multi.ExecContext(ctx, args...); err != nil {
				b.Fatal(err)
			}
		}
		require.NoError(b, multi.Close())
		if i < n {
			one, err := tx.PrepareContext(ctx, insert+row)
			require.NoError(b, err)
			for ; i < n; i++ {
				m := &batch[i]
				seq++
				if _, err := one.ExecContext(ctx, int64(first+snowflake.ID(i)), int64(m.ChatID), string(m.SenderType), int64(*m.SenderID), nil,
					m.Content, nil, now, seq); err != nil {
					b.Fatal(err)
				}
			}
			require.NoError(b, one.Close())
		}
		require.NoError(b, tx.Commit())
	}
	for _, r := range []struct {
		name string
		rows int
	}{{"raw", 1}, {"raw-multi", perStmt}} {
		b.Run(r.name, func(b *testing.B) {
			b.ReportAllocs()
			cpu := benchcpu.Start(b)
			defer cpu.Report()
			for b.Loop() {
				cpu.Stop()
				fresh()
				cpu.Resume()
				raw(b, r.rows)
			}
			b.ReportMetric(float64(b.N*n)/b.Elapsed().Seconds(), "msgs/s")
		})
	}
	b.Run("store-posts-in-tx", func(b *testing.B) {
		b.ReportAllocs()
		cpu := benchcpu.Start(b)
		defer cpu.Report()
		for b.Loop() {
			cpu.Stop()
			fresh()
			cpu.Resume()
			err := st.InTx(ctx, func(ctx context.Context, tx noetl.Store) error {
				for i := range batch {
					if _, err := tx.Messages().Post(ctx, batch[i]); err != nil {
						return err
					}
				}
				return nil
			})
			if err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(b.N*n)/b.Elapsed().Seconds(), "msgs/s")
	})
}

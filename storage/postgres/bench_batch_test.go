package postgres_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/noetl/noetldb/internal/benchcpu"
	"github.com/noetl/noetldb/noetl"
	"github.com/noetl/noetldb/snowflake"
)

// BenchmarkMessageBatch10k posts 10,000 messages to one chat: the store's
// PostBatch (checks, chat lock, seqs, COPY) beside raw pgx COPY of the same
// rows in a transaction, and the store's Post 10,000 times in one InTx.
//
//	go test ./storage/postgres -run '^$' -bench 'MessageBatch10k' -benchmem -count 5
func BenchmarkMessageBatch10k(b *testing.B) {
	const n = 10_000
	st, pool := benchDB(b)
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
	cols := []string{"id", "chat_id", "sender_type", "sender_id", "role", "content", "metadata", "created_at", "seq"}
	seq := int64(1 << 40)
	b.Run("raw-copy", func(b *testing.B) {
		b.ReportAllocs()
		cpu := benchcpu.Start(b)
		defer cpu.Report()
		for b.Loop() {
			cpu.Stop()
			fresh()
			cpu.Resume()
			first, err := st.IDs().Block(n)
			require.NoError(b, err)
			now := time.Now().UTC().Truncate(time.Microsecond)
			rows := make([][]any, n)
			for i := range batch {
				m := &batch[i]
				seq++
				rows[i] = []any{int64(first + snowflake.ID(i)), int64(m.ChatID), string(m.SenderType), int64(*m.SenderID), nil,
					m.Content, nil, now, seq}
			}
			tx, err := pool.Begin(ctx)
			require.NoError(b, err)
			if _, err := tx.CopyFrom(ctx, pgx.Identifier{benchSchema, "message"}, cols, pgx.CopyFromRows(rows)); err != nil {
				b.Fatal(err)
			}
			require.NoError(b, tx.Commit(ctx))
		}
		b.ReportMetric(float64(b.N*n)/b.Elapsed().Seconds(), "msgs/s")
	})
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

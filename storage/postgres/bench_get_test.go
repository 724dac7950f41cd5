package postgres_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/noetl/noetldb/internal/benchcpu"
	"github.com/noetl/noetldb/noetl"
)

// BenchmarkMessageGet reads one message as a member: the store's Get beside
// the raw driver running the statement the store sent, with its arguments.
//
//	go test ./storage/postgres -run '^$' -bench 'MessageGet' -benchmem -count 5
func BenchmarkMessageGet(b *testing.B) {
	st, raw := benchDB(b)
	ctx := context.Background()
	ann, err := st.Profiles().Create(ctx, noetl.NewProfile{Username: "ann", Type: noetl.ProfileUser})
	require.NoError(b, err)
	label, err := st.Labels().Create(ctx, noetl.NewLabel{Name: "bench"})
	require.NoError(b, err)
	chat, err := st.Chats().Create(ctx, ann.ID, noetl.NewChat{LabelID: label.ID, Name: "get"})
	require.NoError(b, err)
	m, err := st.Messages().Post(ctx, noetl.NewMessage{ChatID: chat.ID, SenderType: noetl.SenderUser, SenderID: &ann.ID,
		Role: "user", Content: "hello, world"})
	require.NoError(b, err)
	rs, rec := recordingStore(b, st)
	r := one(b, rec, "Get", func() error { _, err := rs.Messages().Get(ctx, ann.ID, m.ID); return err })
	b.Run("store", func(b *testing.B) {
		b.ReportAllocs()
		defer benchcpu.Start(b).Report()
		for b.Loop() {
			if _, err := st.Messages().Get(ctx, ann.ID, m.ID); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("raw", func(b *testing.B) {
		b.ReportAllocs()
		var d messageDest
		defer benchcpu.Start(b).Report()
		for b.Loop() {
			if n := rawRows(b, raw, r, d.cols()...); n != 1 {
				b.Fatalf("%d rows", n)
			}
		}
	})
}

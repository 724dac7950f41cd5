package postgres_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/noetl/noetldb/noetl"
)

// userSchema is the simplest schema a user would write by hand for chat
// messages: one table, one index, no foreign keys, no permissions.
const userSchema = `CREATE TABLE user_message (
	id BIGINT PRIMARY KEY, chat_id BIGINT NOT NULL, sender_id BIGINT, content TEXT NOT NULL,
	created_at TIMESTAMPTZ NOT NULL);
CREATE INDEX user_message_chat_idx ON user_message (chat_id, id)`

// BenchmarkUserSchema runs the same three operations through the store
// (its schema: foreign keys, membership checks, commit-order seq) and as a
// user would write them with pgx on userSchema, in the same database and
// run: post one message, get one by id, list a page of 50 oldest first.
//
//	go test ./storage/postgres -run '^$' -bench 'UserSchema' -benchmem -count 5
func BenchmarkUserSchema(b *testing.B) {
	const seeded = 1000
	st, pool := benchDB(b)
	ctx := context.Background()
	_, err := pool.Exec(ctx, userSchema)
	require.NoError(b, err)
	ann, err := st.Profiles().Create(ctx, noetl.NewProfile{Username: "ann", Type: noetl.ProfileUser})
	require.NoError(b, err)
	label, err := st.Labels().Create(ctx, noetl.NewLabel{Name: "bench"})
	require.NoError(b, err)
	chat, err := st.Chats().Create(ctx, ann.ID, noetl.NewChat{LabelID: label.ID, Name: "user"})
	require.NoError(b, err)
	seed := make([]noetl.NewMessage, seeded)
	for i := range seed {
		seed[i] = noetl.NewMessage{ChatID: chat.ID, SenderType: noetl.SenderUser, SenderID: &ann.ID, Content: fmt.Sprintf("seeded %d", i)}
	}
	stored, err := st.Messages().PostBatch(ctx, seed)
	require.NoError(b, err)
	rows := make([][]any, seeded)
	for i, m := range stored {
		rows[i] = []any{int64(m.ID), int64(chat.ID), int64(ann.ID), m.Content, m.CreatedAt}
	}
	_, err = pool.CopyFrom(ctx, pgx.Identifier{"user_message"}, []string{"id", "chat_id", "sender_id", "content", "created_at"}, pgx.CopyFromRows(rows))
	require.NoError(b, err)
	_, err = pool.Exec(ctx, "ANALYZE user_message; ANALYZE "+benchSchema+".message")
	require.NoError(b, err)
	in := noetl.NewMessage{ChatID: chat.ID, SenderType: noetl.SenderUser, SenderID: &ann.ID, Content: "hello, world"}
	id := stored[seeded/2].ID

	b.Run("Insert", func(b *testing.B) {
		b.Run("store", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := st.Messages().Post(ctx, in); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run("user", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				_, err := pool.Exec(ctx, "INSERT INTO user_message (id, chat_id, sender_id, content, created_at) VALUES ($1, $2, $3, $4, $5)",
					int64(st.IDs().MustNext()), int64(chat.ID), int64(ann.ID), in.Content, time.Now())
				if err != nil {
					b.Fatal(err)
				}
			}
		})
	})
	b.Run("Get", func(b *testing.B) {
		b.Run("store", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := st.Messages().Get(ctx, ann.ID, id); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run("user", func(b *testing.B) {
			b.ReportAllocs()
			var m userMessage
			for b.Loop() {
				err := pool.QueryRow(ctx, "SELECT id, chat_id, sender_id, content, created_at FROM user_message WHERE id = $1",
					int64(id)).Scan(m.dest()...)
				if err != nil {
					b.Fatal(err)
				}
			}
		})
	})
	b.Run("Page50", func(b *testing.B) {
		q := noetl.MessageQuery{Order: noetl.OldestFirst, Limit: 50}
		b.Run("store", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if p, err := st.Messages().List(ctx, ann.ID, chat.ID, q); err != nil || len(p.Items) != 50 {
					b.Fatal(err)
				}
			}
		})
		b.Run("user", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				rs, err := pool.Query(ctx, "SELECT id, chat_id, sender_id, content, created_at FROM user_message"+
					" WHERE chat_id = $1 ORDER BY id LIMIT $2", int64(chat.ID), 50)
				if err != nil {
					b.Fatal(err)
				}
				page := make([]userMessage, 0, 50)
				for rs.Next() {
					var m userMessage
					if err := rs.Scan(m.dest()...); err != nil {
						b.Fatal(err)
					}
					page = append(page, m)
				}
				if rs.Err() != nil || len(page) != 50 {
					b.Fatal(rs.Err(), len(page))
				}
			}
		})
	})
}

// userMessage is a row of the hand-written table.
type userMessage struct {
	id, chat int64
	sender   *int64
	content  string
	created  time.Time
}

func (m *userMessage) dest() []any { return []any{&m.id, &m.chat, &m.sender, &m.content, &m.created} }

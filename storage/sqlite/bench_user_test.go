package sqlite_test

import (
	"context"
	"database/sql"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/noetl/noetldb/noetl"
)

// userSchema is the simplest schema a user would write by hand for chat
// messages: one table, one index, no foreign keys, no permissions.
const userSchema = `CREATE TABLE user_message (
	id INTEGER PRIMARY KEY, chat_id INTEGER NOT NULL, sender_id INTEGER, content TEXT NOT NULL,
	created_at INTEGER NOT NULL);
CREATE INDEX user_message_chat_idx ON user_message (chat_id, id)`

// BenchmarkUserSchema runs the same three operations through the store
// (its schema: foreign keys, membership checks, commit-order seq) and as a
// user would write them with database/sql on userSchema, prepared, in the
// same database file and run: post one message, get one by id, list a page
// of 50 oldest first.
//
//	go test ./storage/sqlite -run '^$' -bench 'UserSchema' -benchmem -count 5
func BenchmarkUserSchema(b *testing.B) {
	const seeded = 1000
	st, db := benchDB(b)
	ctx := context.Background()
	_, err := db.ExecContext(ctx, userSchema)
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
	tx, err := db.BeginTx(ctx, nil)
	require.NoError(b, err)
	for _, m := range stored {
		_, err := tx.ExecContext(ctx, "INSERT INTO user_message VALUES (?, ?, ?, ?, ?)",
			int64(m.ID), int64(chat.ID), int64(ann.ID), m.Content, m.CreatedAt.UnixMicro())
		require.NoError(b, err)
	}
	require.NoError(b, tx.Commit())
	_, err = db.ExecContext(ctx, "ANALYZE")
	require.NoError(b, err)
	in := noetl.NewMessage{ChatID: chat.ID, SenderType: noetl.SenderUser, SenderID: &ann.ID, Content: "hello, world"}
	id := stored[seeded/2].ID
	prepared := func(b *testing.B, q string) *sql.Stmt { return prepare(b, db, q) }

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
			ins := prepared(b, "INSERT INTO user_message (id, chat_id, sender_id, content, created_at) VALUES (?, ?, ?, ?, ?)")
			b.ReportAllocs()
			for b.Loop() {
				if _, err := ins.ExecContext(ctx, int64(st.IDs().MustNext()), int64(chat.ID), int64(ann.ID), in.Content,
					time.Now().UnixMicro()); err != nil {
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
			get := prepared(b, "SELECT id, chat_id, sender_id, content, created_at FROM user_message WHERE id = ?")
			b.ReportAllocs()
			var m userMessage
			for b.Loop() {
				if err := get.QueryRowContext(ctx, int64(id)).Scan(m.dest()...); err != nil {
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
			list := prepared(b, "SELECT id, chat_id, sender_id, content, created_at FROM user_message WHERE chat_id = ? ORDER BY id LIMIT ?")
			b.ReportAllocs()
			for b.Loop() {
				rs, err := list.QueryContext(ctx, int64(chat.ID), int64(50))
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
				rs.Close()
			}
		})
	})
}

// userMessage is a row of the hand-written table.
type userMessage struct {
	id, chat, created int64
	sender            sql.NullInt64
	content           string
}

func (m *userMessage) dest() []any { return []any{&m.id, &m.chat, &m.sender, &m.content, &m.created} }

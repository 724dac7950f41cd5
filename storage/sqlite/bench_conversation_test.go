package sqlite_test

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/noetl/noetldb/internal/benchcpu"
	"github.com/noetl/noetldb/internal/sqlstore"
	"github.com/noetl/noetldb/internal/stmtlog"
	"github.com/noetl/noetldb/noetl"
	"github.com/noetl/noetldb/snowflake"
	"github.com/noetl/noetldb/storage"
	"github.com/noetl/noetldb/storage/sqlite"
)

// Conversation benchmarks: each store call runs beside the raw
// database/sql driver running the same SQL with the same arguments (taken
// from what the store sent, through a recorder) on the same database.
//
//	go test ./storage/sqlite -run '^$' -bench 'Conversation' -benchmem -count 5
//	NOETL_BENCH_1M=1 go test ./storage/sqlite -run '^$' -bench 'ConversationMessages/PageAtEnd' -benchmem -count 3

// recordingStore returns a store over st's own DB (same connections, same
// prepared-statement cache) whose every statement goes through a recorder.
func recordingStore(t testing.TB, st noetl.Store) (noetl.Store, *stmtlog.Recorder) {
	t.Helper()
	inner, ok := st.(*sqlstore.Store).Querier().(sqlstore.DB)
	require.True(t, ok)
	rec := stmtlog.New(inner)
	rs, err := sqlstore.New(sqlstore.Config{Dialect: sqlite.NewDialect(), DB: rec, IDs: st.IDs()})
	require.NoError(t, err)
	return rs, rec
}

// one runs call through the recorder and returns the single statement it
// sent, failing when it sent any other number.
func one(t testing.TB, rec *stmtlog.Recorder, what string, call func() error) stmtlog.Statement {
	t.Helper()
	rec.Take()
	require.NoError(t, call(), what)
	got := rec.Take()
	require.Len(t, got, 1, "%s sent %d statements", what, len(got))
	return got[0]
}

// benchDB opens a SQLite file as a store and as the raw *sql.DB under it.
func benchDB(t testing.TB, more ...storage.Option) (noetl.Store, *sql.DB) {
	t.Helper()
	dsn, err := sqlite.DSN(filepath.Join(t.TempDir(), "bench.db"))
	require.NoError(t, err)
	db, err := sql.Open("sqlite", dsn)
	require.NoError(t, err)
	db.SetMaxOpenConns(16)
	db.SetMaxIdleConns(16)
	t.Cleanup(func() { db.Close() })
	st, err := sqlite.Open(context.Background(), "", append([]storage.Option{sqlite.WithDB(db), storage.WithShard(5),
		storage.WithPasswordCost(4)}, more...)...)
	require.NoError(t, err)
	t.Cleanup(func() { st.Close() })
	return st, db
}

// labelTree is a seeded tree: its root, its size, and its deepest label
// with that label's path.
type labelTree struct {
	root, deepest snowflake.ID
	path          string
	total         int
}

// levelSizes is the shape of the benchmark tree: 10 levels, 10,000 labels,
// branching by 4 near the root and thinning towards the leaves.
var levelSizes = []int{1, 4, 16, 64, 256, 1024, 1500, 2000, 2500, 2635}

// seedLabelTree writes the levelSizes tree in one prepared transaction: the
// j-th label of a level goes under the (j mod n)-th label of the level
// above, so every label of a level has a parent and siblings are spread.
func seedLabelTree(t testing.TB, st noetl.Store, db *sql.DB) labelTree {
	t.Helper()
	ctx := context.Background()
	tx, err := db.BeginTx(ctx, nil)
	require.NoError(t, err)
	defer tx.Rollback()
	ins, err := tx.PrepareContext(ctx, "INSERT INTO label (id, parent_id, name, owner_id, created_at) VALUES (?, ?, ?, NULL, ?)")
	require.NoError(t, err)
	at := time.Now().UnixMicro()
	type node struct {
		id   snowflake.ID
		name string
	}
	var prev []node
	names := map[snowflake.ID]string{}
	parentOf := map[snowflake.ID]snowflake.ID{}
	total := 0
	for _, count := range levelSizes {
		cur := make([]node, count)
		for j := range cur {
			cur[j] = node{id: st.IDs().MustNext(), name: fmt.Sprintf("n%d", j)}
			var parent any
			if prev != nil {
				p := prev[j%len(prev)].id
				parent, parentOf[cur[j].id] = p, p
			}
			_, err = ins.ExecContext(ctx, cur[j].id, parent, cur[j].name, at)
			require.NoError(t, err)
			names[cur[j].id] = cur[j].name
		}
		total += count
		prev = cur
	}
	require.NoError(t, tx.Commit())
	deepest := prev[len(prev)-1].id
	var segs []string
	for id := deepest; ; {
		segs = append(segs, names[id])
		p, ok := parentOf[id]
		if !ok {
			break
		}
		id = p
	}
	slices.Reverse(segs)
	require.Len(t, segs, len(levelSizes))
	root := deepest
	for p, ok := parentOf[root]; ok; p, ok = parentOf[root] {
		root = p
	}
	return labelTree{root: root, deepest: deepest, path: "/" + strings.Join(segs, "/"), total: total}
}

// The checked-by item: on a tree 10 levels deep with 10,000 labels, subtree,
// path resolution, path and ancestors are each one statement. The recorder
// sees every statement the store sends, transactions included; chat creation
// is the control that it counts more than one when there is more than one.
func TestLabelTreeQueriesAreOneStatement(t *testing.T) {
	st, db := benchDB(t)
	tree := seedLabelTree(t, st, db)
	rs, rec := recordingStore(t, st)
	ctx := context.Background()

	s := one(t, rec, "Subtree", func() error {
		nodes, err := rs.Labels().Subtree(ctx, tree.root)
		require.Len(t, nodes, tree.total)
		require.Equal(t, 9, nodes[len(nodes)-1].Depth)
		return err
	})
	t.Logf("Subtree of %d labels: 1 statement: %s", tree.total, s.SQL)
	s = one(t, rec, "Resolve", func() error {
		l, err := rs.Labels().Resolve(ctx, tree.path)
		require.Equal(t, tree.deepest, l.ID)
		return err
	})
	t.Logf("Resolve %s: 1 statement: %s %v", tree.path, s.SQL, s.Args)
	s = one(t, rec, "Path", func() error {
		p, err := rs.Labels().Path(ctx, tree.deepest)
		require.Equal(t, tree.path, p)
		return err
	})
	t.Logf("Path: 1 statement: %s", s.SQL)
	one(t, rec, "Ancestors", func() error {
		a, err := rs.Labels().Ancestors(ctx, tree.deepest)
		require.Len(t, a, 9)
		return err
	})
	one(t, rec, "Resolve of a missing path", func() error {
		_, err := rs.Labels().Resolve(ctx, tree.path+"x")
		require.ErrorIs(t, err, noetl.ErrNotFound)
		return nil
	})

	ann, err := rs.Profiles().Create(ctx, noetl.NewProfile{Username: "ann", Type: noetl.ProfileUser})
	require.NoError(t, err)
	rec.Take()
	_, err = rs.Chats().Create(ctx, ann.ID, noetl.NewChat{LabelID: tree.root, Name: "control"})
	require.NoError(t, err)
	require.Len(t, rec.Take(), 2, "the control: creating a chat is two statements (chat, owner member)")
}

// rawRows runs a recorded query on the raw driver through a prepared
// statement (as the store does) and scans every row into dest's values.
func rawRows(b *testing.B, st *sql.Stmt, r stmtlog.Statement, dest ...any) int {
	rows, err := st.QueryContext(context.Background(), r.Args...)
	if err != nil {
		b.Fatal(err)
	}
	n := 0
	for rows.Next() {
		if err := rows.Scan(dest...); err != nil {
			b.Fatal(err)
		}
		n++
	}
	if err := rows.Err(); err != nil {
		b.Fatal(err)
	}
	rows.Close()
	return n
}

func prepare(b *testing.B, db *sql.DB, q string) *sql.Stmt {
	st, err := db.Prepare(q)
	require.NoError(b, err)
	b.Cleanup(func() { st.Close() })
	return st
}

// labelDest is where the raw driver scans a label row.
type labelDest struct {
	id, created   int64
	parent, owner sql.NullInt64
	name          string
	depth         int
}

func (l *labelDest) cols() []any {
	return []any{&l.id, &l.parent, &l.name, &l.owner, &l.created}
}

func BenchmarkConversationLabels(b *testing.B) {
	st, db := benchDB(b)
	tree := seedLabelTree(b, st, db)
	rs, rec := recordingStore(b, st)
	ctx := context.Background()

	b.Run("Resolve10Segments", func(b *testing.B) {
		r := one(b, rec, "Resolve", func() error { _, err := rs.Labels().Resolve(ctx, tree.path); return err })
		raw := prepare(b, db, r.SQL)
		b.Run("store", func(b *testing.B) {
			defer benchcpu.Start(b).Report()
			for b.Loop() {
				if _, err := st.Labels().Resolve(ctx, tree.path); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run("raw", func(b *testing.B) {
			var l labelDest
			defer benchcpu.Start(b).Report()
			for b.Loop() {
				if err := raw.QueryRowContext(ctx, r.Args...).Scan(l.cols()...); err != nil {
					b.Fatal(err)
				}
			}
		})
	})
	b.Run("Subtree10000", func(b *testing.B) {
		r := one(b, rec, "Subtree", func() error { _, err := rs.Labels().Subtree(ctx, tree.root); return err })
		raw := prepare(b, db, r.SQL)
		b.Run("store", func(b *testing.B) {
			defer benchcpu.Start(b).Report()
			for b.Loop() {
				if _, err := st.Labels().Subtree(ctx, tree.root); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run("raw", func(b *testing.B) {
			var l labelDest
			dest := append(l.cols(), &l.depth)
			defer benchcpu.Start(b).Report()
			for b.Loop() {
				if n := rawRows(b, raw, r, dest...); n != tree.total {
					b.Fatalf("%d rows", n)
				}
			}
		})
	})
	b.Run("Path10Levels", func(b *testing.B) {
		r := one(b, rec, "Path", func() error { _, err := rs.Labels().Path(ctx, tree.deepest); return err })
		raw := prepare(b, db, r.SQL)
		b.Run("store", func(b *testing.B) {
			defer benchcpu.Start(b).Report()
			for b.Loop() {
				if _, err := st.Labels().Path(ctx, tree.deepest); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run("raw", func(b *testing.B) {
			var l labelDest
			defer benchcpu.Start(b).Report()
			for b.Loop() {
				rawRows(b, raw, r, l.cols()...)
			}
		})
	})
}

// seedMessages writes n messages from sender into chat in one prepared
// transaction, one millisecond apart, ending a day ago.
func seedMessages(t testing.TB, st noetl.Store, db *sql.DB, chat, sender snowflake.ID, n int) {
	t.Helper()
	ctx := context.Background()
	tx, err := db.BeginTx(ctx, nil)
	require.NoError(t, err)
	defer tx.Rollback()
	ins, err := tx.PrepareContext(ctx, "INSERT INTO message (id, chat_id, sender_type, sender_id, role, content, metadata, created_at)"+
		" VALUES (?, ?, 'user', ?, NULL, ?, NULL, ?)")
	require.NoError(t, err)
	start := time.Now().Add(-24*time.Hour - time.Duration(n)*time.Millisecond).UnixMicro()
	for i := range n {
		_, err := ins.ExecContext(ctx, st.IDs().MustNext(), chat, sender, fmt.Sprintf("seeded message %d", i), start+int64(i)*1000)
		require.NoError(t, err)
	}
	require.NoError(t, tx.Commit())
}

// endCursor is the newest-first cursor whose page is the last one: the
// limit oldest messages of the chat.
func endCursor(b *testing.B, st noetl.Store, actor, chat snowflake.ID, limit int) string {
	p, err := st.Messages().List(context.Background(), actor, chat, noetl.MessageQuery{Order: noetl.OldestFirst, Limit: limit + 1})
	require.NoError(b, err)
	m := p.Items[limit]
	return sqlstore.EncodeCursor("message", [3]int64{1, m.CreatedAt.UnixMicro(), int64(m.ID)})
}

// rawMessagePage scans a list statement's rows into a new slice.
func rawMessagePage(b *testing.B, query func() (*sql.Rows, error)) []messageDest {
	rows, err := query()
	if err != nil {
		b.Fatal(err)
	}
	defer rows.Close()
	page := make([]messageDest, 0, 51)
	var seq int64
	for rows.Next() {
		page = append(page, messageDest{})
		m := &page[len(page)-1]
		if err := rows.Scan(&m.id, &m.chat, &m.kind, &m.sender, &m.role, &m.content, &m.meta, &m.created, &seq); err != nil {
			b.Fatal(err)
		}
	}
	if err := rows.Err(); err != nil {
		b.Fatal(err)
	}
	return page
}

// messageDest is where the raw driver scans a message row.
type messageDest struct {
	id, chat, created int64
	kind, content     string
	sender            sql.NullInt64
	role, meta        sql.NullString
}

func (m *messageDest) cols() []any {
	return []any{&m.id, &m.chat, &m.kind, &m.sender, &m.role, &m.content, &m.meta, &m.created}
}

func BenchmarkConversationMessages(b *testing.B) {
	st, db := benchDB(b)
	ctx := context.Background()
	ann, err := st.Profiles().Create(ctx, noetl.NewProfile{Username: "ann", Type: noetl.ProfileUser})
	require.NoError(b, err)
	label, err := st.Labels().Create(ctx, noetl.NewLabel{Name: "bench"})
	require.NoError(b, err)
	chat := func(name string, messages int) snowflake.ID {
		c, err := st.Chats().Create(ctx, ann.ID, noetl.NewChat{LabelID: label.ID, Name: name})
		require.NoError(b, err)
		seedMessages(b, st, db, c.ID, ann.ID, messages)
		return c.ID
	}
	rs, rec := recordingStore(b, st)

	b.Run("Post", func(b *testing.B) {
		posts := chat("posts", 0)
		in := noetl.NewMessage{ChatID: posts, SenderType: noetl.SenderUser, SenderID: &ann.ID, Content: "hello, world"}
		var posted noetl.Message
		r := one(b, rec, "Post", func() (err error) { posted, err = rs.Messages().Post(ctx, in); return err })
		id := slices.Index(r.Args, any(int64(posted.ID)))
		require.GreaterOrEqual(b, id, 0, "the message id among the statement's arguments")
		raw := prepare(b, db, r.SQL)
		b.Run("store", func(b *testing.B) {
			defer benchcpu.Start(b).Report()
			for b.Loop() {
				if _, err := st.Messages().Post(ctx, in); err != nil {
					b.Fatal(err)
				}
			}
		})
		// The store's statement, prepared on the raw driver.
		b.Run("raw", func(b *testing.B) {
			args := slices.Clone(r.Args)
			defer benchcpu.Start(b).Report()
			for b.Loop() {
				args[id] = int64(st.IDs().MustNext())
				if _, err := raw.ExecContext(ctx, args...); err != nil {
					b.Fatal(err)
				}
			}
		})
		// The plain insert: no membership guard, no ordering.
		b.Run("raw-insert", func(b *testing.B) {
			insert := prepare(b, db, "INSERT INTO message (id, chat_id, sender_type, sender_id, role, content, metadata, created_at)"+
				" VALUES (?, ?, ?, ?, ?, ?, ?, ?)")
			defer benchcpu.Start(b).Report()
			for b.Loop() {
				if _, err := insert.ExecContext(ctx, int64(st.IDs().MustNext()), int64(posts), "user", int64(ann.ID), nil,
					in.Content, nil, time.Now().UnixMicro()); err != nil {
					b.Fatal(err)
				}
			}
		})
	})

	big := chat("100k", 100_000)
	for _, page := range []struct {
		name  string
		after string
	}{{"First", ""}, {"End", endCursor(b, st, ann.ID, big, 50)}} {
		b.Run("Page50Of100k"+page.name, func(b *testing.B) {
			q := noetl.MessageQuery{Limit: 50, After: page.after}
			r := one(b, rec, "List", func() error { _, err := rs.Messages().List(ctx, ann.ID, big, q); return err })
			raw := prepare(b, db, r.SQL)
			b.Run("store", func(b *testing.B) {
				defer benchcpu.Start(b).Report()
				for b.Loop() {
					p, err := st.Messages().List(ctx, ann.ID, big, q)
					if err != nil || len(p.Items) != 50 {
						b.Fatal(err, len(p.Items))
					}
				}
			})
			b.Run("raw", func(b *testing.B) {
				var m messageDest
				var seq int64
				dest := append(m.cols(), &seq) // a list reads seq too
				defer benchcpu.Start(b).Report()
				for b.Loop() {
					if n := rawRows(b, raw, r, dest...); n < 50 {
						b.Fatalf("%d rows", n)
					}
				}
			})
			// A hand-written list function: the same statement, its rows
			// returned as a slice, as the store returns its page.
			b.Run("raw-collect", func(b *testing.B) {
				defer benchcpu.Start(b).Report()
				for b.Loop() {
					if page := rawMessagePage(b, func() (*sql.Rows, error) { return raw.QueryContext(ctx, r.Args...) }); len(page) < 50 {
						b.Fatalf("%d rows", len(page))
					}
				}
			})
		})
	}

	// The last page of a chat costs the same whatever its length: compare a
	// 1,000-message chat with a 1,000,000-message one (seeded only when
	// NOETL_BENCH_1M=1: about a minute) or, by default, a 100,000 one.
	sizes := []struct {
		name string
		n    int
	}{{"1k", 1000}, {"100k", 0}}
	if os.Getenv("NOETL_BENCH_1M") == "1" {
		sizes = append(sizes, struct {
			name string
			n    int
		}{"1M", 1_000_000})
	}
	for _, size := range sizes {
		id := big
		if size.n > 0 {
			id = chat(size.name, size.n)
		}
		q := noetl.MessageQuery{Limit: 50, After: endCursor(b, st, ann.ID, id, 50)}
		b.Run("PageAtEnd/"+size.name, func(b *testing.B) {
			defer benchcpu.Start(b).Report()
			for b.Loop() {
				p, err := st.Messages().List(ctx, ann.ID, id, q)
				if err != nil || len(p.Items) != 50 || p.Next != "" {
					b.Fatal(err, len(p.Items), p.Next)
				}
			}
		})
	}
}

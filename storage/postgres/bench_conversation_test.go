package postgres_test

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"

	"github.com/noetl/noetldb/internal/benchcpu"
	"github.com/noetl/noetldb/internal/pgtest"
	"github.com/noetl/noetldb/internal/sqlstore"
	"github.com/noetl/noetldb/internal/stmtlog"
	"github.com/noetl/noetldb/noetl"
	"github.com/noetl/noetldb/snowflake"
	"github.com/noetl/noetldb/storage"
	"github.com/noetl/noetldb/storage/postgres"
)

// Conversation benchmarks: each store call runs beside the raw pgx pool
// running the same SQL with the same arguments (taken from what the store
// sent, through a recorder) on the same database.
//
//	go test ./storage/postgres -run '^$' -bench 'Conversation' -benchmem -count 5
//	NOETL_BENCH_1M=1 go test ./storage/postgres -run '^$' -bench 'ConversationMessages/PageAtEnd' -benchmem -count 3

const benchSchema = "bench"

// recordingStore returns a store over st's own pool whose every statement
// goes through a recorder.
func recordingStore(t testing.TB, st noetl.Store) (noetl.Store, *stmtlog.Recorder) {
	t.Helper()
	inner, ok := st.(*sqlstore.Store).Querier().(sqlstore.DB)
	require.True(t, ok)
	rec := stmtlog.New(inner)
	rs, err := sqlstore.New(sqlstore.Config{Dialect: postgres.NewDialect(benchSchema), DB: rec, IDs: st.IDs()})
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

// benchDB opens a fresh database as a store and as the raw pgx pool under it.
func benchDB(t testing.TB) (noetl.Store, *pgxpool.Pool) {
	t.Helper()
	pool, err := pgxpool.New(context.Background(), pgtest.NewDatabase(t))
	require.NoError(t, err)
	t.Cleanup(pool.Close)
	st, err := postgres.Open(context.Background(), "", postgres.WithPool(pool), postgres.WithSchema(benchSchema),
		storage.WithShard(5), storage.WithPasswordCost(4))
	require.NoError(t, err)
	t.Cleanup(func() { st.Close() })
	return st, pool
}

// copyRows writes rows with COPY, then vacuums the table and refreshes its
// statistics, as autovacuum would soon after a bulk load: done here, that
// work does not land in whichever timed loop runs next.
func copyRows(t testing.TB, pool *pgxpool.Pool, table string, cols []string, n int, row func(i int) []any) {
	t.Helper()
	ctx := context.Background()
	got, err := pool.CopyFrom(ctx, pgx.Identifier{benchSchema, table}, cols,
		pgx.CopyFromSlice(n, func(i int) ([]any, error) { return row(i), nil }))
	require.NoError(t, err)
	require.EqualValues(t, n, got)
	_, err = pool.Exec(ctx, "VACUUM (ANALYZE) "+benchSchema+"."+table)
	require.NoError(t, err)
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

// seedLabelTree writes the levelSizes tree with COPY: the j-th label of a
// level goes under the (j mod n)-th label of the level above.
func seedLabelTree(t testing.TB, st noetl.Store, pool *pgxpool.Pool) labelTree {
	t.Helper()
	at := time.Now().UTC()
	var rows [][]any
	var prev []snowflake.ID
	names := map[snowflake.ID]string{}
	parentOf := map[snowflake.ID]snowflake.ID{}
	for _, count := range levelSizes {
		cur := make([]snowflake.ID, count)
		for j := range cur {
			cur[j] = st.IDs().MustNext()
			name := fmt.Sprintf("n%d", j)
			var parent *int64
			if prev != nil {
				p := prev[j%len(prev)]
				parentOf[cur[j]] = p
				parent = ptr(int64(p))
			}
			rows = append(rows, []any{int64(cur[j]), parent, name, nil, at})
			names[cur[j]] = name
		}
		prev = cur
	}
	copyRows(t, pool, "label", []string{"id", "parent_id", "name", "owner_id", "created_at"}, len(rows), func(i int) []any { return rows[i] })
	deepest := prev[len(prev)-1]
	var segs []string
	root := deepest
	for id := deepest; ; {
		segs = append(segs, names[id])
		p, ok := parentOf[id]
		if !ok {
			root = id
			break
		}
		id = p
	}
	slices.Reverse(segs)
	require.Len(t, segs, len(levelSizes))
	return labelTree{root: root, deepest: deepest, path: "/" + strings.Join(segs, "/"), total: len(rows)}
}

func ptr[T any](v T) *T { return &v }

// The checked-by item: on a tree 10 levels deep with 10,000 labels, subtree,
// path resolution, path and ancestors are each one statement. The recorder
// sees every statement the store sends, transactions included; chat creation
// is the control that it counts more than one when there is more than one.
func TestLabelTreeQueriesAreOneStatement(t *testing.T) {
	st, pool := benchDB(t)
	tree := seedLabelTree(t, st, pool)
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

// rawRows runs a recorded query on the raw pool and scans every row into
// dest's values.
func rawRows(b *testing.B, pool *pgxpool.Pool, r stmtlog.Statement, dest ...any) int {
	rows, err := pool.Query(context.Background(), r.SQL, r.Args...)
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

// labelDest is where the raw driver scans a label row.
type labelDest struct {
	id            int64
	parent, owner *int64
	name          string
	created       time.Time
	depth         int
}

func (l *labelDest) cols() []any {
	return []any{&l.id, &l.parent, &l.name, &l.owner, &l.created}
}

func BenchmarkConversationLabels(b *testing.B) {
	st, pool := benchDB(b)
	tree := seedLabelTree(b, st, pool)
	rs, rec := recordingStore(b, st)
	ctx := context.Background()

	b.Run("Resolve10Segments", func(b *testing.B) {
		r := one(b, rec, "Resolve", func() error { _, err := rs.Labels().Resolve(ctx, tree.path); return err })
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
				if err := pool.QueryRow(ctx, r.SQL, r.Args...).Scan(l.cols()...); err != nil {
					b.Fatal(err)
				}
			}
		})
	})
	b.Run("Subtree10000", func(b *testing.B) {
		r := one(b, rec, "Subtree", func() error { _, err := rs.Labels().Subtree(ctx, tree.root); return err })
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
				if n := rawRows(b, pool, r, dest...); n != tree.total {
					b.Fatalf("%d rows", n)
				}
			}
		})
	})
	b.Run("Path10Levels", func(b *testing.B) {
		r := one(b, rec, "Path", func() error { _, err := rs.Labels().Path(ctx, tree.deepest); return err })
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
				rawRows(b, pool, r, l.cols()...)
			}
		})
	})
}

// seedMessages writes n messages from sender into chat with COPY, one
// millisecond apart, ending a day ago.
func seedMessages(t testing.TB, st noetl.Store, pool *pgxpool.Pool, chat, sender snowflake.ID, n int) {
	t.Helper()
	start := time.Now().UTC().Add(-24*time.Hour - time.Duration(n)*time.Millisecond).Truncate(time.Microsecond)
	copyRows(t, pool, "message", []string{"id", "chat_id", "sender_type", "sender_id", "content", "created_at"}, n, func(i int) []any {
		return []any{int64(st.IDs().MustNext()), int64(chat), "user", int64(sender), fmt.Sprintf("seeded message %d", i),
			start.Add(time.Duration(i) * time.Millisecond)}
	})
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
func rawMessagePage(b *testing.B, query func() (pgx.Rows, error)) []messageDest {
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
	id, chat      int64
	kind, content string
	sender        *int64
	role          *string
	meta          []byte
	created       time.Time
}

func (m *messageDest) cols() []any {
	return []any{&m.id, &m.chat, &m.kind, &m.sender, &m.role, &m.content, &m.meta, &m.created}
}

func BenchmarkConversationMessages(b *testing.B) {
	st, pool := benchDB(b)
	ctx := context.Background()
	ann, err := st.Profiles().Create(ctx, noetl.NewProfile{Username: "ann", Type: noetl.ProfileUser})
	require.NoError(b, err)
	label, err := st.Labels().Create(ctx, noetl.NewLabel{Name: "bench"})
	require.NoError(b, err)
	chat := func(name string, messages int) snowflake.ID {
		c, err := st.Chats().Create(ctx, ann.ID, noetl.NewChat{LabelID: label.ID, Name: name})
		require.NoError(b, err)
		if messages > 0 {
			seedMessages(b, st, pool, c.ID, ann.ID, messages)
		}
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
		b.Run("store", func(b *testing.B) {
			defer benchcpu.Start(b).Report()
			for b.Loop() {
				if _, err := st.Messages().Post(ctx, in); err != nil {
					b.Fatal(err)
				}
			}
		})
		// The store's statement, sent by the pool.
		b.Run("raw", func(b *testing.B) {
			args := slices.Clone(r.Args)
			defer benchcpu.Start(b).Report()
			for b.Loop() {
				args[id] = int64(st.IDs().MustNext())
				if _, err := pool.Exec(ctx, r.SQL, args...); err != nil {
					b.Fatal(err)
				}
			}
		})
		// The plain insert: no membership guard, no ordering lock.
		b.Run("raw-insert", func(b *testing.B) {
			insert := "INSERT INTO " + benchSchema + ".message (id, chat_id, sender_type, sender_id, role, content, metadata, created_at)" +
				" VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"
			defer benchcpu.Start(b).Report()
			for b.Loop() {
				if _, err := pool.Exec(ctx, insert, int64(st.IDs().MustNext()), int64(posts), "user", int64(ann.ID), nil,
					in.Content, nil, time.Now().UTC().Truncate(time.Microsecond)); err != nil {
					b.Fatal(err)
				}
			}
		})
	})

	// PostInTx: posts inside a caller's transaction, 50 a transaction, where
	// each statement runs under its own savepoint pipelined with it, beside
	// raw pgx running the same statement in its own transaction.
	b.Run("PostInTx", func(b *testing.B) {
		posts := chat("posts-in-tx", 0)
		in := noetl.NewMessage{ChatID: posts, SenderType: noetl.SenderUser, SenderID: &ann.ID, Content: "hello, world"}
		var posted noetl.Message
		r := one(b, rec, "Post", func() (err error) { posted, err = rs.Messages().Post(ctx, in); return err })
		id := slices.Index(r.Args, any(int64(posted.ID)))
		require.GreaterOrEqual(b, id, 0, "the message id among the statement's arguments")
		const perTx = 50
		b.Run("store", func(b *testing.B) {
			n := 0
			defer benchcpu.Start(b).Report()
			for n < b.N {
				err := st.InTx(ctx, func(ctx context.Context, tx noetl.Store) error {
					for i := 0; i < perTx && n < b.N; i, n = i+1, n+1 {
						if _, err := tx.Messages().Post(ctx, in); err != nil {
							return err
						}
					}
					return nil
				})
				if err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run("raw", func(b *testing.B) {
			args := slices.Clone(r.Args)
			n := 0
			defer benchcpu.Start(b).Report()
			for n < b.N {
				err := pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
					for i := 0; i < perTx && n < b.N; i, n = i+1, n+1 {
						args[id] = int64(st.IDs().MustNext())
						if _, err := tx.Exec(ctx, r.SQL, args...); err != nil {
							return err
						}
					}
					return nil
				})
				if err != nil {
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
					if n := rawRows(b, pool, r, dest...); n < 50 {
						b.Fatalf("%d rows", n)
					}
				}
			})
			// A hand-written list function: the same statement, its rows
			// returned as a slice, as the store returns its page.
			b.Run("raw-collect", func(b *testing.B) {
				defer benchcpu.Start(b).Report()
				for b.Loop() {
					if page := rawMessagePage(b, func() (pgx.Rows, error) { return pool.Query(ctx, r.SQL, r.Args...) }); len(page) < 50 {
						b.Fatalf("%d rows", len(page))
					}
				}
			})
		})
	}

	// The last page of a chat costs the same whatever its length: compare a
	// 1,000-message chat with a 1,000,000-message one (seeded only when
	// NOETL_BENCH_1M=1) or, by default, a 100,000 one.
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

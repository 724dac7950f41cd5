package postgres_test

import (
	"context"
	"fmt"
	"net/url"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/noetl/noetldb/noetl"
	"github.com/noetl/noetldb/storage"
	"github.com/noetl/noetldb/storage/postgres"
	"github.com/noetl/noetldb/storage/storagetest"
)

// PostgreSQL-only: a database whose default collation is a natural-language
// one (ICU en-US) must still list names in byte order, as SQLite does, so
// both engines page the same. SQLite has no locale collations to test.
func TestListsFollowByteOrderUnderALanguageCollation(t *testing.T) {
	ctx := context.Background()
	admin := sharedPool(t)
	name := fmt.Sprintf("icu_%d", schemas.Add(1))
	_, err := admin.Exec(ctx, "CREATE DATABASE "+name+" TEMPLATE template0 LOCALE_PROVIDER icu ICU_LOCALE 'en-US' LOCALE 'C'")
	require.NoError(t, err)
	t.Cleanup(func() { _, _ = admin.Exec(context.Background(), "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)") })
	u, err := url.Parse(admin.Config().ConnString())
	require.NoError(t, err)
	u.Path = "/" + name
	pool, err := pgxpool.New(ctx, u.String())
	require.NoError(t, err)
	t.Cleanup(pool.Close)
	s, err := postgres.Open(ctx, "", postgres.WithPool(pool), storage.WithShard(3))
	require.NoError(t, err)

	var sorted []string
	require.NoError(t, pool.QueryRow(ctx, "SELECT array_agg(n ORDER BY n) FROM unnest(ARRAY['b','B','a_b','ab','Z','a']) n").Scan(&sorted))
	require.NotEqual(t, []string{"B", "Z", "a", "a_b", "ab", "b"}, sorted, "the database collation is not byte order, or the test proves nothing")

	for _, n := range []string{"b", "B", "a_b", "ab", "Z", "a"} {
		_, err := s.Roles().Create(ctx, noetl.NewRole{Name: n})
		require.NoError(t, err)
	}
	var got []string
	q := noetl.RoleQuery{Limit: 2}
	for range 10 {
		p, err := s.Roles().List(ctx, q)
		require.NoError(t, err)
		for _, r := range p.Items {
			got = append(got, r.Name)
		}
		if p.Next == "" {
			break
		}
		q.After = p.Next
	}
	assert.Equal(t, []string{"B", "Z", "a", "a_b", "ab", "admin", "b", "bot", "user"}, got)
}

// PostgreSQL-only: every list, paged, on a database whose default
// collation is ICU en-US: the text-ordered lists come back in byte order and
// every list pages with its own cursors, as on SQLite.
func TestEveryListOnALanguageCollation(t *testing.T) {
	ctx := context.Background()
	admin := sharedPool(t)
	name := fmt.Sprintf("icu_%d", schemas.Add(1))
	_, err := admin.Exec(ctx, "CREATE DATABASE "+name+" TEMPLATE template0 LOCALE_PROVIDER icu ICU_LOCALE 'en-US' LOCALE 'C'")
	require.NoError(t, err)
	t.Cleanup(func() { _, _ = admin.Exec(context.Background(), "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)") })
	u, err := url.Parse(admin.Config().ConnString())
	require.NoError(t, err)
	u.Path = "/" + name
	pool, err := pgxpool.New(ctx, u.String())
	require.NoError(t, err)
	t.Cleanup(pool.Close)
	var sorted []string
	require.NoError(t, pool.QueryRow(ctx, "SELECT array_agg(n ORDER BY n) FROM unnest(ARRAY['b','B','a b','ab','Z','a']) n").Scan(&sorted))
	require.NotEqual(t, []string{"B", "Z", "a", "a b", "ab", "b"}, sorted, "the database collation is not byte order, or the test proves nothing")
	newStore := func(t *testing.T, o storagetest.StoreOptions) noetl.Store {
		opts := []storage.Option{}
		if o.Keyring != nil {
			opts = append(opts, storage.WithKeyring(o.Keyring))
		}
		return storeIn(t, pool, fmt.Sprintf("t%d", schemas.Add(1)), opts...)
	}
	storagetest.RunOrdering(t, storagetest.Harness{
		New:     func(t *testing.T) noetl.Store { return newStore(t, storagetest.StoreOptions{}) },
		NewWith: newStore,
	})
}

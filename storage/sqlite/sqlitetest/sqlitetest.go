// Package sqlitetest gives the tests of a program that uses noetldb a
// private, migrated, in-memory store. It imports only the standard library's
// testing, noetl and the SQLite backend, so a test binary that uses it links
// neither the conformance suite, testify nor pgx.
//
//	func TestSignup(t *testing.T) {
//		store := sqlitetest.New(t)
//		...
//	}
package sqlitetest

import (
	"context"
	"testing"

	"github.com/noetl/noetldb/noetl"
	"github.com/noetl/noetldb/storage/sqlite"
)

// New returns an isolated, migrated, in-memory SQLite store for one test,
// closed when the test ends (t.Cleanup). Every call gets its own private
// database, so tests using it may run with t.Parallel(). It costs about
// 2 ms (BenchmarkNew).
//
// Password hashing runs at bcrypt's minimum cost to keep tests quick; opts
// may override that and set a clock, a shard or a generator.
func New(t testing.TB, opts ...sqlite.Option) noetl.Store {
	t.Helper()
	s, err := Open(opts...)
	if err != nil {
		t.Fatalf("sqlitetest: open in-memory store: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("sqlitetest: close in-memory store: %v", err)
		}
	})
	return s
}

// Open is New without a test: the caller closes the store.
func Open(opts ...sqlite.Option) (noetl.Store, error) {
	all := append([]sqlite.Option{sqlite.WithPasswordCost(4)}, opts...)
	return sqlite.Open(context.Background(), sqlite.Memory, all...)
}

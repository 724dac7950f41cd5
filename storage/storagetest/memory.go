package storagetest

import (
	"context"
	"testing"

	"github.com/noetl/noetldb/noetl"
	"github.com/noetl/noetldb/storage"
	"github.com/noetl/noetldb/storage/sqlite"
)

// NewMemoryStore returns an isolated, migrated, in-memory SQLite store for
// one test of a program that uses noetldb, and closes it when the test ends
// (t.Cleanup). Every call gets its own private database, so tests using it
// may run with t.Parallel(). It costs about 2 ms (BenchmarkNewMemoryStore).
//
// Password hashing runs at bcrypt's minimum cost to keep tests quick; opts
// may override that and set a clock, a shard or a generator.
func NewMemoryStore(t testing.TB, opts ...storage.Option) noetl.Store {
	t.Helper()
	s, err := openMemory(opts)
	if err != nil {
		t.Fatalf("storagetest: open in-memory store: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("storagetest: close in-memory store: %v", err)
		}
	})
	return s
}

func openMemory(opts []storage.Option) (noetl.Store, error) {
	all := append([]storage.Option{storage.WithPasswordCost(4)}, opts...)
	return sqlite.Open(context.Background(), sqlite.Memory, all...)
}

package storagetest

import (
	"testing"

	"github.com/noetl/noetldb/noetl"
	"github.com/noetl/noetldb/storage"
	"github.com/noetl/noetldb/storage/sqlite/sqlitetest"
)

// NewMemoryStore is sqlitetest.New, kept for existing tests. Prefer
// sqlitetest.New: it does not link the conformance suite or testify into a
// program's test binary.
func NewMemoryStore(t testing.TB, opts ...storage.Option) noetl.Store {
	t.Helper()
	return sqlitetest.New(t, opts...)
}

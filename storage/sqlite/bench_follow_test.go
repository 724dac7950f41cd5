package sqlite_test

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/noetl/noetldb/storage/sqlite"
	"github.com/noetl/noetldb/storage/storagetest"
)

// Live feed: post-to-delivery latency with 1, 100 and 1,000 followers of
// one chat, on a WAL file.
//
//	go test ./storage/sqlite -run '^$' -bench 'Follow' -benchmem -count 3
func BenchmarkFollow(b *testing.B) {
	for _, n := range []int{1, 100, 1000} {
		b.Run(fmt.Sprintf("followers=%d", n), func(b *testing.B) {
			s, err := sqlite.Open(context.Background(), filepath.Join(b.TempDir(), "follow.db"), testOpts...)
			require.NoError(b, err)
			defer s.Close()
			storagetest.BenchFollow(b, s, n, nil)
		})
	}
}

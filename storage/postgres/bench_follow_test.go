package postgres_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/noetl/noetldb/storage/storagetest"
)

// Live feed: post-to-delivery latency with 1, 100 and 1,000 followers of
// one chat, and the server connections the database has while they
// follow (the store's pool and its one listener; server-conns).
//
//	go test ./storage/postgres -run '^$' -bench 'Follow' -benchmem -count 3
func BenchmarkFollow(b *testing.B) {
	for _, n := range []int{1, 100, 1000} {
		b.Run(fmt.Sprintf("followers=%d", n), func(b *testing.B) {
			s, pool := benchDB(b)
			storagetest.BenchFollow(b, s, n, func(b *testing.B) {
				var conns int
				require.NoError(b, pool.QueryRow(context.Background(),
					"SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()").Scan(&conns))
				b.ReportMetric(float64(conns), "server-conns")
			})
		})
	}
}

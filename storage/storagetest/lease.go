package storagetest

import (
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/noetl/noetldb/noetl"
	"github.com/noetl/noetldb/snowflake"
)

func init() { register("ids_shard_lease", testShardLease) }

func leasing(t *testing.T, h Harness) func(t *testing.T) (noetl.Store, error) {
	t.Helper()
	require.NotNil(t, h.NewLeasing, "the backend must lease id shards (Harness.NewLeasing)")
	return h.NewLeasing(t)
}

func mustLease(t *testing.T, open func(t *testing.T) (noetl.Store, error)) noetl.Store {
	t.Helper()
	s, err := open(t)
	require.NoError(t, err)
	return s
}

// A store opened with no shard leases one from the database, so stores that
// forget WithShard never issue the same id.
func testShardLease(t *testing.T, h Harness) {
	t.Run("LeasedShardIsNeitherTheDatabasesNorOneThatMeetsPythonIds", func(t *testing.T) {
		s := mustLease(t, leasing(t, h))
		require.NotContains(t, []int{0, 1, 16}, s.IDs().Shard())
	})
	t.Run("LiveStoresLeaseDistinctShardsAndWriteWithoutConflict", func(t *testing.T) {
		open := leasing(t, h)
		stores := []noetl.Store{mustLease(t, open), mustLease(t, open), mustLease(t, open)}
		seen := map[int]bool{}
		for _, s := range stores {
			require.False(t, seen[s.IDs().Shard()], "shard %d leased twice", s.IDs().Shard())
			seen[s.IDs().Shard()] = true
		}
		var wg sync.WaitGroup
		errs := make(chan error, 3*100)
		for i, s := range stores {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for j := range 100 {
					_, err := s.Labels().Create(ctx(t), noetl.NewLabel{Name: string(rune('a'+i)) + "-" + string(rune('a'+j/26)) + string(rune('a'+j%26))})
					errs <- err
				}
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			require.NoError(t, err)
		}
	})
	t.Run("ClosingAStoreFreesItsShard", func(t *testing.T) {
		open := leasing(t, h)
		a := mustLease(t, open)
		shard := a.IDs().Shard()
		require.NoError(t, a.Close())
		b := mustLease(t, open)
		require.Equal(t, shard, b.IDs().Shard(), "the freed shard is the first free one again")
	})
	t.Run("EveryShardLeasedRefusesToOpenUntilOneCloses", func(t *testing.T) {
		open := leasing(t, h)
		held := make([]noetl.Store, 0, len(snowflake.LeaseOrder))
		for range snowflake.LeaseOrder {
			held = append(held, mustLease(t, open))
		}
		_, err := open(t)
		require.ErrorIs(t, err, noetl.ErrConflict)
		require.NoError(t, held[3].Close())
		s := mustLease(t, open)
		require.Equal(t, held[3].IDs().Shard(), s.IDs().Shard())
	})
}

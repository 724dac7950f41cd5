package postgres_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/noetl/noetldb/noetl"
)

// A COPY batch cancelled while the server is taking its rows leaves nothing
// written. PostgreSQL-only: the conformance suite cannot see a COPY's
// progress; here pg_stat_progress_copy (PostgreSQL 14+) shows rows arriving
// before the cancel, so the cancel lands midway and not before or after.
func TestEventBatchCancelledMidwayWritesNothing(t *testing.T) {
	pool := sharedPool(t)
	name := fmt.Sprintf("t%d", schemas.Add(1))
	s := storeIn(t, pool, name)
	bg := context.Background()
	w, err := s.Workloads().Put(bg, noetl.NewWorkload{})
	require.NoError(t, err)
	const n = 100_000
	batch := make([]noetl.Event, n)
	for i := range batch {
		batch[i] = noetl.Event{ExecutionID: w.ExecutionID, Status: execPtr("RUNNING"), NodeID: execPtr("step")}
	}

	c, cancel := context.WithCancel(bg)
	defer cancel()
	seen := make(chan int64, 1)
	go func() {
		defer close(seen)
		deadline := time.Now().Add(30 * time.Second)
		for time.Now().Before(deadline) {
			var done int64
			err := pool.QueryRow(bg, "SELECT coalesce(max(tuples_processed), 0) FROM pg_stat_progress_copy WHERE relid = $1::regclass",
				name+".event_log").Scan(&done)
			if err == nil && done > 0 {
				cancel()
				seen <- done
				return
			}
			time.Sleep(200 * time.Microsecond)
		}
	}()
	err = s.Events().AppendBatch(c, batch)
	processed, ok := <-seen
	require.True(t, ok, "the COPY was seen taking rows")
	require.ErrorIs(t, err, context.Canceled)
	assert.Less(t, processed, int64(n), "cancelled before the last row")
	t.Logf("cancelled after the server had taken %d of %d rows", processed, n)
	var count int64
	require.NoError(t, pool.QueryRow(bg, "SELECT count(*) FROM "+name+".event_log").Scan(&count))
	assert.Zero(t, count, "nothing of the cancelled batch was written")
	// The store is usable afterwards.
	require.NoError(t, s.Events().AppendBatch(bg, batch[:10:10]))
}

func execPtr[T any](v T) *T { return &v }

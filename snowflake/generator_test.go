package snowflake_test

import (
	"errors"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/noetl/noetldb/snowflake"
)

// testClock is a settable clock, safe for concurrent use.
type testClock struct{ ns atomic.Int64 }

func newTestClock(t time.Time) *testClock {
	c := new(testClock)
	c.Set(t)
	return c
}

func (c *testClock) Now() time.Time      { return time.Unix(0, c.ns.Load()).UTC() }
func (c *testClock) Set(t time.Time)     { c.ns.Store(t.UnixNano()) }
func (c *testClock) Add(d time.Duration) { c.ns.Add(int64(d)) }

func newTestGenerator(t testing.TB, shard int, c *testClock) *snowflake.Generator {
	t.Helper()
	g, err := snowflake.NewGenerator(shard, snowflake.WithClock(c.Now))
	require.NoError(t, err)
	return g
}

// blocked runs call in a goroutine, checks that it is still blocked after a
// while, then runs release and returns call's results.
func blocked(t *testing.T, call func() (snowflake.ID, error), release func()) (snowflake.ID, error) {
	t.Helper()
	type result struct {
		id  snowflake.ID
		err error
	}
	done := make(chan result, 1)
	go func() {
		id, err := call()
		done <- result{id, err}
	}()
	select {
	case r := <-done:
		t.Fatalf("returned %v, %v without waiting for the clock", r.id, r.err)
	case <-time.After(50 * time.Millisecond):
	}
	release()
	select {
	case r := <-done:
		return r.id, r.err
	case <-time.After(5 * time.Second):
		t.Fatal("still blocked after the clock moved on")
		return 0, nil
	}
}

var t0 = time.Date(2025, 3, 4, 5, 6, 7, 89e6, time.UTC)

func TestNewGeneratorShard(t *testing.T) {
	for _, shard := range []int{-1, 32, 1 << 20} {
		g, err := snowflake.NewGenerator(shard)
		require.ErrorIs(t, err, snowflake.ErrShard, "shard %d", shard)
		require.Nil(t, g)
	}
	for _, shard := range []int{0, 1, 2, 31} {
		g, err := snowflake.NewGenerator(shard)
		require.NoError(t, err)
		require.Equal(t, shard, g.Shard())
		require.Equal(t, shard, g.MustNext().Shard())
	}
}

func TestNextFields(t *testing.T) {
	c := newTestClock(t0)
	g := newTestGenerator(t, 2, c)

	for seq := range 3 {
		id, err := g.Next()
		require.NoError(t, err)
		require.Equal(t, t0, id.Time())
		require.Equal(t, 2, id.Shard())
		require.Equal(t, seq, id.Sequence())
	}

	// A new millisecond restarts the sequence; sub-millisecond steps do not.
	c.Add(1500 * time.Microsecond)
	id := g.MustNext()
	require.Equal(t, t0.Add(time.Millisecond), id.Time())
	require.Equal(t, 0, id.Sequence())
	c.Add(400 * time.Microsecond)
	id = g.MustNext()
	require.Equal(t, t0.Add(time.Millisecond), id.Time())
	require.Equal(t, 1, id.Sequence())
}

func TestDefaultClock(t *testing.T) {
	for _, opts := range [][]snowflake.Option{nil, {snowflake.WithClock(nil)}} {
		g, err := snowflake.NewGenerator(7, opts...)
		require.NoError(t, err)
		before := time.Now().Truncate(time.Millisecond)
		id := g.MustNext()
		after := time.Now()
		require.Equal(t, 7, id.Shard())
		require.False(t, id.Time().Before(before), "%v before %v", id.Time(), before)
		require.False(t, id.Time().After(after), "%v after %v", id.Time(), after)
	}
}

func TestConcurrentUniqueAndOrdered(t *testing.T) {
	const goroutines = 8
	perGoroutine := 1_000_000
	if testing.Short() {
		perGoroutine = 100_000
	}
	g, err := snowflake.NewGenerator(3)
	require.NoError(t, err)

	ids := make([][]snowflake.ID, goroutines)
	var wg sync.WaitGroup
	for i := range ids {
		ids[i] = make([]snowflake.ID, perGoroutine)
		wg.Go(func() {
			for j := range ids[i] {
				ids[i][j] = g.MustNext()
			}
		})
	}
	wg.Wait()

	all := make([]snowflake.ID, 0, goroutines*perGoroutine)
	for i, s := range ids {
		for j := 1; j < len(s); j++ {
			if s[j] <= s[j-1] {
				t.Fatalf("goroutine %d: id %d = %d follows %d", i, j, s[j], s[j-1])
			}
		}
		all = append(all, s...)
	}
	slices.Sort(all)
	for i := 1; i < len(all); i++ {
		if all[i] == all[i-1] {
			t.Fatalf("duplicate id %d", all[i])
		}
	}
	for _, id := range []snowflake.ID{all[0], all[len(all)-1]} {
		require.Equal(t, 3, id.Shard())
		require.WithinDuration(t, time.Now(), id.Time(), time.Minute)
	}
}

func TestFullSequenceThenNextMillisecond(t *testing.T) {
	c := newTestClock(t0)
	g := newTestGenerator(t, 4, c)

	first := g.MustNext()
	prev := first
	for seq := 1; seq <= snowflake.MaxSequence; seq++ {
		id := g.MustNext()
		if id != prev+1 {
			t.Fatalf("sequence %d: id %d does not follow %d", seq, id, prev)
		}
		prev = id
	}
	require.Equal(t, t0, first.Time())
	require.Equal(t, 0, first.Sequence())
	require.Equal(t, t0, prev.Time())
	require.Equal(t, 4, prev.Shard())
	require.Equal(t, snowflake.MaxSequence, prev.Sequence())

	// The millisecond is used up: Next waits for the clock.
	id, err := blocked(t, g.Next, func() { c.Add(time.Millisecond) })
	require.NoError(t, err)
	require.Greater(t, id, prev)
	require.Equal(t, t0.Add(time.Millisecond), id.Time())
	require.Equal(t, 0, id.Sequence())
	require.Equal(t, 4, id.Shard())
}

func TestClockStepsBack(t *testing.T) {
	c := newTestClock(t0)
	g := newTestGenerator(t, 5, c)

	prev := g.MustNext()
	for range 9 {
		prev = g.MustNext()
	}
	require.Equal(t, 9, prev.Sequence())

	// Ten seconds back: the generator carries on from where it was, moves on
	// to the next logical millisecond when the sequence runs out, and never
	// waits for the clock.
	c.Add(-10 * time.Second)
	start := time.Now()
	n := snowflake.MaxSequence + 1 + 1000
	for i := range n {
		id := g.MustNext()
		if id <= prev {
			t.Fatalf("id %d: %d does not follow %d", i, id, prev)
		}
		prev = id
	}
	require.Less(t, time.Since(start), 5*time.Second)
	require.Equal(t, t0.Add(time.Millisecond), prev.Time())
	require.Equal(t, 1000+9, prev.Sequence())

	// Blocks too.
	first, err := g.Block(snowflake.MaxSequence)
	require.NoError(t, err)
	require.Greater(t, first, prev)
	require.Equal(t, t0.Add(2*time.Millisecond), first.Time())

	// When the clock catches up, ids follow it again.
	c.Set(t0.Add(5 * time.Millisecond))
	id := g.MustNext()
	require.Equal(t, t0.Add(5*time.Millisecond), id.Time())
	require.Equal(t, 0, id.Sequence())
}

func TestClockBeforeEpoch(t *testing.T) {
	c := newTestClock(time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC))
	g := newTestGenerator(t, 6, c)

	var prev snowflake.ID
	for range 100 {
		id := g.MustNext()
		require.Greater(t, id, prev)
		require.Equal(t, snowflake.Epoch, id.Time())
		prev = id
	}
	first, err := g.Block(snowflake.MaxSequence + 1)
	require.NoError(t, err)
	require.Equal(t, snowflake.Epoch.Add(time.Millisecond), first.Time())
}

func TestBlock(t *testing.T) {
	c := newTestClock(t0)
	g := newTestGenerator(t, 9, c)

	for _, n := range []int{0, -1, snowflake.MaxSequence + 2} {
		_, err := g.Block(n)
		require.ErrorIs(t, err, snowflake.ErrBlockSize, "n=%d", n)
	}

	first, err := g.Block(1000)
	require.NoError(t, err)
	require.Equal(t, 0, first.Sequence())
	last := first + 999
	require.Equal(t, t0, last.Time())
	require.Equal(t, 9, last.Shard())
	require.Equal(t, 999, last.Sequence())
	require.Equal(t, last+1, g.MustNext())

	// A whole millisecond's sequence fits only in a fresh millisecond.
	first, err = blocked(t,
		func() (snowflake.ID, error) { return g.Block(snowflake.MaxSequence + 1) },
		func() { c.Add(time.Millisecond) })
	require.NoError(t, err)
	require.Equal(t, t0.Add(time.Millisecond), first.Time())
	require.Equal(t, 0, first.Sequence())
	last = first + snowflake.MaxSequence
	require.Equal(t, t0.Add(time.Millisecond), last.Time())
	require.Equal(t, 9, last.Shard())
	require.Equal(t, snowflake.MaxSequence, last.Sequence())

	// A block that does not fit the rest of a millisecond waits for the next.
	c.Add(time.Millisecond)
	id := g.MustNext()
	_, err = g.Block(snowflake.MaxSequence - 10)
	require.NoError(t, err)
	first, err = blocked(t,
		func() (snowflake.ID, error) { return g.Block(11) },
		func() { c.Add(time.Millisecond) })
	require.NoError(t, err)
	require.Equal(t, id.Time().Add(time.Millisecond), first.Time())
	require.Equal(t, 0, first.Sequence())

	// Exactly the rest of a millisecond fits.
	_, err = g.Block(snowflake.MaxSequence - 21)
	require.NoError(t, err)
	first, err = g.Block(11)
	require.NoError(t, err)
	require.Equal(t, snowflake.MaxSequence-10, first.Sequence())
	require.Equal(t, snowflake.MaxSequence, (first + 10).Sequence())
}

func TestBlockConcurrentWithNext(t *testing.T) {
	g, err := snowflake.NewGenerator(10)
	require.NoError(t, err)

	type block struct {
		first snowflake.ID
		n     int
	}
	sizes := []int{1, 2, 7, 100, 1000, 4096}
	singles := make([][]snowflake.ID, 4)
	blocks := make([][]block, 4)

	var wg sync.WaitGroup
	for i := range singles {
		wg.Go(func() {
			for range 200_000 {
				singles[i] = append(singles[i], g.MustNext())
			}
		})
	}
	for i := range blocks {
		wg.Go(func() {
			for j := range 400 {
				n := sizes[(i+j)%len(sizes)]
				if j == 200 {
					n = snowflake.MaxSequence + 1
				}
				first, err := g.Block(n)
				if err != nil {
					t.Error(err)
					return
				}
				blocks[i] = append(blocks[i], block{first, n})
			}
		})
	}
	wg.Wait()

	var all []snowflake.ID
	for _, s := range singles {
		require.True(t, slices.IsSorted(s))
		all = append(all, s...)
	}
	for _, bs := range blocks {
		var prevLast snowflake.ID
		for _, b := range bs {
			last := b.first + snowflake.ID(b.n-1)
			require.Greater(t, b.first, prevLast)
			require.Equal(t, b.first.Time(), last.Time())
			require.Equal(t, 10, last.Shard())
			require.Equal(t, b.first.Sequence()+b.n-1, last.Sequence())
			for id := b.first; id <= last; id++ {
				all = append(all, id)
			}
			prevLast = last
		}
	}
	slices.Sort(all)
	for i := 1; i < len(all); i++ {
		if all[i] == all[i-1] {
			t.Fatalf("duplicate id %d", all[i])
		}
	}
}

func TestTimeOverflow(t *testing.T) {
	// Past the layout's end nothing is issued.
	c := newTestClock(snowflake.MaxTime.Add(time.Millisecond))
	g := newTestGenerator(t, 11, c)
	_, err := g.Next()
	require.ErrorIs(t, err, snowflake.ErrTimeOverflow)
	_, err = g.Block(1)
	require.ErrorIs(t, err, snowflake.ErrTimeOverflow)
	require.Panics(t, func() { g.MustNext() })

	// The last millisecond works, and ids are still positive.
	c.Set(snowflake.MaxTime)
	g = newTestGenerator(t, snowflake.MaxShard, c)
	id, err := g.Next()
	require.NoError(t, err)
	require.Positive(t, int64(id))
	require.Equal(t, snowflake.MaxTime, id.Time())
	first, err := g.Block(snowflake.MaxSequence)
	require.NoError(t, err)
	last := first + snowflake.MaxSequence - 1
	require.Equal(t, snowflake.ID(1<<63-1), last)

	// With the clock behind, the generator would move past the end: it fails.
	c.Add(-time.Second)
	_, err = g.Next()
	require.ErrorIs(t, err, snowflake.ErrTimeOverflow)
	_, err = g.Block(1)
	require.ErrorIs(t, err, snowflake.ErrTimeOverflow)

	// With the clock on the last millisecond, it waits, then fails.
	c.Set(snowflake.MaxTime)
	_, err = blocked(t, g.Next, func() { c.Add(time.Millisecond) })
	require.ErrorIs(t, err, snowflake.ErrTimeOverflow)
}

func TestZeroAllocations(t *testing.T) {
	g, err := snowflake.NewGenerator(12)
	require.NoError(t, err)
	require.Zero(t, testing.AllocsPerRun(1000, func() { _, _ = g.Next() }))
	require.Zero(t, testing.AllocsPerRun(1000, func() { _, _ = g.Block(1000) }))

	c := newTestClock(t0)
	g = newTestGenerator(t, 12, c)
	require.Zero(t, testing.AllocsPerRun(1000, func() { _, _ = g.Next() }))
}

func BenchmarkNext(b *testing.B) {
	g, err := snowflake.NewGenerator(2)
	require.NoError(b, err)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := g.Next(); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkNextParallel(b *testing.B) {
	g, err := snowflake.NewGenerator(2)
	require.NoError(b, err)
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := g.Next(); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

func BenchmarkBlock(b *testing.B) {
	const n = 1000
	g, err := snowflake.NewGenerator(2)
	require.NoError(b, err)
	b.ReportAllocs()
	blocks := 0
	for b.Loop() {
		if _, err := g.Block(n); err != nil {
			b.Fatal(err)
		}
		blocks++
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(blocks*n), "ns/id")
}

func TestSuspendRefusesIdsUntilResume(t *testing.T) {
	g, err := snowflake.NewGenerator(7)
	require.NoError(t, err)
	before, err := g.Next()
	require.NoError(t, err)
	cause := errors.New("lease lost")
	g.Suspend(cause)
	_, err = g.Next()
	require.ErrorIs(t, err, snowflake.ErrSuspended)
	require.ErrorIs(t, err, cause)
	_, err = g.Block(10)
	require.ErrorIs(t, err, snowflake.ErrSuspended)
	require.Panics(t, func() { g.MustNext() })
	g.Suspend(errors.New("a second cause replaces the first"))
	_, err = g.Next()
	require.NotErrorIs(t, err, cause)
	g.Resume()
	after, err := g.Next()
	require.NoError(t, err)
	require.Greater(t, after, before, "ids go on increasing after a suspension")
	g.Resume() // resuming a running generator does nothing
	_, err = g.Next()
	require.NoError(t, err)
}

func TestSuspendConcurrentWithNext(t *testing.T) {
	g, err := snowflake.NewGenerator(7)
	require.NoError(t, err)
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				if _, err := g.Next(); err != nil && !errors.Is(err, snowflake.ErrSuspended) {
					t.Error(err)
					return
				}
			}
		}()
	}
	for range 1000 {
		g.Suspend(errors.New("lost"))
		g.Resume()
	}
	close(stop)
	wg.Wait()
	_, err = g.Next()
	require.NoError(t, err)
}

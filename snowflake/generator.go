package snowflake

import (
	"fmt"
	"runtime"
	"sync/atomic"
	"time"
)

// Generator issues ids for one shard. It is safe for concurrent use by any
// number of goroutines, lock-free, and allocates nothing per id. Create one
// with NewGenerator; the zero value is not usable.
//
// Every id a generator issues is greater than all the ids it issued before
// (so the ids each goroutine receives strictly increase), and ids of
// generators with different shards never collide. The generator keeps the
// last (millisecond, sequence) pair it issued and, for each request, reads
// the clock once:
//
//   - If the clock is past the last millisecond, the generator moves to the
//     clock's millisecond and starts its sequence at 0.
//   - Otherwise it continues the last millisecond's sequence, using all
//     MaxSequence+1 values. This covers both many ids in one millisecond and
//     a clock that has gone backwards (or reads earlier than Epoch): ids
//     never go backwards with the clock.
//   - When the last millisecond's sequence is exhausted (or too little of it
//     is left for a Block) and the clock still reads that millisecond, the
//     generator waits, spinning briefly, for the next millisecond. If the
//     clock reads an earlier millisecond, waiting could take as long as the
//     clock stepped back, so instead the generator moves on to the next
//     logical millisecond at once: ids stay unique and increasing, and their
//     times run ahead of the clock until it catches up.
//
// Past MaxTime, Next and Block fail with ErrTimeOverflow rather than wrap
// around or issue negative ids.
//
// By default the generator reads the wall clock every 100ms and in between
// adds the time elapsed on the monotonic clock, a read that costs about
// half as much as time.Now. A step of the wall clock is therefore seen
// within 100ms.
type Generator struct {
	// state is the last id issued without its shard bits:
	// milliseconds since Epoch << 23 | sequence.
	state     atomic.Int64
	shardBits int64
	shard     int
	clock     func() time.Time // nil means wall
	wall      wallClock
	// suspended is why the generator issues no ids; nil while it does.
	suspended atomic.Pointer[error]
}

// Option configures a Generator in NewGenerator.
type Option func(*options)

type options struct {
	clock func() time.Time
}

// WithClock makes the generator read the time from clock instead of the
// system clock. It is meant for tests. The generator calls clock once per
// Next or Block, and repeatedly while it waits for the next millisecond, so
// clock must be safe for concurrent use if the generator is shared. A nil
// clock selects the system clock.
func WithClock(clock func() time.Time) Option {
	return func(o *options) { o.clock = clock }
}

// NewGenerator returns a generator for shard, which must be in 0..MaxShard
// (otherwise the error wraps ErrShard). Shard 1 belongs to the database
// function noetl.snowflake_id(), and two generators alive at the same time
// must never share a shard; see the package documentation.
func NewGenerator(shard int, opts ...Option) (*Generator, error) {
	if shard < 0 || shard > MaxShard {
		return nil, fmt.Errorf("%w: %d not in 0..%d", ErrShard, shard, MaxShard)
	}
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	g := &Generator{
		shardBits: int64(shard) << shardShift,
		shard:     shard,
		clock:     o.clock,
	}
	if g.clock == nil {
		g.wall.init()
	}
	return g, nil
}

// Shard returns the generator's shard.
func (g *Generator) Shard() int {
	return g.shard
}

// Next returns a new id, greater than every id the generator has issued
// before. Its errors wrap ErrTimeOverflow, once the clock (or the
// generator's logical time) is past MaxTime, or ErrSuspended while the
// generator is suspended.
func (g *Generator) Next() (ID, error) {
	return g.reserve(1)
}

// MustNext is like Next but panics on error, which happens only when the
// generator has run past MaxTime (in 2058) and would return ErrTimeOverflow,
// or while it is suspended (Suspend). Use Next where a suspension can
// happen, as with the generator of a store that leased its shard.
func (g *Generator) MustNext() ID {
	id, err := g.reserve(1)
	if err != nil {
		panic(err)
	}
	return id
}

// Block reserves n consecutive ids, first through first+ID(n-1), and
// returns the first. The ids all belong to one millisecond and so differ
// only in their sequence numbers; all are greater than every id the
// generator issued before and less than every id it issues after. n must be
// in 1..MaxSequence+1, or the error wraps ErrBlockSize. If the rest of the
// current millisecond's sequence is too short for n ids, the block goes to
// the next millisecond, as described on Generator; the skipped sequence
// numbers are not used. The other possible errors wrap ErrTimeOverflow or
// ErrSuspended, as for Next.
//
// Block reads the clock once however large n is, which makes it the cheap
// way to obtain many ids.
func (g *Generator) Block(n int) (first ID, err error) {
	if n < 1 || n > MaxSequence+1 {
		return 0, fmt.Errorf("%w: %d not in 1..%d", ErrBlockSize, n, MaxSequence+1)
	}
	return g.reserve(int64(n))
}

// Suspend makes the generator issue no ids until Resume: Next and Block
// return an error wrapping ErrSuspended and err, and MustNext panics with
// it. An owner that can no longer vouch for holding the generator's shard
// suspends it, since another generator may now hold that shard: a store
// whose shard lease was lost does, until it has the lease again. A second
// Suspend replaces err. An id being issued as Suspend is called may still
// be issued.
func (g *Generator) Suspend(err error) {
	err = fmt.Errorf("%w: shard %d: %w", ErrSuspended, g.shard, err)
	g.suspended.Store(&err)
}

// Resume ends a suspension: the generator issues ids again, each greater
// than every id issued before the suspension. Resuming a generator that is
// not suspended does nothing.
func (g *Generator) Resume() { g.suspended.Store(nil) }

// reserve claims n (1..MaxSequence+1) consecutive sequence numbers in one
// millisecond and returns the first id.
func (g *Generator) reserve(n int64) (ID, error) {
	if err := g.suspended.Load(); err != nil {
		return 0, *err
	}
	now := g.millis()
	for {
		old := g.state.Load()
		last := old >> timeShift
		var first int64
		switch {
		case now > last:
			if now > MaxMillis {
				return 0, g.overflow(now)
			}
			first = now << timeShift
		case MaxSequence-(old&MaxSequence) >= n:
			first = old + 1
		default:
			now = g.pastMillisecond(last)
			continue
		}
		if g.state.CompareAndSwap(old, first+n-1) {
			return ID(first | g.shardBits), nil
		}
	}
}

// Waiting for the next millisecond spins with runtime.Gosched, which keeps
// the wait short (timer sleeps can overshoot a millisecond by far), and
// falls back to sleeping when the clock seems stuck, as a test clock can be.
const (
	waitSpins = 1 << 15
	waitSleep = 100 * time.Microsecond
)

// pastMillisecond is called when millisecond last is used up. It returns
// the clock's next millisecond, waiting for it if the clock reads last, or
// last+1 if the clock reads an earlier millisecond.
func (g *Generator) pastMillisecond(last int64) int64 {
	for i := 0; ; i++ {
		now := g.millis()
		switch {
		case now > last:
			return now
		case now < last:
			return last + 1
		}
		if i < waitSpins {
			runtime.Gosched()
		} else {
			time.Sleep(waitSleep)
		}
	}
}

func (g *Generator) overflow(ms int64) error {
	return fmt.Errorf("%w: shard %d reached %s, past %s", ErrTimeOverflow, g.shard,
		time.UnixMilli(EpochMillis+ms).UTC().Format(time.RFC3339Nano),
		MaxTime.Format(time.RFC3339Nano))
}

// millis returns the clock's milliseconds since Epoch.
func (g *Generator) millis() int64 {
	if g.clock != nil {
		return g.clock().UnixMilli() - EpochMillis
	}
	return g.wall.millis()
}

// wallSync is how often the default clock rereads the wall clock.
const wallSync = 100 * time.Millisecond

// wallClock reads the wall clock in milliseconds since Epoch. It reads
// time.Now at most every wallSync and in between adds the elapsed
// monotonic time, which costs one clock read instead of two.
type wallClock struct {
	start  time.Time    // carries a monotonic reading
	offset atomic.Int64 // wall Unix ns minus monotonic ns since start
	sync   atomic.Int64 // monotonic ns since start of the next wall read
}

func (c *wallClock) init() {
	c.start = time.Now()
	c.resync()
}

func (c *wallClock) millis() int64 {
	mono := int64(time.Since(c.start))
	if mono >= c.sync.Load() {
		return c.resync()
	}
	return (mono+c.offset.Load())/int64(time.Millisecond) - EpochMillis
}

// resync reads the wall clock, records its offset from the monotonic clock
// and returns it in milliseconds since Epoch. Concurrent calls are harmless:
// each stores an offset that was correct when it was read.
func (c *wallClock) resync() int64 {
	now := time.Now()
	mono := int64(now.Sub(c.start))
	c.offset.Store(now.UnixNano() - mono)
	c.sync.Store(mono + int64(wallSync))
	return now.UnixMilli() - EpochMillis
}

// LeaseOrder is the order in which noetldb's stores try shards when they
// lease one: every shard but 1 (the database function's) and 0 and 16 (the
// ones that meet ids of NoETL's Python server on its default node; see the
// package doc).
var LeaseOrder = []int{2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15,
	17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31}

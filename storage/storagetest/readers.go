package storagetest

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/noetl/noetldb/noetl"
	"github.com/noetl/noetldb/snowflake"
)

func init() { register("readers_never_skip", testReadersNeverSkip) }

// follower reads a growing list the way a tailing reader does: it pages
// oldest-first to the end, and later continues from the cursor its last
// non-empty page returned, again and again.
type follower[T any] struct {
	list  func(ctx context.Context, after string) (noetl.Page[T], error)
	id    func(T) snowflake.ID
	limit int
	after string
	seen  []snowflake.ID
}

// catchUp pages from the follower's cursor to the current end of the list.
func (f *follower[T]) catchUp(t *testing.T) {
	t.Helper()
	for pages := 0; ; pages++ {
		require.Less(t, pages, 100000, "paging does not end")
		p, err := f.list(ctx(t), f.after)
		require.NoError(t, err)
		require.LessOrEqual(t, len(p.Items), f.limit)
		for _, v := range p.Items {
			f.seen = append(f.seen, f.id(v))
		}
		if len(p.Items) > 0 {
			require.NotEmpty(t, p.Next, "a non-empty page of a followed list returns the cursor to continue from")
		}
		if p.Next != "" {
			f.after = p.Next
		}
		if len(p.Items) < f.limit {
			return
		}
	}
}

// follow pages the list from its start until done reports the writers have
// finished, then once more.
func (f *follower[T]) follow(t *testing.T, done func() bool) {
	t.Helper()
	for passes := 0; ; passes++ {
		last := done()
		f.catchUp(t)
		if last {
			return
		}
		require.Less(t, passes, 1000000, "the writers do not finish")
	}
}

// messageFollower follows a chat's messages oldest-first as actor.
func messageFollower(s noetl.Store, actor, chat snowflake.ID, limit int) *follower[noetl.Message] {
	return &follower[noetl.Message]{limit: limit, id: func(m noetl.Message) snowflake.ID { return m.ID },
		list: func(ctx context.Context, after string) (noetl.Page[noetl.Message], error) {
			return s.Messages().List(ctx, actor, chat, noetl.MessageQuery{Order: noetl.OldestFirst, Limit: limit, After: after})
		}}
}

// eventFollower follows an execution's events.
func eventFollower(s noetl.Store, exec snowflake.ID, limit int) *follower[noetl.Event] {
	return &follower[noetl.Event]{limit: limit, id: func(e noetl.Event) snowflake.ID { return e.EventID },
		list: func(ctx context.Context, after string) (noetl.Page[noetl.Event], error) {
			return s.Events().List(ctx, exec, noetl.EventQuery{Limit: limit, After: after})
		}}
}

// requireSeenOnce checks that a follower saw every written id exactly once
// and in the order a fresh listing shows now the writers are done.
func requireSeenOnce(t *testing.T, seen, listed, written []snowflake.ID) {
	t.Helper()
	times := map[snowflake.ID]int{}
	for _, id := range seen {
		times[id]++
	}
	var repeated, skipped []snowflake.ID
	for id, n := range times {
		if n > 1 {
			repeated = append(repeated, id)
		}
	}
	for _, id := range written {
		if times[id] == 0 {
			skipped = append(skipped, id)
		}
	}
	require.Empty(t, repeated, "the follower saw %d rows more than once", len(repeated))
	require.Empty(t, skipped, "the follower skipped %d of %d rows written", len(skipped), len(written))
	require.Len(t, listed, len(written), "a fresh listing holds every row written")
	require.Equal(t, listed, seen, "the follower saw the rows in list order")
}

// writers runs n goroutines, each calling write(w, i) for i in 0..each-1,
// and returns the ids they wrote and a function reporting whether all have
// finished. Errors fail t.
func writers(t *testing.T, n, each int, write func(w, i int) ([]snowflake.ID, error)) (func() []snowflake.ID, func() bool) {
	var mu sync.Mutex
	var written []snowflake.ID
	var running atomic.Int64
	running.Store(int64(n))
	var wg sync.WaitGroup
	for w := range n {
		wg.Go(func() {
			defer running.Add(-1)
			for i := range each {
				ids, err := write(w, i)
				if err != nil {
					t.Errorf("writer %d, write %d: %v", w, i, err)
					return
				}
				mu.Lock()
				written = append(written, ids...)
				mu.Unlock()
			}
		})
	}
	t.Cleanup(wg.Wait)
	return func() []snowflake.ID {
			wg.Wait()
			return written
		}, func() bool {
			return running.Load() == 0
		}
}

// tailWriters is how many goroutines write while a follower reads.
const tailWriters = 8

func testReadersNeverSkip(t *testing.T, h Harness) {
	t.Run("MessagesOldestFirstSeeEveryPostOnceWhileEightWritersPost", func(t *testing.T) {
		s := h.New(t)
		c := newConvo(t, s)
		followMessagesWhileWriting(t, c, func(int) noetl.Store { return s }, nil)
	})
	t.Run("EventsSeeEveryAppendOnceWhileEightWritersAppend", func(t *testing.T) {
		s := h.New(t)
		followEventsWhileWriting(t, func(int) noetl.Store { return s }, nil)
	})
	if h.NewShared != nil {
		t.Run("MessagesFromTwoStoresOnOneDatabaseAreSeenOnce", func(t *testing.T) {
			open := h.NewShared(t)
			stores := []noetl.Store{open(t), open(t)}
			c := newConvo(t, stores[0])
			followMessagesWhileWriting(t, c, func(w int) noetl.Store { return stores[w%2] }, stores[0].IDs())
		})
		t.Run("EventsFromTwoStoresOnOneDatabaseAreSeenOnce", func(t *testing.T) {
			open := h.NewShared(t)
			stores := []noetl.Store{open(t), open(t)}
			followEventsWhileWriting(t, func(w int) noetl.Store { return stores[w%2] }, stores[0].IDs())
		})
	}
	t.Run("MessagePostedInALongTransactionIsSeenAfterAnotherCommittedMeanwhile", func(t *testing.T) {
		s := h.New(t)
		c := newConvo(t, s)
		f := messageFollower(s, c.cat.ID, c.chat.ID, 4)
		before := c.post(t, c.chat.ID, c.ann, "before")
		f.catchUp(t)
		var late, other noetl.Message
		longTxWhileAnotherWrites(t, s, func(ctx context.Context, tx noetl.Store) (err error) {
			late, err = tx.Messages().Post(ctx, noetl.NewMessage{ChatID: c.chat.ID, SenderType: noetl.SenderUser, SenderID: &c.bob.ID, Content: "in a transaction"})
			return err
		}, func() (err error) {
			other, err = s.Messages().Post(ctx(t), noetl.NewMessage{ChatID: c.chat.ID, SenderType: noetl.SenderUser, SenderID: &c.cat.ID, Content: "meanwhile"})
			return err
		}, func() { f.catchUp(t) })
		f.catchUp(t)
		requireSeenOnce(t, f.seen, listedMessages(t, s, c), []snowflake.ID{before.ID, late.ID, other.ID})
	})
	t.Run("EventAppendedInALongTransactionIsSeenAfterAnotherCommittedMeanwhile", func(t *testing.T) {
		s := h.New(t)
		exec := newWorkload(t, s)
		f := eventFollower(s, exec, 4)
		before, err := s.Events().Append(ctx(t), noetl.Event{ExecutionID: exec})
		require.NoError(t, err)
		f.catchUp(t)
		var late, other noetl.Event
		longTxWhileAnotherWrites(t, s, func(ctx context.Context, tx noetl.Store) (err error) {
			late, err = tx.Events().Append(ctx, noetl.Event{ExecutionID: exec, Status: ptr("in a transaction")})
			return err
		}, func() (err error) {
			other, err = s.Events().Append(ctx(t), noetl.Event{ExecutionID: exec, Status: ptr("meanwhile")})
			return err
		}, func() { f.catchUp(t) })
		f.catchUp(t)
		requireSeenOnce(t, f.seen, listedEvents(t, s, exec), []snowflake.ID{before.EventID, late.EventID, other.EventID})
	})
	t.Run("BatchAppendedInALongTransactionIsSeenAfterAnotherCommittedMeanwhile", func(t *testing.T) {
		s := h.New(t)
		exec := newWorkload(t, s)
		f := eventFollower(s, exec, 4)
		f.catchUp(t)
		batch := make([]noetl.Event, 50)
		for i := range batch {
			batch[i] = noetl.Event{ExecutionID: exec, CurrentIndex: ptr(i)}
		}
		var other noetl.Event
		longTxWhileAnotherWrites(t, s, func(ctx context.Context, tx noetl.Store) error {
			return tx.Events().AppendBatch(ctx, batch)
		}, func() (err error) {
			other, err = s.Events().Append(ctx(t), noetl.Event{ExecutionID: exec, Status: ptr("meanwhile")})
			return err
		}, func() { f.catchUp(t) })
		f.catchUp(t)
		requireSeenOnce(t, f.seen, listedEvents(t, s, exec), append(eventIDs(batch), other.EventID))
	})
	t.Run("EventWithACallerIDBelowTheLastIsSeenByAFollower", func(t *testing.T) {
		s := h.New(t)
		exec := newWorkload(t, s)
		f := eventFollower(s, exec, 4)
		low := s.IDs().MustNext()
		high, err := s.Events().Append(ctx(t), noetl.Event{ExecutionID: exec})
		require.NoError(t, err)
		f.catchUp(t)
		_, err = s.Events().Append(ctx(t), noetl.Event{ExecutionID: exec, EventID: low})
		require.NoError(t, err)
		f.catchUp(t)
		requireSeenOnce(t, f.seen, listedEvents(t, s, exec), []snowflake.ID{high.EventID, low})
	})
	t.Run("MessagePostedWithAClockBehindIsSeenByAFollower", func(t *testing.T) {
		clock := newClock(t0)
		s := newWith(t, h, StoreOptions{Now: clock.Now})
		c := newConvo(t, s)
		f := messageFollower(s, c.cat.ID, c.chat.ID, 4)
		clock.Set(t0.Add(time.Hour))
		ahead := c.post(t, c.chat.ID, c.ann, "from a clock ahead")
		f.catchUp(t)
		clock.Set(t0)
		behind := c.post(t, c.chat.ID, c.bob, "from a clock behind")
		f.catchUp(t)
		requireSeenOnce(t, f.seen, listedMessages(t, s, c), []snowflake.ID{ahead.ID, behind.ID})
		require.Equal(t, t0, behind.CreatedAt, "created_at is the poster's clock; the list is in the order posted")
	})
	t.Run("MessagePostedAfterTheNewestWasDeletedIsSeenByAFollower", func(t *testing.T) {
		clock := newClock(t0)
		s := newWith(t, h, StoreOptions{Now: clock.Now})
		c := newConvo(t, s)
		f := messageFollower(s, c.cat.ID, c.chat.ID, 4)
		first := c.post(t, c.chat.ID, c.ann, "first")
		clock.Set(t0.Add(time.Hour))
		gone := c.post(t, c.chat.ID, c.ann, "deleted later")
		f.catchUp(t)
		require.NoError(t, s.Messages().Delete(ctx(t), c.ann.ID, gone.ID))
		clock.Set(t0.Add(time.Minute))
		after := c.post(t, c.chat.ID, c.bob, "after the delete")
		f.catchUp(t)
		require.Equal(t, []snowflake.ID{first.ID, gone.ID, after.ID}, f.seen)
		require.Equal(t, []snowflake.ID{first.ID, after.ID}, listedMessages(t, s, c))
	})
}

// followMessagesWhileWriting has tailWriters goroutines post to c's chat
// (writer w on store(w)) while a follower reads it, and checks the follower
// saw every message once, in list order. With ids set, the writers take
// message ids from it (stores opened with one shard would collide).
func followMessagesWhileWriting(t *testing.T, c *convo, store func(w int) noetl.Store, ids *snowflake.Generator) {
	senders := []noetl.Profile{c.ann, c.bob, c.cat}
	written, done := writers(t, tailWriters, 40, func(w, i int) ([]snowflake.ID, error) {
		in := noetl.NewMessage{ChatID: c.chat.ID, SenderType: noetl.SenderSystem, Content: fmt.Sprintf("w%d #%d", w, i)}
		if ids != nil {
			in.ID = ids.MustNext()
		}
		if i%2 == 0 {
			in.SenderType, in.SenderID = noetl.SenderUser, &senders[w%3].ID
		}
		m, err := store(w).Messages().Post(ctx(t), in)
		return []snowflake.ID{m.ID}, err
	})
	f := messageFollower(c.s, c.cat.ID, c.chat.ID, 5)
	f.follow(t, done)
	requireSeenOnce(t, f.seen, listedMessages(t, c.s, c), written())
}

// followEventsWhileWriting has tailWriters goroutines append to one
// execution (single events and small batches) while a follower reads it.
// With ids set, the writers take event ids from it, in advance, as a
// workflow engine with its own generator does.
func followEventsWhileWriting(t *testing.T, store func(w int) noetl.Store, ids *snowflake.Generator) {
	s := store(0)
	exec := newWorkload(t, s)
	written, done := writers(t, tailWriters, 30, func(w, i int) ([]snowflake.ID, error) {
		id := func() snowflake.ID {
			if ids == nil {
				return 0
			}
			return ids.MustNext()
		}
		if (w+i)%2 == 0 {
			e, err := store(w).Events().Append(ctx(t), noetl.Event{ExecutionID: exec, EventID: id(), WorkerID: ptr(fmt.Sprint(w)), CurrentIndex: ptr(i)})
			return []snowflake.ID{e.EventID}, err
		}
		batch := make([]noetl.Event, 3)
		for j := range batch {
			batch[j] = noetl.Event{ExecutionID: exec, EventID: id(), WorkerID: ptr(fmt.Sprint(w)), CurrentIndex: ptr(i)}
		}
		err := store(w).Events().AppendBatch(ctx(t), batch)
		return eventIDs(batch), err
	})
	f := eventFollower(s, exec, 5)
	f.follow(t, done)
	requireSeenOnce(t, f.seen, listedEvents(t, s, exec), written())
}

// longTxWhileAnotherWrites runs write in a transaction that stays open for
// a while after writing, runs other in another goroutine meanwhile (it may
// wait for the transaction), calls read repeatedly while the transaction is
// open, and returns when both have finished.
func longTxWhileAnotherWrites(t *testing.T, s noetl.Store, write func(ctx context.Context, tx noetl.Store) error, other func() error, read func()) {
	t.Helper()
	wrote := make(chan struct{})
	txDone := make(chan error, 1)
	go func() {
		txDone <- s.InTx(ctx(t), func(ctx context.Context, tx noetl.Store) error {
			err := write(ctx, tx)
			close(wrote)
			if err == nil {
				time.Sleep(300 * time.Millisecond) // the other write and the reads happen now
			}
			return err
		})
	}()
	<-wrote
	otherDone := make(chan error, 1)
	go func() { otherDone <- other() }()
	for open := true; open; {
		select {
		case err := <-txDone:
			require.NoError(t, err, "the long transaction")
			open = false
		default:
			read()
			time.Sleep(5 * time.Millisecond)
		}
	}
	require.NoError(t, <-otherDone, "the write beside the transaction")
}

// listedMessages lists c's chat oldest-first in one fresh pass.
func listedMessages(t *testing.T, s noetl.Store, c *convo) []snowflake.ID {
	t.Helper()
	return msgIDs(allPages(t, func(after string) (noetl.Page[noetl.Message], error) {
		return s.Messages().List(ctx(t), c.cat.ID, c.chat.ID, noetl.MessageQuery{Order: noetl.OldestFirst, Limit: noetl.MaxLimit, After: after})
	}))
}

// listedEvents lists an execution's events in one fresh pass.
func listedEvents(t *testing.T, s noetl.Store, exec snowflake.ID) []snowflake.ID {
	t.Helper()
	return eventIDs(allPages(t, func(after string) (noetl.Page[noetl.Event], error) {
		return s.Events().List(ctx(t), exec, noetl.EventQuery{Limit: noetl.MaxLimit, After: after})
	}))
}

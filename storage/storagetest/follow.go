package storagetest

import (
	"bytes"
	"context"
	"fmt"
	"iter"
	"runtime"
	"runtime/pprof"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/noetl/noetldb/noetl"
	"github.com/noetl/noetldb/snowflake"
)

func init() { register("follow", testFollow) }

// followWait bounds how long a feed waits for a row it expects.
const followWait = 20 * time.Second

// feed runs a follow in a goroutine of its own and hands over what it
// yields. The goroutine carries a pprof label unique to the feed, so the
// goroutines it leaves behind (any the follow started inherit the label)
// can be counted while other tests run in parallel.
type feed[T any] struct {
	rows   chan noetl.Followed[T]
	err    chan error
	cancel context.CancelFunc
	done   chan struct{}
	label  string
}

var feeds atomic.Int64

// catFollowing returns a store whose convo's cat follows the chat and has
// received ann's first post.
func catFollowing(t *testing.T, h Harness) (noetl.Store, *convo, *feed[noetl.Message]) {
	t.Helper()
	s := h.New(t)
	c := newConvo(t, s)
	f := startFeed(t, followMessages(s, c.cat.ID, c.chat.ID, ""))
	m := c.post(t, c.chat.ID, c.ann, "seen by cat")
	require.Equal(t, m.ID, f.next(t, 1)[0].Item.ID)
	return s, c, f
}

// startFeed starts following with seq.
func startFeed[T any](t *testing.T, seq func(ctx context.Context) iter.Seq2[noetl.Followed[T], error]) *feed[T] {
	t.Helper()
	c, cancel := context.WithCancel(context.Background())
	f := &feed[T]{rows: make(chan noetl.Followed[T], 4096), err: make(chan error, 1), cancel: cancel,
		done: make(chan struct{}), label: fmt.Sprintf("feed-%d-%d", time.Now().UnixNano(), feeds.Add(1))}
	go pprof.Do(c, pprof.Labels("noetl_feed", f.label), func(c context.Context) {
		defer close(f.done)
		for v, err := range seq(c) {
			if err != nil {
				f.err <- err
				return
			}
			select {
			case f.rows <- v:
			case <-c.Done():
				return
			}
		}
	})
	t.Cleanup(f.stop)
	return f
}

// stop cancels the follow and waits for its iteration to end.
func (f *feed[T]) stop() {
	f.cancel()
	<-f.done
}

// next returns the next n rows, failing t when they do not come in time
// or the follow fails.
func (f *feed[T]) next(t *testing.T, n int) []noetl.Followed[T] {
	t.Helper()
	out := make([]noetl.Followed[T], 0, n)
	deadline := time.After(followWait)
	for len(out) < n {
		select {
		case v := <-f.rows:
			out = append(out, v)
		case err := <-f.err:
			require.NoError(t, err, "the follow failed after %d of %d rows", len(out), n)
		case <-deadline:
			require.Failf(t, "rows missing", "the follow yielded %d of %d rows in %v", len(out), n, followWait)
		}
	}
	return out
}

// quiet checks that nothing more is yielded for a while.
func (f *feed[T]) quiet(t *testing.T) {
	t.Helper()
	select {
	case v := <-f.rows:
		require.Failf(t, "a row too many", "the follow yielded a row nobody wrote since: %+v", v.Item)
	case err := <-f.err:
		require.NoError(t, err)
	case <-time.After(150 * time.Millisecond):
	}
}

// failure waits for the follow's error.
func (f *feed[T]) failure(t *testing.T) error {
	t.Helper()
	select {
	case v := <-f.rows:
		require.Failf(t, "a row after the refusal", "the follow yielded %+v", v.Item)
	case err := <-f.err:
		return err
	case <-time.After(followWait):
		require.Fail(t, "the follow did not fail")
	}
	return nil
}

// goroutines counts the live goroutines carrying the feed's label.
func (f *feed[T]) goroutines() int {
	var b bytes.Buffer
	_ = pprof.Lookup("goroutine").WriteTo(&b, 1)
	n := 0
	for _, g := range strings.Split(b.String(), "\n\n") {
		if strings.Contains(g, `"noetl_feed":"`+f.label+`"`) {
			n++
		}
	}
	return n
}

func followMessages(s noetl.Store, actor, chat snowflake.ID, after string) func(context.Context) iter.Seq2[noetl.Followed[noetl.Message], error] {
	return func(c context.Context) iter.Seq2[noetl.Followed[noetl.Message], error] {
		return s.Messages().Follow(c, actor, chat, after)
	}
}

func followEvents(s noetl.Store, exec snowflake.ID, after string) func(context.Context) iter.Seq2[noetl.Followed[noetl.Event], error] {
	return func(c context.Context) iter.Seq2[noetl.Followed[noetl.Event], error] {
		return s.Events().Follow(c, exec, after)
	}
}

func followedMessageIDs(rows []noetl.Followed[noetl.Message]) []snowflake.ID {
	ids := make([]snowflake.ID, len(rows))
	for i, r := range rows {
		ids[i] = r.Item.ID
	}
	return ids
}

func followedEventIDs(rows []noetl.Followed[noetl.Event]) []snowflake.ID {
	ids := make([]snowflake.ID, len(rows))
	for i, r := range rows {
		ids[i] = r.Item.EventID
	}
	return ids
}

func testFollow(t *testing.T, h Harness) {
	t.Run("MessagesComeInListOrderThenEachNewPost", func(t *testing.T) {
		s := h.New(t)
		c := newConvo(t, s)
		var want []snowflake.ID
		for i := range 3 {
			want = append(want, c.post(t, c.chat.ID, c.ann, fmt.Sprint("before ", i)).ID)
		}
		f := startFeed(t, followMessages(s, c.cat.ID, c.chat.ID, ""))
		require.Equal(t, want, followedMessageIDs(f.next(t, 3)), "the messages committed before the follow, in list order")
		for i := range 3 {
			m := c.post(t, c.chat.ID, c.bob, fmt.Sprint("after ", i))
			want = append(want, m.ID)
			require.Equal(t, m.ID, f.next(t, 1)[0].Item.ID, "each new post arrives as it commits")
		}
		f.quiet(t)
		require.Equal(t, listedMessages(t, s, c), want)
	})
	t.Run("EventsComeInListOrderThenEachNewAppend", func(t *testing.T) {
		s := h.New(t)
		exec := newWorkload(t, s)
		first, err := s.Events().Append(ctx(t), noetl.Event{ExecutionID: exec})
		require.NoError(t, err)
		f := startFeed(t, followEvents(s, exec, ""))
		require.Equal(t, []snowflake.ID{first.EventID}, followedEventIDs(f.next(t, 1)))
		batch := []noetl.Event{{ExecutionID: exec}, {ExecutionID: exec}, {ExecutionID: exec}}
		require.NoError(t, s.Events().AppendBatch(ctx(t), batch))
		require.Equal(t, eventIDs(batch), followedEventIDs(f.next(t, 3)), "a batch arrives whole, in slice order")
		last, err := s.Events().Append(ctx(t), noetl.Event{ExecutionID: exec})
		require.NoError(t, err)
		require.Equal(t, last.EventID, f.next(t, 1)[0].Item.EventID)
		f.quiet(t)
	})
	t.Run("ABatchPostArrivesWholeInSliceOrder", func(t *testing.T) {
		s := h.New(t)
		c := newConvo(t, s)
		first := c.post(t, c.chat.ID, c.ann, "before")
		f := startFeed(t, followMessages(s, c.cat.ID, c.chat.ID, ""))
		require.Equal(t, first.ID, f.next(t, 1)[0].Item.ID, "the follow is waiting before the batch")
		in := make([]noetl.NewMessage, 5)
		for i := range in {
			in[i] = noetl.NewMessage{ChatID: c.chat.ID, SenderType: noetl.SenderUser, SenderID: &c.bob.ID, Content: fmt.Sprint("batch ", i)}
		}
		posted, err := s.Messages().PostBatch(ctx(t), in)
		require.NoError(t, err)
		want := make([]snowflake.ID, len(posted))
		for i, m := range posted {
			want[i] = m.ID
		}
		require.Equal(t, want, followedMessageIDs(f.next(t, len(want))), "the batch wakes its chat's followers")
		f.quiet(t)
	})
	t.Run("MessagesPostedInATransactionComeAfterItCommits", func(t *testing.T) {
		s := h.New(t)
		c := newConvo(t, s)
		f := startFeed(t, followMessages(s, c.cat.ID, c.chat.ID, ""))
		var m noetl.Message
		require.NoError(t, s.InTx(ctx(t), func(ctx context.Context, tx noetl.Store) (err error) {
			m, err = tx.Messages().Post(ctx, noetl.NewMessage{ChatID: c.chat.ID, SenderType: noetl.SenderUser, SenderID: &c.ann.ID, Content: "in a transaction"})
			return err
		}))
		require.Equal(t, m.ID, f.next(t, 1)[0].Item.ID)
		f.quiet(t)
	})
	t.Run("MessagesFromEightWritersComeExactlyOnce", func(t *testing.T) {
		s := h.New(t)
		c := newConvo(t, s)
		f := startFeed(t, followMessages(s, c.cat.ID, c.chat.ID, ""))
		senders := []noetl.Profile{c.ann, c.bob, c.cat}
		written, _ := writers(t, tailWriters, 25, func(w, i int) ([]snowflake.ID, error) {
			in := noetl.NewMessage{ChatID: c.chat.ID, SenderType: noetl.SenderUser, SenderID: &senders[w%3].ID, Content: fmt.Sprintf("w%d #%d", w, i)}
			m, err := s.Messages().Post(ctx(t), in)
			return []snowflake.ID{m.ID}, err
		})
		ids := written()
		seen := followedMessageIDs(f.next(t, len(ids)))
		f.quiet(t)
		requireSeenOnce(t, seen, listedMessages(t, s, c), ids)
	})
	t.Run("EventsFromEightWritersComeExactlyOnce", func(t *testing.T) {
		s := h.New(t)
		exec := newWorkload(t, s)
		f := startFeed(t, followEvents(s, exec, ""))
		written, _ := writers(t, tailWriters, 20, func(w, i int) ([]snowflake.ID, error) {
			if (w+i)%2 == 0 {
				e, err := s.Events().Append(ctx(t), noetl.Event{ExecutionID: exec, WorkerID: ptr(fmt.Sprint(w))})
				return []snowflake.ID{e.EventID}, err
			}
			batch := []noetl.Event{{ExecutionID: exec}, {ExecutionID: exec}, {ExecutionID: exec}}
			err := s.Events().AppendBatch(ctx(t), batch)
			return eventIDs(batch), err
		})
		ids := written()
		seen := followedEventIDs(f.next(t, len(ids)))
		f.quiet(t)
		requireSeenOnce(t, seen, listedEvents(t, s, exec), ids)
	})
	t.Run("AFollowResumesFromTheCursorOfTheLastRowItYielded", func(t *testing.T) {
		s := h.New(t)
		c := newConvo(t, s)
		a := c.post(t, c.chat.ID, c.ann, "a")
		b := c.post(t, c.chat.ID, c.ann, "b")
		f := startFeed(t, followMessages(s, c.cat.ID, c.chat.ID, ""))
		got := f.next(t, 2)
		f.stop()
		cc := c.post(t, c.chat.ID, c.bob, "c")
		again := startFeed(t, followMessages(s, c.cat.ID, c.chat.ID, got[0].Cursor))
		require.Equal(t, []snowflake.ID{b.ID, cc.ID}, followedMessageIDs(again.next(t, 2)))
		again.quiet(t)
		// A Next of the oldest-first List is a cursor Follow takes.
		p, err := s.Messages().List(ctx(t), c.cat.ID, c.chat.ID, noetl.MessageQuery{Order: noetl.OldestFirst, Limit: 1})
		require.NoError(t, err)
		require.Equal(t, a.ID, p.Items[0].ID)
		fromList := startFeed(t, followMessages(s, c.cat.ID, c.chat.ID, p.Next))
		require.Equal(t, []snowflake.ID{b.ID, cc.ID}, followedMessageIDs(fromList.next(t, 2)))
	})
	t.Run("AnEventFollowResumesFromTheCursorOfTheLastEventItYielded", func(t *testing.T) {
		s := h.New(t)
		exec := newWorkload(t, s)
		batch := []noetl.Event{{ExecutionID: exec}, {ExecutionID: exec}, {ExecutionID: exec}}
		require.NoError(t, s.Events().AppendBatch(ctx(t), batch))
		f := startFeed(t, followEvents(s, exec, ""))
		got := f.next(t, 3)
		f.stop()
		again := startFeed(t, followEvents(s, exec, got[1].Cursor))
		require.Equal(t, []snowflake.ID{batch[2].EventID}, followedEventIDs(again.next(t, 1)))
		again.quiet(t)
	})
	t.Run("ACursorOfAnotherListIsInvalid", func(t *testing.T) {
		s := h.New(t)
		c := newConvo(t, s)
		c.post(t, c.chat.ID, c.ann, "a")
		c.post(t, c.chat.ID, c.ann, "b")
		p, err := s.Messages().List(ctx(t), c.cat.ID, c.chat.ID, noetl.MessageQuery{Limit: 1}) // newest first
		require.NoError(t, err)
		f := startFeed(t, followMessages(s, c.cat.ID, c.chat.ID, p.Next))
		require.ErrorIs(t, f.failure(t), noetl.ErrInvalid)
		g := startFeed(t, followEvents(s, newWorkload(t, s), "not a cursor"))
		require.ErrorIs(t, g.failure(t), noetl.ErrInvalid)
	})
	t.Run("ANonMemberIsRefused", func(t *testing.T) {
		s := h.New(t)
		c := newConvo(t, s)
		f := startFeed(t, followMessages(s, c.dan.ID, c.chat.ID, ""))
		require.ErrorIs(t, f.failure(t), noetl.ErrForbidden)
	})
	t.Run("ARemovedMemberStopsReceiving", func(t *testing.T) {
		s, c, f := catFollowing(t, h)
		require.NoError(t, s.Members().Remove(ctx(t), c.ann.ID, c.chat.ID, c.cat.ID))
		c.post(t, c.chat.ID, c.ann, "not for cat")
		require.ErrorIs(t, f.failure(t), noetl.ErrForbidden)
		select {
		case <-f.done:
		case <-time.After(followWait):
			require.Fail(t, "the follow did not end after its refusal")
		}
	})
	t.Run("ARemovedMemberStopsWithoutWaitingForAPost", func(t *testing.T) {
		s, c, f := catFollowing(t, h)
		require.NoError(t, s.Members().Remove(ctx(t), c.ann.ID, c.chat.ID, c.cat.ID))
		require.ErrorIs(t, f.failure(t), noetl.ErrForbidden)
	})
	t.Run("DeletingTheChatEndsItsFollows", func(t *testing.T) {
		s, c, f := catFollowing(t, h)
		require.NoError(t, s.Chats().Delete(ctx(t), c.ann.ID, c.chat.ID))
		require.ErrorIs(t, f.failure(t), noetl.ErrNotFound)
	})
	t.Run("AStoreInATransactionCannotFollow", func(t *testing.T) {
		s := h.New(t)
		c := newConvo(t, s)
		require.NoError(t, s.InTx(ctx(t), func(ctx context.Context, tx noetl.Store) error {
			for _, err := range tx.Messages().Follow(ctx, c.cat.ID, c.chat.ID, "") {
				require.ErrorIs(t, err, noetl.ErrInvalid)
				break
			}
			return nil
		}))
	})
	t.Run("CancellingEndsTheFollowAndLeavesNoGoroutine", func(t *testing.T) {
		s := h.New(t)
		c := newConvo(t, s)
		exec := newWorkload(t, s)
		// A first follow starts what the store keeps for followers (a
		// listener) for the rest of its life.
		warm := startFeed(t, followMessages(s, c.cat.ID, c.chat.ID, ""))
		warm.stop()
		before := runtime.NumGoroutine()
		var msgs []*feed[noetl.Message]
		var evs []*feed[noetl.Event]
		for range 20 {
			msgs = append(msgs, startFeed(t, followMessages(s, c.cat.ID, c.chat.ID, "")))
			evs = append(evs, startFeed(t, followEvents(s, exec, "")))
		}
		c.post(t, c.chat.ID, c.ann, "to every follower")
		_, err := s.Events().Append(ctx(t), noetl.Event{ExecutionID: exec})
		require.NoError(t, err)
		for i := range msgs {
			msgs[i].next(t, 1)
			evs[i].next(t, 1)
		}
		for i := range msgs {
			msgs[i].cancel()
			evs[i].cancel()
		}
		deadline := time.Now().Add(followWait)
		for i := range msgs {
			for _, done := range []chan struct{}{msgs[i].done, evs[i].done} {
				select {
				case <-done:
				case <-time.After(time.Until(deadline)):
					require.Fail(t, "a cancelled follow did not end")
				}
			}
		}
		// The driver's pool may still be finishing work a follow's read
		// began (a connection dialled or closed) a moment longer.
		require.Eventually(t, func() bool {
			n := 0
			for i := range msgs {
				n += msgs[i].goroutines() + evs[i].goroutines()
			}
			return n == 0
		}, followWait, 10*time.Millisecond, "a cancelled follow left goroutines behind")
		// Other tests may run in parallel: the count may wander, but the
		// forty followers' goroutines must be gone.
		require.Eventually(t, func() bool { return runtime.NumGoroutine() < before+40 },
			followWait, 10*time.Millisecond, "goroutines: %d before the follows, %d after they ended", before, runtime.NumGoroutine())
	})
	t.Run("ClosingTheStoreEndsItsFollowsWithErrClosed", func(t *testing.T) {
		s := h.New(t)
		c := newConvo(t, s)
		exec := newWorkload(t, s)
		fm := startFeed(t, followMessages(s, c.cat.ID, c.chat.ID, ""))
		fe := startFeed(t, followEvents(s, exec, ""))
		m := c.post(t, c.chat.ID, c.ann, "before the close")
		require.Equal(t, m.ID, fm.next(t, 1)[0].Item.ID)
		fe.quiet(t)
		require.NoError(t, s.Close())
		require.ErrorIs(t, fm.failure(t), noetl.ErrClosed)
		require.ErrorIs(t, fe.failure(t), noetl.ErrClosed)
	})
	if h.NewShared != nil {
		t.Run("WritesOfAnotherStoreOnTheDatabaseAreNoticed", func(t *testing.T) {
			open := h.NewShared(t)
			a, b := open(t), open(t)
			c := newConvo(t, a)
			exec := newWorkload(t, a)
			fm := startFeed(t, followMessages(a, c.cat.ID, c.chat.ID, ""))
			fe := startFeed(t, followEvents(a, exec, ""))
			for i := range 3 {
				m, err := b.Messages().Post(ctx(t), noetl.NewMessage{ID: a.IDs().MustNext(), ChatID: c.chat.ID, SenderType: noetl.SenderUser,
					SenderID: &c.ann.ID, Content: fmt.Sprint("from the other store ", i)})
				require.NoError(t, err)
				require.Equal(t, m.ID, fm.next(t, 1)[0].Item.ID)
				e, err := b.Events().Append(ctx(t), noetl.Event{ExecutionID: exec, EventID: a.IDs().MustNext()})
				require.NoError(t, err)
				require.Equal(t, e.EventID, fe.next(t, 1)[0].Item.EventID)
			}
			fm.quiet(t)
			fe.quiet(t)
		})
	}
	for name, disrupt := range h.Disruptions {
		t.Run("NothingIsLostOrRepeatedWhen"+name, func(t *testing.T) {
			s, fault := disrupt(t)
			c := newConvo(t, s)
			exec := newWorkload(t, s)
			fm := startFeed(t, followMessages(s, c.cat.ID, c.chat.ID, ""))
			fe := startFeed(t, followEvents(s, exec, ""))
			var want []snowflake.ID
			var wantEv []snowflake.ID
			write := func(i int) {
				m := c.post(t, c.chat.ID, c.ann, fmt.Sprint("message ", i))
				want = append(want, m.ID)
				e, err := s.Events().Append(ctx(t), noetl.Event{ExecutionID: exec})
				require.NoError(t, err)
				wantEv = append(wantEv, e.EventID)
			}
			write(0)
			var seen, seenEv []snowflake.ID
			seen = append(seen, followedMessageIDs(fm.next(t, 1))...)
			seenEv = append(seenEv, followedEventIDs(fe.next(t, 1))...)
			fault()
			for i := 1; i <= 3; i++ {
				write(i)
			}
			seen = append(seen, followedMessageIDs(fm.next(t, 3))...)
			seenEv = append(seenEv, followedEventIDs(fe.next(t, 3))...)
			fm.quiet(t)
			fe.quiet(t)
			requireSeenOnce(t, seen, listedMessages(t, s, c), want)
			requireSeenOnce(t, seenEv, listedEvents(t, s, exec), wantEv)
		})
	}
}
